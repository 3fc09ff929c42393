"""lm / group_compare against R lm, car::Anova and emmeans (tests/reference/models.R)."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import neuroimmune_stats as nis
from neuroimmune_stats import group_compare, lm
from neuroimmune_stats.exceptions import RankDeficiencyError, RankDeficiencyWarning, SpecificationError

HERE = Path(__file__).parent / "reference"
REF = json.loads((HERE / "models.json").read_text())
TOL = 1e-6
COLS = ["sum_sq", "df", "F", "p_value", "partial_eta_sq", "partial_eta_sq_low", "partial_eta_sq_high"]
R_TERM = {"(Intercept)": "(Intercept)", "subtype": "subtype", "protocol": "protocol",
          "tspo_genotype": "tspo_genotype", "bmi": "bmi", "subtype:protocol": "subtype:protocol",
          "Residuals": "Residuals"}


@pytest.fixture(scope="module")
def cohort():
    return pd.read_csv(HERE / "models_input.csv", dtype={"subject_id": str})


def _frame(key):
    return pd.DataFrame(REF[key]).replace({None: np.nan})


def _compare(got: pd.DataFrame, ref: pd.DataFrame, cols, key="term"):
    got = got.set_index(key)
    ref = ref.set_index(key)
    assert list(got.index) == list(ref.index)
    worst = 0.0
    for c in cols:
        a, b = got[c].to_numpy(float), ref[c].to_numpy(float)
        np.testing.assert_array_equal(np.isnan(a), np.isnan(b))
        ok = ~np.isnan(b)
        flag = {"partial_eta_sq_low": "ok_low", "partial_eta_sq_high": "ok_high"}.get(c)
        if flag in ref:
            # effectsize's optim stopped short of the bound there: ours must solve the defining equation
            stuck = ok & (ref[flag].to_numpy() == False)  # noqa: E712
            for i in np.flatnonzero(stuck):
                F, df1, df2 = got["F"].iloc[i], got["df"].iloc[i], got.loc["Residuals", "df"]
                lam = a[i] * df2 / (1 - a[i])
                target = 0.05 if c.endswith("high") else 0.95
                assert abs(stats.ncf.cdf(F, df1, df2, lam) - target) < 1e-8
            ok &= ~stuck
        if ok.any():
            worst = max(worst, float(np.max(np.abs(a[ok] - b[ok]))))
    assert worst < TOL, worst
    return worst


def test_type2_matches_car(cohort):
    fit = lm("suvr_s1 ~ subtype + protocol + tspo_genotype", cohort)
    _compare(fit.anova(2), _frame("type2"), COLS)
    fit_b = lm("suvr_s1 ~ subtype + protocol + tspo_genotype + bmi", cohort)
    _compare(fit_b.anova(type=2), _frame("type2_bmi"), COLS)
    _compare(fit_b.anova(type=1), _frame("type1_bmi"), ["sum_sq", "df", "F", "p_value"])


def test_missing_values_give_complete_cases(cohort):
    fit = lm("suvr_s1 ~ subtype + protocol + tspo_genotype + bmi", cohort)
    excluded = sorted(int(i) for i in fit.excluded_ids)
    assert excluded == sorted(REF["excluded_bmi"])
    assert fit.n == len(cohort) - len(excluded) == REF["glance_bmi"]["nobs"]


def test_tidy_and_glance_match_r(cohort):
    fit = lm("suvr_s1 ~ subtype + protocol + tspo_genotype + bmi", cohort)
    ref = _frame("tidy_bmi")
    got = fit.tidy()
    cols = ["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    for c in cols:
        np.testing.assert_allclose(got[c], ref[c], rtol=0, atol=TOL)
    g = fit.glance().iloc[0]
    for k, v in REF["glance_bmi"].items():
        assert abs(g[k] - v) < TOL, k


def test_type3_interaction_matches_car_and_differs_from_type2(cohort):
    fit = lm("suvr_s1 ~ subtype * protocol + tspo_genotype", cohort)
    t3 = fit.anova(type=3)
    t2 = fit.anova(type=2)
    _compare(t3, _frame("interaction_type3"), COLS)
    _compare(t2, _frame("interaction_type2"), COLS)
    ss2 = t2.set_index("term")["sum_sq"]
    ss3 = t3.set_index("term")["sum_sq"]
    assert abs(ss2["subtype"] - ss3["subtype"]) > 1e-4


def test_emmeans_and_contrast_match_r(cohort):
    fit = lm("suvr_s1 ~ subtype + protocol + tspo_genotype + bmi", cohort)
    em = fit.emmeans("subtype").tidy()
    _compare(em.rename(columns={"subtype": "level"}), _frame("emmeans_bmi").rename(columns={"subtype": "level"}),
             ["emmean", "std_error", "df", "conf_low", "conf_high"], key="level")
    ct = fit.contrast("subtype").tidy()
    _compare(ct, _frame("contrast_bmi"),
             ["estimate", "std_error", "df", "statistic", "p_value", "conf_low", "conf_high", "cohens_d"],
             key="contrast")
    fi = lm("suvr_s1 ~ subtype * protocol + tspo_genotype", cohort)
    _compare(fi.emmeans("subtype").tidy().rename(columns={"subtype": "level"}),
             _frame("interaction_emmeans").rename(columns={"subtype": "level"}), ["emmean", "std_error"], key="level")
    cells = fi.emmeans("subtype:protocol").tidy()
    ref = _frame("interaction_cells")
    np.testing.assert_allclose(cells["emmean"], ref["emmean"], atol=TOL, rtol=0)
    np.testing.assert_allclose(cells["std_error"], ref["std_error"], atol=TOL, rtol=0)


def test_group_compare_matches_r(cohort):
    result = group_compare(cohort, ["suvr_s1", "suvr_thalamus"], covariates=["protocol", "tspo_genotype"])
    res = result.tidy()
    ref = _frame("group_compare")
    _compare(res, ref, ["F", "df1", "df2", "p_value", "p_adj", "partial_eta_sq", "estimate", "conf_low",
                        "conf_high", "n"], key="outcome")
    assert sorted(result.excluded["suvr_s1"]) == sorted(
        cohort.loc[cohort["suvr_s1"].isna(), "subject_id"])


def test_group_compare_equals_lm_and_vectorised_path():
    rng = np.random.default_rng(5)
    df = nis.simulate_cohort(seed=3)
    Y = rng.normal(size=(len(df), 40))
    Y[rng.integers(0, len(df), 5), rng.integers(0, 40, 5)] = np.nan
    ydf = pd.DataFrame(Y, columns=[f"y_{i}" for i in range(40)], index=df.index)
    data = pd.concat([df, ydf], axis=1)
    res = group_compare(data, "y_*", covariates=["protocol", "tspo_genotype"], correction="holm").tidy()
    for i in (0, 7, 39):
        fit = lm(f"y_{i} ~ subtype + protocol + tspo_genotype", data)
        row = fit.anova(2).set_index("term").loc["subtype"]
        assert abs(res.loc[i, "F"] - row["F"]) < 1e-9
        assert res.loc[i, "n"] == fit.n
        coef = fit.tidy().set_index("term").loc["subtype[T.radicular]", "estimate"]
        assert abs(res.loc[i, "estimate"] - coef) < 1e-10
    np.testing.assert_allclose(res["p_adj"], nis.adjust_pvalues(res["p_value"], "holm"))


def test_group_compare_large_means_and_exact_list_path():
    """Outcomes with huge means take the direct-residual branch; a plain list equals the glob."""
    rng = np.random.default_rng(11)
    df = nis.simulate_cohort(seed=4)
    Y = rng.normal(size=(len(df), 6)) * 0.01 + np.array([0.0, 1.0, 1e3, 1e4, -1e4, 50.0])
    Y[3, 2] = np.nan
    names = [f"z_{i}" for i in range(6)]
    data = pd.concat([df, pd.DataFrame(Y, columns=names, index=df.index)], axis=1)
    res_list = group_compare(data, names, covariates=["protocol", "bmi"])
    by_list, by_glob = res_list.tidy(), group_compare(data, "z_*", covariates=["protocol", "bmi"]).tidy()
    pd.testing.assert_frame_equal(by_list, by_glob)
    for i, name in enumerate(names):
        row = lm(f"{name} ~ subtype + protocol + bmi", data).anova(2).set_index("term").loc["subtype"]
        assert by_list.loc[i, "F"] == pytest.approx(row["F"], rel=1e-6)
        assert by_list.loc[i, "p_value"] == pytest.approx(row["p_value"], rel=1e-6)
    assert by_list["n"].tolist() == [54, 54, 53, 54, 54, 54]
    assert res_list.excluded["z_2"] == [str(data["subject_id"].iloc[3])]


def test_reference_levels_and_protocol_is_factor(cohort):
    fit = lm("suvr_s1 ~ subtype + protocol", cohort, reference={"subtype": "radicular"})
    assert "subtype[T.axial]" in list(fit.tidy()["term"])
    assert "protocol[T.2]" in list(fit.tidy()["term"])
    fit2 = lm("suvr_s1 ~ C(subtype, contr.treatment('radicular')) + protocol", cohort)
    np.testing.assert_allclose(fit.coef, fit2.coef)
    assert cohort["protocol"].dtype.kind == "i"  # caller's frame untouched
    # C(x) is recoded with sum contrasts for type III (issue 13: it used to be refused) and emmeans sees it
    np.testing.assert_allclose(fit2.anova(type=3)["sum_sq"], fit.anova(type=3)["sum_sq"], rtol=1e-10)
    em2 = fit2.emmeans("subtype").tidy().set_index("subtype")["emmean"]
    em1 = fit.emmeans("subtype").tidy().set_index("subtype")["emmean"]
    np.testing.assert_allclose(em2.sort_index(), em1.sort_index(), rtol=1e-12)
    coded = cohort.assign(site=cohort["protocol"].map({1: 3, 2: 7}))
    fit3 = lm("suvr_s1 ~ subtype + C(site)", coded)
    assert fit3.emmeans("site").tidy()["site"].tolist() == [3, 7]
    f_site = lm("suvr_s1 ~ subtype + protocol", cohort).anova(3)["F"].iloc[2]
    np.testing.assert_allclose(fit3.anova(3)["F"].iloc[2], f_site)
    # type III does not depend on the reference level
    t3a = lm("suvr_s1 ~ subtype * protocol", cohort).anova(3)
    t3b = lm("suvr_s1 ~ subtype * protocol", cohort, reference={"subtype": "radicular"}).anova(3)
    np.testing.assert_allclose(t3a["sum_sq"], t3b["sum_sq"], rtol=1e-10)


def test_rank_deficiency_constant_covariate(cohort):
    all_hab = cohort.assign(tspo_genotype="HAB")
    with pytest.raises(SpecificationError, match="tspo_genotype"):
        lm("suvr_s1 ~ subtype + tspo_genotype", all_hab)
    with pytest.raises(SpecificationError, match="tspo_genotype"):
        group_compare(all_hab, "suvr_s1", covariates=["tspo_genotype"])
    const = cohort.assign(dose=5.0)
    with pytest.raises(RankDeficiencyError, match="dose"):
        lm("suvr_s1 ~ subtype + dose", const)
    with pytest.warns(RankDeficiencyWarning, match="dose"):
        fit = lm("suvr_s1 ~ subtype + dose", const, drop_aliased=True)
    assert "dose" not in list(fit.tidy()["term"])


def test_rank_deficiency_one_level_factor_and_too_many_parameters(cohort):
    one = cohort[cohort["subtype"] == "axial"]
    with pytest.raises(SpecificationError, match="subtype"):
        lm("suvr_s1 ~ subtype + protocol", one)
    small = cohort.iloc[:6].assign(**{f"x{i}": np.arange(6.0) ** (i + 1) for i in range(6)})
    with pytest.raises(RankDeficiencyError, match="parameters"):
        lm("suvr_thalamus ~ x0 + x1 + x2 + x3 + x4 + x5", small)


def test_bad_inputs(cohort):
    with pytest.raises(SpecificationError, match="nope"):
        lm("suvr_s1 ~ nope", cohort)
    with pytest.raises(SpecificationError, match="formula"):
        lm("suvr_s1 subtype", cohort)
    fit = lm("suvr_s1 ~ subtype + bmi", cohort)
    with pytest.raises(SpecificationError, match="type"):
        fit.anova(type=4)
    with pytest.raises(SpecificationError, match="bmi"):
        fit.emmeans("bmi")
    with pytest.raises(SpecificationError, match="outcome"):
        group_compare(cohort, "nope_*")


def test_adjusted_values_and_summary(cohort):
    fit = lm("suvr_s1 ~ subtype + protocol + tspo_genotype", cohort)
    adj = fit.adjusted_values("suvr_s1")
    assert len(adj) == fit.n
    means = adj.groupby(fit.frame["subtype"], observed=True).mean()
    em = fit.emmeans("subtype").tidy().set_index("subtype")["emmean"]
    # adjusted group means differ by the adjusted difference
    assert abs((means.iloc[1] - means.iloc[0]) - (em.iloc[1] - em.iloc[0])) < 1e-10
    text = fit.summary()
    assert "Residual standard error" in text and "Type II" in text
    assert repr(fit) == text


def test_mass_univariate_is_fast():
    rng = np.random.default_rng(0)
    df = nis.simulate_cohort(seed=4)
    ys = pd.DataFrame(rng.normal(size=(len(df), 1000)), columns=[f"y{i}" for i in range(1000)], index=df.index)
    data = pd.concat([df, ys], axis=1)
    t0 = time.perf_counter()
    res = group_compare(data, list(ys.columns), covariates=["protocol", "tspo_genotype"])
    assert time.perf_counter() - t0 < 5.0
    assert len(res) == 1000
