"""The one resampling engine: seeds, chunk/worker invariance, strata, Dask."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats._rng import check_rng, child_seeds, int_seed, seed_sequence
from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.resampling import BLOCK, draw, resample, resample_chunks

X = np.arange(20.0) ** 1.5


def mean_stat(idx: np.ndarray) -> np.ndarray:
    return X[idx].mean(axis=1)


@pytest.mark.parametrize("seed", [0, 123, np.int64(5)])
def test_rng_accepts_all_seed_types(seed) -> None:
    a = check_rng(seed).random(3)
    b = check_rng(seed).random(3)
    np.testing.assert_array_equal(a, b)


def test_rng_generator_and_none() -> None:
    g = np.random.default_rng(1)
    s1, s2 = seed_sequence(g), seed_sequence(g)
    assert s1.entropy != s2.entropy  # a Generator advances, as users expect
    assert seed_sequence(None).entropy != seed_sequence(None).entropy
    assert len(child_seeds(3, 4)) == 4 and 0 <= int_seed(3) < 2**32
    for bad in (-1, 1.5, "x", True):
        with pytest.raises(SpecificationError):
            seed_sequence(bad)


@pytest.mark.parametrize("kind", ["bootstrap", "permutation"])
def test_results_do_not_depend_on_chunking_or_workers(kind) -> None:
    ref = resample(mean_stat, 20, 1000, kind=kind, seed=7)
    assert ref.shape == (1000,)
    for chunk in (1, 64, 100, 5000):
        np.testing.assert_array_equal(resample(mean_stat, 20, 1000, kind=kind, seed=7, chunk_size=chunk), ref)
    np.testing.assert_array_equal(resample(mean_stat, 20, 1000, kind=kind, seed=7, n_jobs=2, chunk_size=128), ref)
    assert not np.array_equal(resample(mean_stat, 20, 1000, kind=kind, seed=8), ref)


def test_permutations_are_permutations_and_respect_strata() -> None:
    rng = check_rng(1)
    p = draw("permutation", 10, 50, rng)
    assert (np.sort(p, axis=1) == np.arange(10)).all()
    strata = np.array([0, 0, 0, 1, 1, 1, 1, 2, 2, 2])
    idx = resample(lambda i: i, 10, 300, kind="permutation", strata=strata, seed=2)
    assert (strata[idx] == strata).all()  # nobody leaves their block
    assert len({tuple(r) for r in idx}) > 100


def test_bootstrap_indices_and_strata() -> None:
    idx = resample(lambda i: i, 12, 500, seed=3)
    assert idx.min() >= 0 and idx.max() < 12
    strata = np.repeat([0, 1], 6)
    sidx = resample(lambda i: i, 12, 500, seed=3, strata=strata)
    assert (strata[sidx] == strata).all()
    # bootstrap mean of the mean is unbiased within Monte Carlo error
    m = resample(mean_stat, 20, 4000, seed=4)
    assert abs(m.mean() - X.mean()) < 4 * X.std() / np.sqrt(20) / np.sqrt(4000) * 1.2


def test_reducing_statistic_and_memory_budget() -> None:
    calls = []

    def count(idx: np.ndarray) -> int:
        calls.append(idx.shape[0])
        return int((X[idx].mean(axis=1) > X.mean()).sum())

    chunks = resample_chunks(count, 20, 10 * BLOCK + 5, seed=1, max_bytes=BLOCK * 20 * 8 * 2)
    assert sum(calls) == 10 * BLOCK + 5 and max(calls) <= 2 * BLOCK
    assert sum(chunks) == int((resample(mean_stat, 20, 10 * BLOCK + 5, seed=1) > X.mean()).sum())


def test_bad_arguments() -> None:
    with pytest.raises(SpecificationError):
        resample(mean_stat, 20, 0)
    with pytest.raises(SpecificationError):
        resample(mean_stat, 20, 10, kind="jackknife")  # type: ignore[arg-type]
    with pytest.raises(SpecificationError):
        resample(mean_stat, 20, 10, strata=[1, 2])


def test_dask_cluster_gives_identical_numbers() -> None:
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    import joblib

    ref = resample(mean_stat, 20, 2000, seed=11, chunk_size=256)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        with joblib.parallel_backend("dask"):
            got = resample(mean_stat, 20, 2000, seed=11, chunk_size=256)
    np.testing.assert_array_equal(got, ref)


def test_analyses_on_a_dask_cluster_match_the_local_run(example) -> None:
    """mediate bootstraps and permutation tests give identical numbers on a Dask LocalCluster."""
    distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
    import warnings

    import joblib

    import neuroimmune_stats as nis

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        med = nis.mediate(example, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=600, seed=3).tidy()
        perm = nis.permutation_test(example, ["suvr_s1", "suvr_thalamus"], covariates=["protocol"],
                                    n_permutations=300, blocks="protocol", seed=3).tidy()
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                      dashboard_address=None) as cluster, distributed.Client(cluster):
            with joblib.parallel_backend("dask"):
                med_d = nis.mediate(example, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=600, seed=3).tidy()
                perm_d = nis.permutation_test(example, ["suvr_s1", "suvr_thalamus"], covariates=["protocol"],
                                              n_permutations=300, blocks="protocol", seed=3).tidy()
    pd.testing.assert_frame_equal(med, med_d)
    pd.testing.assert_frame_equal(perm, perm_d)


# ------------------------------------------------------------------ Besag–Clifford sequential p-values
def _two_group(seed: int, n: int = 16):
    """A null data set (no group difference) and its |mean difference| statistic under label permutation."""
    x = np.random.default_rng(seed).standard_normal(n)
    lab = np.repeat([0.0, 1.0], n // 2)

    def stat(idx: np.ndarray) -> np.ndarray:
        g = lab[idx]
        return np.abs((x * g).sum(axis=1) - (x * (1 - g)).sum(axis=1)) / (n // 2)

    return stat, float(stat(np.arange(n)[None])[0])


def test_sequential_p_value_is_the_fixed_test_prefix_and_batch_free() -> None:
    from neuroimmune_stats.resampling import sequential_p_value

    stat, obs = _two_group(0)
    nulls = resample(stat, 16, 999, kind="permutation", seed=4)
    exceed = nulls >= obs - 1e-10 * max(1.0, abs(obs))
    for h in (1, 5, 20):
        res = sequential_p_value(stat, obs, 16, h=h, n_max=999, seed=4, batch=7)
        assert res == sequential_p_value(stat, obs, 16, h=h, n_max=999, seed=4, batch=300)
        cum = np.cumsum(exceed)
        if cum[-2] >= h:  # the h-th exceedance comes before the last draw: early stop at it
            L = int(np.argmax(cum >= h)) + 1
            assert res.stopped_early and res.n_draws == L and res.p_value == h / L
        else:
            assert not res.stopped_early and res.p_value == (exceed.sum() + 1) / 1000


def test_sequential_p_value_runs_to_the_cap_for_extreme_statistics() -> None:
    from neuroimmune_stats.resampling import sequential_p_value

    stat, obs = _two_group(1)
    res = sequential_p_value(stat, obs + 100.0, 16, h=10, n_max=500, seed=2)
    assert (res.n_draws, res.exceedances, res.stopped_early, res.p_value) == (500, 0, False, 1 / 501)
    with pytest.raises(SpecificationError, match="h"):
        sequential_p_value(stat, obs, 16, h=0)
    with pytest.raises(SpecificationError, match="observed"):
        sequential_p_value(stat, float("nan"), 16)


def test_sequential_p_value_is_uniform_under_the_null() -> None:
    """P(p ≤ α) ≤ α (within Monte Carlo error) on 400 null data sets, and the early stops save draws."""
    from neuroimmune_stats.resampling import sequential_p_value

    n_sim = 400
    ps, used = [], []
    for s in range(n_sim):
        stat, obs = _two_group(100 + s)
        r = sequential_p_value(stat, obs, 16, h=5, n_max=199, seed=s, batch=64)
        ps.append(r.p_value)
        used.append(r.n_draws)
    ps_arr = np.array(ps)
    for alpha in (0.05, 0.1, 0.25, 0.5):
        se = np.sqrt(alpha * (1 - alpha) / n_sim)
        rate = np.mean(ps_arr <= alpha)
        assert rate <= alpha + 3 * se          # valid
        assert rate >= alpha - 3 * se - 0.03   # and not grossly conservative (p is discrete)
    assert np.mean(used) < 0.25 * 199          # under the null most runs stop after about h / p draws


@pytest.mark.parametrize("n", [1, 2, 54, 255, 256, 1009])
def test_int32_bootstrap_draws_are_the_int64_draws(n: int) -> None:
    """The unstratified bootstrap draws int32 indices: numpy's bounded integers below 2**32 come from the
    same 32-bit stream for either width, so they are the int64 numbers (which earlier versions drew)."""
    idx = draw("bootstrap", n, 300, np.random.default_rng(n))
    assert idx.dtype == np.int32
    np.testing.assert_array_equal(idx, np.random.default_rng(n).integers(0, n, size=(300, n)))
    assert draw("bootstrap", 6, 10, np.random.default_rng(1), [np.arange(3), np.arange(3, 6)]).dtype == np.int64


@pytest.mark.parametrize("high", [100_003, 2**31 - 1])
def test_numpy_bounded_int32_stream_is_the_int64_stream(high: int) -> None:
    """The numpy property the int32 draws rely on, up to the largest range int32 output can hold."""
    np.testing.assert_array_equal(np.random.default_rng(7).integers(0, high, size=5000, dtype=np.int32),
                                  np.random.default_rng(7).integers(0, high, size=5000))
