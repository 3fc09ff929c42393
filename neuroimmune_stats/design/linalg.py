"""One least-squares kernel family with one rank rule, and heteroscedasticity-consistent covariances.

Rank rule (R ``lm.fit``/LINPACK ``dqrdc2`` with ``tol = 1e-7``): a column is aliased when what is
left of it after projecting out the earlier kept columns has a norm below ``1e-7`` of its own norm.
Every analysis uses :func:`check_rank`, so the same design gets the same decision everywhere.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from ..exceptions import RankDeficiencyError, RankDeficiencyWarning

RANK_TOL = 1e-7

HCType = Literal["hc0", "hc1", "hc2", "hc3", "hc4"]
HC_TYPES: tuple[str, ...] = ("hc0", "hc1", "hc2", "hc3", "hc4")


def aliased_columns(X: np.ndarray, tol: float = RANK_TOL) -> list[int]:
    """Columns that are (numerically) linear combinations of earlier ones: R's NA coefficients.

    Examples
    --------
    >>> X = np.column_stack([np.ones(5), np.arange(5.0), 2 * np.arange(5.0) + 1e-12])
    >>> aliased_columns(X)
    [2]
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    out: list[int] = []
    Q = np.empty((n, 0))
    for j in range(p):
        x = X[:, j]
        norm = float(np.linalg.norm(x))
        if norm == 0.0 or not np.isfinite(norm):
            out.append(j)
            continue
        r = x - Q @ (Q.T @ x)
        r = r - Q @ (Q.T @ r)  # re-orthogonalise (classical Gram-Schmidt twice is stable)
        rn = float(np.linalg.norm(r))
        if rn < tol * norm:
            out.append(j)
        else:
            Q = np.column_stack([Q, r / rn])
    return out


#: a QR pivot at least this fraction of its column's norm leaves no doubt about the rank rule (1e-7)
CLEAR_PIVOT = 1e-4


def clearly_full_rank(X: np.ndarray, R: np.ndarray | None = None) -> bool:
    """True when :func:`check_rank` would keep every column of ``X``, decided by one QR (its fast path).

    The rank rule drops a column whose part orthogonal to the earlier columns has a norm below
    ``1e-7`` of its own norm; that part's norm is ``|R_jj|`` of a QR factorisation. When every
    ``|R_jj|`` is at least :data:`CLEAR_PIVOT` (a thousand times the tolerance, far beyond any
    rounding difference between the two factorisations) the answer is certain; anything else
    (a near-collinear design, a zero or non-finite column, as many columns as rows) returns False
    and :func:`aliased_columns` decides (and names the aliased columns). ``R`` is the triangular
    factor of ``X`` when the caller already has it (:func:`ols_checked`).
    """
    n, p = X.shape
    if p == 0 or p >= n:
        return False
    with np.errstate(invalid="ignore", over="ignore"):
        norms = np.sqrt(np.einsum("ij,ij->j", X, X))
        if R is None:
            R = np.asarray(np.linalg.qr(X, mode="r"))  # mode "r": R only
        pivots = np.abs(np.diagonal(R))
        # strict: a zero column (0 > 0), an infinite or NaN one (comparisons with inf/NaN) abstain
        return bool((pivots > CLEAR_PIVOT * norms).all())


def check_rank(X: np.ndarray, names: Sequence[str], *, what: str, drop: bool = False,
               can_drop: bool = False) -> list[int]:
    """Indices of the columns to keep; raise :class:`RankDeficiencyError` naming aliased columns.

    With ``drop=True`` the aliased columns are dropped with a :class:`RankDeficiencyWarning`;
    ``can_drop`` says the caller offers ``drop_aliased=True`` (the message then suggests it).
    Also refuses designs with at least as many columns as rows.

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [1.0, 2, 3, 4], [2.0, 4, 6, 8]])
    >>> check_rank(X, ["(Intercept)", "x", "x2"], what="demo")
    Traceback (most recent call last):
    ...
    neuroimmune_stats.exceptions.RankDeficiencyError: demo: the design is rank deficient; column(s) ['x2'] are ...
    """
    n, p = X.shape
    if p >= n:
        raise RankDeficiencyError(
            f"{what}: {p} parameters but only {n} complete cases; at least {p + 1} subjects are needed "
            "(fewer terms or more data).")
    if clearly_full_rank(np.asarray(X, dtype=float)):  # the common case, without the column-by-column pass
        return list(range(p))
    bad = aliased_columns(X)
    if not bad:
        return list(range(p))
    shown = [names[j] for j in bad]
    if not drop:
        raise RankDeficiencyError(
            f"{what}: the design is rank deficient; column(s) {shown} are constant or collinear with earlier "
            "terms among the complete cases. Remove the term(s)" + (" or pass drop_aliased=True." if can_drop else "."))
    warnings.warn(f"{what}: dropped aliased column(s) {shown} (constant or collinear).",
                  RankDeficiencyWarning, stacklevel=3)
    return [j for j in range(p) if j not in bad]


@dataclass(frozen=True)
class OLSFit:
    """Coefficients, residuals and the pieces every covariance estimator needs."""

    coef: np.ndarray
    residuals: np.ndarray
    fitted: np.ndarray
    rss: float
    df_residual: int
    sigma: float
    xtx_inv: np.ndarray

    def vcov(self, X: np.ndarray, hc: str | None = None) -> np.ndarray:
        """Classical ``σ² (X'X)⁻¹`` or the sandwich of type ``hc`` (R ``sandwich::vcovHC``)."""
        if hc is None:
            return self.sigma**2 * self.xtx_inv
        return hc_vcov(X, self.residuals, hc, xtx_inv=self.xtx_inv)


def ols(X: np.ndarray, y: np.ndarray) -> OLSFit:
    """Least squares by Householder QR (the design has passed :func:`check_rank`).

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0.0, 1, 2, 3]])
    >>> fit = ols(X, np.array([1.0, 3, 5, 7]))
    >>> np.round(fit.coef, 12).tolist()
    [1.0, 2.0]
    """
    Q, R = np.linalg.qr(X)
    return _ols_qr(X, y, Q, R)


def ols_checked(X: np.ndarray, y: np.ndarray, names: Sequence[str], *, what: str) -> OLSFit:
    """:func:`check_rank` (which raises for a rank-deficient design), then :func:`ols`, from one QR.

    The QR of the fit decides the rank rule's fast path (:func:`clearly_full_rank`); only a design
    it cannot clear goes through the column-by-column rule. The same decision and the same
    numbers as the two calls, one factorisation fewer.

    Examples
    --------
    >>> X = np.column_stack([np.ones(4), [0.0, 1, 2, 3]])
    >>> np.round(ols_checked(X, np.array([1.0, 3, 5, 7]), ["(Intercept)", "x"], what="demo").coef, 12).tolist()
    [1.0, 2.0]
    """
    X = np.asarray(X, dtype=float)
    n, p = X.shape
    if not 0 < p < n:
        check_rank(X, names, what=what)  # raises for p >= n; p = 0 has nothing to check
        return ols(X, y)
    Q, R = np.linalg.qr(X)
    if not clearly_full_rank(X, R):
        check_rank(X, names, what=what)
    return _ols_qr(X, y, Q, R)


def _ols_qr(X: np.ndarray, y: np.ndarray, Q: np.ndarray, R: np.ndarray) -> OLSFit:
    n, p = X.shape
    coef = np.linalg.solve(R, Q.T @ y)
    fitted = X @ coef
    resid = y - fitted
    rss = float(resid @ resid)
    df = n - p
    Rinv = np.linalg.inv(R)
    sigma = float(np.sqrt(rss / df)) if df > 0 else float("nan")
    return OLSFit(coef=coef, residuals=resid, fitted=fitted, rss=rss, df_residual=df, sigma=sigma,
                  xtx_inv=Rinv @ Rinv.T)


def hc_vcov(X: np.ndarray, residuals: np.ndarray, kind: str, *, xtx_inv: np.ndarray | None = None) -> np.ndarray:
    """Heteroscedasticity-consistent covariance, exactly as R ``sandwich::vcovHC(fit, type=...)``.

    ``kind`` ∈ hc0 (White), hc1 (× n/(n − p)), hc2 (÷ (1 − h)), hc3 (÷ (1 − h)²), hc4
    (÷ (1 − h)^δ, δ = min(4, n·h/p)). Written here rather than taken from statsmodels because
    statsmodels has no HC4 and its import costs ~1 s; agreement with R is tested to 1e-10.

    Examples
    --------
    >>> X = np.column_stack([np.ones(6), np.arange(6.0)])
    >>> e = np.array([0.5, -1.0, 0.2, 0.3, -0.4, 0.4])
    >>> bool(np.all(np.diag(hc_vcov(X, e, "hc3")) > np.diag(hc_vcov(X, e, "hc0"))))
    True
    """
    key = str(kind).lower()
    if key not in HC_TYPES:
        from ..exceptions import SpecificationError

        raise SpecificationError(f"hc must be one of {', '.join(map(repr, HC_TYPES))} or None; got {kind!r}.")
    n, p = X.shape
    B = np.linalg.inv(X.T @ X) if xtx_inv is None else xtx_inv
    e2 = np.asarray(residuals, dtype=float) ** 2
    h = np.einsum("ij,jk,ik->i", X, B, X)
    if key == "hc0":
        omega = e2
    elif key == "hc1":
        omega = e2 * n / (n - p)
    elif key == "hc2":
        omega = e2 / (1 - h)
    elif key == "hc3":
        omega = e2 / (1 - h) ** 2
    else:
        delta = np.minimum(4.0, n * h / p)
        omega = e2 / (1 - h) ** delta
    meat = (X * omega[:, None]).T @ X
    return B @ meat @ B


__all__ = ["CLEAR_PIVOT", "HC_TYPES", "RANK_TOL", "HCType", "OLSFit", "aliased_columns", "check_rank",
           "clearly_full_rank", "hc_vcov", "ols", "ols_checked"]
