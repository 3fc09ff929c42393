"""power_mediation's batched Monte Carlo (issue 19) against the per-simulation reference.

The batched path (``planning.mediation_sim._BatchSimulation``) must take the reference's decision
(``_Simulation``: mediate's Engine through resampling.resample and mediation.intervals) on every
simulated data set: same data, same resamples, same interval up to rounding. Decisions may only
differ for an interval whose bound is within 1e-12 of 0.
"""

from __future__ import annotations

import numpy as np
import pytest

from neuroimmune_stats._rng import analysis_seed
from neuroimmune_stats.planning import power_mediation
from neuroimmune_stats.planning.mediation_sim import (
    _BatchSimulation,
    _block_sizes,
    _paths,
    _pieces,
    _Simulation,
    _stream_words,
)
from neuroimmune_stats.planning.simulation import run_batched, run_simulations, sim_seed
from neuroimmune_stats.planning.streams import _Words, bounded_integers, child_states

#: bounds of the two paths agree to rounding (they solve the same least squares in another order)
BOUND_TOL = 1e-10
#: a decision may differ only when a bound is this close to 0
BOUNDARY = 1e-12


def _compare(n: int, k: int, ci: str, n_sims: int, n_boot: int, seed: int = 19, a: float = 0.39,
             b: float = 0.39, c_prime: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    root = analysis_seed(seed, "power_mediation")
    seeds = [sim_seed(root, i) for i in range(n_sims)]
    ref = _Simulation(n, a, b, c_prime, k, ci, 0.95, n_boot)
    expected = np.array([ref.bounds(s) for s in seeds])
    lo, hi = _BatchSimulation(n, a, b, c_prime, k, ci, 0.95, n_boot).bounds(seeds)
    np.testing.assert_allclose(lo, expected[:, 0], rtol=BOUND_TOL, atol=BOUND_TOL)
    np.testing.assert_allclose(hi, expected[:, 1], rtol=BOUND_TOL, atol=BOUND_TOL)
    ours = (lo > 0) | (hi < 0)
    theirs = (expected[:, 0] > 0) | (expected[:, 1] < 0)
    near = np.minimum(np.abs(expected[:, 0]), np.abs(expected[:, 1])) < BOUNDARY
    assert np.array_equal(ours[~near], theirs[~near])
    return ours, theirs


@pytest.mark.parametrize("ci", ["percentile", "bc", "bca"])
@pytest.mark.parametrize("k", [0, 2])
@pytest.mark.parametrize("n", [20, 80])
def test_batched_bounds_and_decisions_equal_the_reference(n: int, k: int, ci: str) -> None:
    # n_boot = 300: two seed blocks (256 + 44), as resample draws them
    ours, _ = _compare(n, k, ci, n_sims=30, n_boot=300)
    assert 0 < ours.sum() < ours.size  # both decisions occur, so the comparison has teeth


def test_batched_equals_reference_over_several_pieces() -> None:
    """n = 150: each seed block is drawn and counted as its own piece (more than PIECE indices together)."""
    assert len(_pieces(_block_sizes(300), 150)) == 2
    _compare(150, 1, "bca", n_sims=8, n_boot=300, a=0.2, b=0.2)


def test_batched_equals_reference_with_singular_resamples() -> None:
    """n = k + 5: many resamples repeat too few cases for the regressions; those sets go to the reference."""
    ours, theirs = _compare(6, 1, "bc", n_sims=20, n_boot=120, a=1.0, b=1.0)
    assert np.array_equal(ours, theirs)


def test_power_mediation_equals_the_reference_path() -> None:
    """The power estimates (the search's rows) are the reference's for the same seed."""
    kw = dict(n=[24, 40], ci="bc", n_boot=300, n_sims=60, seed=5, covariates=1)
    res = power_mediation(0.39, 0.59, progress=False, **kw).tidy()
    root = analysis_seed(5, "power_mediation")
    for n, p in zip(res["n"], res["power"], strict=True):
        ref = run_simulations(_Simulation(n, 0.39, 0.59, 0.0, 1, "bc", 0.95, 300), 60, root)
        assert p == np.mean(ref)


def test_run_batched_is_run_simulations_at_any_n_jobs() -> None:
    import joblib

    sim = _BatchSimulation(25, 0.5, 0.5, 0.0, 0, "percentile", 0.95, 100)
    root = np.random.SeedSequence(3)
    expected = run_simulations(_Simulation(25, 0.5, 0.5, 0.0, 0, "percentile", 0.95, 100), 37, root)
    assert run_batched(sim, 37, root) == expected
    assert run_batched(sim, 37, root, n_jobs=2, chunk=10) == expected
    with joblib.parallel_backend("threading", n_jobs=2):
        assert run_batched(sim, 37, root, chunk=4) == expected


def test_paths_flag_collinear_and_constant_regressors() -> None:
    rng = np.random.default_rng(0)
    z = rng.standard_normal((30, 4))
    z[:, 3] = 2 * z[:, 0] - z[:, 1]  # the covariate is a combination of x and m
    c = np.cov(z.T, bias=True)
    cov = [[np.array([c[i, j]]) for j in range(4)] for i in range(4)]
    assert _paths(cov, 1)[2].all()
    z[:, 3] = rng.standard_normal(30)
    c = np.cov(z.T, bias=True)
    cov = [[np.array([c[i, j]]) for j in range(4)] for i in range(4)]
    a, b, bad = _paths(cov, 1)
    assert not bad.any()
    # the slopes are OLS coefficients: m ~ x + c and y ~ x + m + c
    X = np.column_stack([np.ones(30), z[:, 0], z[:, 3]])
    assert a[0] == pytest.approx(np.linalg.lstsq(X, z[:, 1], rcond=None)[0][1], rel=1e-12)
    X = np.column_stack([np.ones(30), z[:, 0], z[:, 1], z[:, 3]])
    assert b[0] == pytest.approx(np.linalg.lstsq(X, z[:, 2], rcond=None)[0][2], rel=1e-12)
    cov[3][3] = np.array([0.0])  # a constant covariate
    assert _paths(cov, 1)[2].all()


@pytest.mark.parametrize("entropy", [0, 2022, 2**40 + 3, 2**127 + 99, [1, 2, 3], [5] * 6])
@pytest.mark.parametrize("prefix", [(), (123456789,), (4_000_000_000, 2)])
def test_child_states_are_numpys_seed_sequence(entropy: object, prefix: tuple[int, ...]) -> None:
    rng = np.random.default_rng(1)
    keys = rng.integers(0, 2**32, size=(6, 3))
    keys[:, 1] = 1  # a column shared by every key
    words = child_states(entropy, prefix, 4, keys)
    assert words is not None
    for row, w in zip(keys, words, strict=True):
        ss = np.random.SeedSequence(entropy, spawn_key=(*prefix, *map(int, row)))
        assert np.array_equal(w, ss.generate_state(4, np.uint64))
        assert np.random.PCG64(_Words(w)).state == np.random.PCG64(ss).state


def test_child_states_decline_what_they_do_not_cover() -> None:
    assert child_states(1.5, (), 4, np.zeros((2, 1), dtype=np.int64)) is None
    assert child_states(1, (), 4, np.full((2, 1), 2**32)) is None
    # seeds that are not siblings (different entropy) get NumPy's own streams
    seeds = [np.random.SeedSequence(1, spawn_key=(0,)), np.random.SeedSequence(2, spawn_key=(1,))]
    assert _stream_words(seeds, 2) is None
    ours = _BatchSimulation(20, 0.5, 0.5, 0.0, 0, "percentile", 0.95, 50)(seeds)
    assert ours == [_Simulation(20, 0.5, 0.5, 0.0, 0, "percentile", 0.95, 50)(s) for s in seeds]


@pytest.mark.parametrize("n", [2, 3, 36, 1000, 2**31 + 5])
def test_bounded_integers_are_numpys_integers(n: int) -> None:
    declined = 0
    for s in range(40):
        ss = np.random.SeedSequence(s)
        shape = (256, 3) if n > 100 else (256, n)
        other = np.random.SeedSequence(s, spawn_key=(1,))
        ours = bounded_integers([np.random.PCG64(ss), np.random.PCG64(other)], n, [shape[0], 7], shape[1])
        ref = np.concatenate([np.random.default_rng(ss).integers(0, n, size=shape),
                              np.random.default_rng(other).integers(0, n, size=(7, shape[1]))])
        if ours is None:
            declined += 1
        else:
            assert ours.dtype == ref.dtype and np.array_equal(ours, ref)
    # rejections (the only case it declines) are rare unless 2**32 mod n is a large share of 2**32
    assert declined == 0 if n < 2**20 else declined > 0
