"""Simulation with known moderation: coverage of the 95% interval of the index of moderated mediation
(PROCESS model 7, numeric W) and type I error of "the pathway differs" (index / indirect_difference
interval excludes 0) when W moderates nothing.

The unmarked tests are small versions (run in CI); the ``slow`` ones are the full simulation
(``pytest -m slow tests/test_moderation_coverage.py``). Acceptance bands are ±3 binomial Monte
Carlo standard errors around the nominal rate.

Full run (2026-12-02, 1000 replicates, 2000 resamples each): coverage of the index 0.944 (percentile)
and 0.946 (BC) at n = 150; type I error at n = 120 with no moderation 0.044 (percentile) / 0.053 (BC)
for a numeric W and 0.054 / 0.066 for a two-level factor W (indirect_difference).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats._rng import child_seeds
from neuroimmune_stats.mediation import mediate
from neuroimmune_stats.mediation.intervals import bca_interval, percentile_interval

A1, A3, B, CP = 0.4, 0.3, 0.5, 0.2


def _simulate(rng: np.random.Generator, n: int, a3: float, factor: bool) -> pd.DataFrame:
    x = rng.normal(size=n)
    w = (rng.random(n) < 0.5).astype(float) if factor else rng.normal(size=n)
    m = A1 * x + 0.3 * w + a3 * x * w + rng.normal(size=n)
    y = CP * x + B * m + rng.normal(size=n)
    df = pd.DataFrame({"x": x, "m": m, "y": y, "w": w})
    if factor:
        df["w"] = np.where(w > 0, "b", "a")
    return df


def _run(reps: int, n: int, a3: float, n_boot: int, seed: int, factor: bool = False) -> dict[str, np.ndarray]:
    """Per replicate: does the percentile / BC interval of the index cover A3·B, does it exclude 0?"""
    cover = {"percentile": [], "bc": []}
    excl = {"percentile": [], "bc": []}
    for s in child_seeds(seed, reps):
        df = _simulate(np.random.default_rng(s), n, a3, factor)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = mediate(df, "x", "m", "y", moderator="w", moderate=("a",), n_boot=n_boot, ci="percentile", seed=s)
        j = res._find("indirect_difference" if factor else "index_moderated_mediation")
        draws, est = res.draws[:, [j]], res.estimate[[j]]
        for ci, (lo, hi) in (("percentile", percentile_interval(draws, 0.95)), ("bc", bca_interval(draws, est, 0.95))):
            cover[ci].append(lo[0] <= a3 * B <= hi[0])
            excl[ci].append(lo[0] > 0 or hi[0] < 0)
    return {f"cover_{k}": np.mean(v) for k, v in cover.items()} | {f"excl_{k}": np.mean(v) for k, v in excl.items()}


def _band(p: float, reps: int) -> float:
    return 3 * np.sqrt(p * (1 - p) / reps)


def test_index_coverage_small() -> None:
    reps = 60
    out = _run(reps, n=150, a3=A3, n_boot=300, seed=11)
    assert abs(out["cover_percentile"] - 0.95) < _band(0.95, reps)


def test_type_one_error_no_moderation_small() -> None:
    reps = 60
    out = _run(reps, n=120, a3=0.0, n_boot=300, seed=12)
    assert abs(out["excl_percentile"] - 0.05) < _band(0.05, reps)
    out = _run(reps, n=120, a3=0.0, n_boot=300, seed=13, factor=True)
    assert abs(out["excl_percentile"] - 0.05) < _band(0.05, reps)


@pytest.mark.slow
def test_index_coverage_full() -> None:
    reps = 1000
    out = _run(reps, n=150, a3=A3, n_boot=2000, seed=21)
    assert abs(out["cover_percentile"] - 0.95) < _band(0.95, reps)
    assert abs(out["cover_bc"] - 0.95) < _band(0.95, reps) + 0.01


@pytest.mark.slow
def test_type_one_error_no_moderation_full() -> None:
    reps = 1000
    for seed, factor in ((22, False), (23, True)):
        out = _run(reps, n=120, a3=0.0, n_boot=2000, seed=seed, factor=factor)
        assert abs(out["excl_percentile"] - 0.05) < _band(0.05, reps)
