"""power_mediation (issue 17): Monte Carlo power of the bootstrap test of a*b.

Reference: Fritz & MacKinnon (2007, Psychological Science 18:233-239), Table 3, the empirical n for
.8 power (c' = 0) of the percentile and bias-corrected bootstrap; at the published n our power must be
0.80 within Monte Carlo error (theirs and ours). The table values used here:

=====  ==========  ===========
a, b   percentile  BC
=====  ==========  ===========
.14    558         462
.26    162         148
.39    78          71
.59    36          34
.39/.59 (a/b)  59  53
.59/.39 (a/b)  59  54
=====  ==========  ===========
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.planning import PowerResult, power_mediation
from neuroimmune_stats.planning.mediation_power import standardised_paths

#: (a, b, ci, published n for .8 power), Fritz & MacKinnon (2007) Table 3
FM_TABLE3 = [
    (0.14, 0.14, "percentile", 558), (0.14, 0.14, "bc", 462),
    (0.26, 0.26, "percentile", 162), (0.26, 0.26, "bc", 148),
    (0.39, 0.39, "percentile", 78), (0.39, 0.39, "bc", 71),
    (0.59, 0.59, "percentile", 36), (0.59, 0.59, "bc", 34),
    (0.39, 0.59, "percentile", 59), (0.39, 0.59, "bc", 53),
    (0.59, 0.39, "percentile", 59), (0.59, 0.39, "bc", 54),
]
#: Monte Carlo SE of the published power (their estimate of 0.8 from 1000 replications)
FM_SE = math.sqrt(0.8 * 0.2 / 1000)


def _within_mc_error(res: PowerResult, n_sims: int) -> None:
    se = math.sqrt(0.8 * 0.2 / n_sims)
    tol = 3 * math.sqrt(se**2 + FM_SE**2)
    assert abs(res.power - 0.8) < tol, (res.settings, res.power, tol)


@pytest.mark.parametrize("ci", ["percentile", "bc"])
def test_fritz_mackinnon_large_paths_small_version(ci: str) -> None:
    """CI-sized: a = b = .59 at the published n (36 percentile, 34 BC), 400 data sets x 500 resamples."""
    n = 36 if ci == "percentile" else 34
    res = power_mediation(0.59, 0.59, n=n, ci=ci, n_boot=500, n_sims=400, seed=2007)
    _within_mc_error(res, 400)


@pytest.mark.slow
@pytest.mark.parametrize(("a", "b", "ci", "n"), FM_TABLE3)
def test_fritz_mackinnon_table3(a: float, b: float, ci: str, n: int) -> None:
    res = power_mediation(a, b, n=n, ci=ci, n_boot=1000, n_sims=2000, seed=2007)
    _within_mc_error(res, 2000)


def test_tidy_mc_se_and_plot() -> None:
    res = power_mediation(0.59, 0.59, n=[20, 30, 45], n_sims=60, n_boot=200, seed=1)
    tidy = res.tidy()
    assert list(tidy.columns) == ["n", "power", "mc_se"]
    assert tidy["n"].tolist() == [20, 30, 45]
    p = tidy["power"].to_numpy()
    assert np.allclose(tidy["mc_se"], np.sqrt(p * (1 - p) / 60))
    assert res.n == 45 and res.seed == 1
    assert "Monte Carlo" in res.summary()
    ax = res.plot()
    assert len(ax.collections) >= 1  # the Monte Carlo band
    assert ax.get_ylabel() == "power"


def test_seed_reproducible_at_any_n_jobs() -> None:
    kw = dict(n=[25, 31], n_sims=50, n_boot=100, seed=11, covariates=2)
    one = power_mediation(0.5, 0.5, n_jobs=1, **kw).tidy()
    two = power_mediation(0.5, 0.5, n_jobs=2, **kw).tidy()
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(one, power_mediation(0.5, 0.5, **kw).tidy())
    import joblib

    with joblib.parallel_backend("threading", n_jobs=2):  # an active joblib backend is honoured
        pd.testing.assert_frame_equal(one, power_mediation(0.5, 0.5, **kw).tidy())
    other = power_mediation(0.5, 0.5, **{**kw, "seed": 12}).tidy()
    assert not one.equals(other)


def test_type_one_error_when_b_is_zero() -> None:
    res = power_mediation(0.39, 0.0, n=60, n_sims=300, n_boot=300, seed=5)
    assert res.power < 0.08  # the percentile test is conservative when one path is 0


def test_target_search_finds_a_crossing() -> None:
    res = power_mediation(0.59, 0.59, target=0.8, n_sims=150, n_boot=200, seed=3)
    tidy = res.tidy().set_index("n")["power"]
    assert res.target_reached and 20 <= res.n <= 60
    assert tidy[res.n] >= 0.8
    assert (tidy[tidy.index < res.n] < 0.8).all() and (res.n - 1) in tidy.index


def test_from_result_plans_from_pilot_estimates() -> None:
    import neuroimmune_stats as nis

    rng = np.random.default_rng(4)
    n = 80
    cov = rng.normal(size=n)
    x = 3 + 2 * rng.normal(size=n) + 0.5 * cov
    m = 1 + 0.8 * x + 1.5 * rng.normal(size=n)
    y = 2 + 0.6 * m + 0.1 * x + 0.3 * cov + 4 * rng.normal(size=n)
    df = pd.DataFrame({"x": x, "m": m, "y": y, "c": cov})
    fit = nis.mediate(df, x="x", m="m", y="y", covariates=["c"], n_boot=200, seed=1)
    paths = standardised_paths(fit)
    # direct definition: SD(X | C) / sigma_M etc. from residuals
    X1 = np.column_stack([np.ones(n), cov])
    rx = x - X1 @ np.linalg.lstsq(X1, x, rcond=None)[0]
    sd_x = math.sqrt(rx @ rx / (n - 2))
    fm, fy = fit.fits["m:m"], fit.fits["y"]
    sig_m, sig_y = math.sqrt(fm.sigma2), math.sqrt(fy.sigma2)
    assert paths["a"] == pytest.approx(fm.coef[fm.index("x")] * sd_x / sig_m, rel=1e-10)
    assert paths["b"] == pytest.approx(fy.coef[fy.index("m")] * sig_m / sig_y, rel=1e-10)
    assert paths["c_prime"] == pytest.approx(fy.coef[fy.index("x")] * sd_x / sig_y, rel=1e-10)
    res = power_mediation.from_result(fit, n=[60, 120], n_sims=40, n_boot=150, seed=2)
    assert res.pilot is not None and res.pilot["n"] == 80 and res.settings["covariates"] == 1
    assert res.settings["ci"] == "bc"  # the fitted result's interval
    assert "not post-hoc" in res.summary() and "pilot" in res.method
    same = power_mediation(paths["a"], paths["b"], paths["c_prime"], n=[60, 120], ci="bc", n_sims=40, n_boot=150,
                           seed=2, covariates=1)
    pd.testing.assert_frame_equal(res.tidy(), same.tidy())


def test_standardised_paths_recover_the_design() -> None:
    """Rescaled Fritz & MacKinnon data: the standardised paths come back (large n)."""
    import neuroimmune_stats as nis

    rng = np.random.default_rng(8)
    n = 20000
    x = rng.normal(size=n)
    m = 0.39 * x + rng.normal(size=n)
    y = 0.14 * x + 0.59 * m + rng.normal(size=n)
    df = pd.DataFrame({"x": 10 + 3 * x, "m": -2 + 0.5 * m, "y": 100 + 7 * y})
    fit = nis.mediate(df, x="x", m="m", y="y", n_boot=2, seed=1)
    p = standardised_paths(fit)
    assert p["a"] == pytest.approx(0.39, abs=0.02)
    assert p["b"] == pytest.approx(0.59, abs=0.02)
    assert p["c_prime"] == pytest.approx(0.14, abs=0.02)


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"a": 0.3, "b": 0.3}, "give n"),
    ({"a": 0.3, "b": 0.0, "target": 0.8}, "indirect effect a\\*b is 0"),
    ({"a": "big", "b": 0.3, "n": 50}, "a must be a finite number"),
    ({"a": 0.3, "b": 0.3, "n": 50, "ci": "norm"}, "ci must be one of"),
    ({"a": 0.3, "b": 0.3, "n": 4}, "n must be an integer"),
    ({"a": 0.3, "b": 0.3, "n": 50, "n_boot": 1}, "n_boot must be"),
    ({"a": 0.3, "b": 0.3, "n": 50, "n_sims": 0}, "n_sims must be"),
])
def test_bad_input_names_the_argument(kwargs: dict, match: str) -> None:
    with pytest.raises(SpecificationError, match=match):
        power_mediation(**kwargs)


def test_from_result_rejects_other_results() -> None:
    with pytest.raises(SpecificationError, match="MediationResult"):
        power_mediation.from_result(object(), n=50)
