"""lm(..., hc=), emmeans/contrast with by= and C() factors against R (tests/reference/lm_extras.R)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats import lm
from neuroimmune_stats.exceptions import DataWarning, SpecificationError

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "lm_extras.json").read_text())
TOL = 1e-8


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(HERE / "models_input.csv")


def _fit(formula: str, data: pd.DataFrame, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return lm(formula, data, **kw)


@pytest.mark.parametrize("hc", ["hc0", "hc1", "hc2", "hc3", "hc4"])
def test_hc_matches_sandwich_and_coeftest(cohort, hc):
    fit = _fit("suvr_s1 ~ subtype + protocol + tspo_genotype + bmi", cohort, hc=hc)
    np.testing.assert_allclose(fit.vcov, np.array(REF[f"vcov_{hc}"]), rtol=1e-10, atol=1e-14)
    got = fit.tidy()
    ref = pd.DataFrame(REF[f"tidy_{hc}"])
    for col in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-9, atol=TOL, err_msg=col)
    ct = fit.contrast("subtype").tidy()
    cref = pd.DataFrame(REF[f"contrast_{hc}"])
    for col in ("estimate", "std_error", "p_value"):
        np.testing.assert_allclose(ct[col], cref[col], rtol=1e-9, atol=TOL, err_msg=col)
    assert hc.upper() in fit.summary()


def test_hc_changes_ses_not_estimates(cohort):
    a = _fit("suvr_s1 ~ subtype + protocol", cohort)
    b = _fit("suvr_s1 ~ subtype + protocol", cohort, hc="hc3")
    np.testing.assert_allclose(a.coef, b.coef)
    assert not np.allclose(a.tidy()["std_error"], b.tidy()["std_error"])
    with pytest.raises(SpecificationError, match="hc must be one of"):
        _fit("suvr_s1 ~ subtype", cohort, hc="hc9")


def test_emmeans_by_matches_r(cohort):
    fit = _fit("suvr_s1 ~ subtype * protocol + tspo_genotype", cohort)
    em = fit.emmeans("subtype", by="protocol")
    got = em.tidy()
    ref = pd.DataFrame(REF["emmeans_by"])
    assert got["subtype"].astype(str).tolist() == ref["subtype"].tolist()
    assert got["protocol"].astype(str).tolist() == ref["protocol"].tolist()
    for col in ("emmean", "std_error", "df", "conf_low", "conf_high"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-9, atol=TOL, err_msg=col)
    assert em.notes == []  # nothing interacting is averaged over
    ct = fit.contrast("subtype", by="protocol").tidy()
    cref = pd.DataFrame(REF["contrast_by"])
    assert ct["contrast"].tolist() == cref["contrast"].tolist()
    assert ct["protocol"].astype(str).tolist() == cref["protocol"].tolist()
    for col in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
        np.testing.assert_allclose(ct[col], cref[col], rtol=1e-9, atol=TOL, err_msg=col)


def test_contrast_by_with_tukey_three_levels(cohort):
    fit = _fit("suvr_s1 ~ tspo_genotype * subtype + protocol", cohort)
    ct = fit.contrast("protocol", by="subtype").tidy()
    ref = pd.DataFrame(REF["contrast_by_protocol"])
    np.testing.assert_allclose(ct["estimate"], ref["estimate"], rtol=1e-9, atol=TOL)
    np.testing.assert_allclose(ct["p_value"], ref["p_value"], rtol=1e-9, atol=TOL)


def test_interaction_note_when_averaging(cohort):
    fit = _fit("suvr_s1 ~ subtype * protocol + tspo_genotype", cohort)
    with pytest.warns(DataWarning, match="involvement in interactions"):
        em = fit.emmeans("subtype")
    assert any("interactions" in n for n in em.notes)
    assert "NOTE: Results may be misleading" in em.summary()


def test_integer_coded_factor_type3_matches_car(cohort):
    data = cohort.assign(site=np.where(cohort["protocol"] == 1, 3, 7))
    fit = _fit("suvr_s1 ~ subtype * C(site)", data)
    got = fit.anova(3)
    ref = pd.DataFrame(REF["type3_factor_site"])
    np.testing.assert_allclose(got["sum_sq"], ref["sum_sq"], rtol=1e-9)
    np.testing.assert_allclose(got["F"].iloc[:-1], ref["F"].iloc[:-1], rtol=1e-9)
    assert fit.emmeans("site", by="subtype").tidy()["site"].tolist() == [3, 7, 3, 7]


def test_lm_freezes_data_at_fit_time(cohort):
    data = cohort.copy()
    fit = _fit("suvr_s1 ~ subtype * protocol", data)
    before = (fit.anova(3).copy(), fit.emmeans("subtype").tidy(), fit.tidy())
    data["suvr_s1"] = 0.0
    data["subtype"] = "axial"
    pd.testing.assert_frame_equal(fit.anova(3), before[0])
    pd.testing.assert_frame_equal(fit.emmeans("subtype").tidy(), before[1])
    pd.testing.assert_frame_equal(fit.tidy(), before[2])
