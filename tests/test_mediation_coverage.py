"""Simulation with known paths: coverage of the 95% percentile and BCa intervals of a·b, and the
bias-corrected interval's liberal type I error at small n (Fritz, Taylor & MacKinnon 2012).

The unmarked test is a small version (runs in CI); the ``slow`` ones are the full simulation
(``pytest -m slow tests/test_mediation_coverage.py``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats._rng import child_seeds
from neuroimmune_stats.mediation.intervals import bca_interval, percentile_interval


def _run(reps: int, n: int, a: float, b: float, n_boot: int, seed: int) -> dict[str, np.ndarray]:
    """Per replicate: does each interval of a·b contain the true a·b / exclude zero?"""
    cover = {"percentile": [], "bc": [], "bca": []}
    exclude0 = {"percentile": [], "bc": [], "bca": []}
    for s in child_seeds(seed, reps):
        rng = np.random.default_rng(s)
        x = rng.normal(size=n)
        m = a * x + rng.normal(size=n)
        y = 0.2 * x + b * m + rng.normal(size=n)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = nis.mediate(pd.DataFrame({"x": x, "m": m, "y": y}), "x", "m", "y",
                              n_boot=n_boot, ci="bca", seed=s)
        j = [i for i, lab in enumerate(res.labels) if lab.term == "indirect"]
        draws, est = res.draws[:, j], res.estimate[j]
        ints = {
            "percentile": percentile_interval(draws, 0.95),
            "bc": bca_interval(draws, est, 0.95),
            "bca": bca_interval(draws, est, 0.95, res.jackknife[:, j]),
        }
        for k, (lo, hi) in ints.items():
            cover[k].append(lo[0] <= a * b <= hi[0])
            exclude0[k].append(lo[0] > 0 or hi[0] < 0)
    return {**{f"cover_{k}": np.mean(v) for k, v in cover.items()},
            **{f"reject_{k}": np.mean(v) for k, v in exclude0.items()}}


def _mc_band(p: float, reps: int, k: float = 3.5) -> float:
    return k * np.sqrt(p * (1 - p) / reps)


def test_coverage_small_version() -> None:
    reps = 120
    out = _run(reps, n=80, a=0.39, b=0.39, n_boot=800, seed=2022)
    for method in ("percentile", "bca"):
        assert abs(out[f"cover_{method}"] - 0.95) <= _mc_band(0.95, reps) + 0.01, out


@pytest.mark.slow
def test_coverage_full() -> None:
    reps = 1000
    out = _run(reps, n=100, a=0.39, b=0.39, n_boot=2000, seed=7)
    for method in ("percentile", "bca"):
        assert abs(out[f"cover_{method}"] - 0.95) <= _mc_band(0.95, reps), out


@pytest.mark.slow
def test_bc_is_liberal_at_small_n() -> None:
    """a = 0, b large, n = 50: the BC interval rejects H0: a·b = 0 more often than percentile."""
    reps = 1000
    out = _run(reps, n=50, a=0.0, b=0.59, n_boot=2000, seed=11)
    assert out["reject_percentile"] <= 0.05 + _mc_band(0.05, reps), out
    assert out["reject_bc"] > out["reject_percentile"], out
