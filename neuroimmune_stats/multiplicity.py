"""Multiple-comparison adjustment of p-values, identical to R's ``p.adjust``.

Validated against R ``stats::p.adjust`` (tests/reference/padjust.R) to 1e-12.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .exceptions import SpecificationError

_ALIASES = {
    "bonferroni": "bonferroni",
    "holm": "holm",
    "hochberg": "hochberg",
    "hommel": "hommel",
    "fdr_bh": "fdr_bh",
    "bh": "fdr_bh",
    "fdr": "fdr_bh",
    "fdr_by": "fdr_by",
    "by": "fdr_by",
    "none": "none",
}


def check_method(method: object, *, name: str = "method", where: str = "adjust_pvalues") -> str:
    """The canonical name of a correction method, or an error naming the argument it came from.

    Examples
    --------
    >>> check_method("BH")
    'fdr_bh'
    >>> check_method("bogus", name="correction", where="group_compare")
    Traceback (most recent call last):
    ...
    neuroimmune_stats.exceptions.SpecificationError: group_compare: correction must be one of ...
    """
    key = str(method).lower() if isinstance(method, str) else None
    if key not in _ALIASES:
        raise SpecificationError(
            f"{where}: {name} must be one of 'bonferroni', 'holm', 'hochberg', 'hommel', 'fdr_bh' ('BH'), "
            f"'fdr_by' ('BY') or 'none'; got {method!r}."
        )
    return _ALIASES[key]


def _normalise(method: str) -> str:
    return check_method(method)


def _hommel(p: np.ndarray) -> np.ndarray:
    # transcription of R's p.adjust(method = "hommel")
    n = p.size
    o = np.argsort(p, kind="stable")
    ps = p[o]
    ro = np.argsort(o, kind="stable")
    i = np.arange(1, n + 1)
    q = np.full(n, np.min(n * ps / i))
    pa = q.copy()
    for m in range(n - 1, 1, -1):
        i1 = np.arange(0, n - m + 1)
        i2 = np.arange(n - m + 1, n)
        q1 = np.min(m * ps[i2] / np.arange(2, m + 1))
        q[i1] = np.minimum(m * ps[i1], q1)
        q[i2] = q[n - m]
        pa = np.maximum(pa, q)
    out = np.maximum(pa, ps)[ro]
    return out


def _adjust(p: np.ndarray, method: str) -> np.ndarray:
    n = p.size
    if n <= 1 or method == "none":
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, n * p)
    if method == "hommel":
        return _hommel(p)
    i = np.arange(1, n + 1)
    if method == "holm":
        o = np.argsort(p, kind="stable")
        ro = np.argsort(o, kind="stable")
        return np.minimum(1.0, np.maximum.accumulate((n - i + 1) * p[o]))[ro]
    # step-up methods work on decreasing order
    o = np.argsort(-p, kind="stable")
    ro = np.argsort(o, kind="stable")
    i_dec = np.arange(n, 0, -1)
    if method == "hochberg":
        vals = (n - i_dec + 1) * p[o]
    elif method == "fdr_bh":
        vals = n / i_dec * p[o]
    else:  # fdr_by
        q = np.sum(1.0 / i)
        vals = q * n / i_dec * p[o]
    return np.minimum(1.0, np.minimum.accumulate(vals))[ro]


def adjust_pvalues(p: Sequence[float] | np.ndarray, method: str = "holm") -> np.ndarray:
    """Adjust p-values for multiple comparisons, as R's ``p.adjust``.

    Parameters
    ----------
    p : array-like of float
        Unadjusted p-values; NaN entries are kept in place and do not count towards the number of
        tests (R's ``p.adjust`` with ``n = sum(!is.na(p))``).
    method : str, default="holm"
        ``"bonferroni"``, ``"holm"``, ``"hochberg"``, ``"hommel"``, ``"fdr_bh"`` (R ``"BH"``),
        ``"fdr_by"`` (R ``"BY"``) or ``"none"``; case-insensitive.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values, same shape as ``p``.

    Raises
    ------
    SpecificationError
        Unknown ``method`` or p-values outside [0, 1].

    Notes
    -----
    Validated against R 4.x ``stats::p.adjust`` (``tests/reference/padjust.R``) to 1e-12.

    Examples
    --------
    >>> adjust_pvalues([0.01, 0.04, float("nan"), 0.03], method="holm")
    array([0.03, 0.06,  nan, 0.06])
    >>> adjust_pvalues([0.01, 0.02], method="BH")
    array([0.02, 0.02])
    """
    m = _normalise(method)
    arr = np.asarray(p, dtype=float)
    shape = arr.shape
    flat = arr.ravel()
    ok = ~np.isnan(flat)
    if np.any((flat[ok] < 0) | (flat[ok] > 1)):
        raise SpecificationError("p: p-values must lie in [0, 1].")
    out = np.full(flat.shape, np.nan)
    out[ok] = _adjust(flat[ok], m)
    return out.reshape(shape)


__all__ = ["adjust_pvalues", "check_method"]
