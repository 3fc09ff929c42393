"""Analyses of multiply imputed data: each analysis on every completed data set, pooled by Rubin's rules.

The complete-data functions dispatch here when ``data`` is an :class:`~.ImputedData`
(``lm``, ``group_compare``, ``correlate``, ``mediate``, ``table_one``). Pooling follows R ``mice``
(``pool``, ``D1``, ``pool.scalar``; see :mod:`.rules`); tidy tables gain ``fmi`` (fraction of
missing information) and ``m`` (imputations), and ``n`` counts every subject.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from ..exceptions import SpecificationError
from .imputed import ImputedData
from .rules import Pooled, d1, fisher_z, rubin


# ---------------------------------------------------------------------- helpers
def check_imputed(imp: Any, what: str) -> ImputedData:
    if not isinstance(imp, ImputedData):
        raise SpecificationError(f"{what}: expected an ImputedData (from nis.impute or ImputedData.from_frames); "
                                 f"got {type(imp).__name__}.")
    return imp


def each(imp: ImputedData, fn: Callable[[pd.DataFrame], Any]) -> list[Any]:
    """``fn`` on every completed data set; warnings repeated by every imputation are emitted once."""
    out = []
    seen: dict[tuple[str, type], warnings.WarningMessage] = {}
    for frame in imp._frames:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            out.append(fn(frame))
        for w in caught:
            seen.setdefault((str(w.message), w.category), w)
    for (msg, cat), _ in seen.items():
        warnings.warn(msg, cat, stacklevel=3)
    return out


def _pooled_columns(p: Pooled, conf_level: float) -> dict[str, np.ndarray]:
    lo, hi = p.conf_int(conf_level)
    return {"estimate": p.estimate, "std_error": p.std_error, "statistic": p.statistic, "df": p.df,
            "p_value": p.p_value, "conf_low": lo, "conf_high": hi, "fmi": p.fmi}


# ---------------------------------------------------------------------- lm
def _lm_class() -> type:
    from ..models.lm import LinearModel

    class PooledLinearModel(LinearModel):  # type: ignore[misc, valid-type]
        """``lm`` on multiply imputed data: coefficients pooled by Rubin's rules (R ``summary(pool(fit))``).

        ``.tidy()`` adds ``df`` (Barnard–Rubin), ``fmi`` and ``m``; ``.anova()`` gives one D1
        (``mice::D1``) Wald test per model term; ``.contrast(term)`` and ``.emmeans(term)`` pool
        the per-imputation tables. ``fits`` holds the m complete-data models.
        """

        extra_columns = ("fmi",)  # type: ignore[assignment]

        def __init__(self, formula: str, fits: list[Any], imp: ImputedData) -> None:
            first = fits[0]
            self.formula = formula
            self.fits = fits
            self.m = len(fits)
            self.columns = list(first.columns)
            self.response = first.response
            self.variables = first.variables
            self.n = int(first.n)
            self.excluded_ids = tuple(first.excluded_ids)
            self.df_residual = first.df_residual
            self.imputation_model = imp.model_description()
            self.call = f"lm({formula!r}, data=<ImputedData m={self.m}>)"
            tds = [f.tidy() for f in fits]
            self._terms = list(tds[0]["term"])
            self.pooled = rubin(np.stack([t["estimate"].to_numpy() for t in tds]),
                                np.stack([t["std_error"].to_numpy() ** 2 for t in tds]),
                                dfcom=float(first.df_residual))
            self.coef = self.pooled.estimate
            self._mf = first._mf

        def tidy(self, conf_level: float = 0.95) -> pd.DataFrame:
            """Pooled coefficients: ``term, estimate, std_error, statistic, df, p_value, conf_low,
            conf_high, fmi, m`` (as ``summary(pool(fit), conf.int = TRUE)`` plus ``fmi``)."""
            out = pd.DataFrame({"term": self._terms, **_pooled_columns(self.pooled, conf_level)})
            out["m"] = self.m
            return out

        def glance(self) -> pd.DataFrame:
            """Pooled R² (``mice::pool.r.squared``: Fisher z of √R², within variance 1/(n − 3)) and sizes."""
            r2 = np.array([float(f.glance()["r_squared"].iloc[0]) for f in self.fits])
            pz = fisher_z(np.sqrt(np.clip(r2, 0, 1))[:, None], np.full((self.m, 1), self.n), k=0)
            adj = np.array([float(f.glance()["adj_r_squared"].iloc[0]) for f in self.fits])
            pa = fisher_z(np.sqrt(np.clip(adj, 0, 1))[:, None], np.full((self.m, 1), self.n), k=0)
            return pd.DataFrame([{"r_squared": float(np.tanh(pz.estimate[0]) ** 2),
                                  "adj_r_squared": float(np.tanh(pa.estimate[0]) ** 2),
                                  "df_residual": float(self.df_residual), "nobs": self.n, "m": self.m}])

        def anova(self, type: int = 2) -> pd.DataFrame:
            """One pooled Wald test per term (``mice::D1`` with dfcom = residual df).

            Equals the type II (and III) test in models without interactions; terms inside an
            interaction are tested on their own columns (treatment coding).
            """
            rows = []
            for term, cols in self._mf.term_columns.items():
                if term == "(Intercept)":
                    continue
                idx = list(cols)
                q = np.stack([f.coef[idx] for f in self.fits])
                u = np.stack([f.vcov[np.ix_(idx, idx)] for f in self.fits])
                t = d1(q, u, dfcom=float(self.df_residual))
                rows.append({"term": term, "F": t.F, "df1": t.df1, "df2": t.df2, "p_value": t.p_value,
                             "riv": t.riv, "m": self.m})
            return pd.DataFrame(rows)

        def _pool_table(self, tables: list[pd.DataFrame], conf_level: float) -> pd.DataFrame:
            base = tables[0].drop(columns=[c for c in ("estimate", "std_error", "statistic", "df", "p_value",
                                                       "conf_low", "conf_high", "lower_cl", "upper_cl", "t_ratio",
                                                       "cohens_d", "p_adj") if c in tables[0].columns])
            p = rubin(np.stack([t["estimate"].to_numpy(dtype=float) for t in tables]),
                      np.stack([t["std_error"].to_numpy(dtype=float) ** 2 for t in tables]),
                      dfcom=float(self.df_residual))
            out = base.reset_index(drop=True)
            for k, v in _pooled_columns(p, conf_level).items():
                out[k] = v
            out["m"] = self.m
            return out

        def emmeans(self, term: str, *args: Any, conf_level: float = 0.95,  # type: ignore[override]
                    **kw: Any) -> pd.DataFrame:
            """Estimated marginal means pooled across imputations (Rubin, dfcom = residual df)."""
            return self._pool_table([_table(f.emmeans(term, *args, conf_level=conf_level, **kw)) for f in self.fits],
                                    conf_level)

        def contrast(self, term: str, adjust: str = "none", conf_level: float = 0.95,  # type: ignore[override]
                     **kw: Any) -> pd.DataFrame:
            """Pairwise differences of emmeans pooled across imputations (unadjusted p)."""
            if adjust not in ("none", "tukey"):
                raise SpecificationError("contrast on imputed data: adjust must be 'none' (pooled p-values are "
                                         "unadjusted; pass them to nis.adjust_pvalues).")
            tabs = [_table(f.contrast(term, adjust="none", conf_level=conf_level, **kw)) for f in self.fits]
            return self._pool_table(tabs, conf_level)

        def adjusted_values(self, outcome: str | None = None, keep: str | None = None) -> pd.Series:
            raise SpecificationError("adjusted_values is not defined for imputed data; use one completed data "
                                     "set (imp[i]) for figures.")

        def plot(self, ax: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
            """Pooled coefficients with their confidence intervals (intercept omitted)."""
            from .plots import plot_pooled_coefficients

            return plot_pooled_coefficients(self.tidy(), ax=ax, title=self.formula)

        def summary(self) -> str:
            from ..results import format_p, format_table, signif_stars

            td = self.tidy()
            tab = pd.DataFrame({"": td["term"], "Estimate": td["estimate"], "Std. Error": td["std_error"],
                                "t value": td["statistic"], "df": td["df"],
                                "Pr(>|t|)": [format_p(p) for p in td["p_value"]],
                                " ": [signif_stars(p) for p in td["p_value"]], "fmi": td["fmi"]})
            return "\n".join([
                f"Call: lm({self.formula}) pooled over m = {self.m} imputations (Rubin's rules, "
                "Barnard-Rubin df, as mice::pool)", "", f"n = {self.n} subjects", self.imputation_model, "",
                "Coefficients:", format_table(tab), "---",
                "Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1", "",
                f"Complete-data residual df: {self.df_residual}", "",
                "Pooled Wald tests (D1):", format_table(self.anova()),
            ])

    return PooledLinearModel


def _table(obj: Any) -> pd.DataFrame:
    return obj.tidy() if hasattr(obj, "tidy") and not isinstance(obj, pd.DataFrame) else obj


def pool_lm(formula: str, imp: ImputedData, **kwargs: Any) -> Any:
    """``lm(formula, imp)``: the model on each imputed data set, pooled as R ``summary(pool(with(imp, lm(...))))``.

    Returns a ``PooledLinearModel`` (a :class:`~neuroimmune_stats.models.lm.LinearModel`): pooled
    ``.tidy()`` (with Barnard–Rubin ``df``, ``fmi``, ``m``), ``.anova()`` (D1 per term),
    ``.contrast(term)``, ``.emmeans(term)``, ``.glance()`` (pooled R²), ``.summary()``, ``.plot()``.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> from neuroimmune_stats.missing import impute
    >>> imp = impute(nis.load_example(), columns=["suvr_s1", "fss", "wpi", "sss", "subtype"], m=5, seed=1)
    >>> fit = pool_lm("fss ~ subtype + suvr_s1", imp)
    >>> fit.n, list(fit.tidy().columns)[-2:]
    (54, ['fmi', 'm'])
    """
    imp = check_imputed(imp, "lm")
    from ..models.lm import lm

    fits = each(imp, lambda f: lm(formula, f, **kwargs))
    return _lm_class()(formula, fits, imp)


# ---------------------------------------------------------------------- group_compare
def pool_group_compare(
    imp: ImputedData,
    outcomes: str | Iterable[str],
    group: str = "subtype",
    covariates: str | Iterable[str] = (),
    correction: str | None = "bonferroni",
    *,
    conf_level: float = 0.95,
    reference: Any = None,
    **kwargs: Any,
) -> Any:
    """``group_compare(imp, ...)``: the covariate-adjusted group model per outcome, pooled across imputations.

    Per outcome: the group coefficient(s) of ``outcome ~ covariates + group`` in every imputed data
    set, pooled by Rubin's rules (``estimate``, ``std_error``, Barnard–Rubin ``df`` with dfcom = the
    residual df, ``p_value`` from the pooled t, ``conf_low``/``conf_high``, ``fmi``); ``F`` is the
    pooled Wald statistic ``mice::D1`` on ``df1`` and ``df2`` (= t² for two groups; with more
    groups ``p_value`` is D1's); ``partial_eta_sq`` is the mean over imputations; ``p_adj``
    corrects ``p_value`` over outcomes. Equal to R
    ``summary(pool(with(imp, lm(y ~ covariates + group))))`` and ``D1`` (tests/reference/mice.R).

    Returns the package's ``GroupCompareResult`` when available, else the tidy DataFrame.
    """
    from ..design import as_list, complete_cases, resolve_columns
    from ..design.linalg import ols
    from ..models.group import group_design
    from ..multiplicity import adjust_pvalues

    what = "group_compare"
    imp = check_imputed(imp, what)
    first = imp._frames[0]
    ys = resolve_columns(first, outcomes, what=f"{what} outcomes")
    if not ys:
        raise SpecificationError(f"{what}: no outcomes given.")
    (g,) = resolve_columns(first, group, what=f"{what} group")
    covs = resolve_columns(first, as_list(covariates), what=f"{what} covariates")
    if set(ys) & ({g} | set(covs)):
        raise SpecificationError(f"{what}: {sorted(set(ys) & ({g} | set(covs)))} cannot be both outcome and predictor.")
    rows = []
    for y in ys:
        est, var, vc, eta, dfc, ns = [], [], [], [], [], []
        levels: list[str] = []
        excluded: tuple[str, ...] = ()
        for frame in imp._frames:
            sub, cc = complete_cases(frame, [y, g, *covs], min_n=3, what=f"{what}({y})", warn=False)
            if reference is not None:
                s = sub[g].astype("category")
                if reference not in list(s.cat.categories):
                    raise SpecificationError(f"{what}: reference {reference!r} is not a level of {g!r}.")
                sub = sub.assign(**{g: s.cat.reorder_categories(
                    [reference, *[c for c in s.cat.categories if c != reference]])})
            G, Z, levels, _ = group_design(sub, g, covs, what=f"{what}({y})")
            X = np.column_stack([Z, G])
            yy = sub[y].to_numpy(dtype=float)
            fit = ols(X, yy)
            k = G.shape[1]
            sl = slice(Z.shape[1], Z.shape[1] + k)
            v = fit.vcov(X)[sl, sl]
            est.append(fit.coef[sl])
            vc.append(v)
            var.append(np.diag(v))
            fit0 = ols(Z, yy)
            eta.append((fit0.rss - fit.rss) / fit0.rss)
            dfc.append(fit.df_residual)
            ns.append(cc.n)
            excluded = cc.excluded_ids
        dfcom = float(dfc[0])
        q, u = np.stack(est), np.stack(vc)
        test = d1(q, u, dfcom=dfcom)
        p = rubin(q[:, :1], np.stack(var)[:, :1], dfcom=dfcom)
        lo, hi = p.conf_int(conf_level)
        two = len(levels) == 2
        rows.append({
            "outcome": y, "contrast": f"{levels[1]} - {levels[0]}" if two else f"{group} ({len(levels)} levels)",
            "F": test.F, "df1": float(test.df1), "df2": test.df2,
            "p_value": float(p.p_value[0]) if two else test.p_value,
            "partial_eta_sq": float(np.mean(eta)),
            "estimate": float(p.estimate[0]) if two else np.nan,
            "std_error": float(p.std_error[0]) if two else np.nan,
            "df": float(p.df[0]) if two else np.nan,
            "conf_low": float(lo[0]) if two else np.nan, "conf_high": float(hi[0]) if two else np.nan,
            "fmi": float(p.fmi[0]) if two else np.nan, "m": imp.m, "n": int(ns[0]),
            "_excluded": list(excluded),
        })
    out = pd.DataFrame(rows)
    pv = out["p_value"].to_numpy(dtype=float)
    out.insert(5, "p_adj", pv if correction is None else adjust_pvalues(pv, correction))
    excluded_map = dict(zip(out["outcome"], out.pop("_excluded"), strict=True))
    out.attrs.update(excluded_ids=excluded_map, group=g, covariates=covs, correction=correction, m=imp.m,
                     imputation_model=imp.model_description())
    return _wrap_group_result(out, imp, g, covs, correction, conf_level)


def _wrap_group_result(table: pd.DataFrame, imp: ImputedData, group: str, covs: list[str],
                       correction: str | None, conf_level: float) -> Any:
    """The package's GroupCompareResult around the pooled table when that class exists."""
    try:
        from ..models.group import GroupCompareResult  # type: ignore[attr-defined]
    except ImportError:
        return table

    class PooledGroupCompareResult(GroupCompareResult):  # type: ignore[misc, valid-type]
        """``group_compare`` on imputed data (pooled; see :func:`pool_group_compare`)."""

        extra_columns = ("F", "df1", "df2", "partial_eta_sq", "fmi")  # type: ignore[assignment]

        def __init__(self) -> None:
            self._pooled_table = table
            self.group, self.covariates, self.correction = group, covs, correction
            self.conf_level = conf_level
            self.m = imp.m
            self.n = int(table["n"].max())
            self.excluded_ids = tuple(dict.fromkeys(i for v in table.attrs["excluded_ids"].values() for i in v))
            self.imputation_model = imp.model_description()
            self.call = f"group_compare(<ImputedData m={imp.m}>, group={group!r}, covariates={covs})"

        def tidy(self) -> pd.DataFrame:
            return self._pooled_table.copy()

        def summary(self) -> str:
            from ..results import format_table

            return "\n".join([
                f"Call: {self.call}", f"Pooled over m = {self.m} imputations (Rubin's rules; F = D1)",
                self.imputation_model, "", format_table(self._pooled_table)])

        def plot(self, ax: Any = None, **kwargs: Any) -> Any:  # type: ignore[override]
            from .plots import plot_pooled_coefficients

            td = self._pooled_table.rename(columns={"outcome": "term"})
            return plot_pooled_coefficients(td, ax=ax, title=f"{group}: {td['contrast'].iloc[0]}")

    try:
        return PooledGroupCompareResult()
    except Exception:  # pragma: no cover - a result class with another construction protocol
        return table


# ---------------------------------------------------------------------- correlate
def pool_correlate(
    imp: ImputedData,
    x: str | Iterable[str],
    y: str | Iterable[str],
    covariates: str | Iterable[str] = (),
    method: str = "pearson",
    correction: str | None = None,
    *,
    conf_level: float = 0.95,
) -> Any:
    """``correlate(imp, ...)``: correlations pooled on Fisher's z across imputations.

    ``z_i = atanh r_i`` with within variance ``1/(n − 3 − k)`` (k covariate columns), Rubin's rules
    with the Barnard–Rubin df at dfcom = ∞ (``mice::pool.scalar(z, 1/(n − 3 − k))``); ``r =
    tanh(z̄)``, CI ``tanh(z̄ ± t_{ν, 1−α/2} √T)``, ``p_value`` from ``z̄/√T`` on ν df; ``fmi`` and
    ``m`` added.
    """
    from ..correlation import correlate
    from ..multiplicity import adjust_pvalues, check_method

    what = "correlate"
    imp = check_imputed(imp, what)
    corr = None if correction is None else check_method(correction, name="correction", where=what)
    res = each(imp, lambda f: correlate(f, x, y, covariates=covariates, method=method, correction=None,
                                        conf_level=conf_level))
    tabs = [_table(r) for r in res]
    r = np.stack([t["r"].to_numpy(dtype=float) for t in tabs])
    n = np.stack([t["n"].to_numpy(dtype=float) for t in tabs])
    k = round(float(n[0, 0] - 2 - tabs[0]["df"].iloc[0])) if "df" in tabs[0] else 0
    p = fisher_z(r, n, k=k)
    q = special.stdtrit(p.df, 0.5 + conf_level / 2)
    se = p.std_error
    out = tabs[0][["x", "y"]].copy()
    out["n"] = tabs[0]["n"].to_numpy()
    out["r"] = np.tanh(p.estimate)
    out["conf_low"] = np.tanh(p.estimate - q * se)
    out["conf_high"] = np.tanh(p.estimate + q * se)
    out["p_value"] = p.p_value
    out["p_adj"] = out["p_value"] if corr is None else adjust_pvalues(out["p_value"].to_numpy(), corr)
    out["statistic"] = p.statistic
    out["df"] = p.df
    out["method"] = tabs[0]["method"].to_numpy() if "method" in tabs[0] else method
    out["fmi"] = p.fmi
    out["m"] = imp.m
    out["estimate_z"] = p.estimate
    out["std_error_z"] = se
    first = res[0]
    if isinstance(first, pd.DataFrame):
        return out
    cls = type(first)

    class PooledCorrelationResult(cls):  # type: ignore[misc, valid-type]
        """``correlate`` on imputed data: Fisher-z pooled correlations (see :func:`pool_correlate`)."""

        extra_columns = ("r", "fmi", "estimate_z", "std_error_z")

        def __init__(self) -> None:
            self.__dict__.update(first.__dict__)
            self._table = out
            self.m = imp.m
            self.imputation_model = imp.model_description()
            self.call = first.call.replace("correlate(", f"correlate(<ImputedData m={imp.m}>, ", 1)

        def summary(self) -> str:
            return "\n".join([f"Pooled over m = {self.m} imputations on Fisher's z (Rubin's rules, Barnard-Rubin "
                              "df)", self.imputation_model, "", super().summary()])

    return PooledCorrelationResult()


# ---------------------------------------------------------------------- re-exports for dispatch
def mediate_imputed(imp: ImputedData, *args: Any, **kwargs: Any) -> Any:
    """``mediate(imp, ...)``: see :func:`neuroimmune_stats.missing.pool_mediation.mediate_imputed`."""
    from .pool_mediation import mediate_imputed as _impl

    return _impl(imp, *args, **kwargs)


def pool_table_one(imp: ImputedData, *args: Any, **kwargs: Any) -> Any:
    """``table_one(imp, ...)``: see :func:`neuroimmune_stats.missing.pool_table.pool_table_one`."""
    from .pool_table import pool_table_one as _impl

    return _impl(imp, *args, **kwargs)


__all__ = ["check_imputed", "each", "mediate_imputed", "pool_correlate", "pool_group_compare", "pool_lm",
           "pool_table_one"]
