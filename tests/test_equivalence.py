"""equivalence_test (issue 17): TOST on the lm group contrast = R emmeans test(null=, side=) and statsmodels.

Reference values: tests/reference/equivalence.R -> equivalence.json (R 4.2.2, emmeans 1.8.4.1) on
tests/reference/equivalence_input.csv.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats.exceptions import DataWarning, SpecificationError
from neuroimmune_stats.planning import EquivalenceResult, equivalence_test
from neuroimmune_stats.planning.result import EQUIVALENCE_COLUMNS

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "equivalence.json").read_text())["cases"]
NUMERIC = ("estimate", "std_error", "df", "conf_low", "conf_high", "bound_low", "bound_high", "statistic_lower",
           "statistic_upper", "p_lower", "p_upper", "p_value")


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(HERE / "equivalence_input.csv")


def _run(data: pd.DataFrame, case: dict) -> EquivalenceResult:
    covs = case["covariates"]  # jsonlite unboxes a length-1 vector to a string
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        return equivalence_test(data, case["outcome"], bounds=(case["low"], case["high"]),
                                covariates=[covs] if isinstance(covs, str) else list(covs),
                                bounds_type=case["bounds_type"], conf_level=case["conf_level"])


@pytest.mark.parametrize("case_id", sorted(REF))
def test_equals_r_emmeans_tost_on_the_lm_contrast(data: pd.DataFrame, case_id: str) -> None:
    case = REF[case_id]
    res = _run(data, case)
    row = res.tidy().iloc[0]
    assert row["contrast"] == case["contrast"] == "radicular - axial"
    assert row["n"] == case["n"]
    for col in NUMERIC:
        assert row[col] == pytest.approx(case[col], abs=1e-8, rel=1e-8), col
    assert bool(row["equivalent"]) == (case["p_value"] < (1 - case["conf_level"]) / 2)
    if "p_equivalence_emmeans" in case:  # emmeans' own symmetric equivalence test
        assert row["p_value"] == pytest.approx(case["p_equivalence_emmeans"], abs=1e-8)
    if case["bounds_type"] == "d":
        assert res.bounds[1] == pytest.approx(case["high"] * case["sigma"], abs=1e-10)


def test_without_covariates_equals_statsmodels_ttost_ind(data: pd.DataFrame) -> None:
    from statsmodels.stats.weightstats import ttost_ind

    for outcome, (lo, hi) in (("age", (-5.0, 5.0)), ("bmi", (-1.0, 2.5)), ("suvr_s1", (-0.1, 0.1))):
        res = equivalence_test(data, outcome, bounds=(lo, hi)).tidy().iloc[0]
        x1 = data.loc[data["subtype"] == "radicular", outcome]
        x2 = data.loc[data["subtype"] == "axial", outcome]
        p, (t1, p1, df1), (t2, p2, df2) = ttost_ind(x1, x2, lo, hi, usevar="pooled")
        assert res["p_value"] == pytest.approx(p, abs=1e-10)
        assert res["p_lower"] == pytest.approx(p1, abs=1e-10) and res["statistic_lower"] == pytest.approx(t1, abs=1e-10)
        assert res["p_upper"] == pytest.approx(p2, abs=1e-10) and res["statistic_upper"] == pytest.approx(t2, abs=1e-10)
        assert res["df"] == df1 == df2


def test_reference_level_flips_the_contrast(data: pd.DataFrame) -> None:
    a = equivalence_test(data, "age", bounds=(-4, 6)).tidy().iloc[0]
    b = equivalence_test(data, "age", bounds=(-6, 4), reference="radicular").tidy().iloc[0]
    assert b["contrast"] == "axial - radicular"
    assert b["estimate"] == pytest.approx(-a["estimate"], abs=1e-12)
    assert b["p_value"] == pytest.approx(a["p_value"], abs=1e-12)
    assert b["p_lower"] == pytest.approx(a["p_upper"], abs=1e-12)


def test_single_delta_and_columns_and_missing_warning(data: pd.DataFrame) -> None:
    before = data.copy()
    with pytest.warns(DataWarning, match="sub-"):
        res = equivalence_test(data, "fss", bounds=3.0, covariates="protocol")
    pd.testing.assert_frame_equal(data, before)
    assert list(res.tidy().columns) == list(EQUIVALENCE_COLUMNS)
    assert res.bounds == (-3.0, 3.0)
    assert res.n == int(data["fss"].notna().sum()) and len(res.excluded_ids) == 54 - res.n
    assert "TOST p =" in res.summary() and repr(res) == res.summary()
    ax = res.plot()
    assert ax.get_xlabel() == "difference (radicular - axial)"


def test_equivalent_when_ci_inside_bounds(data: pd.DataFrame) -> None:
    res = equivalence_test(data, "suvr_s1", bounds=(-1.0, 1.0), covariates=["protocol"])
    row = res.tidy().iloc[0]
    assert row["equivalent"] and row["conf_low"] > -1 and row["conf_high"] < 1 and row["p_value"] < 0.05


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"bounds": (1, -1)}, "low < high"),
    ({"bounds": (1, 2, 3)}, "bounds must be"),
    ({"bounds": ()}, "bounds must be"),
    ({"bounds": 1, "bounds_type": "sd"}, "bounds_type must be one of"),
    ({"bounds": 1, "conf_level": 1.5}, "conf_level must be"),
    ({"bounds": 1, "covariates": ["age"]}, "both a covariate"),
    ({"bounds": 1, "group": "tspo_genotype", "reference": "LAB"}, "not a level"),
    ({"bounds": 1, "group": "nope"}, "nope"),
])
def test_bad_input_names_the_argument(data: pd.DataFrame, kwargs: dict, match: str) -> None:
    with pytest.raises(SpecificationError, match=match):
        equivalence_test(data, "age", **kwargs)


def test_group_needs_two_levels() -> None:
    df = pd.DataFrame({"g": list("aabbcc"), "y": np.arange(6.0)})
    with pytest.raises(SpecificationError, match="exactly two levels"):
        equivalence_test(df, "y", group="g", bounds=1)
