"""``bayes_mediate``: Bayesian mediation with an exact conjugate path and PyMC NUTS."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._rng import SeedLike, child_seeds, int_seed, seed_sequence
from ..exceptions import ConvergenceWarning, SpecificationError
from ._design import WHAT, build_design
from .exact import sample_exact
from .priors import resolve_priors
from .result import BayesMediationResult, diagnostics

#: a chain's bulk ESS below this (per chain) triggers a ConvergenceWarning
MIN_ESS_PER_CHAIN = 100
MAX_RHAT = 1.01


def _check_int(name: str, value: Any, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < minimum:
        raise SpecificationError(f"{WHAT}: {name} must be an int >= {minimum}; got {value!r}.")
    return int(value)


def bayes_mediate(
    data: pd.DataFrame,
    x: str,
    m: str | Sequence[str],
    y: str,
    covariates: str | Sequence[str] = (),
    draws: int = 2000,
    tune: int = 1000,
    chains: int = 4,
    priors: Mapping[str, Mapping[str, Any]] | str | None = None,
    likelihood: str = "normal",
    method: str = "nuts",
    seed: SeedLike = None,
) -> BayesMediationResult:
    """Bayesian mediation: posterior of the paths, the indirect effect a·b and the total effect.

    Two (or, with several mediators, k + 1) regressions as in :func:`~neuroimmune_stats.mediate`:
    each mediator ``M ~ X + covariates`` (path ``a``) and the outcome
    ``Y ~ X + M₁ + … + M_k + covariates`` (``c′`` and ``b``). Per posterior draw the indirect
    effect is ``a·b`` (per mediator), the total effect ``c = c′ + Σ a·b`` and the proportion
    mediated ``Σ a·b / c``.

    Parameters
    ----------
    data : DataFrame
        One row per subject; not modified. Incomplete rows are dropped (``n``, ``excluded_ids``).
    x, y : str
        Predictor and outcome columns (numeric).
    m : str or list of str
        Mediator column(s); several give a parallel-mediator model.
    covariates : str or list of str, default=()
        Covariates in every equation (globs allowed); factors are treatment-coded.
    draws, tune, chains : int, default=2000, 1000, 4
        Posterior draws per chain, NUTS tuning steps (ignored by ``exact``) and chains.
    priors : dict, "vague" or None, default=None
        Overrides by parameter name: ``"intercept_m"``, ``"a"``, ``"beta_m"`` (mediator
        equations; shapes ``(k,)``, ``(k,)``, ``(k, p)``), ``"intercept_y"``, ``"c_prime"``,
        ``"b"`` (shape ``(k,)``), ``"beta_y"`` (shape ``(p,)``) each ``{"mu": .., "sigma": ..}``;
        ``"sigma_m"`` (shape ``(k,)``), ``"sigma_y"`` each ``{"alpha": .., "beta": ..}`` of the
        inverse-gamma prior on σ². Scalars broadcast. ``"vague"`` makes every prior diffuse.

        The model is conjugate normal–inverse-gamma per equation, with centred regressors:
        ``σ² ~ InverseGamma(alpha, beta)`` and ``coefficient | σ ~ Normal(mu, sigma·σ/σ₀)`` with
        ``σ₀ = sqrt(beta/alpha)`` (so ``sigma`` is the prior SD when σ equals σ₀; with the
        default σ² prior σ₀ = SD(response)). Defaults, scaled to the
        data: intercept ``Normal(mean(response), 2.5·SD(response))``, slopes
        ``Normal(0, 2.5·SD(response)/SD(regressor))``, ``σ² ~ InverseGamma(1, var(response))``.
        ``.summary()`` prints the priors used.
    likelihood : {"normal", "student_t"}, default="normal"
        Residual distribution; ``"student_t"`` (robust to outliers, ``ν ~ Gamma(2, 0.1)`` per
        equation) needs ``method="nuts"``.
    method : {"nuts", "exact"}, default="nuts"
        ``"nuts"`` samples with PyMC (nutpie when installed), chains in parallel processes
        where cores allow; ``"exact"`` draws ``draws × chains`` iid samples from the closed-form
        posterior in milliseconds (same model, same priors).
    seed : int, Generator or None
        The same seed gives identical draws.

    Returns
    -------
    BayesMediationResult
        ``.tidy(hdi_prob=0.95)`` (``term``, ``mediator``, ``estimate`` = posterior mean,
        ``std_error`` = posterior SD, ``conf_low``/``conf_high`` = HDI, ``pd``, ``r_hat``,
        ``ess_bulk``, ``n``), ``.summary()``, ``.plot()``, ``.idata`` (ArviZ InferenceData with
        posterior, observed_data and log_likelihood groups), ``.posterior_distribution()``.

    Raises
    ------
    SpecificationError
        Bad columns or roles (as in ``mediate``), unknown prior names, wrong prior shapes or
        non-positive scales, bad ``method``/``likelihood``/``draws``/``chains``, or
        ``likelihood="student_t"`` with ``method="exact"``.
    InsufficientDataError, RankDeficiencyError
        As in ``mediate``.

    Warns
    -----
    ConvergenceWarning
        (``nuts``) divergent transitions, R-hat > 1.01 or bulk ESS below 100 per chain.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> df = pd.DataFrame({"x": rng.normal(size=80), "age": rng.normal(50, 10, 80)})
    >>> df["m"] = 0.8 * df["x"] + rng.normal(size=80)
    >>> df["y"] = 0.8 * df["m"] + 0.2 * df["x"] + rng.normal(size=80)
    >>> res = bayes_mediate(df, "x", "m", "y", covariates=["age"], method="exact", seed=1)
    >>> tab = res.tidy()
    >>> list(tab["term"])
    ['a', 'b', 'c_prime', 'c', 'indirect', 'proportion_mediated']
    >>> bool(tab.set_index("term").loc["indirect", "conf_low"] > 0)
    True
    """
    if method not in ("nuts", "exact"):
        raise SpecificationError(f"{WHAT}: method must be 'nuts' or 'exact'; got {method!r}.")
    if likelihood not in ("normal", "student_t"):
        raise SpecificationError(f"{WHAT}: likelihood must be 'normal' or 'student_t'; got {likelihood!r}.")
    if method == "exact" and likelihood != "normal":
        raise SpecificationError(
            f"{WHAT}: method='exact' needs likelihood='normal' (the Student-t model has no conjugate "
            "posterior); use method='nuts' for likelihood='student_t'."
        )
    draws = _check_int("draws", draws, 1)
    chains = _check_int("chains", chains, 1)
    tune = _check_int("tune", tune, 0)
    ss = seed_sequence(seed)
    design = build_design(data, x, m, y, covariates)
    eq_priors, table = resolve_priors(design, priors)
    k = len(design.mediators)
    if method == "exact":
        post = sample_exact(design, eq_priors, draws, chains, child_seeds(ss, k + 1))
        return BayesMediationResult(
            design, post, method="exact", likelihood=likelihood, draws=draws, tune=0, chains=chains,
            prior_table=table, sampler="conjugate", seed_entropy=ss.entropy,
        )
    from .nuts import build_model, posterior_arrays, sample_nuts, sampler_name

    model = build_model(design, eq_priors, likelihood)
    idata = sample_nuts(model, draws, tune, chains, int_seed(child_seeds(ss, 1)[0]))
    post = posterior_arrays(idata, design)
    res = BayesMediationResult(
        design, post, method="nuts", likelihood=likelihood, draws=draws, tune=tune, chains=chains,
        prior_table=table, sampler=sampler_name(), idata=idata, seed_entropy=ss.entropy,
    )
    res._model = model
    _add_derived(idata, res)
    _warn_convergence(idata, res)
    return res


def _add_derived(idata: Any, res: BayesMediationResult) -> None:
    post = idata.posterior
    for name in ("indirect", "c", "total_indirect", "proportion_mediated"):
        if name in res.posterior:
            dims = ("chain", "draw", "mediator") if name == "indirect" else ("chain", "draw")
            post[name] = (dims, res.posterior[name])


def _warn_convergence(idata: Any, res: BayesMediationResult) -> None:
    problems = []
    stats = getattr(idata, "sample_stats", None)
    if stats is not None and "diverging" in stats:
        n_div = int(np.asarray(stats["diverging"].values).sum())
        if n_div:
            problems.append(f"{n_div} divergent transition(s)")
    worst_rhat, worst_ess = [], []
    for term in ("a", "b", "c_prime"):
        arr = res.posterior[term]
        cols = [arr] if arr.ndim == 2 else [arr[..., j] for j in range(arr.shape[-1])]
        for c in cols:
            rh, ess = diagnostics(c)
            worst_rhat.append(rh)
            worst_ess.append(ess)
    rh = np.nanmax(worst_rhat) if np.any(np.isfinite(worst_rhat)) else np.nan
    ess = np.nanmin(worst_ess) if np.any(np.isfinite(worst_ess)) else np.nan
    if res.chains > 1 and np.isfinite(rh) and rh > MAX_RHAT:
        problems.append(f"R-hat up to {rh:.3f} (> {MAX_RHAT})")
    if np.isfinite(ess) and ess < MIN_ESS_PER_CHAIN * res.chains:
        problems.append(f"bulk ESS as low as {ess:.0f} (< {MIN_ESS_PER_CHAIN} per chain)")
    if problems:
        warnings.warn(
            f"{WHAT}: the NUTS sampler may not have converged: {'; '.join(problems)}. "
            "Increase tune/draws, or use method='exact' for the normal model.",
            ConvergenceWarning,
            stacklevel=3,
        )


__all__ = ["bayes_mediate"]
