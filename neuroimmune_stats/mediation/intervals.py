"""Bootstrap confidence intervals: percentile, bias-corrected (BC) and BCa.

All functions work column-wise on a matrix of bootstrap draws (one column per effect), so every
effect of a mediation model gets its interval from the *same* resamples.

The definitions follow Efron & Tibshirani (1993, ch. 14) and match lavaan's
``parameterEstimates(boot.ci.type = "perc" | "bca.simple" | "bca")``:

* ``percentile``: the ``(1 - level)/2`` and ``(1 + level)/2`` quantiles of the draws;
* ``bc``: bias-corrected percentile interval (lavaan ``bca.simple``, Preacher & Hayes' "bias
  corrected"), quantile levels ``Φ(2 z0 + z_α)`` with ``z0 = Φ⁻¹(#{θ* < θ̂} / B)``;
* ``bca``: bias-corrected and accelerated, levels ``Φ(z0 + (z0 + z_α) / (1 − â (z0 + z_α)))``
  with the acceleration ``â`` from the jackknife (leave-one-out) estimates.

Examples
--------
>>> import numpy as np
>>> draws = np.random.default_rng(0).normal(1.0, 0.5, size=(4000, 1))
>>> lo, hi = percentile_interval(draws, 0.95)
>>> bool(abs(lo[0] - 0.02) < 0.1 and abs(hi[0] - 1.98) < 0.1)
True
"""

from __future__ import annotations

import numpy as np
from scipy import special

from ..exceptions import SpecificationError

CI_METHODS = ("percentile", "bc", "bca")


def check_ci(ci: str) -> str:
    """Normalise the CI method name (``"perc"`` and ``"bca.simple"`` accepted as lavaan aliases)."""
    aliases = {"perc": "percentile", "bca.simple": "bc", "bias-corrected": "bc"}
    key = aliases.get(str(ci).lower(), str(ci).lower())
    if key not in CI_METHODS:
        raise SpecificationError(
            f"ci must be one of {', '.join(map(repr, CI_METHODS))}; got {ci!r}."
        )
    return key


def check_level(conf_level: float) -> float:
    """``conf_level`` as a float strictly between 0 and 1."""
    try:
        level = float(conf_level)
    except (TypeError, ValueError) as exc:
        raise SpecificationError(f"conf_level must be a number in (0, 1); got {conf_level!r}.") from exc
    if not 0.0 < level < 1.0:
        raise SpecificationError(f"conf_level must be in (0, 1); got {conf_level!r}.")
    return level



def _by_column(draws: np.ndarray) -> tuple[np.ndarray, bool]:
    """A C-ordered copy of ``draws`` (B, p) transposed to (p, B), and whether every draw is finite.

    Reductions and partitions along a contiguous row are much cheaper than along a strided column;
    the copy is ours, so it may be partitioned in place. ``all_finite`` comes from one sum (a sum
    that overflows only sends finite draws down the general path, which gives the same values).
    """
    cols = np.array(np.asarray(draws, dtype=float).T, order="C")
    with np.errstate(over="ignore", invalid="ignore"):
        return cols, bool(np.isfinite(cols.sum()))


def _quantiles(draws: np.ndarray, probs: np.ndarray) -> np.ndarray:
    """Column-wise quantiles (R type 7, numpy's default) at per-column ``probs`` (shape (2, p)).

    Non-finite draws are ignored (moved to the end, in a copy made only when there are some). The
    order statistics come from one in-place sort of the transposed draws. A sort, not a partition:
    numpy's sort of floats is branch-free SIMD, while introselect mispredicts its branches on every
    new column; on 5000 fresh draws a sort took ~20 µs and a four-point partition ~60 µs on the
    2-core CI machine, and the sort was faster at every B from 10³ to 10⁶.
    """
    return _quantiles_by_column(*_by_column(draws), probs)


def _quantiles_by_column(cols: np.ndarray, all_finite: bool, probs: np.ndarray) -> np.ndarray:
    """:func:`_quantiles` of the transposed draws ``cols`` (p, B) from :func:`_by_column` (modified in place)."""
    p, b = cols.shape
    if all_finite:
        count = np.full(p, b)
        work = cols
    else:
        finite = np.isfinite(cols)
        count = finite.sum(axis=1)
        work = np.where(finite, cols, np.inf)
    with np.errstate(invalid="ignore"):
        h = (count - 1)[None, :] * np.clip(probs, 0.0, 1.0)
    ok = np.isfinite(h) & (count > 0)[None, :]
    h = np.where(ok, h, 0.0)
    lo = np.floor(h).astype(np.intp)
    hi = np.minimum(lo + 1, np.maximum(count - 1, 0)[None, :])
    frac = h - lo
    work.sort(axis=1)  # our copy (from _by_column, or the np.where above)
    rows = np.arange(p)[None, :]
    x_lo = work[rows, lo]
    x_hi = work[rows, hi]
    with np.errstate(invalid="ignore"):
        out = x_lo + frac * (x_hi - x_lo)
    return np.where(ok, np.where(frac == 0, x_lo, out), np.nan)


def bias_correction(draws: np.ndarray, estimate: np.ndarray) -> np.ndarray:
    """``z0 = Φ⁻¹(#{θ* < θ̂} / B)`` per column, clipped to ``±Φ⁻¹(1 − 1/(2B))``.

    The clip keeps the interval finite when every draw lies on one side of the estimate
    (lavaan would return an infinite bound there).
    """
    return _bias_correction_by_column(*_by_column(draws), estimate)


def _bias_correction_by_column(cols: np.ndarray, all_finite: bool, estimate: np.ndarray) -> np.ndarray:
    """:func:`bias_correction` of the transposed draws ``cols`` (p, B) from :func:`_by_column`."""
    est = np.asarray(estimate, dtype=float)[:, None]
    if all_finite:
        b = np.full(cols.shape[0], cols.shape[1])
        below = np.count_nonzero(cols < est, axis=1)
    else:
        finite = np.isfinite(cols)
        b = finite.sum(axis=1)
        below = np.count_nonzero((cols < est) & finite, axis=1)
    prop = np.clip(below / np.maximum(b, 1), 0.5 / np.maximum(b, 1), 1 - 0.5 / np.maximum(b, 1))
    return special.ndtri(prop)


def acceleration(jackknife: np.ndarray) -> np.ndarray:
    """Jackknife acceleration ``â = Σ (θ̄ − θ₍ᵢ₎)³ / (6 [Σ (θ̄ − θ₍ᵢ₎)²]^{3/2})`` per column."""
    dev = np.nanmean(jackknife, axis=0)[None, :] - jackknife
    num = np.nansum(dev**3, axis=0)
    den = 6.0 * np.nansum(dev**2, axis=0) ** 1.5
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, 0.0)


def percentile_interval(draws: np.ndarray, conf_level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of each column of ``draws`` (shape (B, p))."""
    alpha = (1 - conf_level) / 2
    probs = np.repeat(np.array([[alpha], [1 - alpha]]), draws.shape[1], axis=1)
    q = _quantiles(draws, probs)
    return q[0], q[1]


def bca_interval(
    draws: np.ndarray,
    estimate: np.ndarray,
    conf_level: float,
    jackknife: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """BC interval (``jackknife=None``) or BCa interval (jackknife estimates, shape (n, p))."""
    cols, all_finite = _by_column(draws)  # one transposed copy serves the counts and the order statistics
    z0 = _bias_correction_by_column(cols, all_finite, estimate)
    za = special.ndtri(np.array([(1 - conf_level) / 2, (1 + conf_level) / 2]))[:, None]
    a = np.zeros_like(z0) if jackknife is None else acceleration(jackknife)
    with np.errstate(invalid="ignore", divide="ignore"):
        probs = special.ndtr(z0 + (z0 + za) / (1 - a * (z0 + za)))
    q = _quantiles_by_column(cols, all_finite, probs)
    return q[0], q[1]


def interval(
    method: str,
    draws: np.ndarray,
    estimate: np.ndarray,
    conf_level: float,
    jackknife: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Dispatch to the interval of ``method`` (``percentile``, ``bc`` or ``bca``)."""
    method = check_ci(method)
    if method == "percentile":
        return percentile_interval(draws, conf_level)
    if method == "bc":
        return bca_interval(draws, estimate, conf_level)
    if jackknife is None:
        raise SpecificationError("the BCa interval needs the jackknife estimates.")
    return bca_interval(draws, estimate, conf_level, jackknife)


__all__ = [
    "CI_METHODS",
    "acceleration",
    "bca_interval",
    "bias_correction",
    "check_ci",
    "check_level",
    "interval",
    "percentile_interval",
]
