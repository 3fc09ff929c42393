"""Monte Carlo power of the bootstrap test of an indirect effect a×b (Fritz & MacKinnon 2007 design).

Each simulated data set follows the standardised single-mediator model of Fritz & MacKinnon (2007):
X ~ N(0, 1), M = aX + e_M, Y = c′X + bM + e_Y with independent N(0, 1) errors (and, optionally, k
independent N(0, 1) covariates entered in every equation with zero effects, so they cost degrees of
freedom only). The data set is analysed as :func:`~neuroimmune_stats.mediate` analyses data (the
same resamples, OLS paths and interval, ``mediation.intervals``); the test rejects when the interval
of a×b excludes 0. Chunks of simulations are computed in one vectorised pass (:mod:`.mediation_sim`,
checked against the per-simulation reference that runs ``mediation._engine.Engine`` through
:func:`~neuroimmune_stats.resampling.resample`). Simulation ``i`` draws its data and its resamples
from the ``i``-th child of the analysis seed (:mod:`.simulation`), so the numbers do not depend on
``n_jobs`` and every n uses the same random numbers (common random numbers make the power curve
smooth and the n search stable).

Examples
--------
>>> res = power_mediation(0.59, 0.59, n=[20, 40], n_sims=40, n_boot=200, seed=1)
>>> res.tidy()["n"].tolist()
[20, 40]
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._dist import nct_cdf, nct_sf, t_isf
from .._params import check_choice, check_int, check_probability
from .._rng import SeedLike, analysis_seed
from ..exceptions import SpecificationError
from .mediation_sim import _BatchSimulation
from .power import _ns
from .result import PILOT_NOTE, PowerResult
from .simulation import run_batched

WHERE = "power_mediation"

#: largest n the target search considers
N_MAX_SEARCH = 20_000


def joint_significance_power(a: float, b: float, n: int, k: int, alpha: float) -> float:
    """Approximate power of the joint significance test (both t tests), a starting point for the search."""
    def two_sided(ncp: float, df: int) -> float:
        tc = t_isf(alpha / 2, df)
        return float(nct_sf(tc, df, ncp) + nct_cdf(-tc, df, ncp))

    return two_sided(a * math.sqrt(n), n - 2 - k) * two_sided(b * math.sqrt(n), n - 3 - k)


def _evaluate(n: int, a: float, b: float, c_prime: float, k: int, ci: str, alpha: float, n_boot: int,
              n_sims: int, root: np.random.SeedSequence, n_jobs: int, progress: bool) -> tuple[float, float]:
    sim = _BatchSimulation(n, a, b, c_prime, k, ci, 1 - alpha, n_boot)
    hits = run_batched(sim, n_sims, root, n_jobs=n_jobs, progress=progress, desc=f"{WHERE} n={n}")
    p = float(np.mean(hits))
    return p, math.sqrt(p * (1 - p) / n_sims)


def _search(power: Any, target: float, start: int, lo_min: int) -> None:
    """Bracket the crossing of ``target`` from ``start`` (steps of 25%), then bisect on integers.

    ``power(n)`` evaluates and records the Monte Carlo power at n; nothing is returned (the
    recorded rows are the result).
    """
    n = max(start, lo_min)
    if power(n) >= target:
        hi = n
        while hi > lo_min:
            lo = max(lo_min, int(hi / 1.25))
            if power(lo) < target:
                break
            hi = lo
        else:
            return
    else:
        lo = n
        hi = math.ceil(n * 1.25) + 1
        while power(hi) < target:
            lo, hi = hi, math.ceil(hi * 1.25) + 1
            if hi > N_MAX_SEARCH:
                raise SpecificationError(
                    f"{WHERE}: power {target:g} is not reached for n <= {N_MAX_SEARCH:,}; the indirect effect "
                    "is too small for a feasible study (or give n to evaluate).")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if power(mid) >= target:
            hi = mid
        else:
            lo = mid


def _check_path(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating) \
            or not math.isfinite(float(value)):
        raise SpecificationError(f"{WHERE}: {name} must be a finite number (a standardised path); got {value!r}.")
    return float(value)


def power_mediation(
    a: float,
    b: float,
    c_prime: float = 0.0,
    n: int | Sequence[int] | None = None,
    ci: str = "percentile",
    n_boot: int = 1000,
    n_sims: int = 1000,
    alpha: float = 0.05,
    target: float | None = None,
    seed: SeedLike = None,
    n_jobs: int = 1,
    covariates: int = 0,
    progress: bool = True,
) -> PowerResult:
    """Monte Carlo power of the bootstrap test of the indirect effect a×b at one or many n.

    Parameters
    ----------
    a, b, c_prime : float
        Standardised paths of the Fritz & MacKinnon (2007) design: X ~ N(0, 1), M = aX + e,
        Y = c′X + bM + e with N(0, 1) errors (0.14, 0.39 and 0.59 are their small, medium and
        large effects).
    n : int or list of int, optional
        Sample size(s) to evaluate. With ``target`` too, the result's ``n`` is the smallest of
        these reaching it; with ``target`` alone, n is searched.
    ci : {"percentile", "bc", "bca"}, default="percentile"
        Bootstrap interval of the test, as in :func:`~neuroimmune_stats.mediate`.
    n_boot : int, default=1000
        Bootstrap resamples per simulated data set.
    n_sims : int, default=1000
        Simulated data sets per n (Monte Carlo SE of a power near 0.8: ≈ 0.013).
    alpha : float, default=0.05
        Level of the test (the interval has conf_level 1 − alpha).
    target : float, optional
        Power to reach: the smallest n whose estimated power reaches it is searched (starting
        from the joint-significance approximation, then bisection); every evaluated n is a row.
    seed : int, Generator, SeedSequence or None
        The same seed gives the same numbers at any ``n_jobs``.
    n_jobs : int, default=1
        Parallel workers (joblib) over simulated data sets.
    covariates : int, default=0
        Number of (independent, zero-effect) covariates adjusted for in every equation.
    progress : bool, default=True
        A progress bar per n, only when stderr is a terminal.

    Returns
    -------
    PowerResult
        ``.tidy()`` (``n``, ``power``, ``mc_se`` = √(p(1 − p)/n_sims)), ``.n``, ``.power``,
        ``.plot()`` (power curve with 95% Monte Carlo bands), ``.seed``.

    See Also
    --------
    power_mediation.from_result : the same for the paths of a fitted :func:`mediate` result.

    Notes
    -----
    Checked against Fritz & MacKinnon (2007, Table 3: n for .8 power): at their published n the
    power is 0.80 within Monte Carlo error for the percentile and bias-corrected bootstrap
    (``tests/test_power_mediation.py``). The n found with ``target`` inherits the Monte Carlo
    error of the power estimates (a crossing of the estimated curve); raise ``n_sims`` to sharpen it.

    References
    ----------
    Fritz MS, MacKinnon DP (2007). Required sample size to detect the mediated effect.
    Psychological Science 18:233–239.

    Examples
    --------
    >>> res = power_mediation(0.59, 0.59, n=40, n_sims=50, n_boot=200, seed=3)
    >>> res.n, 0 <= res.power <= 1
    (40, True)
    """
    a, b, c_prime = _check_path(a, "a"), _check_path(b, "b"), _check_path(c_prime, "c_prime")
    ci = check_choice(ci, ("percentile", "bc", "bca"), where=WHERE, name="ci",
                      aliases={"perc": "percentile", "bca.simple": "bc"})
    n_boot = check_int(n_boot, where=WHERE, name="n_boot", minimum=2)
    n_sims = check_int(n_sims, where=WHERE, name="n_sims", minimum=1)
    alpha = check_probability(alpha, where=WHERE, name="alpha")
    k = check_int(covariates, where=WHERE, name="covariates", minimum=0)
    n_jobs = check_int(n_jobs, where=WHERE, name="n_jobs", minimum=-64)
    if target is not None:
        target = check_probability(target, where=WHERE, name="target")
    if n is None and target is None:
        raise SpecificationError(f"{WHERE}: give n (power at that n) or target (the smallest n reaching it).")
    lo_min = k + 5
    ns = None if n is None else _ns(n, lo_min, WHERE)
    if ns is None and a * b == 0:
        raise SpecificationError(f"{WHERE}: the indirect effect a*b is 0, so power stays near the type I error "
                                 f"and no n reaches target={target:g}.")
    root = analysis_seed(seed, WHERE)
    rows: dict[int, tuple[float, float]] = {}

    def power(v: int) -> float:
        if v not in rows:
            rows[v] = _evaluate(v, a, b, c_prime, k, ci, alpha, n_boot, n_sims, root, n_jobs, progress)
        return rows[v][0]

    if ns is not None:
        for v in ns:
            power(v)
    else:
        assert target is not None
        from .power import smallest_n

        start = smallest_n(lambda v: joint_significance_power(a, b, v, k, alpha), target, lo_min + 1, WHERE)
        _search(power, target, start, lo_min)
    table = pd.DataFrame([{"n": v, "power": p, "mc_se": se} for v, (p, se) in rows.items()])
    settings = {"a": a, "b": b, "c_prime": c_prime, "covariates": k, "ci": ci, "n_boot": n_boot,
                "n_sims": n_sims, "alpha": alpha}
    method = (f"Monte Carlo, {n_sims} simulated data sets per n (Fritz & MacKinnon 2007 design); "
              f"{ci} bootstrap interval of a*b, {n_boot} resamples")
    return PowerResult("mediation", table, settings=settings, method=method, target=target, seed=seed)


def standardised_paths(result: Any) -> dict[str, float]:
    """The a, b and c′ of a fitted simple mediation on the scale of the Fritz & MacKinnon design.

    a_std = a·SD(X | C)/σ_M, b_std = b·σ_M/σ_Y, c′_std = c′·SD(X | C)/σ_Y, where σ_M and σ_Y are the
    residual SDs of the mediator and outcome equations and SD(X | C) the residual SD of X given the
    covariates, which equals σ_M / (SE(a)·√(n − 1 − k)) (k covariate columns).
    """
    fm = result.fits[f"m:{result.mediators[0]}"]
    fy = result.fits["y"]
    ja, jb, jc = fm.index(result.x), fy.index(result.mediators[0]), fy.index(result.x)
    k = len(fm.names) - 2
    sig_m, sig_y = math.sqrt(fm.sigma2), math.sqrt(fy.sigma2)
    sd_x = sig_m / (float(fm.se[ja]) * math.sqrt(result.n - 1 - k))
    return {"a": float(fm.coef[ja]) * sd_x / sig_m, "b": float(fy.coef[jb]) * sig_m / sig_y,
            "c_prime": float(fy.coef[jc]) * sd_x / sig_y, "covariates": float(k)}


def from_result(
    result: Any,
    n: int | Sequence[int] | None = None,
    *,
    target: float | None = None,
    ci: str | None = None,
    n_boot: int = 1000,
    n_sims: int = 1000,
    alpha: float | None = None,
    seed: SeedLike = None,
    n_jobs: int = 1,
    progress: bool = True,
) -> PowerResult:
    """Power of the same mediation analysis at new n, using a fitted result's estimates (planning).

    Planning from pilot estimates, **not post-hoc power**: the standardised paths of ``result``
    (see :func:`standardised_paths`) are taken as the true effects of a new study with the same
    number of covariate columns, and the power of :func:`power_mediation` is computed at ``n``
    (or the smallest n reaching ``target``; default target 0.8 when ``n`` is not given). The number
    of covariates simulated is the number of covariate columns of the mediator equation.

    Parameters
    ----------
    result : MediationResult
        A simple mediation (one mediator) from :func:`~neuroimmune_stats.mediate`.
    n, target, n_boot, n_sims, seed, n_jobs, progress
        As :func:`power_mediation`.
    ci : str, optional
        Interval of the test; default the result's (``result.ci``).
    alpha : float, optional
        Default 1 − ``result.conf_level``.

    Returns
    -------
    PowerResult
        With ``.pilot`` (where the effects came from) and a ``.note`` saying this is planning from
        pilot estimates.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=3).dropna(subset=["fss"])
    >>> fit = nis.mediate(df, x="suvr_s1", m="fss", y="conn_s1__thalamus", n_boot=200, seed=1)
    >>> res = power_mediation.from_result(fit, n=100, n_sims=20, n_boot=100, seed=1)
    >>> res.pilot["n"], res.n
    (35, 100)
    """
    mediators = getattr(result, "mediators", None)
    if mediators is None or not hasattr(result, "fits"):
        raise SpecificationError(f"{WHERE}.from_result: result must be a MediationResult from mediate(); "
                                 f"got {type(result).__name__}.")
    if type(result).__name__ != "MediationResult":
        raise SpecificationError(f"{WHERE}.from_result: planning is implemented for simple mediation "
                                 f"(a MediationResult); got a {type(result).__name__}.")
    if len(mediators) != 1 or getattr(result, "serial", False):
        raise SpecificationError(f"{WHERE}.from_result: planning is implemented for one mediator; the result "
                                 f"has {len(mediators)} ({', '.join(mediators)}).")
    paths = standardised_paths(result)
    if target is None and n is None:
        target = 0.8
    pilot = {"x": result.x, "m": mediators[0], "y": result.y, "n": int(result.n), "a": paths["a"],
             "b": paths["b"], "c_prime": paths["c_prime"]}
    res = power_mediation(paths["a"], paths["b"], paths["c_prime"], n=n, ci=ci or result.ci, n_boot=n_boot,
                          n_sims=n_sims, alpha=1 - result.conf_level if alpha is None else alpha, target=target,
                          seed=seed, n_jobs=n_jobs, covariates=int(paths["covariates"]), progress=progress)
    res.pilot = pilot
    res.note = (f"{PILOT_NOTE}\nPilot: {result.x} -> {mediators[0]} -> {result.y}, n = {result.n}; standardised "
                f"a = {paths['a']:.3f}, b = {paths['b']:.3f}, c' = {paths['c_prime']:.3f}.")
    res.method = "planning from pilot estimates; " + res.method
    return res


power_mediation.from_result = from_result  # type: ignore[attr-defined]

__all__ = ["from_result", "joint_significance_power", "power_mediation", "standardised_paths"]
