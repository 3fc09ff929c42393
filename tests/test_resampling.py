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
