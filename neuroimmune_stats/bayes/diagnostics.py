"""Rank-normalised split R-hat and bulk ESS (Vehtari et al. 2021), ArviZ 0.23's formulas in numpy.

Why not ``arviz.rhat``/``arviz.ess``: importing ArviZ loads matplotlib, xarray and scipy.stats
(1-2 s on an idle machine, more than the whole NUTS run), and every ``bayes_mediate`` call needs
the diagnostics for its convergence warning. The functions below follow
``arviz.stats.diagnostics._rhat_rank`` and ``_ess_bulk`` line by line (split chains, Blom rank
normalisation, FFT autocovariance, Geyer's initial positive and monotone sequences) and are tested
equal to ArviZ to 1e-10 (tests/test_bayes_nuts.py).

Examples
--------
>>> import numpy as np
>>> x = np.random.default_rng(0).standard_normal((4, 500))
>>> bool(abs(rhat(x) - 1) < 0.01), bool(1500 < ess_bulk(x) < 2500)
(True, True)
"""

from __future__ import annotations

import numpy as np
from scipy.fft import next_fast_len
from scipy.special import ndtri

from .._dist import average_ranks


def _split(ary: np.ndarray) -> np.ndarray:
    half = ary.shape[1] // 2
    return np.vstack([ary[:, :half], ary[:, -half:]])


def _z_scale(ary: np.ndarray) -> np.ndarray:
    flat = ary.ravel()
    ranks = average_ranks(flat)  # ties get their average rank (scipy.stats.rankdata(method="average"))
    return ndtri((ranks - 0.375) / (flat.size + 0.25)).reshape(ary.shape)


def _rhat_basic(ary: np.ndarray) -> float:
    n = ary.shape[1]
    between = n * np.var(ary.mean(axis=1), ddof=1)
    within = np.mean(np.var(ary, axis=1, ddof=1))
    return float(np.sqrt((between / within + n - 1) / n))


def rhat(ary: np.ndarray) -> float:
    """Rank-normalised split R-hat of ``(chains, draws)`` draws (max of bulk and tail); NaN if undefined."""
    ary = np.asarray(ary, dtype=float)
    if ary.ndim != 2 or ary.shape[0] < 2 or ary.shape[1] < 4 or not np.all(np.isfinite(ary)):
        return np.nan
    split = _split(ary)
    folded = np.abs(split - np.median(split))
    return max(_rhat_basic(_z_scale(split)), _rhat_basic(_z_scale(folded)))


def _ess(ary: np.ndarray) -> float:
    if np.max(ary) - np.min(ary) < np.finfo(float).resolution:
        return float(ary.size)
    n_chain, n_draw = ary.shape
    m = next_fast_len(2 * n_draw)
    c = ary - ary.mean(axis=1, keepdims=True)
    f = np.fft.rfft(c, n=m, axis=1)
    acov = np.fft.irfft(f * np.conjugate(f), n=m, axis=1)[:, :n_draw] / n_draw
    mean_var = np.mean(acov[:, 0]) * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus += np.var(ary.mean(axis=1), ddof=1)
    acov_mean = acov.mean(axis=0)
    rho = np.zeros(n_draw)
    even, odd = 1.0, 1.0 - (mean_var - acov_mean[1]) / var_plus
    rho[0], rho[1] = even, odd
    t = 1
    while t < n_draw - 3 and even + odd > 0.0:
        even = 1.0 - (mean_var - acov_mean[t + 1]) / var_plus
        odd = 1.0 - (mean_var - acov_mean[t + 2]) / var_plus
        if even + odd >= 0:
            rho[t + 1], rho[t + 2] = even, odd
        t += 2
    max_t = t - 2
    if even > 0:
        rho[max_t + 1] = even
    t = 1
    while t <= max_t - 2:
        if rho[t + 1] + rho[t + 2] > rho[t - 1] + rho[t]:
            rho[t + 1] = rho[t + 2] = (rho[t - 1] + rho[t]) / 2.0
        t += 2
    n_total = n_chain * n_draw
    tau = -1.0 + 2.0 * np.sum(rho[: max_t + 1]) + np.sum(rho[max_t + 1 : max_t + 2])
    tau = max(tau, 1 / np.log10(n_total))
    return np.nan if np.isnan(rho).any() else float(n_total / tau)


def ess_bulk(ary: np.ndarray) -> float:
    """Bulk effective sample size of ``(chains, draws)`` draws (rank-normalised, split chains)."""
    ary = np.asarray(ary, dtype=float)
    if ary.ndim != 2 or ary.shape[1] < 4 or not np.all(np.isfinite(ary)):
        return np.nan
    return _ess(_z_scale(_split(ary)))


def hdi(samples: np.ndarray, prob: float = 0.95) -> tuple[float, float]:
    """Narrowest interval holding ``prob`` of the draws (ArviZ's ``hdi`` for unimodal draws)."""
    x = np.sort(np.asarray(samples, dtype=float).ravel())
    x = x[np.isfinite(x)]
    n = x.size
    if n == 0:
        return (np.nan, np.nan)
    m = int(np.floor(prob * n))
    if m >= n:
        return (float(x[0]), float(x[-1]))
    widths = x[m:] - x[: n - m]
    i = int(np.argmin(widths))
    return (float(x[i]), float(x[i + m]))



__all__ = ["ess_bulk", "hdi", "rhat"]
