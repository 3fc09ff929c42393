"""ANOVA tables (types I, II, III) and partial eta squared with noncentral-F intervals."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import optimize

from .._dist import f_cdf, f_sf, ncf_cdf
from .formula import ModelFrame


def rss(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """Residual sums of squares of ``Y`` (n,) or (n, m) on ``X`` (n, p)."""
    if X.shape[1] == 0:
        R = Y
    else:
        Q, _ = np.linalg.qr(X)
        R = Y - Q @ (Q.T @ Y)
    return np.sum(R**2, axis=0)


def eta_sq_ci(F: float, df1: float, df2: float, level: float = 0.90) -> tuple[float, float]:
    """Confidence interval of partial eta squared by inverting the noncentral F distribution.

    The noncentrality bounds ``lambda`` solve ``pncf(F; df1, df2, lambda) = (1 ± level) / 2`` and
    become ``lambda / (lambda + df2)``, which gives back the point estimate at ``lambda = F * df1``
    (Steiger 2004; R ``effectsize::F_to_eta2(..., alternative = "two.sided")``, tested against it).

    Examples
    --------
    >>> lo, hi = eta_sq_ci(10.0, 1, 50)
    >>> 0 < lo < 10 / (10 + 50) < hi < 1
    True
    """
    if not np.isfinite(F) or df1 <= 0 or df2 <= 0:
        return float("nan"), float("nan")
    alpha = (1 - level) / 2

    def bound(target: float) -> float:
        f = lambda ncp: ncf_cdf(F, df1, df2, ncp) - target  # noqa: E731
        if f_cdf(F, df1, df2) <= target:
            return 0.0
        hi = max(10.0, F * df1 * 4)
        while f(hi) > 0:
            hi *= 2
        return float(optimize.brentq(f, 0.0, hi, xtol=1e-12, rtol=1e-12))

    lam_lo, lam_hi = bound(1 - alpha), bound(alpha)
    conv = lambda lam: lam / (lam + df2)  # noqa: E731
    return conv(lam_lo), conv(lam_hi)


def _contains(big: frozenset[str], small: frozenset[str]) -> bool:
    return bool(small) and small < big


def anova_table(mf: ModelFrame, typ: int, mf_sum: ModelFrame | None = None) -> pd.DataFrame:
    """ANOVA table with ``term, sum_sq, df, F, p_value, partial_eta_sq`` and 90% CI columns."""
    y, X = mf.y, mf.X
    n, p = X.shape
    rss_full = float(rss(X, y))
    df_res = n - p
    rows: list[tuple[str, float, int]] = []
    terms = [t for t in mf.terms if t != "(Intercept)"]
    if typ == 1:
        prev = rss(X[:, mf.term_columns["(Intercept)"]], y) if "(Intercept)" in mf.term_columns else float(y @ y)
        cols: list[int] = list(mf.term_columns.get("(Intercept)", []))
        for t in terms:
            cols = cols + mf.term_columns[t]
            cur = float(rss(X[:, cols], y))
            rows.append((t, float(prev) - cur, len(mf.term_columns[t])))
            prev = cur
    elif typ == 2:
        for t in terms:
            ft = mf.term_factors[t]
            containing = {u for u in terms if u != t and _contains(mf.term_factors[u], ft)}
            base = [j for u, ix in mf.term_columns.items() if u != t and u not in containing for j in ix]
            with_t = base + mf.term_columns[t]
            rows.append((t, float(rss(X[:, base], y) - rss(X[:, with_t], y)), len(mf.term_columns[t])))
    elif typ == 3:
        if mf_sum is None:
            raise ValueError("type 3 needs the sum-coded model frame")
        Xs = mf_sum.X
        names = dict(zip(mf_sum.terms, mf.terms, strict=True))
        for ts in mf_sum.terms:
            ix = mf_sum.term_columns[ts]
            rest = [j for j in range(Xs.shape[1]) if j not in ix]
            rows.append((names[ts], float(rss(Xs[:, rest], y) - rss_full), len(ix)))
    else:
        from ..exceptions import SpecificationError

        raise SpecificationError(f"type must be 1, 2 or 3; got {typ!r}.")
    out = []
    mse = rss_full / df_res
    for t, ss, df in rows:
        F = (ss / df) / mse
        pe = ss / (ss + rss_full)
        lo, hi = eta_sq_ci(F, df, df_res)
        out.append({"term": t, "sum_sq": ss, "df": float(df), "F": F,
                    "p_value": float(f_sf(F, df, df_res)), "partial_eta_sq": pe,
                    "partial_eta_sq_low": lo, "partial_eta_sq_high": hi})
    out.append({"term": "Residuals", "sum_sq": rss_full, "df": float(df_res), "F": np.nan,
                "p_value": np.nan, "partial_eta_sq": np.nan, "partial_eta_sq_low": np.nan,
                "partial_eta_sq_high": np.nan})
    return pd.DataFrame(out)


__all__ = ["anova_table", "eta_sq_ci", "rss"]
