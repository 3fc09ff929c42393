"""mediate(..., missing="fiml") against lavaan sem(..., missing = "ml.x") (tests/reference/fiml.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.missing.fiml import mediate_fiml

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "fiml.json").read_text())
COVS = {"simple": [], "covariates": ["protocol", "paindetect"], "parallel": ["age"]}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    d = pd.read_csv(HERE / "mice_input.csv", dtype={"subject_id": str})
    d["protocol"] = pd.Categorical(d["protocol"])
    return d


def _row(td: pd.DataFrame, label: str, meds: list[str]) -> pd.Series:
    if label[0] in "ab" and label[1:].isdigit():
        q = td[(td.term == label[0]) & (td.mediator == meds[int(label[1:]) - 1])]
    elif label.startswith("ind"):
        q = td[(td.term == "indirect") & (td.mediator == meds[int(label[3:]) - 1])]
    else:
        q = td[td.term == {"cp": "c_prime", "total": "c", "tind": "total_indirect"}[label]]
    return q.iloc[0]


@pytest.mark.parametrize("key", list(COVS))
def test_equals_lavaan_ml_x(data: pd.DataFrame, key: str) -> None:
    ref = REF[key]
    meds = ref["m"] if isinstance(ref["m"], list) else [ref["m"]]
    res = mediate_fiml(data, ref["x"], meds, ref["y"], covariates=COVS[key], n_boot=0)
    assert res.n == ref["ntotal"] == 54 and res.n_complete < 54
    td = res.tidy()
    for label, est, se in zip(ref["label"], ref["estimate"], ref["std_error"], strict=True):
        row = _row(td, label, meds)
        assert row.estimate == pytest.approx(est, rel=1e-5), label
        assert row.delta_std_error == pytest.approx(se, rel=1e-4), label
        if row.term in ("a", "b", "c_prime", "c"):
            assert row.std_error == row.delta_std_error


def test_bootstrap_with_fiml_in_every_resample(data: pd.DataFrame) -> None:
    a = mediate_fiml(data, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=300, seed=5)
    from joblib import parallel_backend

    with parallel_backend("threading"):
        b = mediate_fiml(data, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=300, seed=5, n_jobs=2)
    np.testing.assert_array_equal(a.draws, b.draws)
    ind = a.tidy().query("term == 'indirect'").iloc[0]
    assert ind.std_error == pytest.approx(np.std(a.bootstrap_distribution(), ddof=1))
    assert ind.conf_low < ind.estimate < ind.conf_high and ind.n == 54
    # the bootstrap SE is close to lavaan's delta-method SE for this model
    assert 0.6 < ind.std_error / ind.delta_std_error < 1.6
    assert "full-information" in a.summary()
    ax = a.plot()
    assert ax.get_xlabel().startswith("indirect")


def test_complete_data_equals_ols(data: pd.DataFrame) -> None:
    import neuroimmune_stats as nis

    cc = data.dropna(subset=["fss"])
    f = mediate_fiml(cc, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=0)
    o = nis.mediate(cc, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=10, seed=1)
    ft, ot = f.tidy().set_index("term"), o.tidy().set_index("term")
    for t in ("a", "b", "c_prime", "c", "indirect"):
        assert ft.loc[t, "estimate"] == pytest.approx(ot.loc[t, "estimate"], rel=1e-8)


def test_subject_with_nothing_observed_is_excluded_and_named(data: pd.DataFrame) -> None:
    from neuroimmune_stats.exceptions import DataWarning

    d = data.copy()
    d.loc[0, ["suvr_s1", "fss", "conn_s1__thalamus"]] = np.nan
    with pytest.warns(DataWarning, match=str(d.loc[0, "subject_id"])):
        res = mediate_fiml(d, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=0)
    assert res.n == 53 and res.excluded_ids == (str(d.loc[0, "subject_id"]),)


def test_bad_input(data: pd.DataFrame) -> None:
    with pytest.raises(SpecificationError, match="per equation"):
        mediate_fiml(data, "suvr_s1", "fss", "conn_s1__thalamus", covariates={"m": ["age"]}, n_boot=0)
    with pytest.raises(SpecificationError):
        mediate_fiml(data, "suvr_s1", "nope", "conn_s1__thalamus", n_boot=0)
    with pytest.raises(SpecificationError, match="serial"):
        mediate_fiml(data, "suvr_s1", "fss", "conn_s1__thalamus", serial=True, n_boot=0)
