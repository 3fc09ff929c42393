"""Pooling across imputations against R mice (tests/reference/mice.R -> mice.json).

The imputations were made by R mice (PMM, m = 20) and written to mice_imputations.csv; here they are
wrapped with ImputedData.from_frames and pooled by our lm / group_compare / correlate.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.missing import ImputedData, is_imputed
from neuroimmune_stats.missing.pool import pool_correlate, pool_group_compare, pool_lm
from neuroimmune_stats.missing.rules import barnard_rubin, d1, rubin

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "mice.json").read_text())
TOL = 1e-8


def _prep(d: pd.DataFrame) -> pd.DataFrame:
    d = d.copy()
    d["protocol"] = pd.Categorical(d["protocol"])
    return d


@pytest.fixture(scope="module")
def imp() -> ImputedData:
    long = pd.read_csv(HERE / "mice_imputations.csv", dtype={"subject_id": str})
    inp = pd.read_csv(HERE / "mice_input.csv", dtype={"subject_id": str})
    frames = [_prep(g.drop(columns=".imp").reset_index(drop=True)) for _, g in long.groupby(".imp")]
    return ImputedData.from_frames(frames, data=_prep(inp))


def test_from_frames_sequence(imp: ImputedData) -> None:
    assert len(imp) == imp.m == 20 and is_imputed(imp) and not is_imputed(imp[0])
    assert isinstance(imp[3], pd.DataFrame) and len(list(imp)) == 20 and len(imp.frames) == 20
    f0 = imp[0]
    f0.loc[0, "fss"] = -99.0  # a copy: the stored frame is untouched
    assert imp[0].loc[0, "fss"] != -99.0
    pat = imp.missing_pattern()
    assert pat.iloc[-1].to_dict()["fss"] == 19 and pat.iloc[-1]["paindetect"] == 10
    assert int(pat["n"].iloc[:-1].sum()) == 54
    # without the incomplete data, imputed cells are those that differ between the frames
    imp2 = ImputedData.from_frames(imp.frames)
    assert int(imp2.where["fss"].sum()) <= 19 and int(imp2.where["age"].sum()) == 0


def test_from_frames_rejects_bad_input(imp: ImputedData) -> None:
    with pytest.raises(SpecificationError, match="at least 2"):
        ImputedData.from_frames([imp[0]])
    with pytest.raises(SpecificationError, match="columns"):
        ImputedData.from_frames([imp[0], imp[1].drop(columns="fss")])
    with pytest.raises(SpecificationError, match="order"):
        ImputedData.from_frames([imp[0], imp[1].iloc[::-1].reset_index(drop=True)])
    with pytest.raises(SpecificationError, match="list of DataFrames"):
        ImputedData.from_frames(imp[0])


@pytest.mark.parametrize(("key", "formula"), [
    ("lm_fss", "fss ~ subtype + suvr_s1 + protocol"),
    ("lm_conn", "conn_s1__thalamus ~ fss + paindetect + age + tspo_genotype"),
])
def test_lm_equals_mice_pool(imp: ImputedData, key: str, formula: str) -> None:
    ref = REF[key]
    fit = pool_lm(formula, imp)
    td = fit.tidy()
    assert len(td) == len(ref["term"]) and fit.n == 54 and (td["m"] == 20).all()
    for col in ("estimate", "std_error", "statistic", "df", "p_value", "conf_low", "conf_high", "fmi"):
        np.testing.assert_allclose(td[col].to_numpy(), ref[col], rtol=TOL, atol=TOL, err_msg=col)
    assert fit.df_residual == ref["dfcom"]
    from neuroimmune_stats.models.lm import LinearModel

    assert isinstance(fit, LinearModel)
    assert "pooled over m = 20" in fit.summary() and next(iter(fit.anova()["term"])) in {"subtype", "fss"}


def test_group_compare_equals_mice(imp: ImputedData) -> None:
    res = pool_group_compare(imp, ["fss", "paindetect", "bpi_severity", "suvr_s1"],
                             covariates=["protocol", "tspo_genotype"], correction="bonferroni")
    td = res.tidy() if hasattr(res, "tidy") else res
    for _, row in td.iterrows():
        ref = REF["group_compare"][row.outcome]
        for col in ("estimate", "std_error", "df", "p_value", "conf_low", "conf_high", "fmi", "F", "df2"):
            assert row[col] == pytest.approx(ref[col], rel=TOL, abs=TOL), (row.outcome, col)
        assert row["F"] == pytest.approx(row["estimate"] ** 2 / row["std_error"] ** 2, rel=1e-10)  # D1 = t²
        assert row["n"] == 54 and row["m"] == 20 and row["contrast"] == "radicular - axial"
    assert td["p_adj"].tolist() == pytest.approx(np.minimum(td["p_value"] * 4, 1).tolist())


@pytest.mark.parametrize("key", list(REF["correlate"]))
def test_correlate_fisher_z_equals_pool_scalar(imp: ImputedData, key: str) -> None:
    ref = REF["correlate"][key]
    covs = [c for c in ref["covariates"].split("+") if c]
    res = pool_correlate(imp, ref["x"], ref["y"], covariates=covs)
    row = (res.tidy() if hasattr(res, "tidy") else res).iloc[0]
    for col in ("r", "df", "fmi", "conf_low", "conf_high", "p_value"):
        assert row[col] == pytest.approx(ref[col], rel=TOL, abs=TOL), col
    assert row["estimate_z"] == pytest.approx(ref["z"], rel=TOL)
    assert row["std_error_z"] ** 2 == pytest.approx(ref["t"], rel=TOL)
    assert row["n"] == 54 and row["m"] == 20


def test_rules_edge_cases() -> None:
    # no between-imputation variance: lambda floored at 1e-4, df close to dfcom's small-sample value
    q = np.ones((5, 1))
    p = rubin(q, np.full((5, 1), 0.1), dfcom=30)
    assert p.b[0] == 0 and p.df[0] == pytest.approx(float(barnard_rubin(5, np.array(0.0), np.array(0.1), 30)))
    assert p.df[0] < 30
    with pytest.raises(SpecificationError):
        rubin(np.ones((1, 2)), np.ones((1, 2)))
    rng = np.random.default_rng(1)
    qq = rng.normal(size=(10, 2)) + 1
    uu = np.stack([np.eye(2) * 0.2] * 10)
    t = d1(qq, uu, dfcom=40)
    assert t.df1 == 2 and t.F > 0 and 0 < t.p_value < 1


def test_pool_warns_once_not_per_imputation(imp: ImputedData) -> None:
    frames = imp.frames
    for f in frames:
        f.loc[0, "age"] = np.nan  # not imputed: every analysis excludes the same subject
    imp2 = ImputedData.from_frames(frames)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fit = pool_lm("fss ~ age", imp2)
    assert fit.n == 53
    assert len([w for w in rec if "excluded" in str(w.message)]) == 1


def test_table_one_pooled_equals_mice(imp: ImputedData) -> None:
    from neuroimmune_stats.missing.pool import pool_table_one
    from neuroimmune_stats.table1 import TableOne

    t1 = pool_table_one(imp, variables=["age", "fss", "paindetect", "bpi_severity", "protocol"])
    assert isinstance(t1, TableOne) and "imputations" in t1.summary()
    td = t1.tidy()
    for var, ref in REF["table_one"].items():
        rows = td[td.variable == var].set_index("group")
        assert rows["statistic"].iloc[0] == pytest.approx(ref["statistic"], rel=TOL)
        assert rows["df"].iloc[0] == pytest.approx(ref["df"], rel=TOL)
        assert rows["p_value"].iloc[0] == pytest.approx(ref["p_value"], rel=TOL)
        assert rows["fmi"].iloc[0] == pytest.approx(ref["fmi"], rel=TOL)
        assert rows.loc[ref["levels"], "mean"].tolist() == pytest.approx(ref["mean"], rel=TOL)
        assert rows.loc[ref["levels"], "sd"].tolist() == pytest.approx(ref["sd"], rel=TOL)
        assert rows["n"].sum() == 54
    age = td[td.variable == "age"]
    assert age["fmi"].isna().all() and (td["m"] == 20).all()


def test_d2_pooled_chisquare() -> None:
    from neuroimmune_stats.missing.pool_table import d2

    same = d2(np.full(10, 3.84), 1)
    assert same[0] == pytest.approx(3.84) or not np.isfinite(same[2])
    _stat, df1, df2, p = d2(np.array([2.0, 5.0, 3.5, 4.1, 2.8]), 2)
    assert df1 == 2 and df2 > 0 and 0 < p < 1
