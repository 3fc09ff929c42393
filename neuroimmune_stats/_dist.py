"""The t, F, normal and χ² distribution functions the analyses need, from :mod:`scipy.special`.

Why not ``scipy.stats``: importing it costs about 0.75 s (it builds its hundred distribution
objects and their docstrings at import), a sixth of the report's run, while every p-value and
critical value here is one special function. Each function below is the one ``scipy.stats`` itself
calls for valid arguments (``t.sf(x, df)`` is ``stdtr(df, -x)``, ``f.sf`` is ``fdtrc``, ``norm.ppf``
is ``ndtri``, ...), so the numbers are the same to the last bit; ``tests/test_dist.py`` checks each
against ``scipy.stats`` over a grid. The rarely used distributions (the studentized range of Tukey's
adjustment) still come from ``scipy.stats``, imported where they are used.

Examples
--------
>>> round(float(t_sf(2.0, 10)), 6)
0.036694
>>> round(float(norm_ppf(0.975)), 6)
1.959964
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


def t_cdf(x: Any, df: Any) -> Any:
    """``scipy.stats.t.cdf(x, df)``."""
    return special.stdtr(df, x)


def t_sf(x: Any, df: Any) -> Any:
    """``scipy.stats.t.sf(x, df)``: P(T > x)."""
    return special.stdtr(df, np.negative(x))


def t_ppf(q: Any, df: Any) -> Any:
    """``scipy.stats.t.ppf(q, df)``."""
    return special.stdtrit(df, q)


def t_isf(q: Any, df: Any) -> Any:
    """``scipy.stats.t.isf(q, df)``."""
    return -special.stdtrit(df, q)


def t_logpdf(x: Any, df: Any) -> Any:
    """``scipy.stats.t.logpdf(x, df)`` for finite ``df``."""
    x = np.asarray(x, dtype=float)
    return np.log(special.poch(0.5 * df, 0.5)) - 0.5 * (np.log(df) + np.log(np.pi)) - (df + 1) / 2 * np.log1p(
        x * x / df)


def norm_cdf(x: Any) -> Any:
    """``scipy.stats.norm.cdf(x)``."""
    return special.ndtr(x)


def norm_sf(x: Any) -> Any:
    """``scipy.stats.norm.sf(x)``."""
    return special.ndtr(np.negative(x))


def norm_ppf(q: Any) -> Any:
    """``scipy.stats.norm.ppf(q)``."""
    return special.ndtri(q)


def norm_logpdf(x: Any) -> Any:
    """``scipy.stats.norm.logpdf(x)``."""
    x = np.asarray(x, dtype=float)
    return -x**2 / 2.0 - _LOG_SQRT_2PI


def f_cdf(x: Any, dfn: Any, dfd: Any) -> Any:
    """``scipy.stats.f.cdf(x, dfn, dfd)`` (0 below the support, as scipy)."""
    return special.fdtr(dfn, dfd, np.maximum(x, 0.0))


def f_sf(x: Any, dfn: Any, dfd: Any) -> Any:
    """``scipy.stats.f.sf(x, dfn, dfd)`` (1 below the support: an F of -1e-16 from rounding is an F of 0)."""
    return special.fdtrc(dfn, dfd, np.maximum(x, 0.0))


def chi2_sf(x: Any, df: Any) -> Any:
    """``scipy.stats.chi2.sf(x, df)`` (1 below the support)."""
    return special.chdtrc(df, np.maximum(x, 0.0))


def ncf_cdf(x: Any, dfn: Any, dfd: Any, nc: Any) -> Any:
    """``scipy.stats.ncf.cdf(x, dfn, dfd, nc)``."""
    return special.ncfdtr(dfn, dfd, nc, x)


def ncf_sf(x: Any, dfn: Any, dfd: Any, nc: Any) -> Any:
    """``1 - scipy.stats.ncf.cdf``: the power of an F test (to ~1e-16 of ``scipy.stats.ncf.sf``, which
    calls a private ufunc; a power is never small enough for the difference to show)."""
    return 1.0 - special.ncfdtr(dfn, dfd, nc, x)


def nct_cdf(x: Any, df: Any, nc: Any) -> Any:
    """``scipy.stats.nct.cdf(x, df, nc)``."""
    return special.nctdtr(df, nc, x)


def nct_sf(x: Any, df: Any, nc: Any) -> Any:
    """``1 - scipy.stats.nct.cdf`` (as :func:`ncf_sf`)."""
    return 1.0 - special.nctdtr(df, nc, x)


def average_ranks(x: Any, axis: int = -1) -> np.ndarray:
    """Ranks 1..n along ``axis``, ties given their average rank (``scipy.stats.rankdata(x, axis=axis)``).

    A slice holding a NaN is all NaN (scipy's ``nan_policy="propagate"``).

    >>> average_ranks([3.0, 1.0, 3.0, 2.0])
    array([3.5, 1. , 3.5, 2. ])
    """
    a = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    n = a.shape[-1]
    if n == 0:
        return np.moveaxis(a.copy(), -1, axis)
    order = np.argsort(a, axis=-1, kind="stable")
    s = np.take_along_axis(a, order, axis=-1)
    pos = np.broadcast_to(np.arange(n), s.shape)
    starts = np.ones(s.shape, dtype=bool)
    starts[..., 1:] = s[..., 1:] != s[..., :-1]
    ends = np.ones(s.shape, dtype=bool)
    ends[..., :-1] = starts[..., 1:]
    first = np.maximum.accumulate(np.where(starts, pos, 0), axis=-1)
    last = np.flip(np.minimum.accumulate(np.flip(np.where(ends, pos, n - 1), axis=-1), axis=-1), axis=-1)
    ranked = np.empty(s.shape)
    np.put_along_axis(ranked, order, (first + last) / 2.0 + 1.0, axis=-1)
    nan = np.isnan(a).any(axis=-1, keepdims=True)
    if nan.any():
        ranked = np.where(nan, np.nan, ranked)
    return np.moveaxis(ranked, -1, axis)


__all__ = ["average_ranks", "chi2_sf", "f_cdf", "f_sf", "ncf_cdf", "ncf_sf", "nct_cdf", "nct_sf", "norm_cdf",
           "norm_logpdf", "norm_ppf", "norm_sf", "t_cdf", "t_isf", "t_logpdf", "t_ppf", "t_sf"]
