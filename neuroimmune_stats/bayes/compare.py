"""``compare_mediation``: the bootstrap and the Bayesian answer to the same mediation question."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from ..design import as_list
from ..exceptions import DataWarning, SpecificationError
from ..results import Result, format_table
from .result import BayesMediationResult

WHAT = "compare_mediation"
TERMS = ("a", "b", "c_prime", "c", "indirect", "total_indirect", "a:w", "b:w", "c_prime:w", "direct",
         "index_moderated_mediation", "indirect_difference")
COMPARE_COLUMNS = (
    "term", "mediator", "w_value",
    "estimate_freq", "conf_low_freq", "conf_high_freq", "interval_freq", "width_freq", "excludes_zero_freq",
    "estimate_bayes", "conf_low_bayes", "conf_high_bayes", "interval_bayes", "width_bayes", "excludes_zero_bayes",
    "n_freq", "n_bayes",
)
_CI_NAMES = {"percentile": "percentile bootstrap", "bc": "bias-corrected bootstrap", "bca": "BCa bootstrap"}
_REQUIRED = ("x", "mediators", "y", "n", "conf_level", "ci", "tidy", "bootstrap_distribution")


def _covariate_list(cov: Any) -> list[str] | None:
    if isinstance(cov, dict):
        return None
    try:
        return as_list(cov)
    except TypeError:
        return None


class MediationComparison(Result):
    """Side-by-side frequentist (bootstrap) and Bayesian estimates of one mediation model.

    Attributes
    ----------
    frequentist : the ``mediate`` result
    bayesian : BayesMediationResult
    hdi_prob : float
        HDI mass of the Bayesian intervals (the frequentist ``conf_level``).
    """

    #: tidy columns beyond the broom vocabulary (declared for the result contract)
    extra_columns = ("interval_freq", "width_freq", "excludes_zero_freq",
                     "interval_bayes", "width_bayes", "excludes_zero_bayes")

    def __init__(self, frequentist: Any, bayesian: Any, hdi_prob: float) -> None:
        self.frequentist = frequentist
        self.bayesian = bayesian
        self.hdi_prob = float(hdi_prob)
        self.x, self.y, self.mediators = bayesian.x, bayesian.y, list(bayesian.mediators)
        # provenance: the frequentist sample (both analyses are fitted on the same complete cases)
        self.n = int(getattr(frequentist, "n", 0))
        self.excluded_ids = tuple(dict.fromkeys([*getattr(frequentist, "excluded_ids", ()),
                                                 *getattr(bayesian, "excluded_ids", ())]))
        self.call = "compare_mediation(frequentist, bayesian)"

    def _freq_interval(self, row: pd.Series) -> str:
        level = f"{self.frequentist.conf_level:.0%}"
        if row["term"] in ("a", "b", "c", "c_prime", "a:w", "b:w", "c_prime:w", "direct") and pd.notna(row.get("df")):
            return f"{level} t (OLS)"
        return f"{level} {_CI_NAMES.get(str(self.frequentist.ci), str(self.frequentist.ci) + ' bootstrap')}"

    def tidy(self) -> pd.DataFrame:
        """One row per shared term (``a``, ``b``, ``c_prime``, ``c``, ``indirect``, ``total_indirect``).

        ``*_freq`` columns come from the ``mediate`` result, ``*_bayes`` from the posterior:
        ``estimate``, ``conf_low``/``conf_high``, ``interval`` (its kind: t interval of an OLS
        path, bootstrap interval, or HDI), ``width`` and ``excludes_zero``; ``n_freq``/``n_bayes``.
        """
        f = self.frequentist.tidy()
        if "mediator" not in f.columns:
            f = f.assign(mediator=None)
        b = self.bayesian.tidy(hdi_prob=self.hdi_prob)
        by_w = "w_value" in f.columns and "w_value" in b.columns  # moderated models: match the value of W too
        rows = []
        for _, br in b.iterrows():
            if br["term"] not in TERMS:
                continue
            med = br["mediator"]
            sel = f["term"] == br["term"]
            if med is not None and not (isinstance(med, float) and np.isnan(med)):
                sel &= f["mediator"] == med
            if by_w:
                from ..mediation.conditional_result import _same

                sel &= np.array([_same(v, br["w_value"]) for v in f["w_value"]], dtype=bool)
            hits = f[sel]
            if len(hits) == 0:
                continue
            if len(hits) > 1:  # single-mediator tables may leave `mediator` empty or filled
                hits = hits.iloc[:1]
            fr = hits.iloc[0]
            flo, fhi = float(fr["conf_low"]), float(fr["conf_high"])
            blo, bhi = float(br["conf_low"]), float(br["conf_high"])
            rows.append({
                "term": br["term"], "mediator": med, "w_value": br["w_value"] if by_w else None,
                "estimate_freq": float(fr["estimate"]), "conf_low_freq": flo, "conf_high_freq": fhi,
                "interval_freq": self._freq_interval(fr), "width_freq": fhi - flo,
                "excludes_zero_freq": bool(flo > 0 or fhi < 0),
                "estimate_bayes": float(br["estimate"]), "conf_low_bayes": blo, "conf_high_bayes": bhi,
                "interval_bayes": f"{self.hdi_prob:.0%} HDI ({self.bayesian.method})", "width_bayes": bhi - blo,
                "excludes_zero_bayes": bool(blo > 0 or bhi < 0),
                "n_freq": int(self.frequentist.n), "n_bayes": int(self.bayesian.n),
            })
        return pd.DataFrame(rows, columns=list(COMPARE_COLUMNS))

    def summary(self) -> str:
        tab = self.tidy()
        show = tab[["term", "mediator", "estimate_freq", "conf_low_freq", "conf_high_freq", "estimate_bayes",
                    "conf_low_bayes", "conf_high_bayes"]]
        kinds = sorted(set(tab["interval_freq"]) | set(tab["interval_bayes"]))
        agree = int((tab["excludes_zero_freq"] == tab["excludes_zero_bayes"]).sum())
        return "\n".join([
            "Frequentist (bootstrap) vs Bayesian mediation",
            f"  X = {self.x}; M = {', '.join(self.mediators)}; Y = {self.y}",
            f"  n = {self.frequentist.n} (frequentist), {self.bayesian.n} (Bayesian); "
            f"{self.frequentist.n_boot if hasattr(self.frequentist, 'n_boot') else '?'} bootstrap resamples; "
            f"{self.bayesian.chains * self.bayesian.draws} posterior draws ({self.bayesian.method})",
            f"  interval types: {'; '.join(kinds)}",
            f"  both intervals agree on excluding zero for {agree} of {len(tab)} rows",
            "",
            format_table(show),
        ])

    def plot(self, ax: Any = None, mediator: str | None = None) -> Any:
        """Bootstrap distribution and posterior of the indirect effect on one Axes; returns it.

        Moderated models (a moderator W): the conditional indirect effects of both methods with
        their intervals, grouped by the value of W
        (:func:`~neuroimmune_stats.plots.moderation.plot_conditional_comparison`).
        """
        if getattr(self.bayesian, "w", None) is not None:
            from ..plots.moderation import plot_conditional_comparison

            return plot_conditional_comparison(self, ax=ax, mediator=mediator)
        from ..plots.bayes import plot_comparison

        return plot_comparison(self, ax=ax, mediator=mediator)


def compare_mediation(frequentist: Any, bayesian: Any) -> MediationComparison:
    """Compare a bootstrap mediation (:func:`~neuroimmune_stats.mediate`) with a Bayesian one.

    Both must answer the same question: the same ``x``, mediators and ``y`` (a different
    covariate set or sample size only warns). The Bayesian intervals are HDIs with the
    frequentist ``conf_level`` as their mass, so the widths are comparable.

    Parameters
    ----------
    frequentist : MediationResult
        From :func:`~neuroimmune_stats.mediate` (needs ``x``, ``mediators``, ``y``, ``n``,
        ``conf_level``, ``ci``, ``tidy()`` and ``bootstrap_distribution()``).
    bayesian : BayesMediationResult or BayesModeratedResult
        From :func:`~neuroimmune_stats.bayes_mediate` (with the same ``moderator``/``moderate`` as
        the frequentist result for moderated models: rows are then matched on ``w_value`` too).

    Returns
    -------
    MediationComparison
        ``.tidy()`` side-by-side table, ``.summary()``, ``.plot()`` (bootstrap distribution vs
        posterior of the indirect effect; for moderated models the conditional indirect effects
        of both methods at each value of W).

    Raises
    ------
    SpecificationError
        Wrong object types, or the two results are about different variables.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from neuroimmune_stats.mediation import mediate
    >>> from neuroimmune_stats.bayes import bayes_mediate
    >>> rng = np.random.default_rng(2)
    >>> df = pd.DataFrame({"x": rng.normal(size=60)})
    >>> df["m"] = 0.8 * df["x"] + rng.normal(size=60)
    >>> df["y"] = 0.8 * df["m"] + 0.3 * df["x"] + rng.normal(size=60)
    >>> freq = mediate(df, "x", "m", "y", n_boot=500, seed=1)
    >>> bayes = bayes_mediate(df, "x", "m", "y", method="exact", seed=1)
    >>> cmp = compare_mediation(freq, bayes)
    >>> list(cmp.tidy()["term"])
    ['a', 'b', 'c_prime', 'c', 'indirect']
    """
    from .moderated import BayesModeratedResult

    if not isinstance(bayesian, BayesMediationResult | BayesModeratedResult):
        raise SpecificationError(
            f"{WHAT}: bayesian must be the result of bayes_mediate; got {type(bayesian).__name__}."
        )
    missing = [a for a in _REQUIRED if not hasattr(frequentist, a)]
    if missing:
        raise SpecificationError(
            f"{WHAT}: frequentist must be the result of mediate (missing {missing}); got {type(frequentist).__name__}."
        )
    fm = list(frequentist.mediators)
    if frequentist.x != bayesian.x or frequentist.y != bayesian.y or fm != list(bayesian.mediators):
        raise SpecificationError(
            f"{WHAT}: the two results are about different models: frequentist x={frequentist.x!r}, m={fm}, "
            f"y={frequentist.y!r}; bayesian x={bayesian.x!r}, m={bayesian.mediators}, y={bayesian.y!r}."
        )
    if getattr(frequentist, "w", None) != getattr(bayesian, "w", None) or tuple(
            getattr(frequentist, "moderate", ())) != tuple(getattr(bayesian, "moderate", ())):
        raise SpecificationError(
            f"{WHAT}: the two results are about different models: moderator {getattr(frequentist, 'w', None)!r} "
            f"moderating {getattr(frequentist, 'moderate', ())} vs {getattr(bayesian, 'w', None)!r} moderating "
            f"{getattr(bayesian, 'moderate', ())}.")
    if getattr(frequentist, "serial", False):
        raise SpecificationError(f"{WHAT}: the Bayesian model is parallel; the frequentist one is serial.")
    fcov = _covariate_list(getattr(frequentist, "covariates", None))
    if fcov is not None and sorted(fcov) != sorted(bayesian.covariates):
        warnings.warn(
            f"{WHAT}: the covariates differ (frequentist {fcov}, bayesian {bayesian.covariates}).",
            DataWarning, stacklevel=2,
        )
    if int(frequentist.n) != int(bayesian.n):
        warnings.warn(
            f"{WHAT}: the sample sizes differ (frequentist n = {frequentist.n}, bayesian n = {bayesian.n}).",
            DataWarning, stacklevel=2,
        )
    return MediationComparison(frequentist, bayesian, hdi_prob=float(frequentist.conf_level))


__all__ = ["COMPARE_COLUMNS", "MediationComparison", "compare_mediation"]
