"""Rubin's rules, the Barnard–Rubin degrees of freedom and the D1 multivariate Wald test, as R ``mice``.

Internal formulas, each written after the R function it reproduces (tests compare with R to 1e-8):

* :func:`rubin` — ``mice:::pool.fitlist`` (rule ``"rubin1987"``): ``qbar``, ``ubar``, ``b``,
  ``t = ubar + (1 + 1/m) b``, ``df = barnard.rubin(m, b, t, dfcom)``, ``riv``, ``lambda``,
  ``fmi = (riv + 2/(df + 3)) / (riv + 1)``.
* :func:`barnard_rubin` — ``mice:::barnard.rubin`` (λ floored at 1e-4).
* :func:`d1` — ``mice::D1`` → ``mitml:::.D1`` (Li, Raghunathan & Rubin 1991; Reiter 2007
  small-sample denominator df when the complete-data df is known).

References
----------
Rubin DB (1987). Multiple Imputation for Nonresponse in Surveys. Wiley.
Barnard J, Rubin DB (1999). Small-sample degrees of freedom with multiple imputation.
Biometrika 86:948–955.
Reiter JP (2007). Small-sample degrees of freedom for multi-component significance tests with
multiple imputation for missing data. Biometrika 94:502–508.
van Buuren S (2018). Flexible Imputation of Missing Data, 2nd ed., ch. 5. CRC Press.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from ..exceptions import SpecificationError


def barnard_rubin(m: int, b: np.ndarray, t: np.ndarray, dfcom: float = np.inf) -> np.ndarray:
    """Barnard–Rubin (1999) degrees of freedom, exactly as ``mice:::barnard.rubin``.

    Examples
    --------
    >>> float(barnard_rubin(5, np.array(0.0), np.array(1.0), np.inf)[()])  # λ floored at 1e-4
    400000000.0
    """
    b = np.asarray(b, dtype=float)
    t = np.asarray(t, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lam = (1 + 1 / m) * b / t
    lam = np.where(lam < 1e-4, 1e-4, lam)
    dfold = (m - 1) / lam**2
    if np.isinf(dfcom):
        return dfold
    dfobs = (dfcom + 1) / (dfcom + 3) * dfcom * (1 - lam)
    return dfold * dfobs / (dfold + dfobs)


@dataclass(frozen=True)
class Pooled:
    """Rubin's rules for p parameters (arrays of length p)."""

    m: int
    estimate: np.ndarray
    ubar: np.ndarray
    b: np.ndarray
    t: np.ndarray
    dfcom: float
    df: np.ndarray
    riv: np.ndarray
    lam: np.ndarray
    fmi: np.ndarray

    @property
    def std_error(self) -> np.ndarray:
        return np.sqrt(self.t)

    @property
    def statistic(self) -> np.ndarray:
        with np.errstate(divide="ignore", invalid="ignore"):
            return self.estimate / self.std_error

    @property
    def p_value(self) -> np.ndarray:
        return 2 * special.stdtr(self.df, -np.abs(self.statistic))

    def conf_int(self, conf_level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
        q = special.stdtrit(self.df, 0.5 + conf_level / 2)
        return self.estimate - q * self.std_error, self.estimate + q * self.std_error


def rubin(estimates: np.ndarray, variances: np.ndarray, dfcom: float = np.inf) -> Pooled:
    """Pool ``m`` estimates of ``p`` parameters (arrays ``(m, p)``) and their squared SEs.

    ``dfcom`` is the complete-data degrees of freedom (``np.inf`` for large-sample statistics),
    as the argument of ``mice::pool``.

    Examples
    --------
    >>> q = np.array([[1.0], [1.2], [0.9]])
    >>> u = np.array([[0.04], [0.05], [0.04]])
    >>> p = rubin(q, u, dfcom=20)
    >>> round(float(p.estimate[0]), 4), round(float(p.t[0]), 5)
    (1.0333, 0.07444)
    """
    q = np.atleast_2d(np.asarray(estimates, dtype=float))
    u = np.atleast_2d(np.asarray(variances, dtype=float))
    if q.shape != u.shape:
        raise SpecificationError(f"rubin: estimates {q.shape} and variances {u.shape} differ in shape.")
    m = q.shape[0]
    if m < 2:
        raise SpecificationError(f"rubin: need at least 2 imputations; got {m}.")
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    b = q.var(axis=0, ddof=1)
    t = ubar + (1 + 1 / m) * b
    df = barnard_rubin(m, b, t, dfcom)
    with np.errstate(divide="ignore", invalid="ignore"):
        riv = (1 + 1 / m) * b / ubar
        lam = (1 + 1 / m) * b / t
    fmi = (riv + 2 / (df + 3)) / (riv + 1)
    return Pooled(m, qbar, ubar, b, t, float(dfcom), df, riv, lam, fmi)


@dataclass(frozen=True)
class D1:
    """Pooled multivariate Wald test (``mice::D1``): ``F`` on ``df1 = k`` and ``df2`` df."""

    F: float
    df1: int
    df2: float
    riv: float

    @property
    def p_value(self) -> float:
        return float(special.fdtrc(self.df1, self.df2, self.F))


def d1(estimates: np.ndarray, vcovs: np.ndarray, dfcom: float | None = None) -> D1:
    """D1 test that the ``k`` parameters are all zero, as ``mitml:::.D1`` (called by ``mice::D1``).

    ``estimates`` (m, k), ``vcovs`` (m, k, k); ``dfcom`` the complete-data residual df (None for
    the large-sample denominator df).

    Examples
    --------
    >>> q = np.array([[1.0], [1.2], [0.9], [1.1], [1.0]])
    >>> u = np.full((5, 1, 1), 0.04)
    >>> t = rubin(q, u[:, 0], dfcom=20)
    >>> bool(np.isclose(d1(q, u, 20).F, float(t.statistic[0]) ** 2))
    True
    """
    q = np.asarray(estimates, dtype=np.float64)
    u = np.asarray(vcovs, dtype=np.float64)
    m, k = q.shape
    if m < 2:
        raise SpecificationError(f"D1: need at least 2 imputations; got {m}.")
    qbar = q.mean(axis=0)
    ubar = u.mean(axis=0)
    bmat = np.atleast_2d(np.cov(q, rowvar=False, ddof=1))
    r = (1 + 1 / m) * float(np.trace(bmat @ np.linalg.inv(ubar))) / k
    ttilde = (1 + r) * ubar
    val = float(qbar @ np.linalg.solve(ttilde, qbar)) / k
    t = np.float64(k * (m - 1))  # numpy floats: mitml's Inf/NaN for tiny m instead of an exception
    r = np.float64(r)
    with np.errstate(divide="ignore", invalid="ignore"):
        v = _d1_df(t, r, k, dfcom)
    return D1(val, k, float(v), float(r))


def _d1_df(t: np.float64, r: np.float64, k: int, dfcom: float | None) -> np.float64:
    """Denominator df of D1 (``mitml:::.D1``)."""
    if dfcom is not None and np.isfinite(dfcom):
        a = r * t / (t - 2)
        vstar = ((dfcom + 1) / (dfcom + 3)) * dfcom
        c0 = 1 / (t - 4)
        c1 = vstar - 2 * (1 + a)
        c2 = vstar - 4 * (1 + a)
        z = (1 / c2 + c0 * (a**2 * c1 / ((1 + a) ** 2 * c2))
             + c0 * (8 * a**2 * c1 / ((1 + a) * c2**2) + 4 * a**2 / ((1 + a) * c2))
             + c0 * (4 * a**2 / (c2 * c1) + 16 * a**2 * c1 / c2**3) + c0 * (8 * a**2 / c2**2))
        return 4 + 1 / z
    if t > 4:
        return 4 + (t - 4) * (1 + (1 - 2 / t) / r) ** 2
    return t * (1 + 1 / k) * (1 + 1 / r) ** 2 / 2


def fisher_z(r: np.ndarray, n: np.ndarray, k: int = 0) -> Pooled:
    """Correlations pooled on Fisher's z: ``z = atanh r``, within variance ``1/(n − 3 − k)``,
    Rubin's rules with the Barnard–Rubin df at ``dfcom = ∞`` (``mice::pool.scalar(z, u)``).

    ``r`` and ``n`` are (m, p) arrays; ``k`` the number of partialled-out covariates (columns).
    """
    r = np.atleast_2d(np.asarray(r, dtype=float))
    n = np.broadcast_to(np.asarray(n, dtype=float), r.shape)
    return rubin(np.arctanh(r), 1.0 / (n - 3 - k), dfcom=np.inf)


__all__ = ["D1", "Pooled", "barnard_rubin", "d1", "fisher_z", "rubin"]
