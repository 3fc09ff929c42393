"""Bayesian mediation: the exact conjugate path, priors, bad input, the comparison and the imports.

NUTS plumbing lives in test_bayes_nuts.py (one shared fit); numbers are checked on the exact path.
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from neuroimmune_stats.bayes import BayesMediationResult, bayes_mediate, compare_mediation
from neuroimmune_stats.bayes.result import hdi, prob_direction
from neuroimmune_stats.exceptions import (
    DataWarning,
    InsufficientDataError,
    RankDeficiencyError,
    SpecificationError,
)


def simulate(n: int = 54, seed: int = 0, a: float = 0.5, b: float = 0.5, cp: float = 0.2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({
        "subject_id": [f"s{i:03d}" for i in range(n)],
        "x": rng.normal(size=n),
        "age": rng.normal(45, 10, n),
        "sex": pd.Categorical(rng.choice(["F", "M"], n)),
    })
    df["m"] = a * df["x"] + 0.02 * (df["age"] - 45) + rng.normal(size=n)
    df["m2"] = 0.3 * df["x"] + rng.normal(size=n)
    df["y"] = cp * df["x"] + b * df["m"] + 0.2 * df["m2"] + 0.3 * (df["sex"] == "M") + rng.normal(size=n)
    return df


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return simulate()


# ---------------------------------------------------------------------------- imports
def test_bayesian_stack_imports_together():
    code = (
        "import matplotlib; matplotlib.use('Agg'); import arviz, pymc, matplotlib.pyplot;"
        "print(arviz.__version__, pymc.__version__, matplotlib.__version__)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    az_v, pm_v, mpl_v = out.stdout.split()
    assert int(pm_v.split(".")[0]) == 5
    assert az_v.startswith("0.") and mpl_v.startswith("3.")


def test_import_package_does_not_load_pymc_or_arviz():
    code = (
        "import sys, numpy as np, pandas as pd, neuroimmune_stats as nis\n"
        "from neuroimmune_stats.bayes import bayes_mediate\n"
        "rng = np.random.default_rng(0)\n"
        "df = pd.DataFrame({'x': rng.normal(size=30), 'm': rng.normal(size=30), 'y': rng.normal(size=30)})\n"
        "res = nis.bayes_mediate(df, 'x', 'm', 'y', method='exact', draws=100, seed=0)\n"
        "print(sorted(k for k in ('pymc', 'arviz', 'pytensor', 'matplotlib') if k in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------- exact path
def test_exact_tidy_terms_and_columns(data):
    res = bayes_mediate(data, "x", "m", "y", covariates=["age", "sex"], method="exact", draws=1000, seed=1)
    tab = res.tidy()
    assert list(tab.columns) == ["term", "mediator", "estimate", "std_error", "conf_low", "conf_high",
                                 "pd", "r_hat", "ess_bulk", "n"]
    assert list(tab["term"]) == ["a", "b", "c_prime", "c", "indirect", "proportion_mediated"]
    assert (tab["n"] == 54).all()
    assert (tab["conf_low"] < tab["estimate"]).all() and (tab["estimate"] < tab["conf_high"]).all()
    assert ((tab["pd"] >= 0.5) & (tab["pd"] <= 1)).all()
    # iid draws: R-hat ≈ 1 and bulk ESS near the number of draws
    assert (tab["r_hat"] < 1.01).all()
    assert (tab["ess_bulk"] > 2500).all()
    post = res.posterior
    np.testing.assert_allclose(post["indirect"][..., 0], post["a"][..., 0] * post["b"][..., 0])
    np.testing.assert_allclose(post["c"], post["c_prime"] + post["indirect"].sum(-1))
    assert post["a"].shape == (4, 1000, 1) and post["beta_m"].shape == (4, 1000, 1, 2)


def test_exact_matches_closed_form_t_posterior_with_vague_priors(data):
    """With V0 → ∞ and a0, b0 → 0 the marginal posterior of a slope is Student-t with n degrees of
    freedom, centre the OLS estimate and scale² = (RSS/n)·[(XᵀX)⁻¹]ⱼⱼ = SE²·(n − P)/n."""
    import statsmodels.formula.api as smf

    res = bayes_mediate(data, "x", "m", "y", covariates=["age", "sex"], method="exact", draws=25_000,
                        priors="vague", seed=3)
    fm = smf.ols("m ~ x + age + sex", data).fit()
    fy = smf.ols("y ~ x + m + age + sex", data).fit()
    n = len(data)
    for draws, fit, name in ((res.draws_of("a"), fm, "x"), (res.draws_of("b"), fy, "m"),
                             (res.posterior["c_prime"], fy, "x")):
        scale = fit.bse[name] * np.sqrt(fit.df_resid / n)
        ref = stats.t(df=n, loc=fit.params[name], scale=scale)
        mcse = ref.std() / np.sqrt(draws.size)
        assert abs(draws.mean() - fit.params[name]) < 5 * mcse
        assert abs(draws.std() / ref.std() - 1) < 0.015
        q = np.quantile(draws, [0.025, 0.5, 0.975])
        np.testing.assert_allclose(q, ref.ppf([0.025, 0.5, 0.975]), atol=0.03 * ref.std())
        assert stats.kstest(draws.ravel()[::10], ref.cdf).pvalue > 1e-3


def test_exact_agrees_with_ols_point_estimate_on_large_sample():
    big = simulate(n=20_000, seed=5)
    res = bayes_mediate(big, "x", "m", "y", method="exact", draws=2000, seed=1, priors="vague")
    import statsmodels.formula.api as smf

    a = smf.ols("m ~ x", big).fit().params["x"]
    b = smf.ols("y ~ x + m", big).fit().params["m"]
    est = res.tidy().set_index("term").loc["indirect"]
    assert abs(est["estimate"] - a * b) < 0.002
    assert est["conf_low"] < a * b < est["conf_high"]


def test_exact_same_seed_identical_draws_and_seed_types(data):
    kw = dict(method="exact", draws=200, chains=2)
    r1 = bayes_mediate(data, "x", "m", "y", seed=42, **kw)
    r2 = bayes_mediate(data, "x", "m", "y", seed=42, **kw)
    r3 = bayes_mediate(data, "x", "m", "y", seed=43, **kw)
    np.testing.assert_array_equal(r1.posterior["indirect"], r2.posterior["indirect"])
    assert not np.array_equal(r1.posterior["indirect"], r3.posterior["indirect"])
    g1 = bayes_mediate(data, "x", "m", "y", seed=np.random.default_rng(5), **kw)
    g2 = bayes_mediate(data, "x", "m", "y", seed=np.random.default_rng(5), **kw)
    np.testing.assert_array_equal(g1.posterior["a"], g2.posterior["a"])
    n1 = bayes_mediate(data, "x", "m", "y", seed=None, **kw)
    n2 = bayes_mediate(data, "x", "m", "y", seed=None, **kw)
    assert not np.array_equal(n1.posterior["a"], n2.posterior["a"])


def test_parallel_mediators(data):
    res = bayes_mediate(data, "x", ["m", "m2"], "y", covariates="age", method="exact", draws=500, seed=2)
    tab = res.tidy()
    pairs = list(zip(tab["term"], tab["mediator"], strict=True))[:4]
    assert pairs == [("a", "m"), ("a", "m2"), ("b", "m"), ("b", "m2")]
    assert "total_indirect" in set(tab["term"])
    ind = tab[tab["term"] == "indirect"].set_index("mediator")["estimate"]
    tot = tab.set_index("term").loc["total_indirect", "estimate"]
    assert tot == pytest.approx(ind.sum())
    assert res.draws_of("indirect", "m2").shape == (4, 500)
    with pytest.raises(SpecificationError, match="pass mediator"):
        res.draws_of("indirect")
    with pytest.raises(SpecificationError, match="no mediator"):
        res.draws_of("a", "nope")


def test_missing_values_are_excluded_and_recorded(data):
    d = data.copy()
    d.loc[[3, 7], "m"] = np.nan
    d.loc[10, "age"] = np.nan
    with pytest.warns(DataWarning, match="3 subject"):
        res = bayes_mediate(d, "x", "m", "y", covariates=["age"], method="exact", draws=100, seed=0)
    assert res.n == 51
    assert res.excluded_ids == ("s003", "s007", "s010")
    assert d.loc[3, "m"] != d.loc[3, "m"]  # the caller's frame is untouched (still NaN)


def test_idata_groups_for_exact(data):
    res = bayes_mediate(data, "x", ["m", "m2"], "y", covariates=["age"], method="exact", draws=100, seed=0)
    idata = res.idata
    assert {"posterior", "observed_data", "log_likelihood"} <= set(idata.groups())
    assert idata.posterior["indirect"].shape == (4, 100, 2)
    assert idata.log_likelihood["m"].shape == (4, 100, 54, 2)
    assert idata.log_likelihood["y"].shape == (4, 100, 54)
    np.testing.assert_allclose(idata.observed_data["y"].values, data["y"].to_numpy())
    # the pointwise log-likelihood matches scipy at one draw
    p = res.posterior
    xc = data["x"] - data["x"].mean()
    agec = data["age"] - data["age"].mean()
    mu = p["intercept_m"][0, 0, 0] + p["a"][0, 0, 0] * xc + p["beta_m"][0, 0, 0, 0] * agec
    ll = stats.norm.logpdf(data["m"], mu, p["sigma_m"][0, 0, 0])
    np.testing.assert_allclose(idata.log_likelihood["m"].values[0, 0, :, 0], ll, rtol=1e-10)


def test_summary_prints_priors_and_table(data):
    res = bayes_mediate(data, "x", "m", "y", covariates=["age"], method="exact", draws=200, seed=0)
    text = res.summary()
    assert "InverseGamma" in text and "Normal(mu=" in text and "indirect" in text
    assert repr(res) == text
    assert "HDI" in text


def test_hdi_and_pd_helpers():
    x = np.arange(1001, dtype=float)
    lo, hi = hdi(x, 0.9)
    assert hi - lo == pytest.approx(900)
    skew = np.random.default_rng(0).exponential(size=50_000)
    lo, hi = hdi(skew, 0.95)
    assert lo < 0.01 and hi == pytest.approx(-np.log(0.05), rel=0.05)
    assert prob_direction(np.array([-1.0, 1, 2, 3])) == 0.75


# ---------------------------------------------------------------------------- priors
def test_prior_override_takes_effect(data):
    strong = {"a": {"mu": 0.0, "sigma": 1e-4}}
    res = bayes_mediate(data, "x", "m", "y", method="exact", draws=500, priors=strong, seed=0)
    assert abs(res.draws_of("a").mean()) < 1e-3
    assert res.priors["a"]["sigma"][0] == 1e-4
    assert "a            Normal(mu=0, sigma=0.0001)" in res.summary()
    # a per-mediator array prior with two mediators
    res2 = bayes_mediate(data, "x", ["m", "m2"], "y", method="exact", draws=500, seed=0,
                         priors={"b": {"mu": [1.0, 0.0], "sigma": [1e-4, 1e-4]}})
    assert res2.draws_of("b", "m").mean() == pytest.approx(1.0, abs=1e-3)


@pytest.mark.parametrize(
    "priors, match",
    [
        ({"alpha": {"mu": 0}}, "unknown prior name"),
        ({"a": {"mean": 0}}, "unknown key"),
        ({"a": {"sigma": -1}}, "must be > 0"),
        ({"a": {"sigma": [1.0, 2.0]}}, "shape"),
        ({"beta_y": {"mu": [0, 0, 0]}}, "shape"),
        ({"sigma_y": {"mu": 1}}, "unknown key"),
        ({"sigma_m": {"alpha": 0}}, "must be > 0"),
        ({"a": 1.0}, "must be a dict"),
        ({"a": {"mu": np.nan}}, "finite"),
        ("flat", "priors must be"),
    ],
)
def test_bad_priors(data, priors, match):
    with pytest.raises(SpecificationError, match=match):
        bayes_mediate(data, "x", "m", "y", covariates=["age"], method="exact", draws=10, priors=priors)


def test_prior_for_absent_covariates(data):
    with pytest.raises(SpecificationError, match="no covariates"):
        bayes_mediate(data, "x", "m", "y", method="exact", draws=10, priors={"beta_m": {"mu": 0}})


# ---------------------------------------------------------------------------- bad input
@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        (dict(x="nope"), SpecificationError, "not in the data"),
        (dict(x=["x"]), SpecificationError, "one column name"),
        (dict(m=[]), SpecificationError, "at least one mediator"),
        (dict(m="x"), SpecificationError, "different columns"),
        (dict(m="sex"), SpecificationError, "numeric"),
        (dict(covariates=["m"]), SpecificationError, "both a covariate"),
        (dict(method="mcmc"), SpecificationError, "method"),
        (dict(likelihood="cauchy"), SpecificationError, "likelihood"),
        (dict(likelihood="student_t", method="exact"), SpecificationError, "student_t"),
        (dict(draws=0), SpecificationError, "draws"),
        (dict(chains=1.5), SpecificationError, "chains"),
        (dict(seed="abc"), SpecificationError, "seed"),
    ],
)
def test_bad_arguments(data, kwargs, exc, match):
    args = dict(x="x", m="m", y="y", method="exact", draws=10)
    args.update(kwargs)
    with pytest.raises(exc, match=match):
        bayes_mediate(data, **args)


def test_bad_data():
    d = simulate(n=30)
    with pytest.raises(SpecificationError, match="DataFrame"):
        bayes_mediate(d.to_dict(), "x", "m", "y", method="exact")
    c = d.assign(m=1.0)
    with pytest.raises(SpecificationError, match="constant"):
        bayes_mediate(c, "x", "m", "y", method="exact")
    with pytest.raises(SpecificationError, match="linear copy"):
        bayes_mediate(d.assign(m=2 * d["x"] + 1), "x", "m", "y", method="exact")
    with pytest.raises(InsufficientDataError):
        bayes_mediate(d.iloc[:4], "x", "m", "y", covariates=["age"], method="exact")
    with pytest.raises(RankDeficiencyError, match="rank deficient"):
        bayes_mediate(d.assign(age2=2 * d["age"]), "x", "m", "y", covariates=["age", "age2"], method="exact")


# ---------------------------------------------------------------------------- calibration
def _coverage(n_rep: int, seed: int) -> float:
    """Simulate (a, b, ...) from the prior, data from the model, and count 95% HDIs holding a·b.

    With the parameters drawn from the prior the posterior is calibrated: any 95% credible set
    covers the truth with probability exactly 0.95, so this checks the conjugate algebra.
    """
    rng = np.random.default_rng(seed)
    n = 54
    priors = {"a": {"mu": 0.3, "sigma": 0.5}, "b": {"mu": 0.3, "sigma": 0.5}, "c_prime": {"mu": 0, "sigma": 0.5},
              "intercept_m": {"mu": 0, "sigma": 1}, "intercept_y": {"mu": 0, "sigma": 1},
              "beta_m": {"mu": 0, "sigma": 0.5}, "beta_y": {"mu": 0, "sigma": 0.5},
              "sigma_m": {"alpha": 3, "beta": 2}, "sigma_y": {"alpha": 3, "beta": 2}}
    ref = np.sqrt(2 / 3)
    hits = 0
    for _ in range(n_rep):
        x = rng.normal(size=n)
        z = rng.normal(size=(n, 2))
        s_m, s_y = np.sqrt(1 / rng.gamma(3, 1 / 2, size=2))
        xc, zc = x - x.mean(), z - z.mean(0)
        a = rng.normal(0.3, 0.5 * s_m / ref)
        m = rng.normal(0, s_m / ref) + a * xc + zc @ rng.normal(0, 0.5 * s_m / ref, 2) + rng.normal(0, s_m, n)
        b = rng.normal(0.3, 0.5 * s_y / ref)
        mc = m - m.mean()
        y = (rng.normal(0, s_y / ref) + rng.normal(0, 0.5 * s_y / ref) * xc + b * mc
             + zc @ rng.normal(0, 0.5 * s_y / ref, 2) + rng.normal(0, s_y, n))
        df = pd.DataFrame({"x": x, "m": m, "y": y, "z1": z[:, 0], "z2": z[:, 1]})
        res = bayes_mediate(df, "x", "m", "y", covariates=["z1", "z2"], method="exact", draws=500,
                            chains=2, priors=priors, seed=rng)
        lo, hi = hdi(res.posterior["indirect"], 0.95)
        hits += lo <= a * b <= hi
    return hits / n_rep


def test_hdi_coverage_small():
    n_rep = 200
    cov = _coverage(n_rep, seed=11)
    se = np.sqrt(0.95 * 0.05 / n_rep)
    assert abs(cov - 0.95) < 3.5 * se


@pytest.mark.slow
def test_hdi_coverage_full():
    n_rep = 4000
    cov = _coverage(n_rep, seed=12)
    se = np.sqrt(0.95 * 0.05 / n_rep)
    assert abs(cov - 0.95) < 3 * se


# ---------------------------------------------------------------------------- plots
def test_plot_posterior_returns_axes(data):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    res = bayes_mediate(data, "x", "m", "y", method="exact", draws=300, seed=0)
    fig, ax = plt.subplots()
    out = res.plot(ax=ax)
    assert out is ax
    assert "indirect" in ax.get_xlabel()
    assert len(fig.axes) == 1
    plt.close("all")


# ---------------------------------------------------------------------------- comparison
class FakeMediation:
    """Test double of the ``mediate`` result interface (x, mediators, y, tidy, bootstrap draws)."""

    def __init__(self, data: pd.DataFrame, x: str, m: list[str], y: str, n_boot: int = 400, seed: int = 0):
        import statsmodels.formula.api as smf

        self.x, self.mediators, self.y, self.covariates = x, list(m), y, ()
        self.n, self.conf_level, self.ci, self.n_boot = len(data), 0.95, "percentile", n_boot
        rng = np.random.default_rng(seed)
        med = m[0]

        def ab(d: pd.DataFrame) -> tuple[float, float, float]:
            a = smf.ols(f"{med} ~ {x}", d).fit().params[x]
            fy = smf.ols(f"{y} ~ {x} + {med}", d).fit()
            return a, fy.params[med], fy.params[x]

        self._a, self._b, self._cp = ab(data)
        self._draws = np.array([np.prod(ab(data.iloc[rng.integers(0, len(data), len(data))])[:2])
                                for _ in range(n_boot)])

    def bootstrap_distribution(self, term: str = "indirect", mediator: str | None = None) -> np.ndarray:
        return self._draws.copy()

    def tidy(self) -> pd.DataFrame:
        lo, hi = np.quantile(self._draws, [0.025, 0.975])
        rows = [("a", self._a, np.nan, np.nan, 50.0), ("b", self._b, np.nan, np.nan, 50.0),
                ("c_prime", self._cp, np.nan, np.nan, 50.0), ("indirect", self._a * self._b, lo, hi, np.nan)]
        return pd.DataFrame([{"term": t, "mediator": self.mediators[0] if t in "ab indirect" else None,
                              "estimate": e, "std_error": np.nan, "conf_low": lo_ if np.isfinite(lo_) else e - 0.3,
                              "conf_high": hi_ if np.isfinite(hi_) else e + 0.3, "df": d}
                             for t, e, lo_, hi_, d in rows])


@pytest.fixture(scope="module")
def comparison_double(data):
    freq = FakeMediation(data, "x", ["m"], "y", n_boot=200)
    bayes = bayes_mediate(data, "x", "m", "y", method="exact", draws=500, seed=0)
    return compare_mediation(freq, bayes)


def test_compare_with_test_double(comparison_double):
    tab = comparison_double.tidy()
    assert list(tab["term"]) == ["a", "b", "c_prime", "indirect"]
    ind = tab.set_index("term").loc["indirect"]
    assert ind["interval_freq"] == "95% percentile bootstrap"
    assert ind["interval_bayes"] == "95% HDI (exact)"
    assert tab.set_index("term").loc["a", "interval_freq"] == "95% t (OLS)"
    assert ind["width_freq"] == pytest.approx(ind["conf_high_freq"] - ind["conf_low_freq"])
    assert ind["excludes_zero_freq"] == (ind["conf_low_freq"] > 0 or ind["conf_high_freq"] < 0)
    assert "Frequentist" in comparison_double.summary()


def test_compare_plot(comparison_double):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = comparison_double.plot()
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any("bootstrap" in s for s in labels) and any("posterior" in s for s in labels)
    plt.close("all")


def test_compare_rejects_mismatch(data):
    freq = FakeMediation(data, "x", ["m"], "y", n_boot=20)
    other = bayes_mediate(data, "x", "m2", "y", method="exact", draws=50, seed=0)
    with pytest.raises(SpecificationError, match="different models"):
        compare_mediation(freq, other)
    with pytest.raises(SpecificationError, match="bayes_mediate"):
        compare_mediation(freq, freq)
    with pytest.raises(SpecificationError, match="mediate"):
        compare_mediation(object(), other)
    sub = bayes_mediate(data.iloc[:40], "x", "m", "y", method="exact", draws=50, seed=0)
    with pytest.warns(DataWarning, match="sample sizes differ"):
        compare_mediation(freq, sub)


def test_compare_with_real_mediate():
    from neuroimmune_stats.mediation import mediate

    big = simulate(n=400, seed=9)
    freq = mediate(big, "x", "m", "y", covariates=["age"], n_boot=1000, ci="bc", seed=1)
    bayes = bayes_mediate(big, "x", "m", "y", covariates=["age"], method="exact", priors="vague", seed=1)
    assert isinstance(bayes, BayesMediationResult)
    cmp = compare_mediation(freq, bayes)
    tab = cmp.tidy().set_index("term")
    assert set(tab.index) == {"a", "b", "c_prime", "c", "indirect"}
    assert tab.loc["indirect", "interval_freq"] == "95% bias-corrected bootstrap"
    # same question, large sample: the two answers agree closely
    boot_sd = freq.bootstrap_distribution("indirect").std()
    assert abs(tab.loc["indirect", "estimate_bayes"] - tab.loc["indirect", "estimate_freq"]) < 0.1 * boot_sd
    for t in ("a", "b", "c_prime", "c"):
        assert tab.loc[t, "estimate_bayes"] == pytest.approx(tab.loc[t, "estimate_freq"], abs=0.01)
    assert abs(tab.loc["indirect", "width_bayes"] / tab.loc["indirect", "width_freq"] - 1) < 0.15
    assert tab.loc["indirect", "excludes_zero_bayes"] == tab.loc["indirect", "excludes_zero_freq"]
