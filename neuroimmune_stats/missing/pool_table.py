"""``table_one(ImputedData, ...)``: Table 1 pooled across imputations.

Continuous variables: the pooled mean per group is the mean of the per-imputation means (Rubin's
point estimate), the SD the mean of the per-imputation SDs; the group test is the pooled t of the
mean difference (Rubin's rules, Barnard–Rubin df with dfcom = n − 2; = ``mice::D1`` on
``lm(variable ~ group)``, F = t²). Categorical variables: counts are the mean counts over
imputations; when the variable was imputed, the χ² statistics are pooled by D2 (Li, Meng,
Raghunathan & Rubin 1991; ``miceadds::micombine.chisquare``), otherwise the complete-data χ² test
is kept (it is the same in every imputation).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import special

from .imputed import ImputedData
from .pool import check_imputed, each
from .rules import rubin


def d2(chisq: np.ndarray, df: float) -> tuple[float, float, float, float]:
    """Pooled χ² test (D2): ``(F, df1, df2, p)`` as ``miceadds::micombine.chisquare``.

    Examples
    --------
    >>> F, df1, df2, p = d2(np.array([3.1, 4.0, 2.5, 3.6]), 1)
    >>> df1, bool(0 < p < 1)
    (1.0, True)
    """
    d = np.asarray(chisq, dtype=float)
    m = d.size
    k = float(df)
    r = (1 + 1 / m) * np.var(np.sqrt(d), ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        stat = (d.mean() / k - (m + 1) / (m - 1) * r) / (1 + r)
        df2 = k ** (-3 / m) * (m - 1) * (1 + 1 / r) ** 2
    stat = max(float(stat), 0.0)
    return stat, k, float(df2), float(special.fdtrc(k, df2, stat))


def pool_table_one(imp: ImputedData, by: str = "subtype", strata: str | None = None,
                   variables: str | Sequence[str] | None = None, **kwargs: Any) -> Any:
    """Table 1 on multiply imputed data (module notes): the same ``TableOne`` with pooled cells.

    ``.tidy()`` gains ``fmi`` (of the group difference, continuous variables) and ``m``; ``n``
    counts every subject of the group. The table's footnote states the imputation.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> from neuroimmune_stats.missing import impute
    >>> imp = impute(nis.load_example(), columns=["subtype", "fss", "wpi", "sss", "paindetect"], m=3, seed=1)
    >>> t1 = pool_table_one(imp, variables=["age", "fss", "sex"])
    >>> sorted(set(t1.tidy().query("variable == 'fss'").n))
    [26, 28]
    """
    from ..table1 import table_one

    imp = check_imputed(imp, "table_one")
    tabs = each(imp, lambda f: table_one(f, by=by, strata=strata, variables=variables, **kwargs))
    first = tabs[0]
    tables = [t.tidy() for t in tabs]
    base = tables[0].copy()
    m = imp.m
    for col in ("mean", "sd", "count"):
        base[col] = np.mean(np.stack([t[col].to_numpy(dtype=float) for t in tables]), axis=0)
    base["fmi"] = np.nan
    base["m"] = m
    groups = list(first.groups)
    welch = kwargs.get("test", "student") == "welch"
    for (var, _stratum), idx in base.groupby(["variable", "stratum"], sort=False).groups.items():
        rows = np.asarray(list(idx))
        kind = first.kinds[var]
        imputed = bool(imp.where[var].any()) if var in imp.where else False
        if kind == "continuous":
            est, var_ = [], []
            for t in tables:
                sub = t.loc[rows].set_index("group")
                m1, m2 = sub.loc[groups[0], "mean"], sub.loc[groups[1], "mean"]
                s1, s2 = sub.loc[groups[0], "sd"], sub.loc[groups[1], "sd"]
                n1, n2 = sub.loc[groups[0], "n"], sub.loc[groups[1], "n"]
                if welch:
                    v = s1**2 / n1 + s2**2 / n2
                else:
                    sp2 = ((n1 - 1) * s1**2 + (n2 - 1) * s2**2) / (n1 + n2 - 2)
                    v = sp2 * (1 / n1 + 1 / n2)
                est.append(m2 - m1)
                var_.append(v)
            dfcom = float(tables[0].loc[rows, "df"].iloc[0])
            if not imputed:
                continue
            p = rubin(np.array(est)[:, None], np.array(var_)[:, None], dfcom=dfcom)
            base.loc[rows, "statistic"] = float(p.statistic[0])
            base.loc[rows, "df"] = float(p.df[0])
            base.loc[rows, "p_value"] = float(p.p_value[0])
            base.loc[rows, "fmi"] = float(p.fmi[0])
        elif imputed:
            chis = np.array([float(t.loc[rows, "statistic"].iloc[0]) for t in tables])
            df = float(tables[0].loc[rows, "df"].iloc[0])
            stat, _, _df2, pv = d2(chis, df)
            base.loc[rows, "test"] = "chisq (D2 pooled)"
            base.loc[rows, "statistic"] = stat
            base.loc[rows, "df"] = df
            base.loc[rows, "p_value"] = pv
    fields = {f.name: getattr(first, f.name) for f in dataclasses.fields(first)}
    fields["table"] = base
    return _pooled_class(type(first))(**fields, imputation_model=imp.model_description(), m=m)


def _pooled_class(cls: type) -> type:
    @dataclasses.dataclass(frozen=True)
    class PooledTableOne(cls):  # type: ignore[misc, valid-type]
        """Table 1 on multiply imputed data (see :func:`pool_table_one`)."""

        imputation_model: str = ""
        m: int = 0

        def _footnote(self) -> str:
            return (super()._footnote() + f" Incomplete variables: pooled over m = {self.m} imputations (means "
                    "and SDs averaged; t tests by Rubin's rules with Barnard-Rubin df, χ² by D2). "
                    + self.imputation_model)

    return PooledTableOne


__all__ = ["d2", "pool_table_one"]
