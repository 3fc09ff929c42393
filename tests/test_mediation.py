"""Bootstrap mediation (issue 5): agreement with R lm/lavaan, pingouin, PyProcessMacro; structure;
reproducibility; singular resamples; bad input.

Kinds of check: ``*_matches_lm`` / ``*_lavaan`` are validations against R fixtures
(tests/reference/mediation_lavaan.R); ``*_pingouin`` / ``*_pyprocessmacro`` are cross-checks of
point estimates; ``*_identity`` are algebraic identities; the rest are behaviour tests.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats._rng import child_seeds
from neuroimmune_stats.exceptions import (
    DataWarning,
    InsufficientDataError,
    RankDeficiencyError,
    ResamplingWarning,
    SpecificationError,
)

REF = Path(__file__).parent / "reference"
X, M, Y, M2 = "suvr_s1", "fss", "conn_s1__thalamus", "conn_s1__pcc"
COVS = ["age", "protocol"]


@pytest.fixture(scope="module")
def cohort() -> pd.DataFrame:
    return pd.read_csv(REF / "mediation_lavaan_input.csv",
                       dtype={"subject_id": str, "protocol": str})


@pytest.fixture(scope="module")
def fixture() -> dict:
    return json.loads((REF / "mediation_lavaan.json").read_text())


def quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def rows(res: nis.mediation.MediationResult) -> dict:
    td = res.tidy()
    return {(r.term, None if pd.isna(r.mediator) else r.mediator): r for r in td.itertuples()}


# ---------------------------------------------------------------------------- R: lm and lavaan
def _lm(fix: dict, model: str, eq: str, name: str) -> tuple[float, float]:
    e = fix["lm"][model][eq]
    j = e["names"].index(name)
    return e["estimate"][j], e["std_error"][j]


def test_simple_paths_match_lm(cohort, fixture) -> None:
    res = quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=200, seed=1)
    r = rows(res)
    expect = {("a", M): ("m", "X"), ("b", M): ("y", "M"), ("c_prime", None): ("y", "X"),
              ("c", None): ("total", "X")}
    for key, (eq, name) in expect.items():
        est, se = _lm(fixture, "simple", eq, name)
        assert r[key].estimate == pytest.approx(est, rel=1e-8, abs=1e-12)
        assert r[key].std_error == pytest.approx(se, rel=1e-8)
        assert r[key].df == fixture["lm"]["simple"][eq]["df"]
    a, _ = _lm(fixture, "simple", "m", "X")
    b, _ = _lm(fixture, "simple", "y", "M")
    assert r[("indirect", M)].estimate == pytest.approx(a * b, rel=1e-8)
    # covariate rows of the full equations (protocol dummy-coded, first level reference)
    fit = res.fits["y"]
    for mine, theirs in (("age", "age"), ("protocol[T.2]", "protocol2")):
        est, se = _lm(fixture, "simple", "y", theirs)
        assert fit.coef[fit.index(mine)] == pytest.approx(est, rel=1e-8)
        assert fit.se[fit.index(mine)] == pytest.approx(se, rel=1e-8)


@pytest.mark.parametrize("serial", [False, True])
def test_parallel_and_serial_paths_match_lm(cohort, fixture, serial) -> None:
    model = "serial" if serial else "parallel"
    res = quiet(nis.mediate, cohort, X, [M, M2], Y, COVS, n_boot=100, serial=serial, seed=1)
    r = rows(res)
    expect = {("a", M): ("m1", "X"), ("a", M2): ("m2", "X"), ("b", M): ("y", "M"),
              ("b", M2): ("y", "M2"), ("c_prime", None): ("y", "X"), ("c", None): ("total", "X")}
    if serial:
        expect[("d", f"{M} -> {M2}")] = ("m2", "M")
    for key, (eq, name) in expect.items():
        est, se = _lm(fixture, model, eq, name)
        assert r[key].estimate == pytest.approx(est, rel=1e-8)
        assert r[key].std_error == pytest.approx(se, rel=1e-8)
    a1, a2 = _lm(fixture, model, "m1", "X")[0], _lm(fixture, model, "m2", "X")[0]
    b1, b2 = _lm(fixture, model, "y", "M")[0], _lm(fixture, model, "y", "M2")[0]
    if serial:
        d = _lm(fixture, model, "m2", "M")[0]
        assert r[("indirect", f"{M} -> {M2}")].estimate == pytest.approx(a1 * d * b2, rel=1e-8)
        assert r[("indirect", M2)].estimate == pytest.approx(a2 * b2, rel=1e-8)
        total = a1 * b1 + a1 * d * b2 + a2 * b2
    else:
        assert r[("indirect", M2)].estimate == pytest.approx(a2 * b2, rel=1e-8)
        assert r[("contrast", f"{M} - {M2}")].estimate == pytest.approx(a1 * b1 - a2 * b2, rel=1e-8)
        total = a1 * b1 + a2 * b2
    assert r[("total_indirect", None)].estimate == pytest.approx(total, rel=1e-8)


@pytest.fixture(scope="module")
def mc_sd(cohort, fixture) -> dict:
    """Monte Carlo SD of every compared bootstrap quantity at lavaan's B, derived empirically.

    Our bootstrap is repeated with 40 independent seeds at B0 = 2000 resamples; the SD of each
    quantity (bootstrap SE, interval bounds) across repetitions scales as 1/sqrt(B), so at
    lavaan's B it is sd_B0 * sqrt(B0 / B). Two independent estimates at B differ with SD
    sqrt(2) * sd_B; the tests allow 4 of those.
    """
    b0, reps, big_b = 2000, 40, fixture["lavaan"]["B"]
    out: dict = {}
    for ci in ("percentile", "bc", "bca"):
        vals = []
        for s in range(reps):
            td = quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=b0, ci=ci, seed=1000 + s).tidy()
            td = td.set_index(td.term)
            vals.append(td.loc[["a", "b", "c_prime", "indirect", "c"],
                               ["boot_std_error", "boot_conf_low", "boot_conf_high"]].to_numpy())
        out[ci] = np.std(np.array(vals), axis=0, ddof=1) * np.sqrt(b0 / big_b)
    return out


@pytest.mark.parametrize(("ci", "lav"), [("percentile", "perc"), ("bc", "bca_simple"),
                                         ("bca", "bca")])
def test_bootstrap_se_and_interval_match_lavaan(cohort, fixture, mc_sd, ci, lav) -> None:
    big_b = fixture["lavaan"]["B"]
    res = quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=big_b, ci=ci, seed=20221123)
    td = res.tidy().set_index("term")
    ours = td.loc[["a", "b", "c_prime", "indirect", "c"],
                  ["boot_std_error", "boot_conf_low", "boot_conf_high"]].to_numpy()
    p = fixture["lavaan"][lav]
    order = [p["label"].index(k) for k in ("a", "b", "cp", "ab", "total")]
    theirs = np.column_stack([np.array(p[k])[order] for k in ("se", "lower", "upper")])
    est = np.array(p["est"])[order]
    np.testing.assert_allclose(td.loc[["a", "b", "c_prime", "indirect", "c"], "estimate"], est,
                               rtol=1e-7)
    tol = 4 * np.sqrt(2) * mc_sd[ci]
    assert np.all(np.abs(ours - theirs) <= tol), (ours - theirs) / (np.sqrt(2) * mc_sd[ci])


# ---------------------------------------------------------------------------- peers
def test_point_estimates_match_pingouin(cohort) -> None:
    import pingouin as pg

    d = cohort.assign(protocol2=(cohort.protocol == "2").astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs = pg.mediation_analysis(data=d, x=X, m=M, y=Y, covar=["age", "protocol2"],
                                       n_boot=200, seed=1).set_index("path")
    r = rows(quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=200, seed=1))
    assert theirs.loc[f"{M} ~ X", "coef"] == pytest.approx(r[("a", M)].estimate, rel=1e-8)
    assert theirs.loc["Total", "coef"] == pytest.approx(r[("c", None)].estimate, rel=1e-8)
    assert theirs.loc["Direct", "coef"] == pytest.approx(r[("c_prime", None)].estimate, rel=1e-8)
    assert theirs.loc["Indirect", "coef"] == pytest.approx(r[("indirect", M)].estimate, rel=1e-8)
    # pingouin's "Y ~ M" row is Y regressed on M (+ covariates) WITHOUT X: not the b path
    design = np.column_stack([np.ones(len(d)), d[M], d.age, d.protocol2])
    y_on_m = np.linalg.lstsq(design, d[Y], rcond=None)[0][1]
    assert theirs.loc[f"Y ~ {M}", "coef"] == pytest.approx(y_on_m, rel=1e-8)
    assert abs(theirs.loc[f"Y ~ {M}", "coef"] - r[("b", M)].estimate) > 1e-3


def test_point_estimates_match_pyprocessmacro(cohort) -> None:
    ppm = pytest.importorskip("pyprocessmacro")
    d = cohort.assign(protocol2=(cohort.protocol == "2").astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = ppm.Process(data=d, model=4, x=X, y=Y, m=[M], controls=["age", "protocol2"],
                        controls_in="all", boot=500, seed=1, suppr_init=True)
        ind = p.indirect_model.coeff_summary()
        direct = p.direct_model.coeff_summary()
    r = rows(quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=200, seed=1))
    assert float(np.ravel(ind["Effect"])[0]) == pytest.approx(r[("indirect", M)].estimate, rel=1e-8)
    assert float(np.ravel(direct["Effect"])[0]) == pytest.approx(r[("c_prime", None)].estimate,
                                                                  rel=1e-8)
    assert float(np.ravel(direct["SE"])[0]) == pytest.approx(r[("c_prime", None)].std_error, rel=1e-6)


# ---------------------------------------------------------------------------- structure
def test_tidy_columns_terms_and_identities(cohort) -> None:
    res = quiet(nis.mediate, cohort, X, [M, M2], Y, COVS, n_boot=300, seed=3)
    td = res.tidy()
    assert list(td.columns[:9]) == ["term", "mediator", "estimate", "std_error", "statistic", "df",
                                    "p_value", "conf_low", "conf_high"]
    assert {"a", "b", "c", "c_prime", "indirect", "total_indirect", "contrast"} <= set(td.term)
    assert (td.n == res.n).all() and res.n == 35
    # c = c' + total indirect, in the estimate and in every resample (same covariates everywhere)
    r = rows(res)
    assert r[("c", None)].estimate == pytest.approx(
        r[("c_prime", None)].estimate + r[("total_indirect", None)].estimate, rel=1e-9)
    np.testing.assert_allclose(
        res.bootstrap_distribution("c"),
        res.bootstrap_distribution("c_prime") + res.bootstrap_distribution("total_indirect"),
        rtol=1e-7, atol=1e-9)
    # indirect effects are products of the same resamples' paths
    np.testing.assert_allclose(
        res.bootstrap_distribution("indirect", M),
        res.bootstrap_distribution("a", M) * res.bootstrap_distribution("b", M), rtol=1e-9)
    # bootstrap SE of indirect rows is the SD of the draws
    assert r[("indirect", M)].std_error == pytest.approx(
        np.std(res.bootstrap_distribution("indirect", M), ddof=1))
    with pytest.raises(KeyError, match="several mediators"):
        res.bootstrap_distribution("indirect")
    assert res.x == X and res.y == Y and res.mediators == [M, M2]
    assert res.covariates == COVS and res.n_boot == 300 and res.ci == "bc"
    assert res.conf_level == 0.95 and res.excluded_ids == ()


def test_standardized_and_sobel(cohort) -> None:
    res = quiet(nis.mediate, cohort, X, M, Y, n_boot=200, seed=2)
    r = rows(res)
    ab = r[("indirect", M)].estimate
    sdx, sdy = cohort[X].std(), cohort[Y].std()
    assert r[("indirect_std", M)].estimate == pytest.approx(ab * sdx / sdy, rel=1e-9)
    assert r[("indirect_partial_std", M)].estimate == pytest.approx(ab / sdy, rel=1e-9)
    a, b = r[("a", M)], r[("b", M)]
    se = np.sqrt(b.estimate**2 * a.std_error**2 + a.estimate**2 * b.std_error**2)
    assert r[("indirect", M)].sobel_std_error == pytest.approx(se, rel=1e-12)
    assert r[("indirect_std", M)].conf_low < r[("indirect_std", M)].conf_high
    assert r[("proportion_mediated", None)].estimate == pytest.approx(
        ab / r[("c", None)].estimate)


def test_per_equation_covariates_like_cmatrix(cohort) -> None:
    res = quiet(nis.mediate, cohort, X, M, Y, covariates={"m": ["age"], "y": ["age", "protocol"]},
                n_boot=100, seed=1)
    d = cohort.assign(p2=(cohort.protocol == "2").astype(float))
    one = np.ones(len(d))
    a = np.linalg.lstsq(np.column_stack([one, d[X], d.age]), d[M], rcond=None)[0][1]
    b = np.linalg.lstsq(np.column_stack([one, d[X], d[M], d.age, d.p2]), d[Y], rcond=None)[0][2]
    c = np.linalg.lstsq(np.column_stack([one, d[X], d.age, d.p2]), d[Y], rcond=None)[0][1]
    r = rows(res)
    assert r[("a", M)].estimate == pytest.approx(a, rel=1e-9)
    assert r[("b", M)].estimate == pytest.approx(b, rel=1e-9)
    assert r[("c", None)].estimate == pytest.approx(c, rel=1e-9)
    assert "Covariates of fss: age" in res.summary()


def test_summary_reads_like_process(cohort) -> None:
    s = quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=200, seed=1).summary()
    for piece in ("OUTCOME VARIABLE: fss", "Model Summary", "Direct effect of X on Y",
                  "Indirect effect(s) of X on Y:", "BootLLCI", "Sobel", "Number of bootstrap samples"):
        assert piece in s
    assert repr(quiet(nis.mediate, cohort, X, M, Y, n_boot=50, seed=1)).startswith("Mediation")


# ---------------------------------------------------------------------------- reproducibility
def test_same_seed_same_numbers_any_n_jobs(cohort) -> None:
    r1 = quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=400, ci="bca", seed=7, n_jobs=1)
    r2 = quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=400, ci="bca", seed=7, n_jobs=2)
    np.testing.assert_array_equal(r1.draws, r2.draws)
    pd.testing.assert_frame_equal(r1.tidy(), r2.tidy())
    r3 = quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=400, ci="bca", seed=8)
    assert not np.array_equal(r1.draws, r3.draws)
    gen = quiet(nis.mediate, cohort, X, M, Y, n_boot=50, seed=np.random.default_rng(1))
    assert gen.n_boot == 50


def test_grid_models_orderings_and_seeds(cohort) -> None:
    v = [X, M, Y]
    grid = quiet(nis.mediation_grid, cohort, v, n_boot=300, seed=11)
    td = grid.tidy()
    assert td.model.tolist() == [1, 2, 3, 4, 5, 6]
    expect = [(0, 1, 2), (1, 0, 2), (2, 1, 0), (1, 2, 0), (2, 0, 1), (0, 2, 1)]
    assert [tuple(v.index(r[c]) for c in "xmy") for _, r in td.iterrows()] == expect
    seeds = child_seeds(11, 6)
    for i in (0, 4):
        ix, im, iy = expect[i]
        one = quiet(nis.mediate, cohort, v[ix], v[im], v[iy], n_boot=300, seed=seeds[i])
        assert td.estimate[i] == pytest.approx(one.effect("indirect"), rel=1e-12)
        assert td.conf_low[i] == pytest.approx(rows(one)[("indirect", v[im])].conf_low, rel=1e-12)
    assert td.significant.tolist() == list((td.conf_low > 0) | (td.conf_high < 0))
    assert "model" in grid.summary()
    with pytest.raises(SpecificationError, match="three different"):
        nis.mediation_grid(cohort, [X, M])
    with pytest.raises(TypeError, match="unexpected"):
        nis.mediation_grid(cohort, v, n_bootstrap=10)


def test_paper_model1_story_on_simulated_cohort(cohort) -> None:
    """Model 1 on the calibrated cohort (the committed CSV = simulate_cohort(seed=2), n = 35) tells
    the paper's story: c = 1.54 ± 0.74, c′ = 0.59, a×b = 0.95 ± 0.37, BC CI [0.35, 1.82]."""
    res = quiet(nis.mediate, cohort, X, M, Y, n_boot=5000, seed=1)
    r = rows(res)
    assert res.n == 35
    assert 0.7 < r[("c", None)].estimate < 2.5 and 0.3 < r[("c", None)].std_error < 1.2
    assert 0.4 < r[("indirect", M)].estimate < 1.6
    assert r[("indirect", M)].conf_low > 0  # the bias-corrected CI excludes zero, as reported


# ---------------------------------------------------------------------------- singular resamples
def test_singular_resamples_min_norm_and_counted(cohort) -> None:
    d = cohort.copy()
    d["site"] = ["rare"] * 2 + ["common"] * (len(d) - 2)
    with pytest.warns(ResamplingWarning, match="singular"):
        res = nis.mediate(d, X, M, Y, covariates=["site"], n_boot=1000, seed=5)
    # P(resample misses both rare rows) = (33/35)^35 ≈ 0.128
    assert 60 < res.n_singular < 200
    assert np.isfinite(res.draws).all()
    # min-norm solution of a resample without the rare level = fit without the covariate
    from neuroimmune_stats.mediation._engine import Engine
    from neuroimmune_stats.mediation._spec import prepare

    eng = Engine(quiet(prepare, d, X, M, Y, ["site"]))
    idx = np.random.default_rng(0).integers(2, len(d), size=(3, len(d)))
    eff, bad = eng.effects(eng.moments_from_indices(idx))
    assert bad.all()
    sub = d.iloc[idx[0]]
    design = np.column_stack([np.ones(len(sub)), sub[X]])
    a = np.linalg.lstsq(design, sub[M], rcond=None)[0][1]
    assert eff[0, 0] == pytest.approx(a, rel=1e-8)


# ---------------------------------------------------------------------------- bad input
def test_missing_values_complete_cases_reported(cohort) -> None:
    d = cohort.copy()
    d.loc[[0, 3], M] = np.nan
    with pytest.warns(DataWarning, match="excluded") as rec:
        res = nis.mediate(d, X, M, Y, n_boot=50, seed=1)
    ids = tuple(cohort.subject_id.iloc[[0, 3]])
    assert res.excluded_ids == ids and res.n == len(d) - 2
    assert all(i in str(rec[0].message) for i in ids)


@pytest.mark.parametrize(
    ("change", "kwargs", "exc", "match"),
    [
        (lambda d: d.assign(suvr_s1=1.0), {}, SpecificationError, "x column 'suvr_s1' is constant"),
        (lambda d: d.assign(fss=d.suvr_s1 * 2 + 1), {}, SpecificationError, "linear copy"),
        (lambda d: d, {"m": X}, SpecificationError, "different columns"),
        (lambda d: d.assign(fss=d.fss.astype(str) + "pts"), {}, SpecificationError, "numeric"),
        (lambda d: d.head(4), {}, InsufficientDataError, "complete cases are needed"),
        (lambda d: d, {"m": "nope"}, SpecificationError, "not in the data"),
        (lambda d: d, {"ci": "bca2"}, SpecificationError, "ci must be"),
        (lambda d: d, {"conf_level": 95}, SpecificationError, "conf_level"),
        (lambda d: d, {"n_boot": 0}, SpecificationError, "n_boot"),
        (lambda d: d, {"serial": True}, SpecificationError, "two mediators"),
        (lambda d: d, {"covariates": {"z": ["age"]}}, SpecificationError, "keys"),
        (lambda d: d.assign(age2=d.age * 2), {"covariates": ["age", "age2"]}, RankDeficiencyError,
         "rank deficient"),
        (lambda d: d.assign(k=1.0), {"covariates": ["k"]}, SpecificationError, "constant"),
    ],
)
def test_bad_input_clear_errors(cohort, change, kwargs, exc, match) -> None:
    args = {"x": X, "m": M, "y": Y, "n_boot": 50, "seed": 1, **kwargs}
    with pytest.raises(exc, match=match):
        quiet(nis.mediate, change(cohort.copy()), **args)


def test_proportion_mediated_warns_when_total_near_zero() -> None:
    rng = np.random.default_rng(3)
    x = rng.normal(size=80)
    m = 0.5 * x + rng.normal(size=80)
    y = 0.5 * m + rng.normal(size=80)
    y = y - np.polyval(np.polyfit(x, y, 1), x)  # total effect c = 0 exactly
    with pytest.warns(DataWarning, match="proportion mediated"):
        nis.mediate(pd.DataFrame({"x": x, "m": m, "y": y}), "x", "m", "y", n_boot=50, seed=1)


def test_does_not_mutate_input(cohort) -> None:
    before = cohort.copy()
    quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=50, seed=1)
    pd.testing.assert_frame_equal(cohort, before)


# ---------------------------------------------------------------------------- plots
def test_plots_return_axes(cohort) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = quiet(nis.mediate, cohort, X, M, Y, COVS, n_boot=200, seed=1)
    _fig, (ax1, ax2) = plt.subplots(1, 2)
    assert res.plot(ax=ax1) is ax1
    texts = " ".join(t.get_text() for t in ax1.texts)
    assert "a = " in texts and "b = " in texts and "c′ = " in texts and "*" in texts
    assert res.plot_distribution(ax=ax2) is ax2
    assert len(ax2.patches) > 10
    par = quiet(nis.mediate, cohort, X, [M, M2], Y, serial=True, n_boot=100, seed=1)
    assert "d = " in " ".join(t.get_text() for t in par.plot().texts)
    grid_ax = quiet(nis.mediation_grid, cohort, [X, M, Y], n_boot=100, seed=1).plot()
    assert grid_ax.texts
    plt.close("all")


def test_statistic_is_chunk_invariant(cohort) -> None:
    """Chunk size (memory bound) and the internal count block never change the numbers."""
    from neuroimmune_stats.mediation._engine import Engine
    from neuroimmune_stats.mediation._spec import prepare
    from neuroimmune_stats.mediation.bootstrap import _Statistic
    from neuroimmune_stats.resampling import resample

    eng = Engine(quiet(prepare, cohort, X, [M, M2], Y, COVS, serial=True))
    whole = resample(_Statistic(eng), eng.n, 700, seed=3)
    chunked = resample(_Statistic(eng), eng.n, 700, seed=3, chunk_size=64)
    np.testing.assert_allclose(whole, chunked, rtol=1e-11, atol=1e-14)
    idx = np.random.default_rng(1).integers(0, eng.n, size=(300, eng.n))
    np.testing.assert_allclose(eng.moments_from_indices(idx, block=7),
                               eng.moments_from_indices(idx), rtol=1e-13, atol=1e-15)


def test_quantiles_equal_a_column_by_column_reference() -> None:
    from neuroimmune_stats.mediation import intervals

    rng = np.random.default_rng(0)
    for t in range(120):
        B, p = int(rng.integers(1, 2000)), int(rng.integers(1, 12))
        d = rng.normal(size=(B, p))
        if t % 3 == 0:
            d[rng.random((B, p)) < 0.05] = np.inf
        if t % 5 == 0:
            d[rng.random((B, p)) < 0.05] = np.nan
        if t % 7 == 0:
            d[:, 0] = np.nan
        if t % 4 == 0:
            d = np.round(d, 1)  # ties
        probs = rng.random((2, p))
        probs[0, 0] = 0.0
        probs[1, -1] = 1.0 if t % 2 else np.nan
        got = intervals._quantiles(d, probs)
        want = np.full((2, p), np.nan)  # R type 7 on each column's finite draws, written out
        for j in range(p):
            x = np.sort(d[np.isfinite(d[:, j]), j])
            for i in range(2):
                if x.size and np.isfinite(probs[i, j]):
                    h = (x.size - 1) * min(max(probs[i, j], 0.0), 1.0)
                    lo = int(np.floor(h))
                    hi, frac = min(lo + 1, x.size - 1), h - lo
                    want[i, j] = x[lo] if frac == 0 else x[lo] + frac * (x[hi] - x[lo])
        np.testing.assert_array_equal(got, want)
        finite = np.isfinite(probs) & np.isfinite(d).any(axis=0)[None, :]
        ref = [np.quantile(d[np.isfinite(d[:, j]), j], np.clip(probs[i, j], 0, 1))
               for i in range(2) for j in range(p) if finite[i, j]]
        np.testing.assert_allclose(got[finite], ref, rtol=1e-12, atol=1e-12)
