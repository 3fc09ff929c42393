"""The one formatter: APA p-values, integral df, booleans as words, sensible digits, display labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.format import (
    digits_for,
    format_bool,
    format_ci,
    format_df,
    format_frame,
    format_number,
    format_p,
    format_value,
    label_for,
    result_labels,
)
from neuroimmune_stats.results import format_p as r_format_p


@pytest.mark.parametrize(("p", "text"), [
    (8.396e-06, "< .001"), (0.0009999, "< .001"), (0.001, ".001"), (0.0312, ".031"), (0.04951, ".050"),
    (0.5, ".500"), (0.999, ".999"), (0.99951, "> .999"), (1.0, "> .999"), (np.nan, ""), (None, ""),
])
def test_apa_p(p, text):
    assert format_p(p) == text


def test_apa_p_prefix_and_digits():
    assert format_p(0.0004, prefix=True) == "p < .001"
    assert format_p(0.023, prefix=True) == "p = .023"
    assert format_p(0.0123, digits=2) == ".01" and format_p(0.004, digits=2) == "< .01"


def test_r_summaries_keep_r_style():
    assert r_format_p(8.396e-06) == "8.396e-06" and r_format_p(1e-20) == "< 2.2e-16"


@pytest.mark.parametrize(("df", "text"), [(50.0, "50"), (50, "50"), (np.float64(52.0), "52"),
                                          (47.78590, "47.8"), (np.inf, "∞"), (np.nan, "")])
def test_df(df, text):
    assert format_df(df) == text


def test_booleans_and_counts():
    assert format_bool(True) == "yes" and format_bool(np.False_) == "no" and format_bool(None) == ""
    assert format_value("significant", np.True_) == "yes"
    assert format_value("n", 54.0) == "54" and format_value("n_boot", 5000.0) == "5000"


def test_numbers_and_intervals():
    assert format_number(1.23456) == "1.23" and format_number(-0.0041234) == "-0.00412"
    assert format_number(1.2e-7) == "1.2×10^-7" and format_number(-0.0) == "0.00"
    assert format_number(0.45, leading_zero=False) == ".45" and format_number(-0.45, leading_zero=False) == "-.45"
    assert format_ci(-0.1234, 0.5, 3) == "[-0.123, 0.500]" and format_ci(np.nan, np.nan) == ""
    assert digits_for(0.0243) == 3 and digits_for(6.5) == 2 and digits_for(0.00052) == 5


def test_labels():
    assert label_for("suvr_s1") == "S1 SUVR"
    assert label_for("suvr_thalamus") == "thalamus SUVR"
    assert label_for("conn_s1__thalamus") == "S1–thalamus connectivity"
    assert label_for("bmi") == "Body mass index, kg/m²"
    assert label_for("subtype[T.radicular]") == "Subtype: radicular"
    assert label_for("subtype[T.radicular]", {"subtype": "Pain subtype"}) == "Pain subtype: radicular"
    assert label_for("subtype:protocol[T.2]") == "Subtype × Protocol: 2"
    assert label_for("boot_std_error") == "Bootstrap SE" and label_for("a_se") == "a SE"
    assert label_for("p_adj") == "Adjusted p" and label_for("my_column") == "my column"
    assert label_for("bmi", {"bmi": "BMI"}) == "BMI"


def test_result_labels_merge_stored_then_given():
    class R:
        def __init__(self) -> None:
            self.labels = {"a": "A stored", "b": "B stored"}

    assert result_labels(R(), {"b": "B given"}) == {"a": "A stored", "b": "B given"}
    assert result_labels(object()) == {}
    with pytest.raises(SpecificationError, match="labels must be a mapping"):
        result_labels(R(), ["a"])  # type: ignore[arg-type]


def test_format_frame_is_manuscript_ready():
    tidy = pd.DataFrame({
        "term": ["(Intercept)", "subtype[T.radicular]"], "estimate": [1.08123, 0.05634],
        "std_error": [0.02387, 0.02431], "statistic": [45.29, 2.34], "df": [50.0, 50.0],
        "p_value": [3e-40, 0.0231], "conf_low": [1.033, 0.00751], "conf_high": [1.129, 0.1052],
        "p_adj": [np.nan, np.nan], "significant": [True, False], "n": [54, 54],
    })
    out = format_frame(tidy, labels={"subtype": "Pain subtype"}, conf_level=0.9)
    assert list(out.columns) == ["Term", "Estimate", "SE", "Statistic", "df", "p", "90% CI", "Adjusted p",
                                 "Significant", "n"]
    assert out.iloc[1].tolist() == ["Pain subtype: radicular", "0.056", "0.024", "2.34", "50", ".023",
                                    "[0.008, 0.105]", "", "no", "54"]
    assert out.iloc[0, 5] == "< .001"
    text = out.to_string()
    assert "e-" not in text and "True" not in text and "50.0" not in text and "nan" not in text.lower()


def test_correlation_columns_have_no_leading_zero():
    out = format_frame(pd.DataFrame({"x": ["suvr_s1"], "r": [0.4312], "conf_low": [0.11], "conf_high": [0.67],
                                     "p_value": [0.011]}))
    assert out.iloc[0].tolist() == ["S1 SUVR", ".43", "[.11, .67]", ".011"]
