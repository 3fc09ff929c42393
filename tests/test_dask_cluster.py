"""A real Dask cluster (two worker processes): identical numbers, large inputs sent once, no large-graph warning.

The large-graph threshold is lowered to 1 MB so that a ~1.3 MB input (which a cluster user would see
as "Large object ... detected in task graph" / "Sending large graph" at the default 10 MB with
bigger data) shows the problem in seconds; a control run without the scatter proves the check
detects it.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed", reason="the dask extra is not installed")
import dask  # noqa: E402
import joblib  # noqa: E402

import neuroimmune_stats as nis  # noqa: E402
from neuroimmune_stats import resampling  # noqa: E402
from neuroimmune_stats.resampling import resample  # noqa: E402

LARGE = ("large graph", "Large object")
N_OUT = 3000  # 54 × 3000 residuals: 1.3 MB


@pytest.fixture(scope="module")
def client():
    with dask.config.set({"distributed.admin.large-graph-warning-threshold": "1MB"}):
        with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                      dashboard_address=None) as cluster, distributed.Client(cluster) as c:
            yield c


@pytest.fixture(scope="module")
def wide():
    base = nis.simulate_cohort(seed=1)[["subject_id", "subtype", "protocol", "tspo_genotype"]]
    rng = np.random.default_rng(0)
    g = (base["subtype"] == "radicular").to_numpy(float)
    Y = rng.standard_normal((len(base), N_OUT)) + 0.4 * g[:, None]
    names = [f"y{i}" for i in range(N_OUT)]
    return pd.concat([base, pd.DataFrame(Y, columns=names, index=base.index)], axis=1), names


def _large_warnings(record) -> list[str]:
    return [str(w.message) for w in record if any(s in str(w.message) for s in LARGE)]


def test_permutation_test_on_cluster_identical_and_scattered_once(client, wide):
    df, names = wide
    kw = dict(covariates=["protocol", "tspo_genotype"], n_permutations=512, seed=5, chunk_size=256)
    ref = nis.permutation_test(df, names, **kw)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with joblib.parallel_backend("dask"):
            got = nis.permutation_test(df, names, **kw)
    assert _large_warnings(rec) == []
    pd.testing.assert_frame_equal(got.tidy(), ref.tidy())
    np.testing.assert_array_equal(got.null_max, ref.null_max)


def test_bootstrap_through_resample_on_cluster(client):
    big = np.random.default_rng(1).standard_normal((50, 6000))  # 2.4 MB held by the statistic

    def stat(idx: np.ndarray) -> np.ndarray:
        return big[idx, :3].mean(axis=1)

    ref = resample(stat, 50, 1024, seed=9, chunk_size=256)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with joblib.parallel_backend("dask"):
            got = resample(stat, 50, 1024, seed=9, chunk_size=256)
    assert _large_warnings(rec) == []
    np.testing.assert_array_equal(got, ref)


def test_without_the_scatter_the_graph_is_large(client, monkeypatch):
    """Control: pickling the statistic into every task does trigger the warning the tests above rule out."""
    big = np.random.default_rng(2).standard_normal((50, 6000))

    def stat(idx: np.ndarray) -> np.ndarray:
        return big[idx, :3].mean(axis=1)

    monkeypatch.setattr(resampling, "_scatter_once", lambda obj: obj)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        with joblib.parallel_backend("dask"):
            resample(stat, 50, 512, seed=9, chunk_size=256)
    assert _large_warnings(rec)
