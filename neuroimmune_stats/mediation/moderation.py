"""Moderation (PROCESS model 1): ``y ~ x * w + covariates``, conditional effects, Johnson–Neyman.

The fit goes through the model-frame layer (:func:`neuroimmune_stats.design.model_frame`: complete
cases, one warning, factor coding; :func:`~neuroimmune_stats.design.check_rank`;
:func:`~neuroimmune_stats.design.ols`; :func:`~neuroimmune_stats.design.hc_vcov` for ``hc=``).
Conditional effects and the Johnson–Neyman boundaries are closed-form functions of the
coefficients and their covariance:

* ``θ(d) = b_x + b_xw · d`` with ``Var θ(d) = v_xx + 2 d·v_x,xw + d' V_xw d``;
* Johnson–Neyman (numeric W): the roots of ``(b_x + b_xw w)² = t²_crit (v_xx + 2 w v_x,xw + w² v_xw)``,
  a quadratic in ``w`` (``t_crit`` on the residual df), kept when inside the observed range of W.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._dist import f_sf, t_ppf, t_sf
from .._params import check_choice, check_conf_level, check_probability
from ..design import HC_TYPES, model_frame
from ..exceptions import InsufficientDataError, SpecificationError
from ..results import Result, format_p, format_table
from ._spec import OLSFit, correlation, ols
from .conditional import moderator_design

WHAT = "moderation"

MODERATION_COLUMNS = ("term", "w_value", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
                      "conf_high", "n")


class ModerationResult(Result):
    """PROCESS model 1: the interaction and the conditional effects of X at values of W.

    Attributes
    ----------
    x, w, y : str
    covariates : list of str
    n, excluded_ids : int, tuple of str
    hc : str or None
    conf_level : float
    w_factor : bool
        Whether W is a factor (conditional effects at its levels).
    w_values : list
        Values of W of the conditional effects.
    fit : OLS fit of ``y`` (names, coefficients, covariance)
    r2_change : dict
        ``R2-chng``, ``F``, ``df1``, ``df2``, ``p`` of the interaction term(s) (Wald F with the
        ``hc`` covariance when given, as PROCESS).
    """

    def __init__(self, *, x: str, w: str, y: str, covariates: list[str], fit: OLSFit, n: int,
                 excluded_ids: tuple[str, ...], hc: str | None, conf_level: float, w_factor: bool,
                 w_levels: list[Any], w_columns: list[str], w_values: list[Any], at_codes: np.ndarray, at_kind: str,
                 r2_change: dict[str, float], x_range: tuple[float, float], w_range: tuple[float, float],
                 means: dict[str, float], x_sd: float) -> None:
        self.x, self.w, self.y, self.covariates = x, w, y, covariates
        self.fit = fit
        self.n, self.excluded_ids = n, excluded_ids
        self.hc, self.conf_level = hc, conf_level
        self.w_factor, self.w_levels, self.w_columns = w_factor, w_levels, w_columns
        self.w_values, self.at_codes, self.at_kind = w_values, at_codes, at_kind
        self.r2_change = r2_change
        self.x_range, self.w_range, self.means, self.x_sd = x_range, w_range, means, x_sd
        self.call = f"moderation(x={x!r}, w={w!r}, y={y!r})"

    # ------------------------------------------------------------------ numbers
    @property
    def vcov(self) -> np.ndarray:
        assert self.fit.vcov is not None
        return self.fit.vcov

    def _int_index(self) -> tuple[int, list[int]]:
        names = self.fit.names
        return names.index(self.x), [names.index(f"{self.x}:{c}") for c in self.w_columns]

    def conditional_effects(self, w_values: Sequence[float] | np.ndarray | None = None) -> pd.DataFrame:
        """Effect of X (with SE, t, p and CI) at the values of W (default: ``w_values``).

        For a numeric W any values may be given (e.g. a grid for the Johnson–Neyman plot).
        """
        ix, iw = self._int_index()
        if w_values is None:
            codes, shown = self.at_codes, list(self.w_values)
        else:
            if self.w_factor:
                raise SpecificationError(f"{WHAT}: conditional_effects(w_values) needs a numeric moderator.")
            arr = np.asarray(w_values, dtype=float).ravel()
            codes, shown = arr[:, None], arr.tolist()
        b, V, df = self.fit.coef, self.vcov, self.fit.df_resid
        L = np.zeros((len(codes), len(b)))
        L[:, ix] = 1.0
        L[:, iw] = codes
        est = L @ b
        se = np.sqrt(np.einsum("ij,jk,ik->i", L, V, L))
        t = est / se
        tcrit = t_ppf((1 + self.conf_level) / 2, df)
        return pd.DataFrame({"term": "conditional_effect", "w_value": shown, "estimate": est, "std_error": se,
                             "statistic": t, "df": float(df), "p_value": 2 * t_sf(np.abs(t), df),
                             "conf_low": est - tcrit * se, "conf_high": est + tcrit * se, "n": self.n})

    def johnson_neyman(self, alpha: float = 0.05) -> pd.DataFrame:
        """Values of a numeric W where the effect of X crosses significance at ``alpha`` (closed form).

        One row per boundary inside the observed range of W: ``w_value``, ``estimate``,
        ``std_error``, ``statistic`` (± the critical t) and ``p_value`` (= ``alpha``).
        """
        alpha = check_probability(alpha, where=f"{WHAT}.johnson_neyman", name="alpha")
        if self.w_factor:
            raise SpecificationError(
                f"{WHAT}: the Johnson-Neyman technique needs a numeric moderator; {self.w!r} is a factor "
                "(see the conditional effects at its levels).")
        ix, (iw,) = self._int_index()
        b1, b3 = self.fit.coef[ix], self.fit.coef[iw]
        V = self.vcov
        t2 = t_ppf(1 - alpha / 2, self.fit.df_resid) ** 2
        qa = b3**2 - t2 * V[iw, iw]
        qb = 2 * (b1 * b3 - t2 * V[ix, iw])
        qc = b1**2 - t2 * V[ix, ix]
        if abs(qa) < 1e-300:
            roots = np.array([-qc / qb]) if qb != 0 else np.array([])
        else:
            disc = qb**2 - 4 * qa * qc
            roots = np.array([]) if disc < 0 else np.sort((-qb + np.array([-1.0, 1.0]) * np.sqrt(disc)) / (2 * qa))
        lo, hi = self.w_range
        inside = roots[(roots >= lo) & (roots <= hi)]
        tab = self.conditional_effects(inside)
        tab["p_value"] = alpha
        return tab[["w_value", "estimate", "std_error", "statistic", "p_value"]].reset_index(drop=True)

    def simple_slopes(self, n_points: int = 2) -> pd.DataFrame:
        """Predicted Y over the observed range of X at each value of W (covariates at their means).

        The lines of the simple-slopes plot: columns ``w_value``, ``x``, ``predicted``.
        """
        names = self.fit.names
        xs = np.linspace(*self.x_range, n_points)
        rows = []
        ix, iw = self._int_index()
        for v, d in zip(self.w_values, self.at_codes, strict=True):
            for xv in xs:
                row = np.array([self.means.get(nm, 0.0) for nm in names])
                row[0] = 1.0
                row[ix] = xv
                for j, c in zip(iw, self.w_columns, strict=True):
                    row[j] = xv * d[self.w_columns.index(c)]
                for c, dk in zip(self.w_columns, d, strict=True):
                    row[names.index(c)] = dk
                rows.append({"w_value": v, "x": xv, "predicted": float(row @ self.fit.coef)})
        return pd.DataFrame(rows)

    # ------------------------------------------------------------------ protocol
    def tidy(self) -> pd.DataFrame:
        """Coefficients (``term`` = design column, e.g. ``x:w``), then ``conditional_effect`` rows."""
        f = self.fit
        tcrit = t_ppf((1 + self.conf_level) / 2, f.df_resid)
        coefs = pd.DataFrame({
            "term": ["(Intercept)", *f.names[1:]], "w_value": None, "estimate": f.coef, "std_error": f.se,
            "statistic": f.t, "df": float(f.df_resid), "p_value": f.p, "conf_low": f.coef - tcrit * f.se,
            "conf_high": f.coef + tcrit * f.se, "n": self.n})
        cond = self.conditional_effects()
        cond["w_value"] = cond["w_value"].astype(object)
        return pd.concat([coefs, cond], ignore_index=True)[list(MODERATION_COLUMNS)]

    def summary(self) -> str:
        f = self.fit
        tcrit = t_ppf((1 + self.conf_level) / 2, f.df_resid)
        lines = [
            "Moderation analysis (PROCESS model 1 equivalent)", f"    Y : {self.y}", f"    X : {self.x}",
            f"    W : {self.w}" + (f" (factor; levels {', '.join(map(str, self.w_levels))})" if self.w_factor else ""),
        ]
        if self.covariates:
            lines.append(f"Covariates: {' '.join(self.covariates)}")
        lines.append(f"Sample size: {self.n}")
        if self.excluded_ids:
            lines.append(f"Excluded (missing values): {', '.join(self.excluded_ids)}")
        lines += [
            "", "*" * 70, f"OUTCOME VARIABLE: {self.y}", "", "Model Summary",
            format_table(pd.DataFrame({"R": [np.sqrt(max(f.r2, 0))], "R-sq": [f.r2], "MSE": [f.sigma2], "F": [f.f],
                                       "df1": [f.df_model], "df2": [f.df_resid], "p": [format_p(f.f_p)]})),
            "", "Model",
            format_table(pd.DataFrame({"": f.names, "coeff": f.coef, "se": f.se, "t": f.t,
                                       "p": [format_p(v) for v in f.p], "LLCI": f.coef - tcrit * f.se,
                                       "ULCI": f.coef + tcrit * f.se})),
            "", "Product terms key:",
            *(f" int_{i + 1}    {self.x:<12} x     {c}" for i, c in enumerate(self.w_columns)),
            "", "Test(s) of highest order unconditional interaction(s):",
            format_table(pd.DataFrame({"": ["X*W"], "R2-chng": [self.r2_change["r2_change"]],
                                       "F": [self.r2_change["F"]], "df1": [self.r2_change["df1"]],
                                       "df2": [self.r2_change["df2"]], "p": [format_p(self.r2_change["p_value"])]})),
            "", "*" * 70, "", "Conditional effects of the focal predictor at values of the moderator(s):",
        ]
        ce = self.conditional_effects()
        lines.append(format_table(pd.DataFrame({
            self.w: ce.w_value.astype(str) if self.w_factor else ce.w_value.astype(float), "Effect": ce.estimate,
            "se": ce.std_error, "t": ce.statistic, "p": [format_p(v) for v in ce.p_value], "LLCI": ce.conf_low,
            "ULCI": ce.conf_high})))
        if not self.w_factor:
            jn = self.johnson_neyman(1 - self.conf_level)
            lines += ["", "Moderator value(s) defining Johnson-Neyman significance region(s):",
                      format_table(jn[["w_value", "estimate", "std_error", "statistic"]]) if len(jn)
                      else "  none inside the observed range of W"]
        lines += ["", "*" * 22 + " ANALYSIS NOTES AND ERRORS " + "*" * 21,
                  f"Level of confidence for all confidence intervals in output: {100 * self.conf_level:g}"]
        if self.hc:
            lines.append(f"Standard errors are heteroscedasticity-consistent ({self.hc.upper()}).")
        return "\n".join(lines)

    def plot(self, ax: Any = None, kind: str = "slopes", labels: Any = None) -> Any:
        """``kind="slopes"``: simple slopes at the values of W; ``"jn"``: the conditional effect of X
        across W with its confidence band and the Johnson–Neyman boundaries. Returns the Axes."""
        from ..plots.moderation import plot_johnson_neyman, plot_simple_slopes

        kind = check_choice(kind, ("slopes", "jn"), where=f"{WHAT}.plot", name="kind")
        if kind == "jn":
            return plot_johnson_neyman(self, ax=ax, labels=labels)
        return plot_simple_slopes(self, ax=ax, labels=labels)


def moderation(
    data: pd.DataFrame,
    x: str,
    w: str,
    y: str,
    covariates: str | Sequence[str] = (),
    at: Any = None,
    hc: str | None = None,
    conf_level: float = 0.95,
) -> ModerationResult:
    """Moderation analysis (PROCESS model 1): does the effect of ``x`` on ``y`` depend on ``w``?

    Fits ``y ~ x + w + x:w + covariates`` by OLS (no mean centring, as PROCESS by default) and
    reports the interaction with its R² change test and the conditional effect of ``x`` at values
    of ``w``.

    Parameters
    ----------
    data : DataFrame
        One row per subject; not modified. Incomplete rows are dropped (one warning).
    x, y : str
        Focal predictor and outcome (numeric).
    w : str
        Moderator: numeric, or a factor (string, categorical, ``subtype``...) coded by treatment
        dummies against its first level. Every level needs at least 3 subjects.
    covariates : str or list of str, default=()
        Covariates (globs allowed; factors dummy-coded).
    at : None, "moments", "percentiles" or values
        Values of W for the conditional effects: the levels of a factor W; for numeric W its
        mean − SD, mean and mean + SD (sample SD, ``"moments"``, the default; a dichotomous numeric
        W at its two values), the 16th/50th/84th percentiles, or the values given.
    hc : {"hc0", "hc1", "hc2", "hc3", "hc4"}, optional
        Heteroscedasticity-consistent covariance (R ``sandwich::vcovHC``); t, p and CIs use it
        with the residual df (``lmtest::coeftest(fit, vcovHC(fit, type))``, PROCESS ``hc=``).
    conf_level : float, default=0.95

    Returns
    -------
    ModerationResult
        ``.tidy()`` (coefficients, then ``term="conditional_effect"`` rows with ``w_value``),
        ``.johnson_neyman(alpha)``, ``.conditional_effects(values)``, ``.simple_slopes()``,
        ``.summary()`` (PROCESS-like), ``.plot(kind="slopes"|"jn")``.

    Raises
    ------
    SpecificationError
        Unknown/non-numeric columns, W constant, W equal to (a linear copy of) X or Y, bad ``hc``,
        ``at`` or ``conf_level``.
    InsufficientDataError
        A level of a factor W with fewer than 3 subjects; too few complete cases.
    RankDeficiencyError
        Collinear covariates (R ``lm.fit`` rule).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=100), "w": rng.normal(size=100)})
    >>> df["y"] = 0.5 * df.x + 0.4 * df.x * df.w + rng.normal(size=100)
    >>> res = moderation(df, "x", "w", "y")
    >>> list(res.tidy().term)
    ['(Intercept)', 'x', 'w', 'x:w', 'conditional_effect', 'conditional_effect', 'conditional_effect']
    >>> bool(res.tidy().set_index("term").loc["x:w", "p_value"] < 0.05)
    True
    """
    level = check_conf_level(conf_level, where=WHAT)
    hc = check_choice(hc, HC_TYPES, where=WHAT, name="hc", allow_none=True)
    for name, val in (("x", x), ("w", w), ("y", y)):
        if not isinstance(val, str):
            raise SpecificationError(f"{WHAT}: {name} must be one column name; got {val!r}.")
    frame = model_frame(data, what=WHAT, roles={"x": x, "y": y, "w": w, "covariates": covariates},
                        numeric=("x", "y"), nonconstant=("x", "y"), min_n=1)
    covs = frame.role("covariates")
    xv, yv = frame.numeric(x), frame.numeric(y)
    wcols, wnames, _, wfac, levels, at_vals, at_codes, kind = moderator_design(frame.column(w), w, at, what=WHAT)
    if not wfac:
        for role, v in (("x", xv), ("y", yv)):
            r = correlation(v, wcols[:, 0])
            if abs(r) > 1 - 1e-10:
                raise SpecificationError(f"{WHAT}: w {w!r} is a linear copy of {role} (r = {r:.6f}); the moderator "
                                         "must carry information of its own.")
    prods = xv[:, None] * wcols
    X, names = frame.design("covariates", extra=[(x, xv), *zip(wnames, wcols.T, strict=True),
                                                 *zip([f"{x}:{c}" for c in wnames], prods.T, strict=True)])
    if frame.n < X.shape[1] + 2:
        raise InsufficientDataError(f"{WHAT}: {frame.n} complete case(s) for {X.shape[1]} coefficients; at least "
                                    f"{X.shape[1] + 2} are needed.")
    names[0] = "constant"
    fit = ols(yv, X, names, y, hc, what=WHAT)
    # R² change and its (Wald) F for the interaction column(s)
    keep = [j for j, nm in enumerate(names) if not nm.startswith(f"{x}:")]
    reduced = ols(yv, X[:, keep], [names[j] for j in keep], y, None, what=WHAT)
    ii = [names.index(f"{x}:{c}") for c in wnames]
    assert fit.vcov is not None
    b = fit.coef[ii]
    F = float(b @ np.linalg.solve(fit.vcov[np.ix_(ii, ii)], b)) / len(ii)
    r2c = {"r2_change": fit.r2 - reduced.r2, "F": F, "df1": float(len(ii)), "df2": float(fit.df_resid),
           "p_value": float(f_sf(F, len(ii), fit.df_resid))}
    means = dict(zip(names, X.mean(axis=0), strict=True))
    wr = (float(wcols[:, 0].min()), float(wcols[:, 0].max())) if not wfac else (0.0, 1.0)
    return ModerationResult(
        x=x, w=w, y=y, covariates=covs, fit=fit, n=frame.n, excluded_ids=frame.excluded_ids, hc=hc,
        conf_level=level, w_factor=wfac, w_levels=levels, w_columns=wnames, w_values=list(at_vals),
        at_codes=at_codes, at_kind=kind, r2_change=r2c, x_range=(float(xv.min()), float(xv.max())), w_range=wr,
        means=means, x_sd=float(np.std(xv, ddof=1)))


__all__ = ["MODERATION_COLUMNS", "ModerationResult", "moderation"]
