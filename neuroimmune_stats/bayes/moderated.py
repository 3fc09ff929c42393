"""Bayesian moderated mediation: ``bayes_mediate(..., moderator=W, moderate=...)``.

The model frame, the design columns (W, ``X·W``, ``M·W``) and the effect definitions are those of
the bootstrap :func:`~neuroimmune_stats.mediate` with a moderator
(:func:`neuroimmune_stats.mediation.conditional.prepare_moderated` and
:meth:`~neuroimmune_stats.mediation.conditional.ModeratedEngine.effects_from_coef`), so the two
answer the same question; only the inference differs. Each equation is a normal linear regression
with the conjugate normal–inverse-gamma prior of :mod:`.priors` (data-scaled defaults, or
``priors="vague"``), sampled exactly (``method="exact"``: iid draws from the closed-form posterior,
:func:`.exact.draw_equation`) or by the package's NUTS engine (``method="nuts"``, the sampler of
:mod:`.nuts`; normal or Student-t errors). Every draw of the coefficients gives a draw of each
conditional indirect effect, of the index of moderated mediation and of the differences between
levels of a factor W.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from .._rng import SeedLike
from ..exceptions import SpecificationError
from ..results import Result, format_table
from ._design import Equation
from .priors import EquationPrior, _default_equation
from .result import diagnostics, hdi, prob_direction

WHAT = "bayes_mediate"

BAYES_MODERATED_COLUMNS = ("term", "mediator", "w_value", "contrast", "estimate", "std_error", "conf_low",
                           "conf_high", "pd", "r_hat", "ess_bulk", "n")


def _equations(prep: Any) -> list[Equation]:
    out = []
    for eq in prep.equations:
        X = prep.raw[:, list(eq.regressors)]
        mean = X.mean(axis=0)
        out.append(Equation(eq.name, prep.raw[:, eq.response].copy(), X - mean,
                            [prep.columns[i] for i in eq.regressors], mean))
    return out


def _sample_nuts(eqs: list[Equation], priors: list[EquationPrior], likelihood: str, draws: int, tune: int,
                 chains: int, seed: np.random.SeedSequence) -> tuple[list[np.ndarray], int]:
    """Coefficient draws ``(chains, draws, P + 1)`` per equation with the NUTS engine of :mod:`.nuts`."""
    from ._nuts import run_chain, windows
    from .nuts import MAX_DEPTH, TARGET_ACCEPT, _EquationTarget

    init, ends = windows(tune)
    seeds = seed.spawn(len(eqs) * chains)
    out, n_div = [], 0
    for e, (eq, pr) in enumerate(zip(eqs, priors, strict=True)):
        tg = _EquationTarget(eq, pr, likelihood)
        qs = []
        for c in range(chains):
            rng = np.random.default_rng(seeds[e * chains + c])
            q, st, _ = run_chain(rng, tg.kind, tg.initial_point(rng), draws, tune, init, ends, TARGET_ACCEPT,
                                 MAX_DEPTH, tg.fp, *tg.arrays)
            qs.append(q)
            n_div += int(np.sum(st[:, 1] > 0))
        out.append(tg.coefficients(np.stack(qs)[..., : tg.P]))
    return out, n_div


class BayesModeratedResult(Result):
    """Posterior conditional indirect effects (and the index of moderated mediation) at values of W.

    Attributes
    ----------
    x, y, w : str
    mediators : list of str
    moderate : tuple of str
    process_model : int
    w_values : list
    n, excluded_ids, method, likelihood, draws, chains, tune, seed
    posterior : ndarray
        Effect draws, shape ``(chains, draws, n_effects)`` in the order of ``labels``.
    n_divergent : int
        Divergent NUTS transitions (0 for ``method="exact"``).
    """

    extra_columns = ("mediator", "pd", "r_hat", "ess_bulk")

    def __init__(self, prep: Any, labels: list[Any], posterior: np.ndarray, *, method: str, likelihood: str,
                 draws: int, tune: int, chains: int, covariates: Any, seed: Any, n_divergent: int = 0) -> None:
        self.x, self.y, self.w = prep.x, prep.y, prep.w
        self.mediators = list(prep.mediators)
        self.moderate = tuple(prep.moderate)
        self.process_model = prep.process_model
        self.w_values = list(prep.at_values)
        self.w_factor = prep.w_factor
        self.n, self.excluded_ids = int(prep.n), tuple(prep.excluded_ids)
        self.labels = labels
        self.posterior = posterior
        self.method, self.likelihood = method, likelihood
        self.draws, self.tune, self.chains = draws, tune, chains
        self.covariates = covariates
        self.seed = seed
        self.n_divergent = n_divergent
        self.serial = False
        self.call = (f"bayes_mediate(x={self.x!r}, m={self.mediators!r}, y={self.y!r}, moderator={self.w!r}, "
                     f"moderate={self.moderate!r}, method={method!r})")

    def posterior_distribution(self, term: str = "indirect", mediator: str | None = None,
                               w_value: Any = None) -> np.ndarray:
        """All draws (chains × draws, flattened) of one effect."""
        from ..mediation.conditional_result import _same

        hits = [i for i, lab in enumerate(self.labels) if lab.term == term
                and (mediator is None or lab.mediator == mediator)
                and (w_value is None or _same(lab.w_value, w_value))]
        if len(hits) != 1:
            raise SpecificationError(f"{WHAT}: term {term!r} (mediator={mediator!r}, w_value={w_value!r}) matches "
                                     f"{len(hits)} effects; pass mediator= and w_value=.")
        return self.posterior[..., hits[0]].ravel()

    def tidy(self, hdi_prob: float = 0.95) -> pd.DataFrame:
        """Posterior mean (``estimate``), SD (``std_error``), HDI (``conf_low``/``conf_high``), probability
        of direction, R-hat and bulk ESS of every path, conditional effect and index."""
        rows = []
        for i, lab in enumerate(self.labels):
            d = self.posterior[..., i]
            lo, hi = hdi(d, hdi_prob)
            rh, ess = diagnostics(d) if self.chains > 1 or d.shape[1] >= 4 else (np.nan, np.nan)
            rows.append({"term": lab.term, "mediator": lab.mediator, "w_value": lab.w_value, "contrast": lab.contrast,
                         "estimate": float(np.mean(d)), "std_error": float(np.std(d, ddof=1)), "conf_low": lo,
                         "conf_high": hi, "pd": prob_direction(d), "r_hat": rh, "ess_bulk": ess, "n": self.n})
        return pd.DataFrame(rows, columns=list(BAYES_MODERATED_COLUMNS))

    def summary(self) -> str:
        td = self.tidy()
        show = td[td.term.isin(["indirect", "total_indirect", "direct", "index_moderated_mediation",
                                "indirect_difference"])]
        lines = [
            f"Bayesian moderated mediation (PROCESS model {self.process_model} structure; W moderates "
            f"{', '.join(self.moderate)})",
            f"  X = {self.x}; M = {', '.join(self.mediators)}; Y = {self.y}; W = {self.w}",
            f"  n = {self.n}; {self.chains} chain(s) x {self.draws} draws ({self.method}, {self.likelihood} errors)",
        ]
        if self.excluded_ids:
            lines.append(f"  excluded (missing values): {', '.join(self.excluded_ids)}")
        lines += ["", "Paths (posterior mean, SD, 95% HDI):",
                  format_table(td[td.term.isin(["a", "a:w", "b", "b:w", "c_prime", "c_prime:w"])][
                      ["term", "mediator", "w_value", "estimate", "std_error", "conf_low", "conf_high", "pd"]]),
                  "", "Conditional effects:",
                  format_table(show[["term", "mediator", "w_value", "contrast", "estimate", "std_error", "conf_low",
                                     "conf_high", "pd"]])]
        if self.n_divergent:
            lines.append(f"{self.n_divergent} divergent transition(s).")
        return "\n".join(lines)

    def plot(self, ax: Any = None, *, mediator: str | None = None, labels: Any = None) -> Any:
        """Posterior conditional indirect effects with their HDIs across W; returns the Axes."""
        from ..plots.moderation import plot_conditional_indirect

        return plot_conditional_indirect(self, ax=ax, mediator=mediator, labels=labels)


def bayes_moderated_mediate(
    data: pd.DataFrame, x: str, m: Any, y: str, moderator: str, *, moderate: Any = ("a",), covariates: Any = (),
    at: Any = None, draws: int = 2000, tune: int = 1000, chains: int = 4, priors: Any = None,
    likelihood: str = "normal", method: str = "nuts", seed: np.random.SeedSequence | SeedLike = None,
    user_seed: Any = None,
) -> BayesModeratedResult:
    """The Bayesian counterpart of ``mediate(..., moderator=W, moderate=...)`` (arguments checked by
    :func:`~neuroimmune_stats.bayes_mediate`; ``seed`` is already the analysis' stream).

    ``priors``: None (data-scaled defaults, as ``bayes_mediate``) or ``"vague"``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=120), "w": rng.normal(size=120)})
    >>> df["m"] = (0.5 + 0.4 * df.w) * df.x + rng.normal(size=120)
    >>> df["y"] = 0.6 * df.m + rng.normal(size=120)
    >>> res = bayes_moderated_mediate(df, "x", "m", "y", "w", method="exact", seed=np.random.SeedSequence(1))
    >>> idx = res.tidy().set_index("term").loc["index_moderated_mediation"]
    >>> bool(idx.conf_low > 0)
    True
    """
    from ..mediation.conditional import ModeratedEngine, check_moderate, prepare_moderated

    if priors is not None and not (isinstance(priors, str) and priors == "vague"):
        raise SpecificationError(f"{WHAT}: with a moderator, priors must be None (the defaults) or 'vague'; "
                                 f"got {priors!r}.")
    paths = check_moderate(moderate)
    prep = prepare_moderated(data, x, m, y, moderator, paths, covariates, at, None, what=WHAT)
    eqs = _equations(prep)
    eq_priors = [_default_equation(e, priors == "vague") for e in eqs]
    ss = seed if isinstance(seed, np.random.SeedSequence) else np.random.SeedSequence(seed)  # type: ignore[arg-type]
    n_div = 0
    if method == "exact":
        from .exact import draw_equation

        kids = ss.spawn(len(eqs))
        coefs = [draw_equation(e, q, draws * chains, np.random.default_rng(s))[0].reshape(chains, draws, -1)
                 for e, q, s in zip(eqs, eq_priors, kids, strict=True)]
    else:
        coefs, n_div = _sample_nuts(eqs, eq_priors, likelihood, draws, tune, chains, ss.spawn(1)[0])
    engine = ModeratedEngine(prep)
    size = chains * draws
    slopes = {eq.name: {r: c.reshape(size, -1)[:, 1 + i] for i, r in enumerate(eq.regressors)}
              for eq, c in zip(prep.equations, coefs, strict=True)}
    eff = engine.effects_from_coef(slopes, size).reshape(chains, draws, -1)
    return BayesModeratedResult(prep, engine.labels, eff, method=method, likelihood=likelihood, draws=draws,
                                tune=tune if method == "nuts" else 0, chains=chains, covariates=covariates,
                                seed=user_seed, n_divergent=n_div)


__all__ = ["BAYES_MODERATED_COLUMNS", "BayesModeratedResult", "bayes_moderated_mediate"]
