"""Moderation (PROCESS model 1) and moderated mediation (models 7, 8, 14, 15, 58, 59).

Reference values: tests/reference/moderation.R (R lm, sandwich::vcovHC, lmtest::coeftest,
emmeans::emtrends, boot::boot) and tests/reference/process_model*.json (PROCESS for SPSS 2.16.3
outputs stored by PyProcessMacro's test suite).
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pandas as pd
import pytest
from _moderation_data import REF, moderation_input, quiet
from scipy import stats

import neuroimmune_stats as nis
from neuroimmune_stats.exceptions import InsufficientDataError, RankDeficiencyError, SpecificationError
from neuroimmune_stats.mediation import mediate
from neuroimmune_stats.mediation.conditional import PROCESS_MODELS, prepare_moderated
from neuroimmune_stats.mediation.moderation import moderation

R = json.loads((REF / "moderation.json").read_text())
X, M, Y, COV = R["x"], R["m"], R["y"], R["covariates"]
MODELS = {7: ("a",), 8: ("a", "c_prime"), 14: ("b",), 15: ("b", "c_prime"), 58: ("a", "b"), 59: ("a", "b", "c_prime")}


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return moderation_input()


def r_name(name: str) -> str:
    return "(Intercept)" if name == "constant" else name.replace("[T.", "").replace("]", "")


def check_fit(fit, ref, hc=None, tol=1e-8) -> None:
    ours = [r_name(nm) for nm in fit.names]
    assert sorted(ours) == sorted(ref["names"])
    order = [ref["names"].index(nm) for nm in ours]
    coef = np.array([ref["coef"][nm] for nm in ours])
    np.testing.assert_allclose(fit.coef, coef, rtol=tol, atol=tol * 1e-2)
    V = np.asarray(ref["vcov"] if hc is None else ref[hc]["vcov"])[np.ix_(order, order)]
    np.testing.assert_allclose(fit.vcov, V, rtol=tol, atol=1e-14)
    if hc is not None:
        np.testing.assert_allclose(fit.t, np.asarray(ref[hc]["t"])[order], rtol=tol)
        np.testing.assert_allclose(fit.p, np.asarray(ref[hc]["p"])[order], rtol=1e-7, atol=1e-12)
    assert fit.df_resid == ref["df"]


# ---------------------------------------------------------------------------- R: lm, vcovHC, effects
@pytest.mark.parametrize("key", list(R["mediation"]))
def test_paths_and_interactions_match_r_lm_and_vcovhc(data, key) -> None:
    ref = R["mediation"][key]
    moderate = MODELS[ref["model"]]
    for hc in (None, "hc0", "hc1", "hc2", "hc3", "hc4"):
        prep = quiet(prepare_moderated, data, X, M, Y, ref["w"], moderate, COV, None, hc)
        assert prep.n == R["n"] and prep.process_model == ref["model"]
        check_fit(prep.fits[f"m:{M}"], ref["m"], hc)
        check_fit(prep.fits["y"], ref["y"], hc)


@pytest.mark.parametrize("key", list(R["mediation"]))
def test_conditional_effects_closed_form_match_r(data, key) -> None:
    ref = R["mediation"][key]
    res = quiet(mediate, data, X, M, Y, covariates=COV, moderator=ref["w"], moderate=MODELS[ref["model"]],
                n_boot=50, seed=1)
    td = res.tidy()
    ind = td[td.term == "indirect"]
    np.testing.assert_allclose(ind.estimate, ref["effects"]["indirect"], rtol=1e-8)
    np.testing.assert_allclose(ind.w_value.astype(float) if ref["w"] == "bmi" else 0, np.asarray(
        ref["w_values"], dtype=float) if ref["w"] == "bmi" else 0, rtol=1e-12)
    if "c_prime" in MODELS[ref["model"]]:
        np.testing.assert_allclose(td[td.term == "direct"].estimate, ref["effects"]["direct"], rtol=1e-8)
    else:
        assert td[td.term == "c_prime"].estimate.iloc[0] == pytest.approx(ref["effects"]["direct"][0], rel=1e-8)
    idx = td[td.term == "index_moderated_mediation"]
    if "index" in ref["effects"]:
        assert idx.estimate.iloc[0] == pytest.approx(ref["effects"]["index"], rel=1e-8)
    else:
        assert idx.empty
    if ref["w"] == "subtype":
        diff = td[td.term == "indirect_difference"].iloc[0]
        assert diff.estimate == pytest.approx(ref["effects"]["difference"], rel=1e-8)
        assert diff.contrast == "radicular - axial"
        if "index" in ref["effects"]:  # two-level factor: index == indirect_difference (0/1 coding)
            assert idx.estimate.iloc[0] == pytest.approx(diff.estimate, rel=1e-12)


@pytest.mark.parametrize("w", ["bmi", "subtype"])
def test_moderation_matches_r_lm_emtrends_and_jn(data, w) -> None:
    ref = R["moderation"][w]
    data = data.dropna(subset=[M])  # the R sample: complete on every column of the mediation models
    for hc, cond in ((None, ref["conditional"]), ("hc3", ref["conditional_hc3"])):
        res = quiet(moderation, data, X, w, Y, covariates=COV, hc=hc)
        assert res.n == R["n"]
        check_fit(res.fit, ref["fit"], hc)
        ce = res.conditional_effects()
        for ours, theirs in (("estimate", "estimate"), ("std_error", "se"), ("statistic", "t"),
                             ("conf_low", "lower"), ("conf_high", "upper")):
            np.testing.assert_allclose(ce[ours], cond[theirs], rtol=1e-8, err_msg=ours)
        np.testing.assert_allclose(ce.p_value, cond["p"], rtol=1e-7)
        td = res.tidy()
        assert list(td.term[td.term == "conditional_effect"].index) == list(range(len(td) - len(ce), len(td)))
    res = quiet(moderation, data, X, w, Y, covariates=COV)
    assert res.r2_change["r2_change"] == pytest.approx(ref["r2_change"], rel=1e-8)
    assert res.r2_change["F"] == pytest.approx(ref["anova_F"], rel=1e-8)
    if w == "bmi":
        np.testing.assert_allclose(res.johnson_neyman(0.05).w_value, ref["jn_05"], rtol=1e-8)
        np.testing.assert_allclose(res.johnson_neyman(0.10).w_value, ref["jn_10"], rtol=1e-8)
        jn = quiet(moderation, data, X, w, Y, covariates=COV, hc="hc3").johnson_neyman(0.05)
        np.testing.assert_allclose(jn.w_value, ref["jn_05_hc3"], rtol=1e-8)
        tcrit = stats.t.ppf(0.975, res.fit.df_resid)
        np.testing.assert_allclose(np.abs(jn.statistic), tcrit, rtol=1e-10)
    else:
        with pytest.raises(SpecificationError, match="numeric moderator"):
            res.johnson_neyman()


# ---------------------------------------------------------------------------- R: bootstrap (MC tolerance)
def mc_tolerance(draws: np.ndarray, b_ref: int, p: float | None) -> float:
    """4 MC standard errors of the difference of two bootstrap estimates (ours with len(draws), R with b_ref).

    SE: sd(s) ≈ sqrt((μ4 − σ⁴)/B) / (2σ); quantile p: sqrt(p(1 − p)/B) / f(q_p) (f by a kernel density).
    """
    B = draws.size
    if p is None:
        s2 = draws.var(ddof=1)
        mu4 = np.mean((draws - draws.mean()) ** 4)
        one = np.sqrt(mu4 - s2**2) / (2 * np.sqrt(s2))
    else:
        q = np.quantile(draws, p)
        f = stats.gaussian_kde(draws)(q)[0]
        one = np.sqrt(p * (1 - p)) / f
    return float(4 * one * np.sqrt(1 / B + 1 / b_ref))


@pytest.mark.parametrize("key", list(R["bootstrap"]))
def test_bootstrap_intervals_match_r_boot_within_mc_error(data, key) -> None:
    ref = R["bootstrap"][key]
    res = quiet(mediate, data, X, M, Y, covariates=COV, moderator=ref["w"], moderate=MODELS[ref["model"]],
                n_boot=8000, ci="percentile", seed=7)
    td = res.tidy()
    rows = td[td.term.isin(["indirect", "index_moderated_mediation"])].reset_index(drop=True)
    assert list(rows.term) == ref["terms"]
    np.testing.assert_allclose(rows.estimate, ref["estimate"], rtol=1e-8)
    for i, r in rows.iterrows():
        draws = res.bootstrap_distribution(r.term, M, r.w_value)
        assert abs(r.std_error - ref["se"][i]) < mc_tolerance(draws, ref["B"], None), (r.term, r.w_value)
        assert abs(r.conf_low - ref["q025"][i]) < mc_tolerance(draws, ref["B"], 0.025), (r.term, r.w_value)
        assert abs(r.conf_high - ref["q975"][i]) < mc_tolerance(draws, ref["B"], 0.975), (r.term, r.w_value)


# ---------------------------------------------------------------------------- PROCESS parity
def process_data(model: int) -> tuple[dict, pd.DataFrame]:
    fx = json.loads((REF / f"process_model{model}.json").read_text())
    return fx, pd.DataFrame(fx["data"])


def printed(ours: float, shown: float, digits: int = 4) -> bool:
    """``ours`` rounds to what PROCESS printed (half a unit of the last printed digit)."""
    return abs(ours - shown) <= 0.5 * 10**-digits + 1e-9


def check_block(fit, block: dict, w: str) -> None:
    key = {"constant": "constant", "x": "x", w: w, "int_1": f"x:{w}"}
    prods = [nm for nm in fit.names if ":" in nm]
    ints = [nm for nm in block["coef"] if nm.startswith("int_")]  # PROCESS numbers products across equations
    for name, (coeff, se, t, p, lo, hi) in block["coef"].items():
        ours = prods[ints.index(name)] if name in ints else key.get(name, name)
        j = fit.index(ours)
        tcrit = stats.t.ppf(0.975, fit.df_resid)
        for mine, shown in ((fit.coef[j], coeff), (fit.se[j], se), (fit.t[j], t), (fit.p[j], p),
                            (fit.coef[j] - tcrit * fit.se[j], lo), (fit.coef[j] + tcrit * fit.se[j], hi)):
            assert printed(mine, shown), (name, mine, shown)
    s = block["summary"]
    assert printed(np.sqrt(fit.r2), s["R"]) and printed(fit.r2, s["R-sq"]) and printed(fit.sigma2, s["MSE"])
    assert printed(fit.f, s["F"]) and fit.df_resid == s["df2"]


def test_process_model1_parity() -> None:
    fx, df = process_data(1)
    res = moderation(df, "x", "m", "y", hc="hc3")
    check_block(res.fit, fx["equations"]["y"], "m")
    ce = res.conditional_effects()
    for (wv, eff, se, t, p, lo, hi), (_, r) in zip(fx["conditional_effects"], ce.iterrows(), strict=True):
        for mine, shown in ((r.w_value, wv), (r.estimate, eff), (r.std_error, se), (r.statistic, t),
                            (r.p_value, p), (r.conf_low, lo), (r.conf_high, hi)):
            assert printed(mine, shown), (mine, shown)
    r2, F, df1, df2, p = fx["r2_change"]
    assert printed(res.r2_change["r2_change"], r2) and printed(res.r2_change["F"], F)
    assert (res.r2_change["df1"], res.r2_change["df2"]) == (df1, df2) and res.r2_change["p_value"] < 5e-5 + p
    assert "PROCESS model 1" in res.summary()


@pytest.mark.parametrize(("model", "w", "moderate"), [(7, "w", ("a",)), (14, "v", ("b",)), (58, "w", ("a", "b"))])
def test_process_moderated_mediation_parity(model, w, moderate) -> None:
    fx, df = process_data(model)
    res = mediate(df, "x", ["m1", "m2"], "y", moderator=w, moderate=moderate, hc="hc3", n_boot=2000, seed=3)
    assert res.process_model == model and f"PROCESS model {model}" in res.summary()
    for eq, block in fx["equations"].items():
        check_block(res.fits["y" if eq == "y" else f"m:{eq}"], block, w)
    direct = res.tidy().query("term == 'c_prime'").iloc[0]
    for mine, shown in zip(direct[["estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]],
                           fx["direct"], strict=True):
        assert printed(mine, shown)
    td = res.tidy()
    for med, wv, eff, bse, blo, bhi in fx["conditional_indirect"]:
        row = td[(td.term == "indirect") & (td.mediator == med) & np.isclose(td.w_value.astype(float), wv, atol=5e-5)]
        assert len(row) == 1
        r = row.iloc[0]
        assert printed(r.estimate, eff)
        draws = res.bootstrap_distribution("indirect", med, r.w_value)
        assert abs(r.std_error - bse) < mc_tolerance(draws, 5000, None) + 5e-5
        # bias-corrected quantiles: MC error of a quantile near 2.5% / 97.5%
        assert abs(r.conf_low - blo) < mc_tolerance(draws, 5000, 0.025) + 5e-5
        assert abs(r.conf_high - bhi) < mc_tolerance(draws, 5000, 0.975) + 5e-5
    for med, index, bse, blo, bhi in fx.get("index", []):
        r = td[(td.term == "index_moderated_mediation") & (td.mediator == med)].iloc[0]
        assert printed(r.estimate, index)
        draws = res.bootstrap_distribution("index_moderated_mediation", med)
        assert abs(r.std_error - bse) < mc_tolerance(draws, 5000, None) + 5e-5
        assert abs(r.conf_low - blo) < mc_tolerance(draws, 5000, 0.025) + 5e-5
        assert abs(r.conf_high - bhi) < mc_tolerance(draws, 5000, 0.975) + 5e-5
    if model == 58:
        assert td[td.term == "index_moderated_mediation"].empty


# ---------------------------------------------------------------------------- behaviour
def test_same_seed_identical_any_n_jobs_and_ci_from_same_resamples(data) -> None:
    kw = {"covariates": COV, "moderator": "subtype", "moderate": ("a", "c_prime"), "n_boot": 600, "ci": "bca"}
    from joblib import parallel_config

    one = quiet(mediate, data, X, M, Y, seed=5, n_jobs=1, **kw)
    with parallel_config(backend="threading"):  # same chunks as processes, without the worker start-up
        two = quiet(mediate, data, X, M, Y, seed=5, n_jobs=2, **kw)
    np.testing.assert_array_equal(one.draws, two.draws)
    pd.testing.assert_frame_equal(one.tidy(), two.tidy())
    other = quiet(mediate, data, X, M, Y, seed=6, **kw)
    assert not np.array_equal(one.draws, other.draws)
    perc = one.tidy(ci="percentile")
    assert (perc.boot_std_error == one.tidy().boot_std_error).all()
    i = one._find("indirect", M, "radicular")
    assert perc.conf_low[i] == pytest.approx(np.quantile(one.draws[:, i], 0.025), rel=1e-12)
    assert one.seed == 5 and one.n == R["n"]
    d = one.tidy()
    assert set(d.term) >= {"a", "a:w", "b", "c_prime", "c_prime:w", "indirect", "direct", "index_moderated_mediation",
                           "indirect_difference"}
    # conditional direct effect: c' + c'_w at the second level, OLS SE from the covariance
    fit = one.fits["y"]
    L = np.zeros(len(fit.names))
    L[fit.index(X)] = 1
    L[fit.index(f"{X}:subtype[T.radicular]")] = 1
    row = d[(d.term == "direct") & (d.w_value == "radicular")].iloc[0]
    assert row.estimate == pytest.approx(L @ fit.coef, rel=1e-12)
    assert row.std_error == pytest.approx(np.sqrt(L @ fit.vcov @ L), rel=1e-12)


def test_parallel_mediators_and_per_equation_covariates(data) -> None:
    res = quiet(mediate, data, X, [M, "paindetect"], Y, covariates={"m": ["age"], "y": ["age", "protocol"]},
                moderator="bmi", moderate=("b",), n_boot=200, seed=2)
    td = res.tidy()
    assert set(td[td.term == "indirect"].mediator) == {M, "paindetect"}
    assert len(td[td.term == "total_indirect"]) == 3
    assert "protocol[T.2]" not in res.fits[f"m:{M}"].names and "protocol[T.2]" in res.fits["y"].names
    tot = td[td.term == "total_indirect"].estimate.to_numpy()
    per = td[td.term == "indirect"].groupby("w_value", sort=False).estimate.sum().to_numpy()
    np.testing.assert_allclose(tot, per, rtol=1e-12)


def test_at_values_and_percentiles(data) -> None:
    res = quiet(moderation, data, X, "bmi", Y, at="percentiles")
    cc = data.dropna(subset=[X, Y, "bmi"])
    np.testing.assert_allclose(res.w_values, np.percentile(cc.bmi, [16, 50, 84]), rtol=1e-12)
    res = quiet(moderation, data, X, "bmi", Y, at=[20, 30])
    assert res.w_values == [20.0, 30.0]
    res = quiet(mediate, data, X, M, Y, moderator="subtype", at=["radicular"], n_boot=50, seed=1)
    assert list(res.tidy().query("term == 'indirect'").w_value) == ["radicular"]


@pytest.mark.parametrize(
    ("change", "kwargs", "exc", "match"),
    [
        (lambda d: d.assign(k=2.0), {"moderator": "k"}, SpecificationError, "constant"),
        (lambda d: d, {"moderator": X}, SpecificationError, "cannot be both"),
        (lambda d: d.assign(x2=d[X] * 3 + 1), {"moderator": "x2"}, SpecificationError, "linear copy"),
        (lambda d: d.assign(g=np.where(d[M].notna() & (d[M].notna().cumsum() <= 2), "rare", "common")),
         {"moderator": "g"}, InsufficientDataError, "fewer than 3"),
        (lambda d: d, {"moderator": "subtype", "moderate": ()}, SpecificationError, "moderate"),
        (lambda d: d, {"moderator": "subtype", "moderate": ("z",)}, SpecificationError, "moderate must be"),
        (lambda d: d, {"moderator": "subtype", "moderate": ("c_prime",)}, SpecificationError, "model 5"),
        (lambda d: d, {"moderator": "subtype", "m": [M, "paindetect"], "serial": True}, SpecificationError,
         "serial"),
        (lambda d: d, {"moderator": "subtype", "at": ["nope"]}, SpecificationError, "not a level"),
        (lambda d: d, {"moderator": "bmi", "at": "median"}, SpecificationError, "at must be"),
        (lambda d: d, {"moderator": "subtype", "hc": "hc7"}, SpecificationError, "hc must be"),
        (lambda d: d.assign(age2=d.age * 2), {"moderator": "subtype", "covariates": ["age", "age2"]},
         RankDeficiencyError, "age2"),
    ],
)
def test_bad_input_clear_errors(data, change, kwargs, exc, match) -> None:
    args = {"x": X, "m": M, "y": Y, "n_boot": 20, "seed": 1, **kwargs}
    with pytest.raises(exc, match=match):
        quiet(mediate, change(data.copy()), **args)


def test_moderation_bad_input(data) -> None:
    with pytest.raises(SpecificationError, match="constant"):
        quiet(moderation, data.assign(k=1.0), X, "k", Y)
    with pytest.raises(SpecificationError, match="linear copy"):
        quiet(moderation, data.assign(x2=-data[X]), X, "x2", Y)
    with pytest.raises(InsufficientDataError, match="fewer than 3"):
        quiet(moderation, data.assign(g=["a"] * 2 + ["b"] * (len(data) - 2)), X, "g", Y)
    with pytest.raises(SpecificationError, match="conf_level"):
        quiet(moderation, data, X, "bmi", Y, conf_level=1.5)
    with pytest.raises(SpecificationError, match="alpha"):
        quiet(moderation, data, X, "bmi", Y).johnson_neyman(alpha=2)


def test_exclusions_named_once_and_input_not_mutated(data) -> None:
    before = data.copy()
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        res = mediate(data, X, M, Y, moderator="subtype", n_boot=50, seed=1)
    assert len([w for w in rec if issubclass(w.category, nis.exceptions.DataWarning)]) == 1
    excluded = tuple(data.subject_id[data[M].isna()])
    assert res.excluded_ids == excluded and res.n == len(data) - len(excluded)
    pd.testing.assert_frame_equal(data, before)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        mres = moderation(data, X, "subtype", M)
    assert len(rec) == 1 and mres.excluded_ids == excluded


def test_summary_tidy_vocabulary_and_plots(data) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from neuroimmune_stats.results import tidy_column_ok

    for key, moderate in PROCESS_MODELS.items():
        if moderate == 5:
            continue
        res = quiet(mediate, data, X, M, Y, moderator="subtype", moderate=tuple(key), n_boot=50, seed=1)
        assert f"PROCESS model {moderate}" in res.summary() and repr(res) == res.summary()
        assert all(tidy_column_ok(c, res.extra_columns) for c in res.tidy().columns)
    mres = quiet(moderation, data, X, "bmi", Y)
    assert all(tidy_column_ok(c) for c in mres.tidy().columns)
    assert "Johnson-Neyman" in mres.summary()
    fig, axes = plt.subplots(1, 4)
    assert mres.plot(ax=axes[0]) is axes[0]
    assert mres.plot(ax=axes[1], kind="jn") is axes[1]
    assert res.plot(ax=axes[2]) is axes[2]
    assert res.plot_distribution(ax=axes[3], mediator=M, w_value="radicular") is axes[3]
    assert "radicular" in axes[3].get_xlabel() and len(axes[3].patches) == 60
    assert len(axes[1].get_lines()) >= 2  # conditional effect line and the JN boundaries
    plt.close(fig)


@pytest.mark.parametrize("hc", ["hc0", "hc1", "hc2", "hc3", "hc4"])
def test_simple_mediate_hc_paths_match_r_vcovhc(data, hc) -> None:
    """mediate(hc=...) without a moderator: M ~ X + cov is model 14's M equation, Y ~ X + M + cov
    model 7's Y equation (R vcovHC + coeftest); t tests on the residual df, bootstrap unchanged."""
    res = quiet(mediate, data, X, M, Y, covariates=COV, hc=hc, n_boot=200, seed=4)
    plain = quiet(mediate, data, X, M, Y, covariates=COV, n_boot=200, seed=4)
    check_fit(res.fits[f"m:{M}"], R["mediation"]["14_bmi"]["m"], hc)
    check_fit(res.fits["y"], R["mediation"]["7_bmi"]["y"], hc)
    td, tp = res.tidy().set_index("term"), plain.tidy().set_index("term")
    ref = R["mediation"]["14_bmi"]["m"][hc]
    j = R["mediation"]["14_bmi"]["m"]["names"].index(X)
    assert td.loc["a", "std_error"] == pytest.approx(ref["se"][j], rel=1e-8)
    assert td.loc["a", "p_value"] == pytest.approx(ref["p"][j], rel=1e-7)
    assert td.loc["indirect", "conf_low"] == tp.loc["indirect", "conf_low"]
    assert hc.upper() in res.summary()
