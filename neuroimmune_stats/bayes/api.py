"""``bayes_mediate``: Bayesian mediation with an exact conjugate path and a compiled NUTS path."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._params import check_choice, check_int
from .._rng import SeedLike, analysis_seed, child_seeds
from ..exceptions import ConvergenceWarning, SpecificationError
from ._design import WHAT, build_design
from .exact import sample_exact
from .priors import resolve_priors
from .result import BayesMediationResult, diagnostics

#: a chain's bulk ESS below this (per chain) triggers a ConvergenceWarning
MIN_ESS_PER_CHAIN = 100
MAX_RHAT = 1.01


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
    *,
    moderator: str | None = None,
    moderate: str | Sequence[str] = ("a",),
    at: Any = None,
) -> Any:
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
        ``"nuts"`` samples each equation with the package's compiled No-U-Turn sampler
        (Stan's algorithm and warm-up, in numba; about a second for 4 × (1000 + 1000) and no
        PyMC compilation, see :mod:`neuroimmune_stats.bayes.nuts`); ``"exact"`` draws
        ``draws × chains`` iid samples from the closed-form
        posterior in milliseconds (same model, same priors).
    moderator, moderate, at : optional
        Moderated mediation, as ``mediate(..., moderator=, moderate=, at=)``: posterior conditional
        indirect effects at the values of W, the index of moderated mediation and, for a factor W,
        the differences between levels (:mod:`neuroimmune_stats.bayes.moderated`; ``priors`` None
        or ``"vague"``) → a ``BayesModeratedResult``.
    seed : int, Generator or None
        The same seed gives identical draws. The stream is this analysis' own
        (``analysis_seed(seed, "bayes_mediate")``), so ``mediate(seed=s)`` and
        ``bayes_mediate(seed=s)`` draw independent numbers.

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
    method = check_choice(method, ("nuts", "exact"), where=WHAT, name="method")
    likelihood = check_choice(likelihood, ("normal", "student_t"), where=WHAT, name="likelihood")
    if method == "exact" and likelihood != "normal":
        raise SpecificationError(
            f"{WHAT}: method='exact' needs likelihood='normal' (the Student-t model has no conjugate "
            "posterior); use method='nuts' for likelihood='student_t'."
        )
    draws = check_int(draws, where=WHAT, name="draws", minimum=1)
    chains = check_int(chains, where=WHAT, name="chains", minimum=1)
    tune = check_int(tune, where=WHAT, name="tune", minimum=0)
    ss = analysis_seed(seed, "bayes_mediate")
    if moderator is not None:
        from .moderated import bayes_moderated_mediate

        return bayes_moderated_mediate(data, x, m, y, moderator, moderate=moderate, covariates=covariates, at=at,
                                       draws=draws, tune=tune, chains=chains, priors=priors, likelihood=likelihood,
                                       method=method, seed=ss, user_seed=seed)
    design = build_design(data, x, m, y, covariates)
    eq_priors, table = resolve_priors(design, priors)
    k = len(design.mediators)
    if method == "exact":
        post = sample_exact(design, eq_priors, draws, chains, child_seeds(ss, k + 1))
        return BayesMediationResult(
            design, post, method="exact", likelihood=likelihood, draws=draws, tune=0, chains=chains,
            prior_table=table, sampler="conjugate", seed_entropy=ss.entropy, seed=seed,
        )
    from .nuts import sample_design, sampler_name

    post, sample_stats = sample_design(design, eq_priors, likelihood, draws, tune, chains, ss.spawn(1)[0])
    res = BayesMediationResult(
        design, post, method="nuts", likelihood=likelihood, draws=draws, tune=tune, chains=chains,
        prior_table=table, sampler=sampler_name(), seed_entropy=ss.entropy, sample_stats=sample_stats, seed=seed,
    )
    _warn_convergence(res)
    return res


def _warn_convergence(res: BayesMediationResult) -> None:
    problems = []
    if res.sample_stats is not None:
        n_div = int(np.sum(res.sample_stats["diverging"]))
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
