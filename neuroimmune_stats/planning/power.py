"""Closed-form power: the group F test of an ANCOVA and the test of a correlation (R ``pwr``).

:func:`power_ancova` is R ``pwr::pwr.f2.test`` with ``u = groups − 1`` and ``v = n − groups −
covariates`` (noncentral F, λ = f²(u + v + 1) = f²(n − covariates)); :func:`power_correlation` is
``pwr::pwr.r.test`` (Fisher-z approximation) or, with ``method="exact"``, the exact power of the t test
of a Pearson correlation for bivariate normal data. Both accept ``target=`` and then return the smallest
n whose power reaches it. Checked against R on a grid of settings (``tests/reference/power_pwr.R``).

Examples
--------
>>> round(power_ancova(0.25, n=100).power, 4)
0.6969
>>> power_ancova(0.5, effect_type="d", target=0.8).n
128
>>> power_correlation(0.3, target=0.8).n
85
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import integrate, special

from .._dist import ncf_sf, t_isf
from .._params import check_choice, check_int, check_positive, check_probability
from ..exceptions import SpecificationError
from .result import PowerResult

#: largest n the target searches consider
N_MAX = 10_000_000

ALTERNATIVES = ("two-sided", "less", "greater")
_ALT_ALIASES = {"two.sided": "two-sided", "two_sided": "two-sided", "two sided": "two-sided"}


def _ns(n: Any, minimum: int, where: str) -> list[int]:
    """``n`` as a non-empty list of integers >= ``minimum``."""
    items = [n] if np.ndim(n) == 0 else list(np.asarray(n).ravel())
    if not items:
        raise SpecificationError(f"{where}: n must be an integer or a non-empty list of integers; got {n!r}.")
    out = []
    for v in items:
        v = v.item() if isinstance(v, np.generic) else v
        out.append(check_int(v, where=where, name="n", minimum=minimum))
    return out


def smallest_n(power: Callable[[int], float], target: float, lo: int, where: str, n_max: int = N_MAX) -> int:
    """Smallest integer n >= ``lo`` with ``power(n) >= target`` for a power increasing in n.

    Doubling to bracket, then bisection on integers.
    """
    if power(lo) >= target:
        return lo
    hi = max(lo + 1, 2 * lo)
    while power(hi) < target:
        lo, hi = hi, 2 * hi
        if hi > n_max:
            raise SpecificationError(
                f"{where}: power {target:g} is not reached for any n <= {n_max:,} (is the effect 0?)."
            )
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power(mid) >= target:
            hi = mid
        else:
            lo = mid
    return hi


def _result(analysis: str, power: Callable[[np.ndarray], np.ndarray], ns: list[int] | None, target: float | None,
            lo: int, where: str, settings: dict[str, Any], method: str, curve_points: int = 60) -> PowerResult:
    """Evaluate ``power`` (vectorised over n) at ``ns`` or at the n reaching ``target``, plus a curve."""
    if ns is None:
        assert target is not None
        ns = [smallest_n(lambda v: float(power(np.array([v]))[0]), target, lo, where)]
    rows = pd.DataFrame({"n": ns, "power": power(np.asarray(ns)), "mc_se": 0.0})
    top = max(max(ns), lo + 10)
    grid = np.unique(np.linspace(lo, 1.5 * top, curve_points).round().astype(int))
    curve = pd.DataFrame({"n": grid, "power": power(grid), "mc_se": 0.0})
    return PowerResult(analysis, rows, settings=settings, method=method, target=target, curve=curve)


def _check_n_target(n: Any, target: Any, where: str) -> float | None:
    if target is not None:
        target = check_probability(target, where=where, name="target")
    if n is None and target is None:
        raise SpecificationError(f"{where}: give n (power at that n) or target (the smallest n reaching it).")
    return target


# ---------------------------------------------------------------------------------------- ANCOVA
def ancova_power(f2: float, n: Any, groups: int, covariates: int, alpha: float) -> Any:
    """Power of the F test with u = groups − 1, v = n − groups − covariates, λ = f²(n − covariates).

    Vectorised over ``n``.
    """
    u = groups - 1
    v = np.asarray(n, dtype=float) - groups - covariates
    crit = special.fdtri(u, v, 1 - alpha)
    if f2 == 0:  # scipy's ncf.sf is wrong at zero noncentrality; the central F is exact there
        return special.fdtrc(u, v, crit)
    return ncf_sf(crit, u, v, f2 * (u + v + 1))


def power_ancova(
    effect: float,
    n: int | Sequence[int] | None = None,
    groups: int = 2,
    covariates: int = 0,
    covariate_r2: float = 0.0,
    alpha: float = 0.05,
    target: float | None = None,
    effect_type: str = "f",
) -> PowerResult:
    """Exact power of the group F test in an ANCOVA (noncentral F), as R ``pwr::pwr.f2.test``.

    Parameters
    ----------
    effect : float
        Cohen's f of the group effect (partial: adjusted for the covariates), or Cohen's d with
        ``effect_type="d"`` (two groups; f = d / 2, balanced groups).
    n : int or list of int, optional
        Total sample size(s). With ``target`` too, the result's ``n`` is the smallest of these
        reaching it.
    groups : int, default=2
        Number of groups (numerator df u = groups − 1).
    covariates : int, default=0
        Number of covariate columns (dummy columns of factor covariates count one each).
    covariate_r2 : float, default=0.0
        R² of the outcome on the covariates when ``effect`` is the *unadjusted* effect: f² is divided
        by (1 − R²). Leave 0 when ``effect`` is already the partial (adjusted) f.
    alpha : float, default=0.05
    target : float, optional
        Power to reach (e.g. 0.8): the result's ``n`` is the smallest n with power ≥ target.
    effect_type : {"f", "d"}, default="f"

    Returns
    -------
    PowerResult
        ``.tidy()`` (``n``, ``power``, ``mc_se`` = 0), ``.n``, ``.power``, ``.plot()`` (power curve).

    Notes
    -----
    ``pwr.f2.test(u = groups − 1, v = n − groups − covariates, f2 = f²/(1 − covariate_r2))``:
    noncentrality λ = f²(u + v + 1) = f²(n − covariates), critical value the upper α quantile of
    F(u, v). For two equal groups f² = d²/4 (Cohen 1988). pwr's λ uses u + v + 1 = n − covariates
    (Cohen's convention), slightly larger than the λ = f²(n − ...) of some other programs; the results
    equal ``pwr`` (validated on a grid, ``tests/reference/power_pwr.R``).

    Examples
    --------
    >>> res = power_ancova(0.25, n=[60, 120], covariates=2)
    >>> res.tidy()["power"].round(4).tolist()
    [0.4647, 0.7683]
    """
    where = "power_ancova"
    effect_type = check_choice(effect_type, ("f", "d"), where=where, name="effect_type")
    eff = check_positive(effect, where=where, name="effect", allow_zero=True)
    groups = check_int(groups, where=where, name="groups", minimum=2)
    covariates = check_int(covariates, where=where, name="covariates", minimum=0)
    r2 = float(covariate_r2)
    if not 0.0 <= r2 < 1.0:
        raise SpecificationError(f"{where}: covariate_r2 must be a number in [0, 1); got {covariate_r2!r}.")
    alpha = check_probability(alpha, where=where, name="alpha")
    target = _check_n_target(n, target, where)
    if effect_type == "d":
        if groups != 2:
            raise SpecificationError(f"{where}: effect_type='d' needs groups=2; got groups={groups}. Give f.")
        eff = eff / 2
    f2 = eff**2 / (1 - r2)
    lo = groups + covariates + 1
    ns = None if n is None else _ns(n, lo, where)
    settings = {"f": eff, "groups": groups, "covariates": covariates, "covariate_r2": r2, "alpha": alpha}
    return _result("ancova", lambda v: ancova_power(f2, v, groups, covariates, alpha), ns, target, lo, where,
                   settings, "noncentral F, lambda = f^2 (n - covariates) (R pwr::pwr.f2.test)")


# ----------------------------------------------------------------------------------- correlation
def _crit_r(n: int, alpha: float, tails: int) -> float:
    """Critical |r| of the t test of a correlation at level alpha (per tail alpha / tails)."""
    t = t_isf(alpha / tails, n - 2)
    return float(np.sqrt(t**2 / (t**2 + n - 2)))


def correlation_power_pwr(r: float, n: Any, alpha: float, alternative: str) -> Any:
    """``pwr::pwr.r.test``: Fisher z of r with the bias term r / (2(n − 1)), SE 1/√(n − 3) (vectorised)."""
    n = np.asarray(n, dtype=float)
    tails = 2 if alternative == "two-sided" else 1
    t = t_isf(alpha / tails, n - 2)
    rc = np.sqrt(t**2 / (t**2 + n - 2))
    zr = np.arctanh(r) + r / (2 * (n - 1))
    zrc = np.arctanh(rc)
    s = np.sqrt(n - 3)
    if alternative == "two-sided":
        return special.ndtr((zr - zrc) * s) + special.ndtr((-zr - zrc) * s)
    if alternative == "greater":
        return special.ndtr((zr - zrc) * s)
    return special.ndtr((-zr - zrc) * s)


def r_density(x: np.ndarray | float, rho: float, n: int) -> np.ndarray | float:
    """Exact density of Pearson's r for n bivariate normal pairs with correlation ``rho``.

    Hotelling's (1953) form: (n − 2) Γ(n − 1) (1 − ρ²)^((n−1)/2) (1 − r²)^((n−4)/2) /
    (√(2π) Γ(n − ½) (1 − ρr)^(n − 3/2)) · ₂F₁(½, ½; n − ½; (1 + ρr)/2).
    """
    lg = special.gammaln
    c = np.log(n - 2) + lg(n - 1) - 0.5 * np.log(2 * np.pi) - lg(n - 0.5)
    log_d = c + (n - 1) / 2 * np.log1p(-rho**2) + (n - 4) / 2 * np.log1p(-np.square(x)) \
        - (n - 1.5) * np.log1p(-rho * np.asarray(x))
    return np.exp(log_d) * special.hyp2f1(0.5, 0.5, n - 0.5, (1 + rho * np.asarray(x)) / 2)


def correlation_power_exact(r: float, n: int, alpha: float, alternative: str) -> float:
    """Exact power of the t test of H0: ρ = 0 for bivariate normal data with correlation ``r``.

    The t test rejects when |r| exceeds r_c = √(t²/(t² + n − 2)) (t the critical value on n − 2
    df); the power is the probability of that region under the exact density of r
    (:func:`r_density`), by adaptive quadrature.
    """
    tails = 2 if alternative == "two-sided" else 1
    rc = _crit_r(n, alpha, tails)

    def mass(a: float, b: float) -> float:
        pts = [r] if a < r < b else None
        val, _ = integrate.quad(r_density, a, b, args=(r, n), epsabs=1e-13, epsrel=1e-11, limit=200, points=pts)
        return float(val)

    if alternative == "greater":
        return mass(rc, 1.0)
    if alternative == "less":
        return mass(-1.0, -rc)
    return mass(rc, 1.0) + mass(-1.0, -rc)


def power_correlation(
    r: float,
    n: int | Sequence[int] | None = None,
    alpha: float = 0.05,
    target: float | None = None,
    method: str = "pwr",
    alternative: str = "two-sided",
) -> PowerResult:
    """Power of the test of a Pearson correlation, as R ``pwr::pwr.r.test`` (or exact).

    Parameters
    ----------
    r : float
        True correlation (−1 < r < 1).
    n : int or list of int, optional
        Sample size(s) (n ≥ 4).
    alpha : float, default=0.05
    target : float, optional
        Power to reach: the result's ``n`` is the smallest n with power ≥ target.
    method : {"pwr", "exact"}, default="pwr"
        ``"pwr"``: what ``pwr.r.test`` computes (critical r of the t test, Fisher z of r with the
        bias term r/(2(n−1)), normal approximation). ``"exact"``: the exact power of the t test for
        bivariate normal data.
    alternative : {"two-sided", "greater", "less"}, default="two-sided"
        (``"two.sided"`` accepted as R spells it.)

    Returns
    -------
    PowerResult

    Examples
    --------
    >>> round(power_correlation(0.3, n=50).power, 4)
    0.5716
    >>> round(power_correlation(0.3, n=50, method="exact").power, 4)
    0.5722
    """
    where = "power_correlation"
    method = check_choice(method, ("pwr", "exact"), where=where, name="method")
    alternative = check_choice(alternative, ALTERNATIVES, where=where, name="alternative", aliases=_ALT_ALIASES)
    if isinstance(r, bool) or not isinstance(r, int | float | np.floating) or not -1.0 < float(r) < 1.0:
        raise SpecificationError(f"{where}: r must be a number strictly between -1 and 1; got {r!r}.")
    r = float(r)
    alpha = check_probability(alpha, where=where, name="alpha")
    target = _check_n_target(n, target, where)
    lo = 4
    ns = None if n is None else _ns(n, lo, where)
    if method == "pwr":
        def fn(v: np.ndarray) -> np.ndarray:
            return correlation_power_pwr(r, v, alpha, alternative)
    else:
        def fn(v: np.ndarray) -> np.ndarray:
            return np.array([correlation_power_exact(r, int(k), alpha, alternative) for k in np.ravel(v)])
    settings = {"r": r, "alpha": alpha, "alternative": alternative, "method": method}
    text = ("Fisher z approximation (R pwr::pwr.r.test)" if method == "pwr"
            else "exact power of the t test (bivariate normal)")
    if target is not None and (r == 0 or (alternative == "greater" and r < 0) or (alternative == "less" and r > 0)):
        raise SpecificationError(f"{where}: power {target:g} cannot be reached with r = {r:g} "
                                 f"and alternative={alternative!r}.")
    return _result("correlation", fn, ns, target, lo, where, settings, text,
                   curve_points=60 if method == "pwr" else 25)


__all__ = ["ancova_power", "correlation_power_exact", "correlation_power_pwr", "power_ancova",
           "power_correlation", "smallest_n"]
