"""The result of a moderated mediation: ``mediate(..., moderator=W, moderate=...)``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._dist import t_ppf, t_sf
from ..results import format_p, format_table
from ._engine import Label
from .conditional import CondLabel, ModeratedPrepared
from .intervals import check_ci, interval
from .result import _CI_NAMES, MediationResult

#: tidy columns, in order
MODERATED_COLUMNS = (
    "term", "mediator", "w_value", "contrast", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
    "conf_high", "boot_std_error", "boot_conf_low", "boot_conf_high", "significant", "n",
)


def _none(v: Any) -> Any:
    return None if v is None or (isinstance(v, float | np.floating) and np.isnan(v)) else v


def _same(a: Any, b: Any) -> bool:
    a, b = _none(a), _none(b)
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, float | int | np.floating | np.integer) and isinstance(b, float | int | np.floating | np.integer):
        return bool(np.isclose(float(a), float(b), rtol=1e-12, atol=1e-12))
    return str(a) == str(b)


class ModeratedMediationResult(MediationResult):
    """Conditional indirect (and direct) effects at values of a moderator W, with bootstrap intervals.

    Attributes
    ----------
    x, y, w : str
        Predictor, outcome and moderator columns.
    mediators : list of str
    moderate : tuple of str
        The moderated paths (``"a"``, ``"b"``, ``"c_prime"``).
    process_model : int
        PROCESS model number (7, 8, 14, 15, 58 or 59).
    w_values : list
        Values of W of the conditional effects (factor levels or numbers).
    n, excluded_ids, conf_level, ci, n_boot, n_singular, hc, seed
        As for :class:`MediationResult`.
    fits : dict
        Full-sample OLS fits ``"m:<mediator>"`` and ``"y"``.
    """

    extra_columns = ("mediator", "significant")

    def __init__(
        self, prep: ModeratedPrepared, labels: Sequence[Label], estimate: np.ndarray, draws: np.ndarray,
        conf: tuple[np.ndarray, np.ndarray], ci: str, conf_level: float, covariates: Any, n_singular: int,
        jackknife: np.ndarray | Callable[[], np.ndarray] | None,
    ) -> None:
        super().__init__(prep, labels, estimate, draws, conf, ci, conf_level, covariates, n_singular,
                         np.full(len(labels), np.nan), jackknife)
        self.w = prep.w
        self.moderate = tuple(prep.moderate)
        self.process_model = prep.process_model
        self.w_values = list(prep.at_values)
        self.w_factor = prep.w_factor
        self.w_levels = list(prep.w_levels)
        self.at_kind = prep.at_kind
        self.call = (f"mediate(x={self.x!r}, m={self.mediators!r}, y={self.y!r}, moderator={self.w!r}, "
                     f"moderate={self.moderate!r})")

    # ------------------------------------------------------------------ access
    def _find(self, term: str, mediator: str | None = None, w_value: Any = None) -> int:
        hits = [i for i, lab in enumerate(self.labels) if lab.term == term]
        if not hits:
            raise KeyError(f"no term {term!r}; available: {sorted({lab.term for lab in self.labels})}")
        if mediator is not None:
            hits = [i for i in hits if self.labels[i].mediator == mediator]
        if w_value is not None:
            hits = [i for i in hits if _same(getattr(self.labels[i], "w_value", None), w_value)]
        if len(hits) != 1:
            raise KeyError(f"term {term!r} (mediator={mediator!r}, w_value={w_value!r}) matches {len(hits)} rows; "
                           "pass mediator= and w_value=.")
        return hits[0]

    def bootstrap_distribution(self, term: str = "indirect", mediator: str | None = None,
                               w_value: Any = None) -> np.ndarray:
        """The bootstrap draws of one effect (``w_value`` picks the value of W)."""
        return np.array(self.draws[:, self._find(term, mediator, w_value)])

    def effect(self, term: str = "indirect", mediator: str | None = None, w_value: Any = None) -> float:
        """The point estimate of one effect."""
        return float(self.estimate[self._find(term, mediator, w_value)])

    def _linear(self, lab: CondLabel) -> tuple[float, float, int] | None:
        """OLS estimate, SE and df of a path or conditional direct effect (None for bootstrap-only rows)."""
        if lab.path:
            fit = self.fits[str(lab.equation)]
            j = fit.index(str(lab.column))
            return float(fit.coef[j]), float(fit.se[j]), fit.df_resid
        if lab.term == "direct":
            prep: ModeratedPrepared = self._prep  # type: ignore[assignment]
            fit = self.fits["y"]
            L = np.zeros(len(fit.names))
            L[fit.index(self.x)] = 1.0
            d = prep.at_codes[[_same(v, lab.w_value) for v in prep.at_values].index(True)]
            for nm, dk in zip(prep.w_columns, d, strict=True):
                L[fit.index(f"{self.x}:{nm}")] = dk
            V = fit.vcov if fit.vcov is not None else np.diag(fit.se**2)
            return float(L @ fit.coef), float(np.sqrt(L @ V @ L)), fit.df_resid
        return None

    def tidy(self, ci: str | None = None) -> pd.DataFrame:
        """One row per path, interaction and conditional effect.

        ``term`` ∈ {``a``, ``a:w``, ``b``, ``b:w``, ``c_prime``, ``c_prime:w``} (paths; ``a``/``b``/``c_prime``
        at W = 0 or at its first level; for a factor W one ``…:w`` row per non-reference level, in
        ``w_value``), ``indirect`` (per mediator and value of W), ``total_indirect`` (several
        mediators), ``direct`` (conditional direct effect, when ``c_prime`` is moderated),
        ``index_moderated_mediation`` (exactly one of a, b moderated; one per W column) and
        ``indirect_difference`` (factor W: each level minus the first, in ``contrast``).

        Paths and conditional direct effects carry OLS (or ``hc``) SE, t, df, p and t interval;
        the other rows the bootstrap SE and interval. ``ci`` recomputes the bootstrap intervals
        with another method from the same resamples (``"percentile"``, ``"bc"``, ``"bca"``).
        """
        if ci is None:
            lo, hi = self._conf
        else:
            lo, hi = interval(check_ci(ci), self.draws, self.estimate, self.conf_level, self.jackknife)
        boot_se = np.nanstd(self.draws, axis=0, ddof=1)
        rows = []
        for i, lab in enumerate(self.labels):
            row: dict[str, Any] = {
                "term": lab.term, "mediator": lab.mediator, "w_value": getattr(lab, "w_value", None),
                "contrast": getattr(lab, "contrast", None), "estimate": self.estimate[i],
                "boot_std_error": boot_se[i], "boot_conf_low": lo[i], "boot_conf_high": hi[i], "n": self.n,
            }
            lin = self._linear(lab)  # type: ignore[arg-type]
            if lin is not None:
                est, se, df = lin
                tcrit = t_ppf((1 + self.conf_level) / 2, df)
                t = est / se if se > 0 else np.nan
                row.update(estimate=est, std_error=se, statistic=t, df=float(df),
                           p_value=2 * t_sf(abs(t), df), conf_low=est - tcrit * se, conf_high=est + tcrit * se)
                row["significant"] = bool(row["conf_low"] > 0 or row["conf_high"] < 0)
            else:
                row.update(std_error=boot_se[i], statistic=np.nan, df=np.nan, p_value=np.nan,
                           conf_low=lo[i], conf_high=hi[i])
                row["significant"] = bool(lo[i] > 0 or hi[i] < 0)
            rows.append(row)
        return pd.DataFrame(rows, columns=list(MODERATED_COLUMNS))

    # ------------------------------------------------------------------ text
    def _product_key(self, key: str) -> list[str]:
        fit = self.fits[key]
        prods = [nm for nm in fit.names if ":" in nm]
        if not prods:
            return []
        out = ["Product terms key:"]
        out += [f" int_{i + 1}    {nm.split(':', 1)[0]:<12} X     {nm.split(':', 1)[1]}" for i, nm in enumerate(prods)]
        return [*out, ""]

    def _w_col(self, rows: pd.DataFrame) -> np.ndarray:
        return rows.w_value.astype(str).to_numpy() if self.w_factor else rows.w_value.astype(float).to_numpy()

    def summary(self) -> str:
        """PROCESS-style output: model number, each equation, conditional effects, the index."""
        cov = self._prep.covariates_by_eq
        lines = [
            f"Moderated mediation analysis (PROCESS model {self.process_model} equivalent; W moderates "
            f"{', '.join(self.moderate)})",
            f"    Y : {self.y}", f"    X : {self.x}",
            *(f"   M{i + 1}: {m}" for i, m in enumerate(self.mediators)),
            f"    W : {self.w}" + (f" (factor; levels {', '.join(map(str, self.w_levels))})" if self.w_factor else ""),
        ]
        covs = sorted({c for v in cov.values() for c in v})
        if covs:
            same = all(v == cov["y"] for v in cov.values())
            lines.append(f"Covariates: {' '.join(covs)}" if same else
                         "Covariates: " + "; ".join(f"{k.removeprefix('m:')}: {' '.join(v) or '(none)'}"
                                                    for k, v in cov.items()))
        lines.append(f"Sample size: {self.n}")
        if self.excluded_ids:
            lines.append(f"Excluded (missing values): {', '.join(self.excluded_ids)}")
        lines.append("")
        for m in self.mediators:
            lines += self._equation_block(f"m:{m}", "OUTCOME VARIABLE")
            lines += self._product_key(f"m:{m}")
        lines += self._equation_block("y", "OUTCOME VARIABLE")
        lines += self._product_key("y")
        td = self.tidy()
        lines += ["*" * 16 + " DIRECT AND INDIRECT EFFECTS OF X ON Y " + "*" * 15, ""]
        if "c_prime" in self.moderate:
            d = td[td.term == "direct"]
            lines += ["Conditional direct effect(s) of X on Y:", format_table(pd.DataFrame({
                self.w: self._w_col(d),
                "Effect": d.estimate.to_numpy(), "se": d.std_error.to_numpy(), "t": d.statistic.to_numpy(),
                "p": [format_p(v) for v in d.p_value], "LLCI": d.conf_low.to_numpy(), "ULCI": d.conf_high.to_numpy(),
            })), ""]
        else:
            r = td[td.term == "c_prime"].iloc[0]
            lines += ["Direct effect of X on Y", format_table(pd.DataFrame({
                "Effect": [r.estimate], "se": [r.std_error], "t": [r.statistic], "p": [format_p(r.p_value)],
                "LLCI": [r.conf_low], "ULCI": [r.conf_high]})), ""]
        lines.append("Conditional indirect effect(s) of X on Y:")
        for m in self.mediators:
            s = td[(td.term == "indirect") & (td.mediator == m)]
            lines += ["", f"INDIRECT EFFECT:  {self.x} -> {m} -> {self.y}", format_table(pd.DataFrame({
                self.w: self._w_col(s),
                "Effect": s.estimate.to_numpy(), "BootSE": s.std_error.to_numpy(),
                "BootLLCI": s.conf_low.to_numpy(), "BootULCI": s.conf_high.to_numpy()}))]
            for term, title in (("index_moderated_mediation", "Index of moderated mediation:"),
                                ("indirect_difference", "Pairwise contrasts between conditional indirect effects "
                                                        "(Effect1 minus Effect2):")):
                t = td[(td.term == term) & (td.mediator == m)]
                if len(t):
                    lines += ["", title, format_table(pd.DataFrame({
                        "": t.contrast.fillna(self.w).to_numpy(), "Index" if "index" in term else "Effect":
                        t.estimate.to_numpy(), "BootSE": t.std_error.to_numpy(),
                        "BootLLCI": t.conf_low.to_numpy(), "BootULCI": t.conf_high.to_numpy()}))]
        tot = td[td.term == "total_indirect"]
        if len(tot):
            lines += ["", "TOTAL indirect effect:", format_table(pd.DataFrame({
                self.w: self._w_col(tot), "Effect": tot.estimate.to_numpy(),
                "BootSE": tot.std_error.to_numpy(), "BootLLCI": tot.conf_low.to_numpy(),
                "BootULCI": tot.conf_high.to_numpy()}))]
        lines.append("")
        if not self.w_factor:
            lines.append({"moments": "Values for quantitative moderators are the mean and plus/minus one SD "
                                     "from the mean (sample SD).",
                          "percentiles": "Values for quantitative moderators are the 16th, 50th and 84th "
                                         "percentiles.",
                          "values": "Values of the moderator as given (or its two values)."}[self.at_kind])
        lines += [
            "", "*" * 22 + " ANALYSIS NOTES AND ERRORS " + "*" * 21,
            f"Level of confidence for all confidence intervals in output: {100 * self.conf_level:g}",
            f"Number of bootstrap samples for {_CI_NAMES[self.ci]} bootstrap confidence intervals: {self.n_boot}",
        ]
        if self.hc:
            lines.append(f"Standard errors of the paths are heteroscedasticity-consistent ({self.hc.upper()}).")
        if self.n_singular:
            lines.append(f"{self.n_singular} resample(s) had a singular equation (minimum-norm least squares).")
        return "\n".join(lines)

    # ------------------------------------------------------------------ plots
    def plot(self, ax: Any = None, *, mediator: str | None = None, labels: Any = None) -> Any:  # type: ignore[override]
        """Conditional indirect effects with their bootstrap CIs across the values of W; returns the Axes."""
        from ..plots.moderation import plot_conditional_indirect

        return plot_conditional_indirect(self, ax=ax, mediator=mediator, labels=labels)

    def plot_distribution(self, ax: Any = None, term: str = "indirect", mediator: str | None = None,
                          w_value: Any = None) -> Any:
        """Histogram of one effect's bootstrap draws (``w_value`` picks the value of W); returns the Axes."""
        from ..plots.moderation import plot_conditional_distribution

        return plot_conditional_distribution(self, ax=ax, term=term, mediator=mediator, w_value=w_value)


__all__ = ["MODERATED_COLUMNS", "ModeratedMediationResult"]
