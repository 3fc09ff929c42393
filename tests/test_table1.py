"""Tests of neuroimmune_stats.table1.table_one.

R validation: tests/reference/table1.R (R 4.2.2, t.test / chisq.test(correct = FALSE)) on
tests/reference/table1_input.csv → table1.json; everything compared at 1e-6.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.results import Result
from neuroimmune_stats.table1 import TableOne, table_one

REF = Path(__file__).parent / "reference"
TOL = 1e-6


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(REF / "table1_input.csv", dtype={"subject_id": str})


@pytest.fixture(scope="module")
def r_ref() -> list[dict]:
    return json.loads((REF / "table1.json").read_text())


@pytest.fixture(scope="module")
def t_student(cohort: pd.DataFrame) -> TableOne:
    return table_one(cohort, strata="protocol",
                     variables=["age", "bmi", "paindetect", "sex", "tspo_genotype", "handedness"])


@pytest.fixture(scope="module")
def t_welch(cohort: pd.DataFrame) -> TableOne:
    return table_one(cohort, strata="protocol", variables=["age", "bmi", "paindetect"], test="welch")


def _rows(tidy: pd.DataFrame, variable: str, stratum: str) -> pd.DataFrame:
    return tidy[(tidy["variable"] == variable) & (tidy["stratum"] == stratum)]


# ------------------------------------------------------------------------------- agreement with R
def test_continuous_matches_r(t_student: TableOne, t_welch: TableOne, r_ref: list[dict]) -> None:
    """R validation: means, SDs, n, Student and Welch t, df, p per stratum (t.test)."""
    checked = 0
    max_diff = 0.0
    for rec in (r for r in r_ref if r["kind"] == "continuous"):
        for res, key in ((t_student, "student"), (t_welch, "welch")):
            rows = _rows(res.tidy(), rec["variable"], rec["stratum"])
            assert len(rows) == 2
            for g in rec["groups"]:
                row = rows[rows["group"] == g["group"]].iloc[0]
                assert row["n"] == g["n"]
                for col in ("mean", "sd"):
                    max_diff = max(max_diff, abs(row[col] - g[col]))
                    assert row[col] == pytest.approx(g[col], abs=TOL)
            row = rows.iloc[0]
            assert row["test"] == key
            for col in ("statistic", "df", "p_value"):
                max_diff = max(max_diff, abs(row[col] - rec[key][col]))
                assert row[col] == pytest.approx(rec[key][col], abs=TOL, rel=TOL)
            checked += 1
    assert checked == 2 * 3 * 3  # two tests x three variables x (combined + two protocols)
    assert max_diff < TOL


def test_categorical_matches_r(t_student: TableOne, r_ref: list[dict]) -> None:
    """R validation: counts per level and group, chisq.test(correct = FALSE) statistic, df, p."""
    checked = 0
    for rec in (r for r in r_ref if r["kind"] == "categorical"):
        rows = _rows(t_student.tidy(), rec["variable"], rec["stratum"])
        for c in rec["counts"]:
            hit = rows[(rows["level"] == c["level"]) & (rows["group"] == c["group"])]
            assert len(hit) == 1 and hit["count"].iloc[0] == c["count"]
        row = rows.iloc[0]
        assert row["test"] == "chisq"
        for col in ("statistic", "df", "p_value"):
            assert row[col] == pytest.approx(rec["chisq"][col], abs=TOL, rel=TOL)
        checked += 1
    assert checked == 3 * 3


def test_handedness_three_levels_has_two_df(t_student: TableOne) -> None:
    rows = _rows(t_student.tidy(), "handedness", "combined")
    assert set(rows["level"]) == {"ambidextrous", "left", "right"}
    assert rows["df"].iloc[0] == 2


# ------------------------------------------------------------------------------- structure
def test_tidy_columns_and_scalar_cells(t_student: TableOne) -> None:
    tidy = t_student.tidy()
    assert list(tidy.columns) == ["variable", "label", "level", "stratum", "group", "n", "mean", "sd",
                                  "count", "test", "statistic", "df", "p_value"]
    for col in ("n", "mean", "sd", "count", "statistic", "df", "p_value"):
        assert pd.api.types.is_numeric_dtype(tidy[col]), col
    assert set(tidy["stratum"]) == {"1", "2", "combined"}
    assert set(tidy["group"]) == {"axial", "radicular"}
    assert tidy.loc[tidy["variable"] == "bmi", "label"].iloc[0] == "Body mass index, kg/m²"
    # one row per variable x stratum x group (continuous) or x level (categorical)
    assert len(_rows(tidy, "age", "1")) == 2 and len(_rows(tidy, "sex", "2")) == 4
    assert isinstance(t_student, Result)


def test_tidy_returns_a_copy(t_student: TableOne) -> None:
    t = t_student.tidy()
    t.loc[:, "mean"] = 0.0
    assert not (t_student.tidy()["mean"].fillna(1) == 0).all()


def test_default_variables_and_order(cohort: pd.DataFrame) -> None:
    res = table_one(cohort, strata="protocol")
    assert res.variables == ["age", "sex", "tspo_genotype", "bmi", "paindetect", "handedness"]
    assert "subject_id" not in res.variables and "subtype" not in res.variables


def test_default_variables_leave_out_imaging_and_aliased_factors() -> None:
    df = pd.DataFrame({
        "subject_id": [f"s{i}" for i in range(8)],
        "subtype": ["axial", "radicular"] * 4,
        "protocol": [1, 1, 1, 1, 2, 2, 2, 2],
        "scanner": ["A"] * 4 + ["B"] * 4,
        "suvr_s1": np.linspace(1, 2, 8),
        "conn_s1__thalamus": np.linspace(0, 1, 8),
        "fss": [3.0, 4, 5, 6, 7, 8, 9, 10],
        "age": np.arange(30.0, 38.0),
    })
    assert table_one(df, strata="protocol").variables == ["age", "fss"]
    assert table_one(df).variables == ["age", "fss", "protocol", "scanner"]
    assert table_one(df, variables="suvr_*").variables == ["suvr_s1"]


def test_group_order_follows_categorical(cohort: pd.DataFrame) -> None:
    df = cohort.copy()
    df["subtype"] = pd.Categorical(df["subtype"], categories=["radicular", "axial"])
    res = table_one(df, variables=["age"])
    assert res.groups == ["radicular", "axial"]
    frame = res.to_frame()
    assert list(frame.columns[1:3]) == ["radicular (n = 28)", "axial (n = 26)"]
    # t is second group minus first, so reversing the order flips the sign
    t_rev = res.tidy()["statistic"].iloc[0]
    t_fwd = table_one(cohort, variables=["age"]).tidy()["statistic"].iloc[0]
    assert t_rev == pytest.approx(-t_fwd)


def test_labels_override(cohort: pd.DataFrame) -> None:
    res = table_one(cohort, variables=["age", "paindetect"], labels={"paindetect": "PD score"})
    tidy = res.tidy()
    assert set(tidy["label"]) == {"Age, years", "PD score"}
    assert set(tidy["variable"]) == {"age", "paindetect"}


# ------------------------------------------------------------------------------- missing values
def test_nan_excluded_and_n_shown() -> None:
    df = pd.DataFrame({"subtype": ["axial"] * 4 + ["radicular"] * 4,
                       "score": [1.0, 2.0, np.nan, 3.0, 10.0, 12.0, 14.0, np.nan],
                       "sex": ["F", "M", None, "F", "M", "M", "F", "M"]})
    res = table_one(df)
    tidy = res.tidy()
    ax = tidy[(tidy["variable"] == "score") & (tidy["group"] == "axial")].iloc[0]
    assert ax["n"] == 3 and ax["mean"] == pytest.approx(2.0) and ax["sd"] == pytest.approx(1.0)
    rad_sex = tidy[(tidy["variable"] == "sex") & (tidy["group"] == "radicular")]
    assert set(rad_sex["n"]) == {4}
    assert dict(zip(rad_sex["level"], rad_sex["count"], strict=True)) == {"F": 1, "M": 3}
    assert res.variables == ["sex", "score"]  # known characteristics first
    frame = res.to_frame().set_index("characteristic")
    assert frame.loc["score", "axial (n = 4)"] == "2.0 ± 1.0 (n = 3)"
    assert frame.loc["Sex, F:M, n", "axial (n = 4)"] == "2:1 (n = 3)"  # among the 3 with a value
    assert frame.loc["Sex, F:M, n", "radicular (n = 4)"] == "1:3"
    assert "(n = 3)" in res.summary() and "(n = 3)" in res.to_markdown()


def test_rows_with_missing_group_are_excluded_and_named() -> None:
    df = pd.DataFrame({"subject_id": ["a", "b", "c", "d", "e"],
                       "subtype": ["axial", "axial", None, "radicular", "radicular"],
                       "age": [30.0, 40.0, 50.0, 60.0, 70.0]})
    res = table_one(df)
    assert res.excluded_ids == ("c",)
    assert res.group_n[("combined", "axial")] == 2
    assert "Excluded" in res.summary() and "c" in res.summary().splitlines()[-1]


def test_too_few_values_give_nan_p() -> None:
    df = pd.DataFrame({"subtype": ["axial", "radicular", "radicular"], "age": [30.0, 40.0, 50.0],
                       "sex": ["F", "F", "F"]})
    tidy = table_one(df).tidy()
    assert tidy["p_value"].isna().all()


def test_input_not_mutated(cohort: pd.DataFrame) -> None:
    df = cohort.copy()
    df["subtype"] = df["subtype"].astype("category")
    before = df.copy()
    table_one(df, strata="protocol", test="welch")
    pd.testing.assert_frame_equal(df, before)


# ------------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"by": "group"}, "'group' is not in the data"),
        ({"strata": "site"}, "'site' is not in the data"),
        ({"variables": ["age", "weight"]}, "'weight' is not in the data"),
        ({"variables": ["age", "subtype"]}, "by`/`strata"),
        ({"strata": "subtype"}, "same column"),
        ({"test": "mann-whitney"}, "`test` must be"),
        ({"labels": ["Age"]}, "`labels` must be a mapping"),
    ],
)
def test_bad_arguments(cohort: pd.DataFrame, kwargs: dict, match: str) -> None:
    with pytest.raises(SpecificationError, match=match):
        table_one(cohort, **kwargs)


def test_by_with_one_level(cohort: pd.DataFrame) -> None:
    df = cohort[cohort["subtype"] == "axial"]
    with pytest.raises(SpecificationError, match=r"exactly two groups.*1 \(axial\)"):
        table_one(df)


def test_by_with_three_levels(cohort: pd.DataFrame) -> None:
    with pytest.raises(SpecificationError, match="exactly two groups"):
        table_one(cohort, by="handedness")


def test_not_a_dataframe() -> None:
    with pytest.raises(SpecificationError, match="DataFrame"):
        table_one({"subtype": ["axial"]})  # type: ignore[arg-type]


# ------------------------------------------------------------------------------- renderings
def test_to_html_escapes_user_strings() -> None:
    df = pd.DataFrame({"subtype": ["<b>a</b>", "<b>a</b>", "r&d", "r&d"],
                       "<script>alert(1)</script>": [1.0, 2.0, 3.0, 4.0],
                       "kind": ["<script>x</script>", "ok", "ok", "<script>x</script>"]})
    out = table_one(df).to_html()
    assert "<script>" not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;script&gt;x&lt;/script&gt;" in out
    assert "&lt;b&gt;a&lt;/b&gt;" in out and "r&amp;d" in out
    assert out.startswith("<table") and out.endswith("</table>")


def test_to_html_structure_with_strata(t_student: TableOne) -> None:
    out = t_student.to_html()
    assert out.count("<tr>") == 2 + len(t_student.variables)  # two header rows + one per variable
    assert 'colspan="3"' in out and "Combined" in out and "protocol 1" in out
    assert "Handedness" not in out and "handedness, n" in out  # column name when no label is known
    assert "±" in out


def test_summary_and_repr_like_the_paper(cohort: pd.DataFrame) -> None:
    res = table_one(cohort, strata="protocol")
    text = res.summary()
    assert repr(res) == text
    assert "Table 1 by subtype, stratified by protocol" in text
    assert "Age, years" in text and "Sex, F:M, n" in text and "Combined: radicular (n = 28)" in text
    assert "without continuity correction" in text
    assert "Student's t-test" in text
    assert "Welch's t-test" in table_one(cohort, test="welch").summary()


def test_markdown_table(cohort: pd.DataFrame) -> None:
    md = table_one(cohort, variables=["age", "handedness"]).to_markdown()
    lines = md.splitlines()
    assert lines[0].startswith("| characteristic |") and lines[1].startswith("|---|")
    assert len(lines[0].split(" | ")) == len(lines[2].split(" | "))
    assert "ambidextrous" in md  # 3-level factor shown as "n level; ..."


def test_markdown_escapes_pipes() -> None:
    df = pd.DataFrame({"subtype": ["a", "a", "b", "b"], "x|y": [1.0, 2.0, 3.0, 4.0]})
    md = table_one(df).to_markdown()
    assert "x\\|y" in md


def test_significance_stars_in_display(cohort: pd.DataFrame) -> None:
    frame = table_one(cohort, variables=["bmi"]).to_frame()
    # R: BMI combined p = 0.00682 -> two stars
    assert frame["p"].iloc[0] == "0.006819**"


def test_group_absent_from_a_stratum() -> None:
    df = pd.DataFrame({"subtype": ["axial", "axial", "radicular", "radicular", "axial", "axial"],
                       "protocol": [1, 1, 1, 1, 2, 2],
                       "age": [30.0, 35.0, 50.0, 55.0, 40.0, 42.0]})
    res = table_one(df, strata="protocol")
    assert res.group_n[("2", "radicular")] == 0
    tidy = res.tidy()
    assert np.isnan(_rows(tidy, "age", "2")["p_value"]).all()
    assert np.isfinite(_rows(tidy, "age", "1")["p_value"]).all()
    frame = res.to_frame()
    assert frame["protocol 2: radicular (n = 0)"].iloc[0] == "–"


def test_simulated_cohort_layout() -> None:
    """The report's call: the paper's layout on the simulated cohort (group sizes per protocol)."""
    import neuroimmune_stats as nis

    df = nis.simulate_cohort(seed=5)
    res = table_one(df, strata="protocol")
    assert res.variables[:4] == ["age", "sex", "tspo_genotype", "bmi"]
    assert "scanner" not in res.variables  # constant within protocol
    assert not any(v.startswith(("suvr_", "conn_")) for v in res.variables)
    assert res.group_n == {("1", "axial"): 10, ("1", "radicular"): 15, ("2", "axial"): 16,
                           ("2", "radicular"): 13, ("combined", "axial"): 26, ("combined", "radicular"): 28}
    fss = _rows(res.tidy(), "fss", "combined")
    assert fss["n"].sum() == df["fss"].notna().sum()


# ----------------------------------------------------------------------------- equivalence column
@pytest.mark.parametrize("test", ["student", "welch"])
def test_equivalence_column_equals_statsmodels_ttost(test: str) -> None:
    """p_equivalence = statsmodels ttost_ind (second group minus first) per stratum; NaN elsewhere."""
    from statsmodels.stats.weightstats import ttost_ind

    import neuroimmune_stats as nis

    df = nis.simulate_cohort(seed=5)
    res = table_one(df, strata="protocol", test=test, equivalence={"age": (-4.0, 6.0), "bmi": 2.0})
    tidy = res.tidy()
    assert "p_equivalence" in tidy.columns
    usevar = "pooled" if test == "student" else "unequal"
    for var, (lo, hi) in (("age", (-4.0, 6.0)), ("bmi", (-2.0, 2.0))):
        for stratum in ("1", "2", "combined"):
            sub = df if stratum == "combined" else df[df["protocol"].astype(str) == stratum]
            x1 = sub.loc[sub["subtype"] == "radicular", var].dropna()
            x2 = sub.loc[sub["subtype"] == "axial", var].dropna()
            want = ttost_ind(x1, x2, lo, hi, usevar=usevar)[0]
            got = _rows(tidy, var, stratum)["p_equivalence"]
            assert np.allclose(got, want, rtol=0, atol=1e-10)
    assert tidy.loc[~tidy["variable"].isin(["age", "bmi"]), "p_equivalence"].isna().all()
    assert "p_equivalence" not in table_one(df).tidy().columns


def test_equivalence_column_bad_input() -> None:
    df = pd.DataFrame({"subtype": ["a", "a", "b", "b"], "age": [1.0, 2, 3, 4], "sex": list("FMFM")})
    with pytest.raises(SpecificationError, match="categorical"):
        table_one(df, equivalence={"sex": (-1, 1)})
    with pytest.raises(SpecificationError, match="not a summarised variable"):
        table_one(df, equivalence={"height": (-1, 1)})
    with pytest.raises(SpecificationError, match="low < high"):
        table_one(df, equivalence={"age": (1, -1)})
