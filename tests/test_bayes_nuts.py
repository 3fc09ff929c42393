"""NUTS plumbing of bayes_mediate: one shared PyMC fit (compiling costs seconds), tiny extra fits."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

from neuroimmune_stats.bayes import bayes_mediate
from neuroimmune_stats.exceptions import ConvergenceWarning


def simulate(n: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"x": rng.normal(size=n), "age": rng.normal(45, 10, n),
                       "sex": pd.Categorical(rng.choice(["F", "M"], n))})
    df["m"] = 0.5 * df["x"] + 0.02 * (df["age"] - 45) + rng.normal(size=n)
    df["y"] = 0.2 * df["x"] + 0.5 * df["m"] + 0.3 * (df["sex"] == "M") + rng.normal(size=n)
    return df


@pytest.fixture(scope="session")
def nuts_data() -> pd.DataFrame:
    return simulate(400, seed=21)


@pytest.fixture(scope="session")
def nuts_fit(nuts_data):
    """The one full NUTS fit of the suite (vague priors, 2 chains × 500 draws)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # PyTensor's BLAS notice
        return bayes_mediate(nuts_data, "x", "m", "y", covariates=["age", "sex"], draws=500, tune=500,
                             chains=2, priors="vague", method="nuts", seed=7)


def test_nuts_result_structure(nuts_fit):
    assert nuts_fit.method == "nuts" and nuts_fit.sampler in ("pymc", "nutpie")
    idata = nuts_fit.idata
    assert {"posterior", "observed_data", "log_likelihood", "sample_stats"} <= set(idata.groups())
    assert idata.posterior["indirect"].shape == (2, 500, 1)
    assert idata.log_likelihood["y"].shape == (2, 500, 400)
    tab = nuts_fit.tidy()
    assert list(tab["term"]) == ["a", "b", "c_prime", "c", "indirect", "proportion_mediated"]
    assert (tab["r_hat"] < 1.01).all()
    assert (tab["ess_bulk"] > 200).all()
    assert "NUTS" in nuts_fit.summary()


def test_nuts_and_exact_agree_within_mc_error(nuts_data, nuts_fit):
    import arviz as az

    def mcse(draws: np.ndarray, **kw) -> float:
        return float(np.ravel(az.mcse(draws, **kw))[0])

    exact = bayes_mediate(nuts_data, "x", "m", "y", covariates=["age", "sex"], draws=20_000, chains=4,
                          priors="vague", method="exact", seed=8)
    ne, ee = nuts_fit.draws_of("indirect"), exact.draws_of("indirect")
    mc_mean = np.hypot(mcse(ne, method="mean"), mcse(ee, method="mean"))
    assert abs(ne.mean() - ee.mean()) < 4 * mc_mean
    tn = nuts_fit.tidy().set_index("term").loc["indirect"]
    te = exact.tidy().set_index("term").loc["indirect"]
    for prob, end in ((0.025, "conf_low"), (0.975, "conf_high")):
        mc_q = np.hypot(mcse(ne, method="quantile", prob=prob),
                        mcse(ee, method="quantile", prob=prob))
        assert abs(np.quantile(ne, prob) - np.quantile(ee, prob)) < 4 * mc_q
        # HDI end points are noisier than quantiles: allow 5 quantile MC errors
        assert abs(tn[end] - te[end]) < 5 * mc_q
    # both agree with the OLS point estimate a·b
    import statsmodels.formula.api as smf

    a = smf.ols("m ~ x + age + sex", nuts_data).fit().params["x"]
    b = smf.ols("y ~ x + m + age + sex", nuts_data).fit().params["m"]
    assert abs(ee.mean() - a * b) < 4 * mcse(ee, method="mean") + 1e-3
    assert abs(ne.mean() - a * b) < 4 * mcse(ne, method="mean") + 1e-3


def test_nuts_student_t_same_seed_identical_draws_and_warnings():
    """Tiny Student-t fits: plumbing, reproducibility and the low-ESS ConvergenceWarning."""
    d = simulate(54, seed=3)
    d.loc[0, "y"] += 15.0  # an outlier
    kw = dict(draws=30, tune=30, chains=1, method="nuts", likelihood="student_t")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        with pytest.warns(ConvergenceWarning, match="ESS"):
            r1 = bayes_mediate(d, "x", "m", "y", seed=5, **kw)
        with pytest.warns(ConvergenceWarning):
            r2 = bayes_mediate(d, "x", "m", "y", seed=5, **kw)
    np.testing.assert_array_equal(r1.posterior["indirect"], r2.posterior["indirect"])
    np.testing.assert_array_equal(r1.posterior["sigma_y"], r2.posterior["sigma_y"])
    assert r1.likelihood == "student_t"
    assert "nu_y" in r1.idata.posterior
    assert {"log_likelihood", "observed_data"} <= set(r1.idata.groups())
    assert "Gamma(alpha=2, beta=0.1)" in r1.summary()
    assert np.isfinite(r1.tidy().set_index("term").loc["indirect", "estimate"])


def test_nuts_plot_uses_posterior(nuts_fit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    ax = nuts_fit.plot()
    assert "indirect" in ax.get_xlabel()
    plt.close("all")
