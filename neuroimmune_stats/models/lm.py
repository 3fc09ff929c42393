"""``lm``: ordinary least squares on a Wilkinson formula, with R-like summaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
from formulaic import Formula

from .._dist import f_sf, t_ppf, t_sf
from .._params import check_choice, check_conf_level
from ..design import HC_TYPES, excluded_message, hc_vcov, warn_excluded
from ..exceptions import SpecificationError
from ..missing import is_imputed
from ..results import Result, format_p, format_table, signif_stars
from .anova import anova_table
from .emmeans import ContrastResult, EmmeansResult, contrast_table, emmeans_table
from .formula import build


class LinearModel(Result):
    """A fitted OLS model (see :func:`lm`). Attributes: ``coef``, ``vcov``, ``n``, ``excluded_ids``."""

    extra_columns = ("sum_sq", "F", "partial_eta_sq", "partial_eta_sq_low", "partial_eta_sq_high")
    statistic_label = "t"

    def __init__(
        self,
        formula: str,
        data: pd.DataFrame,
        reference: Mapping[str, Any] | None = None,
        drop_aliased: bool = False,
        hc: str | None = None,
    ) -> None:
        self.formula = formula
        self.hc = check_choice(hc, HC_TYPES, where="lm", name="hc", allow_none=True)
        self._reference = dict(reference or {})
        self._drop_aliased = drop_aliased
        mf = build(formula, data, reference=reference, drop_aliased=drop_aliased)
        self._mf = mf
        # everything later tables need is built now: the caller's frame is never read again
        self._sum_mf: Any = build(formula, mf.frame, reference=reference, contrasts="sum", drop_aliased=drop_aliased)
        self.labels = dict(data.attrs.get("labels", {}) or {})
        self.call = f"lm({formula!r}" + (f", hc={self.hc!r}" if self.hc else "") + ")"
        self.frame = mf.frame
        self.spec = mf.spec
        self.columns = mf.columns
        all_cols = [str(c) for c in mf.spec.column_names]
        self.kept_columns = [all_cols.index(c) for c in mf.columns]
        self.variables = sorted(Formula(formula).rhs.required_variables)
        self.response = mf.response
        self.n = mf.cases.n
        self.excluded_ids = mf.cases.excluded_ids
        X, y = mf.X, mf.y
        Q, R = np.linalg.qr(X)
        self.coef = np.linalg.solve(R, Q.T @ y)
        self.fitted = X @ self.coef
        self.residuals = y - self.fitted
        self.df_residual = self.n - X.shape[1]
        self.rss = float(self.residuals @ self.residuals)
        self.sigma = float(np.sqrt(self.rss / self.df_residual))
        Rinv = np.linalg.inv(R)
        self.vcov_classical = self.sigma**2 * (Rinv @ Rinv.T)
        self.vcov = (self.vcov_classical if self.hc is None
                     else hc_vcov(X, self.residuals, self.hc, xtx_inv=Rinv @ Rinv.T))
        warn_excluded(self.call, self.excluded_ids, self.n, sorted([*self.variables, self.response]), stacklevel=3)

    # --- tables -------------------------------------------------------------------------------
    def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
        """Coefficients (broom ``tidy.lm``): term, estimate, std_error, statistic, p_value, CI.

        Under ``hc=`` the SEs are the sandwich SEs and t, p and CI use them with the residual df
        (R ``lmtest::coeftest(fit, sandwich::vcovHC(fit, type))``).
        """
        conf_level = check_conf_level(conf_level, where="lm().tidy")
        se = np.sqrt(np.diag(self.vcov))
        t = self.coef / se
        q = t_ppf(0.5 + conf_level / 2, self.df_residual)
        return pd.DataFrame(
            {
                "term": ["(Intercept)" if c == "Intercept" else c for c in self.columns],
                "estimate": self.coef,
                "std_error": se,
                "statistic": t,
                "p_value": 2 * t_sf(np.abs(t), self.df_residual),
                "conf_low": self.coef - q * se,
                "conf_high": self.coef + q * se,
            }
        )

    def glance(self) -> pd.DataFrame:
        """One-row model summary (broom ``glance.lm``)."""
        y = self._mf.y
        has_int = "(Intercept)" in self._mf.term_columns
        tss = float(np.sum((y - y.mean()) ** 2)) if has_int else float(y @ y)
        p = len(self.coef)
        df_model = p - 1 if has_int else p
        r2 = 1 - self.rss / tss
        adj = 1 - (1 - r2) * (self.n - int(has_int)) / self.df_residual
        F = ((tss - self.rss) / df_model) / (self.rss / self.df_residual) if df_model else np.nan
        ll = -self.n / 2 * (np.log(2 * np.pi) + np.log(self.rss / self.n) + 1)
        k = p + 1
        return pd.DataFrame(
            [{
                "r_squared": r2, "adj_r_squared": adj, "sigma": self.sigma, "statistic": F,
                "p_value": float(f_sf(F, df_model, self.df_residual)) if df_model else np.nan,
                "df": float(df_model), "loglik": ll, "aic": -2 * ll + 2 * k,
                "bic": -2 * ll + np.log(self.n) * k, "deviance": self.rss,
                "df_residual": float(self.df_residual), "nobs": self.n,
            }]
        )

    def anova(self, type: int = 2) -> pd.DataFrame:
        """ANOVA table of type 1 (sequential), 2 (car type II) or 3 (car type III, contr.sum).

        Columns ``term, sum_sq, df, F, p_value, partial_eta_sq, partial_eta_sq_low,
        partial_eta_sq_high`` (90% CI by noncentral F) and a ``Residuals`` row. Type 3 includes the
        ``(Intercept)`` row, as ``car::Anova(type = 3)``.
        """
        if isinstance(type, bool) or type not in (1, 2, 3):
            raise SpecificationError(f"lm().anova: type must be 1, 2 or 3; got {type!r}.")
        return anova_table(self._mf, type, self._sum_mf)

    def emmeans(self, term: str, by: str | list[str] | None = None, conf_level: float = 0.95) -> EmmeansResult:
        """Estimated marginal means of a factor (or ``"a:b"``), R ``emmeans`` defaults.

        ``by`` gives simple effects, as R ``emmeans(fit, ~ term | by)``. A note (and a
        ``DataWarning``) says when the means average over a variable that interacts with ``term``.
        """
        conf_level = check_conf_level(conf_level, where="lm().emmeans")
        return emmeans_table(self, term, conf_level, by=by)

    def contrast(self, term: str, by: str | list[str] | None = None, adjust: str = "tukey",
                 conf_level: float = 0.95) -> ContrastResult:
        """Pairwise differences of emmeans with SE, t, df, p, CI and Cohen's d (difference / sigma).

        Each row's ``contrast`` names its direction (``"axial - radicular"``: emmeans order, first
        minus second, as R ``pairs()``). ``by`` gives the differences within each level of ``by``
        (R ``pairs(emmeans(fit, ~ term | by))``). ``adjust`` as R ``pairs()``: ``"tukey"`` (default;
        equals ``"none"`` for two levels), ``"none"`` or any :func:`~neuroimmune_stats.adjust_pvalues`
        method, applied within each ``by`` group.
        """
        if isinstance(by, str) and by.lower() in ("tukey", "none", "holm", "bonferroni", "bh", "fdr_bh"):
            raise SpecificationError(f"lm().contrast: by={by!r} looks like a p-value adjustment; pass adjust={by!r}.")
        conf_level = check_conf_level(conf_level, where="lm().contrast")
        return contrast_table(self, term, adjust, conf_level, by=by)

    def adjusted_values(self, outcome: str | None = None, keep: str | None = None) -> pd.Series:
        """Response adjusted for nuisance terms: ``y - sum_c (x_c - mean(x_c)) * b_c``.

        ``keep`` is the term left unadjusted (default: the first model term, e.g. the group);
        every other term is a nuisance covariate held at its sample mean. ``outcome``, if given,
        must name the model's response. Indexed like the complete cases of ``data``.
        """
        if outcome is not None and outcome != self.response:
            raise SpecificationError(f"outcome {outcome!r} is not the response of this model ({self.response!r}).")
        terms = [t for t in self._mf.terms if t != "(Intercept)"]
        keep = terms[0] if keep is None else keep
        if keep not in terms:
            raise SpecificationError(f"keep: {keep!r} is not a model term ({terms}).")
        kept_vars = self._mf.term_factors[keep]
        cols = [j for t in terms if not (self._mf.term_factors[t] & kept_vars) for j in self._mf.term_columns[t]]
        X = self._mf.X[:, cols]
        adj = self._mf.y - (X - X.mean(axis=0)) @ self.coef[cols]
        return pd.Series(adj, index=self.frame.index, name=f"{self.response}_adjusted")

    def plot(self, term: str | None = None, ax: Any = None) -> Any:
        """Figure 1 style plot: adjusted values per level of ``term`` (mean ± SD)."""
        from ..plots.groups import plot_adjusted_groups

        return plot_adjusted_groups(self, term=term, ax=ax)

    def summary(self) -> str:
        td = self.tidy()
        tab = pd.DataFrame({
            "": td["term"], "Estimate": td["estimate"], "Std. Error": td["std_error"],
            "t value": td["statistic"], "Pr(>|t|)": [format_p(p) for p in td["p_value"]],
            " ": [signif_stars(p) for p in td["p_value"]],
        })
        g = self.glance().iloc[0]
        res = np.quantile(self.residuals, [0, 0.25, 0.5, 0.75, 1])
        lines = [
            f"Call: {self.call}", "",
            f"n = {self.n} complete cases"
            + (f"; {excluded_message('lm', list(self.excluded_ids), self.n)}" if self.excluded_ids else ""),
            *([f"Standard errors: heteroscedasticity-consistent ({self.hc.upper()}, sandwich::vcovHC)"]
              if self.hc else []),
            "", "Residuals:",
            "    Min      1Q  Median      3Q     Max",
            " ".join(f"{v:7.4g}" for v in res), "", "Coefficients:", format_table(tab), "---",
            "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1", "",
            f"Residual standard error: {self.sigma:.4g} on {self.df_residual} degrees of freedom",
            f"Multiple R-squared:  {g.r_squared:.4g},\tAdjusted R-squared:  {g.adj_r_squared:.4g}",
            f"F-statistic: {g.statistic:.4g} on {int(g.df)} and {self.df_residual} DF,  p-value: {format_p(g.p_value)}",
            "", "Anova Table (Type II tests):", format_table(self.anova(2)),
        ]
        return "\n".join(lines)


def lm(formula: str, data: pd.DataFrame, *, reference: Mapping[str, Any] | None = None,
       drop_aliased: bool = False, hc: str | None = None) -> LinearModel:
    """Fit an ordinary least-squares model from a Wilkinson formula, as R's ``lm``.

    Parameters
    ----------
    formula : str
        Formula such as ``"suvr_s1 ~ subtype + protocol + tspo_genotype"`` (formulaic engine, the
        one statsmodels' successors use; ``C(x, contr.treatment('b'))`` works too).
    data : pandas.DataFrame or ImputedData
        Not modified and never read after the fit. An ``ImputedData`` gives the model pooled by
        Rubin's rules (R ``mice::pool``). Strings, categoricals, booleans and ``protocol``/``tspo_genotype``/``sex``/
        ``subtype``/``scanner`` are factors (treatment coding, first level reference).
    reference : mapping, optional
        Reference level per factor, e.g. ``{"subtype": "radicular"}``.
    drop_aliased : bool, default=False
        Drop aliased (constant/collinear) columns with a ``RankDeficiencyWarning`` instead of
        raising ``RankDeficiencyError``. The rank rule is the design layer's (R ``lm.fit``, 1e-7).
    hc : {None, "hc0", "hc1", "hc2", "hc3", "hc4"}
        Heteroscedasticity-consistent covariance (R ``sandwich::vcovHC``) for ``.tidy()``,
        ``.emmeans()`` and ``.contrast()``; ANOVA tables stay classical F tests.

    Returns
    -------
    LinearModel
        With ``.tidy()``, ``.glance()``, ``.anova(type)``, ``.emmeans(term)``, ``.contrast(term)``,
        ``.adjusted_values()``, ``.summary()``, ``n`` and ``excluded_ids``.

    Raises
    ------
    SpecificationError
        Unknown columns, a factor with one level among the complete cases, bad formula.
    RankDeficiencyError
        Constant or collinear columns, or more parameters than subjects.

    Notes
    -----
    Validated against R ``lm``, ``car::Anova`` and ``emmeans`` (``tests/reference/models.R``).

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=1)
    >>> fit = lm("suvr_s1 ~ subtype + protocol + tspo_genotype", df)
    >>> list(fit.anova(type=2)["term"])
    ['subtype', 'protocol', 'tspo_genotype', 'Residuals']
    >>> fit.n
    54
    """
    if is_imputed(data):
        from ..missing.pool import pool_lm

        return pool_lm(formula, data, reference=reference, drop_aliased=drop_aliased, hc=hc)  # type: ignore[arg-type, no-any-return]
    return LinearModel(formula, data, reference=reference, drop_aliased=drop_aliased, hc=hc)


__all__ = ["LinearModel", "lm"]
