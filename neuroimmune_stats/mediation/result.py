"""The result object of :func:`~neuroimmune_stats.mediate`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._dist import norm_sf, t_ppf
from ..results import Result, format_p, format_table
from ._engine import Label
from ._spec import OLSFit, Prepared

#: tidy columns, in order (broom names first, then the mediation extras)
MEDIATION_COLUMNS = (
    "term", "mediator", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
    "conf_high", "boot_std_error", "boot_conf_low", "boot_conf_high", "sobel_std_error", "sobel_p_value",
    "significant", "n",
)

_CI_NAMES = {"percentile": "percentile", "bc": "bias-corrected (BC)", "bca": "BCa"}


class MediationResult(Result):
    """Paths, indirect effects and their bootstrap distribution from one :func:`mediate` call.

    Attributes
    ----------
    x, y : str
        Predictor and outcome columns.
    mediators : list of str
        Mediator columns (in the order given; the serial order when ``serial=True``).
    covariates : as given to :func:`mediate`
    n : int
        Complete cases used.
    excluded_ids : tuple of str
        Subjects left out for missing values.
    conf_level : float
    ci : {"percentile", "bc", "bca"}
    n_boot : int
    serial : bool
    n_singular : int
        Resamples in which some equation was singular (solved by minimum-norm least squares).
    fits : dict of OLS fits
        Full-sample regressions: ``"m:<mediator>"``, ``"y"`` (with mediators) and ``"total"``.
    hc : str or None
        The heteroscedasticity-consistent SE type of the paths (None: classical OLS SEs).
    """

    extra_columns = ("mediator", "significant")

    def __init__(
        self,
        prep: Prepared,
        labels: Sequence[Label],
        estimate: np.ndarray,
        draws: np.ndarray,
        conf: tuple[np.ndarray, np.ndarray],
        ci: str,
        conf_level: float,
        covariates: Any,
        n_singular: int,
        sobel_se: np.ndarray,
        jackknife: np.ndarray | Callable[[], np.ndarray] | None = None,
    ) -> None:
        self.x = prep.x
        self.mediators = list(prep.mediators)
        self.y = prep.y
        self.covariates = covariates
        self.n = int(prep.n)
        self.excluded_ids = tuple(prep.excluded_ids)
        self.conf_level = float(conf_level)
        self.ci = ci
        self.n_boot = int(draws.shape[0])
        self.serial = prep.serial
        self.n_singular = int(n_singular)
        self.fits: dict[str, OLSFit] = prep.fits
        self.labels = list(labels)
        self.estimate = np.asarray(estimate, dtype=float)
        self.draws = draws
        self._jackknife: np.ndarray | None = None
        self._jackknife_fn: Callable[[], np.ndarray] | None = None
        if callable(jackknife):
            self._jackknife_fn = jackknife
        else:
            self.jackknife = jackknife
        self._conf = conf
        self._sobel_se = sobel_se
        self._prep = prep
        self.hc = prep.hc
        self.call = f"mediate(x={self.x!r}, m={self.mediators!r}, y={self.y!r})"

    @property
    def jackknife(self) -> np.ndarray | None:
        """Leave-one-out estimates of every effect (shape (n, n_effects)), or None.

        Given as a function (a moderated model, whose ``tidy(ci="bca")`` may ask for them later),
        they are computed on first access and kept.
        """
        if self._jackknife is None and self._jackknife_fn is not None:
            self._jackknife = np.asarray(self._jackknife_fn())
            self._jackknife_fn = None
        return self._jackknife

    @jackknife.setter
    def jackknife(self, value: np.ndarray | None) -> None:
        self._jackknife = value
        self._jackknife_fn = None

    # ------------------------------------------------------------------ access
    def _col(self, term: str, mediator: str | None) -> int:
        hits = [i for i, lab in enumerate(self.labels) if lab.term == term]
        if not hits:
            terms = sorted({lab.term for lab in self.labels})
            raise KeyError(f"no term {term!r}; available: {terms}")
        if mediator is not None:
            hits = [i for i in hits if self.labels[i].mediator == mediator]
            if not hits:
                meds = [lab.mediator for lab in self.labels if lab.term == term]
                raise KeyError(f"term {term!r} has no mediator {mediator!r}; available: {meds}")
        if len(hits) > 1:
            meds = [self.labels[i].mediator for i in hits]
            raise KeyError(f"term {term!r} exists for several mediators {meds}; pass mediator=.")
        return hits[0]

    def bootstrap_distribution(self, term: str = "indirect", mediator: str | None = None) -> np.ndarray:
        """The ``n_boot`` bootstrap draws of one effect (1-D array, in draw order).

        ``term`` is a tidy term (``"a"``, ``"b"``, ``"c"``, ``"c_prime"``, ``"indirect"``,
        ``"total_indirect"``, ``"contrast"``, ...); ``mediator`` picks the row where a term
        exists for several mediators.
        """
        return np.array(self.draws[:, self._col(term, mediator)])

    def effect(self, term: str = "indirect", mediator: str | None = None) -> float:
        """The point estimate of one effect."""
        return float(self.estimate[self._col(term, mediator)])

    def _path_fit(self, lab: Label) -> tuple[OLSFit, int]:
        meds = self.mediators
        if lab.term == "a":
            fit = self.fits[f"m:{lab.mediator}"]
            return fit, fit.index(self.x)
        if lab.term == "d":
            fit = self.fits[f"m:{meds[1]}"]
            return fit, fit.index(meds[0])
        if lab.term == "b":
            fit = self.fits["y"]
            return fit, fit.index(str(lab.mediator))
        fit = self.fits["y" if lab.term == "c_prime" else "total"]
        return fit, fit.index(self.x)

    def tidy(self) -> pd.DataFrame:
        """One row per path and effect.

        Term scheme: ``term`` is one of ``a``, ``d`` (serial M1 → M2), ``b``, ``c_prime``, ``c``,
        ``indirect``, ``total_indirect`` (several indirect effects), ``contrast`` (pairwise
        differences of indirect effects), ``indirect_std`` (completely standardised, ×SD(X)/SD(Y)),
        ``indirect_partial_std`` (÷SD(Y)), ``total_indirect_std``, ``total_indirect_partial_std``
        and ``proportion_mediated`` (total indirect / c). ``mediator`` names the mediator of an
        ``a``/``b``/``indirect`` row (``"m1 -> m2"`` for the serial path and
        ``"m1 - m2"`` for a contrast) and is None for rows about the whole model.

        Paths carry OLS ``std_error``, ``statistic`` (t), ``df``, ``p_value`` and the t-based
        ``conf_low``/``conf_high``; every other row carries the bootstrap SE and the bootstrap
        interval of the chosen method. ``boot_*`` columns hold the bootstrap SE and interval of
        every row (paths included) and ``significant`` says whether that interval excludes 0.
        ``sobel_std_error``/``sobel_p_value`` are the first-order delta-method (Sobel) test of each
        indirect effect, a secondary test.
        """
        boot_se = np.nanstd(self.draws, axis=0, ddof=1)
        lo, hi = self._conf
        tcrit_level = (1 + self.conf_level) / 2
        rows = []
        for i, lab in enumerate(self.labels):
            row: dict[str, Any] = {
                "term": lab.term, "mediator": lab.mediator, "estimate": self.estimate[i],
                "boot_std_error": boot_se[i], "boot_conf_low": lo[i], "boot_conf_high": hi[i],
                "sobel_std_error": np.nan, "sobel_p_value": np.nan, "n": self.n,
            }
            if lab.path:
                fit, j = self._path_fit(lab)
                tcrit = t_ppf(tcrit_level, fit.df_resid)
                row.update(
                    estimate=fit.coef[j], std_error=fit.se[j], statistic=fit.t[j],
                    df=float(fit.df_resid), p_value=fit.p[j],
                    conf_low=fit.coef[j] - tcrit * fit.se[j],
                    conf_high=fit.coef[j] + tcrit * fit.se[j],
                )
            else:
                row.update(std_error=boot_se[i], statistic=np.nan, df=np.nan, p_value=np.nan,
                           conf_low=lo[i], conf_high=hi[i])
                if lab.term == "indirect":
                    se = self._sobel_se[i]
                    row.update(sobel_std_error=se, sobel_p_value=2 * norm_sf(abs(self.estimate[i] / se)))
            row["significant"] = bool(lo[i] > 0 or hi[i] < 0)
            rows.append(row)
        return pd.DataFrame(rows, columns=list(MEDIATION_COLUMNS))

    # ------------------------------------------------------------------ text
    def _equation_block(self, key: str, title: str) -> list[str]:
        fit = self.fits[key]
        tcrit = t_ppf((1 + self.conf_level) / 2, fit.df_resid)
        tab = pd.DataFrame({
            "": fit.names, "coeff": fit.coef, "se": fit.se, "t": fit.t,
            "p": [format_p(v) for v in fit.p],
            "LLCI": fit.coef - tcrit * fit.se, "ULCI": fit.coef + tcrit * fit.se,
        })
        summ = pd.DataFrame({
            "R": [np.sqrt(max(fit.r2, 0.0))], "R-sq": [fit.r2], "MSE": [fit.sigma2],
            "F": [fit.f], "df1": [fit.df_model], "df2": [fit.df_resid], "p": [format_p(fit.f_p)],
        })
        return [
            "*" * 70, f"{title}: {fit.response}", "", "Model Summary",
            format_table(summ), "", "Model", format_table(tab), "",
        ]

    def summary(self) -> str:
        """PROCESS-style text: one block per equation, then total, direct and indirect effects."""
        model = "6 (serial)" if self.serial else ("4 (parallel)" if len(self.mediators) > 1 else "4")
        cov = self._prep.covariates_by_eq
        lines = [
            f"Mediation analysis (PROCESS model {model} equivalent)",
            f"  Y : {self.y}", f"  X : {self.x}",
            *(f"  M{i + 1}: {m}" for i, m in enumerate(self.mediators)),
        ]
        cov_m = {k[2:]: v for k, v in cov.items() if k.startswith("m:")}
        if any(cov.values()):
            same = all(v == cov["y"] for v in cov_m.values())
            if same:
                lines.append(f"Covariates: {' '.join(cov['y'])}")
            else:
                lines += [f"Covariates of {m}: {' '.join(v) or '(none)'}" for m, v in cov_m.items()]
                lines.append(f"Covariates of {self.y}: {' '.join(cov['y']) or '(none)'}")
        lines.append(f"Sample size: {self.n}")
        if self.excluded_ids:
            lines.append(f"Excluded (missing values): {', '.join(self.excluded_ids)}")
        lines.append("")
        for m in self.mediators:
            lines += self._equation_block(f"m:{m}", "OUTCOME VARIABLE")
        lines += self._equation_block("y", "OUTCOME VARIABLE")
        lines += self._equation_block("total", "TOTAL EFFECT MODEL, OUTCOME VARIABLE")
        td = self.tidy()
        lines += ["*" * 14 + " TOTAL, DIRECT, AND INDIRECT EFFECTS OF X ON Y " + "*" * 9, ""]
        for term, title in (("c", "Total effect of X on Y"), ("c_prime", "Direct effect of X on Y")):
            r = td[td.term == term].iloc[0]
            lines += [title, format_table(pd.DataFrame({
                "Effect": [r.estimate], "se": [r.std_error], "t": [r.statistic],
                "p": [format_p(r.p_value)], "LLCI": [r.conf_low], "ULCI": [r.conf_high],
            })), ""]
        ind = td[td.term.isin(["indirect", "total_indirect", "contrast"])]
        lab = ind.mediator.where(ind.term != "total_indirect", "TOTAL").fillna("")
        lines += [
            "Indirect effect(s) of X on Y:",
            format_table(pd.DataFrame({
                "": lab.str.replace(" - ", " minus ", regex=False).to_numpy(),
                "Effect": ind.estimate.to_numpy(), "BootSE": ind.std_error.to_numpy(),
                "BootLLCI": ind.conf_low.to_numpy(), "BootULCI": ind.conf_high.to_numpy(),
            })), "",
        ]
        for term, title in (("indirect_partial_std", "Partially standardized indirect effect(s):"),
                            ("indirect_std", "Completely standardized indirect effect(s):")):
            s = td[td.term.isin([term, f"total_{term}"])]
            lines += [title, format_table(pd.DataFrame({
                "": s.mediator.fillna("TOTAL").to_numpy(), "Effect": s.estimate.to_numpy(),
                "BootSE": s.std_error.to_numpy(), "BootLLCI": s.conf_low.to_numpy(),
                "BootULCI": s.conf_high.to_numpy(),
            })), ""]
        sob = td[td.term == "indirect"]
        lines += ["Normal theory (Sobel) test(s) of indirect effect(s) [secondary]:",
                  format_table(pd.DataFrame({
                      "": sob.mediator.to_numpy(), "Effect": sob.estimate.to_numpy(),
                      "se": sob.sobel_std_error.to_numpy(), "Z": (sob.estimate / sob.sobel_std_error).to_numpy(),
                      "p": [format_p(v) for v in sob.sobel_p_value],
                  })), ""]
        pm = td[td.term == "proportion_mediated"].iloc[0]
        lines += [f"Proportion mediated (total indirect / c): {pm.estimate:.4g}", ""]
        lines += [
            "*" * 22 + " ANALYSIS NOTES AND ERRORS " + "*" * 21,
            f"Level of confidence for all confidence intervals in output: {100 * self.conf_level:g}",
            *([f"Path standard errors are heteroscedasticity-consistent ({self.hc.upper()})."] if self.hc else []),
            f"Number of bootstrap samples for {_CI_NAMES[self.ci]} bootstrap confidence "
            f"intervals: {self.n_boot}",
        ]
        if self.n_singular:
            lines.append(
                f"{self.n_singular} resample(s) had a singular equation (a covariate constant in the "
                "resample); solved by minimum-norm least squares."
            )
        return "\n".join(lines)

    # ------------------------------------------------------------------ plots
    def plot(self, ax: Any = None, *, se: str = "ols") -> Any:
        """Path diagram (X, M, Y boxes; a, b, c, c′ with SEs and stars), returns the Axes."""
        from ..plots.mediation import plot_path_diagram

        return plot_path_diagram(self, ax=ax, se=se)

    def plot_distribution(self, ax: Any = None, term: str = "indirect", mediator: str | None = None) -> Any:
        """Histogram of the bootstrap draws with the estimate and the interval, returns the Axes."""
        from ..plots.mediation import plot_bootstrap_distribution

        return plot_bootstrap_distribution(self, ax=ax, term=term, mediator=mediator)


__all__ = ["MEDIATION_COLUMNS", "MediationResult"]
