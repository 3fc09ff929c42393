"""mediate on imputed data (MI Boot pooled sample); the MAR simulation is in test_missing_mar.py."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.mediation.intervals import interval
from neuroimmune_stats.missing import impute
from neuroimmune_stats.missing.pool_mediation import mediate_imputed


@pytest.fixture(scope="module")
def imp():  # type: ignore[no-untyped-def]
    cols = ["suvr_s1", "conn_s1__thalamus", "fss", "wpi", "sss", "paindetect", "protocol"]
    return impute(nis.load_example(), columns=cols, m=5, seed=3)


def test_pooled_draws_and_point_estimate(imp) -> None:  # type: ignore[no-untyped-def]
    res = mediate_imputed(imp, "suvr_s1", "fss", "conn_s1__thalamus", covariates="protocol", n_boot=400, seed=9)
    assert res.n == 54 and res.m == 5 and res.draws.shape[0] == 5 * 400
    td = res.tidy()
    assert {"fmi", "m"} <= set(td.columns) and (td["m"] == 5).all() and (td["n"] == 54).all()
    ind = td.query("term == 'indirect'").iloc[0]
    per = [r.effect("indirect") for r in res.results]
    assert ind.estimate == pytest.approx(np.mean(per))
    j = next(i for i, lab in enumerate(res.labels) if lab.term == "indirect")
    lo, hi = interval("bc", res.draws[:, [j]], np.array([np.mean(per)]), 0.95)
    assert (ind.conf_low, ind.conf_high) == pytest.approx((lo[0], hi[0]))
    assert ind.std_error == pytest.approx(np.std(res.draws[:, j], ddof=1))
    a = td.query("term == 'a'").iloc[0]  # paths: Rubin's rules
    assert a.estimate == pytest.approx(np.mean([r.effect("a") for r in res.results]))
    assert 0 < a.fmi < 1 and np.isfinite(a.df) and a.df < 50
    assert "MI Boot" in res.summary()


def test_seed_reproducible_at_any_n_jobs(imp) -> None:  # type: ignore[no-untyped-def]
    r1 = mediate_imputed(imp, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=300, seed=4)
    from joblib import parallel_backend

    with parallel_backend("threading"):  # same code path as processes, without the worker start-up
        r2 = mediate_imputed(imp, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=300, seed=4, n_jobs=2)
    np.testing.assert_array_equal(r1.draws, r2.draws)
    r3 = mediate_imputed(imp, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=300, seed=5)
    assert not np.array_equal(r1.draws, r3.draws)


@pytest.mark.parametrize("kw", [
    {"covariates": "protocol", "ci": "bca"},                        # factor covariate, shared coding
    {"covariates": ["paindetect", "protocol"], "hc": "hc3"},        # an imputed covariate: per-imputation frame
    {"m": ["fss", "paindetect"], "serial": True, "conf_level": 0.9},
])
def test_shared_model_frame_gives_each_imputations_mediate(imp, kw) -> None:  # type: ignore[no-untyped-def]
    """Imputations after the first reuse its model frame; their numbers are those of mediate on each frame."""
    from neuroimmune_stats._rng import analysis_seed

    kw = dict(kw)
    med = kw.pop("m", "fss")
    res = mediate_imputed(imp, "suvr_s1", med, "conn_s1__thalamus", n_boot=200, seed=6, **kw)
    seeds = analysis_seed(6, "mediate_imputed").spawn(imp.m)
    for i, r in enumerate(res.results):
        one = nis.mediate(imp[i], "suvr_s1", med, "conn_s1__thalamus", n_boot=200, seed=seeds[i], **kw)
        np.testing.assert_array_equal(r.draws, one.draws)
        np.testing.assert_array_equal(r.estimate, one.estimate)
        pd.testing.assert_frame_equal(r.tidy(), one.tidy())


def test_imputations_made_elsewhere_same_numbers(imp) -> None:  # type: ignore[no-untyped-def]
    """Frames wrapped by from_frames (values read from the frames, not impute's arrays) give the same draws."""
    from neuroimmune_stats.missing import ImputedData

    other = ImputedData.from_frames(imp.frames, data=imp.data)
    a = mediate_imputed(imp, "suvr_s1", "fss", "conn_s1__thalamus", covariates="protocol", n_boot=100, seed=3)
    b = mediate_imputed(other, "suvr_s1", "fss", "conn_s1__thalamus", covariates="protocol", n_boot=100, seed=3)
    np.testing.assert_array_equal(a.draws, b.draws)
    assert other._numeric_values("fss") is not None and other._numeric_values("protocol") is None


def test_moderated_mediation_on_imputed_data(imp) -> None:  # type: ignore[no-untyped-def]
    res = mediate_imputed(imp, "suvr_s1", "fss", "conn_s1__thalamus", moderator="protocol", moderate=("a",),
                          n_boot=200, seed=1)
    td = res.tidy()
    ind = td[td.term == "indirect"]
    assert len(ind) == 2 and (td["n"] == 54).all() and {"fmi", "m"} <= set(td.columns)
    assert "index_moderated_mediation" in set(td.term)
    assert type(res).__mro__[1] is type(res.results[0])


def test_public_dispatch(imp) -> None:  # type: ignore[no-untyped-def]
    from neuroimmune_stats.exceptions import SpecificationError

    df = nis.load_example()
    res = nis.mediate(imp, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=100, seed=1)
    assert res.n == 54 and res.m == imp.m
    fiml = nis.mediate(df, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=50, seed=1, missing="fiml")
    assert fiml.n == 54 and "delta_std_error" in fiml.tidy()
    t1 = nis.table_one(imp, variables=["age", "fss"])
    assert (t1.tidy()["m"] == imp.m).all()
    with pytest.raises(SpecificationError, match="missing"):
        nis.mediate(df, "suvr_s1", "fss", "conn_s1__thalamus", missing="ml")
    with pytest.raises(SpecificationError, match="fiml"):
        nis.mediate(df, "suvr_s1", "fss", "conn_s1__thalamus", missing="fiml", moderator="protocol")
