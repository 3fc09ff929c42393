"""correlate against R cor.test / partial correlations (tests/reference/correlation.R)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats import correlate
from neuroimmune_stats.exceptions import SpecificationError

HERE = Path(__file__).parent / "reference"
REF = pd.DataFrame(json.loads((HERE / "correlation.json").read_text()))


@pytest.fixture(scope="module")
def cohort():
    return pd.read_csv(HERE / "models_input.csv")


@pytest.mark.parametrize("i", range(len(REF)))
def test_matches_r(cohort, i):
    ref = REF.iloc[i]
    covs = [c for c in ref["covariates"].split("+") if c]
    before = cohort.copy()
    got = correlate(cohort, ref["x"], ref["y"], covariates=covs, method=ref["method"]).tidy().iloc[0]
    pd.testing.assert_frame_equal(cohort, before)
    assert got["n"] == ref["n"]
    for col in ("r", "conf_low", "conf_high", "p_value"):
        assert abs(got[col] - ref[col]) < 1e-6, col


def test_max_abs_diff_vs_r_is_tiny(cohort):
    diffs = []
    for _, ref in REF.iterrows():
        covs = [c for c in ref["covariates"].split("+") if c]
        got = correlate(cohort, ref["x"], ref["y"], covariates=covs, method=ref["method"]).tidy().iloc[0]
        diffs += [abs(got[c] - ref[c]) for c in ("r", "conf_low", "conf_high", "p_value")]
    assert max(diffs) < 1e-9


def test_all_pairs_correction_and_excluded(cohort):
    result = correlate(cohort, ["suvr_s1", "suvr_thalamus"], ["paindetect", "fss"], correction="bonferroni")
    res = result.tidy()
    assert len(res) == 4
    np.testing.assert_allclose(res["p_adj"], np.minimum(1, res["p_value"] * 4))
    ex = result.excluded[("suvr_s1", "paindetect")]
    expected = cohort.loc[cohort[["suvr_s1", "paindetect"]].isna().any(axis=1), "subject_id"].astype(str).tolist()
    assert sorted(ex) == sorted(expected)
    assert res.loc[0, "n"] == len(cohort) - len(expected)


def test_errors(cohort):
    with pytest.raises(SpecificationError, match="method"):
        correlate(cohort, "suvr_s1", "fss", method="kendal")
    with pytest.raises(SpecificationError, match="nope"):
        correlate(cohort, "suvr_s1", "nope")
    with pytest.raises(SpecificationError, match="constant"):
        correlate(cohort.assign(c=1.0), "suvr_s1", "c")
