"""NUTS of bayes_mediate: the compiled engine against the exact posterior, its densities and gradients,
the diagnostics against ArviZ, reproducibility, rank checks and string storage."""

from __future__ import annotations

import contextlib

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
    return bayes_mediate(nuts_data, "x", "m", "y", covariates=["age", "sex"], draws=500, tune=500,
                         chains=2, priors="vague", method="nuts", seed=7)


def test_nuts_result_structure(nuts_fit):
    assert nuts_fit.method == "nuts" and nuts_fit.sampler == "numba"
    assert nuts_fit.seed == 7
    assert nuts_fit.sample_stats["diverging"].shape == (2, 500)
    assert not nuts_fit.sample_stats["diverging"].any()
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


# ---------------------------------------------------------------- the engine's densities and gradients
def _targets(likelihood: str):
    from neuroimmune_stats.bayes._design import build_design
    from neuroimmune_stats.bayes.nuts import _EquationTarget
    from neuroimmune_stats.bayes.priors import resolve_priors

    d = simulate(40, seed=11)
    design = build_design(d, "x", "m", "y", ["age", "sex"])
    priors, _ = resolve_priors(design, None)
    eqs = [*design.mediator_eqs, design.outcome_eq]
    return [(e, q, _EquationTarget(e, q, likelihood)) for e, q in zip(eqs, priors, strict=True)]


def _direct_logp(eq, prior, beta, sigma2, nu=None):
    """log posterior (up to a constant) from the data, the priors and the Jacobians, written plainly."""
    from scipy import stats

    Z = np.column_stack([np.ones(len(eq.response)), eq.X])
    resid = eq.response - Z @ beta
    sd = np.sqrt(sigma2)
    lik = stats.norm.logpdf(resid, 0, sd).sum() if nu is None else stats.t.logpdf(resid, nu, 0, sd).sum()
    coef = stats.norm.logpdf(beta, prior.mu, prior.sd * sd / prior.ref_sd).sum()
    ig = stats.invgamma.logpdf(sigma2, prior.alpha, scale=prior.beta) + np.log(sigma2)
    out = lik + coef + ig
    if nu is not None:
        out += stats.gamma.logpdf(nu, 2.0, scale=10.0) + np.log(nu)
    return out


@pytest.mark.parametrize("likelihood", ["normal", "student_t"])
def test_engine_density_equals_model_density_and_gradient(likelihood):
    from neuroimmune_stats.bayes._nuts import logp_grad

    rng = np.random.default_rng(0)
    for eq, prior, tg in _targets(likelihood):
        diffs = []
        for _ in range(5):
            q = tg.initial_point(rng) + rng.normal(0, 0.3, tg.dim)
            g = np.empty(tg.dim)
            lp = logp_grad(tg.kind, q, g, tg.fp, *tg.arrays)
            beta = tg.coefficients(q[: tg.P])
            nu = np.exp(q[tg.P + 1]) if tg.kind == 1 else None
            diffs.append(lp - _direct_logp(eq, prior, beta, np.exp(q[tg.P]), nu))
            num = np.empty(tg.dim)
            for i in range(tg.dim):
                h = np.zeros(tg.dim)
                h[i] = 1e-6
                gg = np.empty(tg.dim)
                num[i] = (logp_grad(tg.kind, q + h, gg, tg.fp, *tg.arrays)
                          - logp_grad(tg.kind, q - h, gg, tg.fp, *tg.arrays)) / 2e-6
            np.testing.assert_allclose(g, num, rtol=1e-5, atol=1e-5)
        # same density up to the normalising constant
        assert np.ptp(diffs) < 1e-8 * max(1.0, abs(diffs[0]))


def test_diagnostics_equal_arviz():
    import arviz as az

    from neuroimmune_stats.bayes.diagnostics import ess_bulk, rhat

    rng = np.random.default_rng(3)
    for shape in [(4, 1000), (2, 31), (3, 7)]:
        x = rng.standard_normal(shape).cumsum(axis=1) * 0.1 + rng.standard_normal(shape)
        assert rhat(x) == pytest.approx(float(az.rhat(x)), rel=1e-10)
        assert ess_bulk(x) == pytest.approx(float(az.ess(x, method="bulk")), rel=1e-10)
    ties = np.round(rng.standard_normal((4, 200)), 1)
    assert rhat(ties) == pytest.approx(float(az.rhat(ties)), rel=1e-10)
    assert ess_bulk(ties) == pytest.approx(float(az.ess(ties, method="bulk")), rel=1e-10)


@pytest.mark.filterwarnings("ignore::neuroimmune_stats.exceptions.ConvergenceWarning")
def test_nuts_seed_reproducible_and_own_stream():
    d = simulate(54, seed=4)
    kw = dict(covariates=["age"], draws=200, tune=200, chains=2, method="nuts")
    r1 = bayes_mediate(d, "x", "m", "y", seed=11, **kw)
    r2 = bayes_mediate(d, "x", "m", "y", seed=11, **kw)
    r3 = bayes_mediate(d, "x", "m", "y", seed=12, **kw)
    np.testing.assert_array_equal(r1.posterior["indirect"], r2.posterior["indirect"])
    assert not np.array_equal(r1.posterior["indirect"], r3.posterior["indirect"])


def test_collinear_covariate_rejected_by_rank_rule():
    from neuroimmune_stats.exceptions import RankDeficiencyError

    d = simulate(54, seed=5)
    d["age2"] = 2 * d["age"] + 1e-9 * np.random.default_rng(0).standard_normal(54)
    for method in ("exact", "nuts"):
        with pytest.raises(RankDeficiencyError, match="age2"):
            bayes_mediate(d, "x", "m", "y", covariates=["age", "age2"], method=method, seed=1)


@pytest.mark.parametrize("storage", ["pyarrow", "python", "object", "infer_string"])
def test_string_storage_does_not_change_the_answer(storage):
    """A text covariate gives the same posterior whether pandas stores it as pyarrow, python or object."""
    base = simulate(54, seed=6)
    base["sex"] = base["sex"].astype(str).astype(object)
    ref = bayes_mediate(base, "x", "m", "y", covariates=["sex"], method="exact", seed=2)
    if storage == "infer_string":
        infer = pd.option_context("future.infer_string", True) if pd.__version__ < "3" else contextlib.nullcontext()
        with infer:  # pandas >= 3 infers str columns by default
            d = pd.DataFrame({c: base[c].tolist() for c in base.columns})
            res = bayes_mediate(d, "x", "m", "y", covariates=["sex"], method="exact", seed=2)
    else:
        d = base.copy()
        d["sex"] = d["sex"].astype(pd.StringDtype(storage) if storage != "object" else object)
        res = bayes_mediate(d, "x", "m", "y", covariates=["sex"], method="exact", seed=2)
    np.testing.assert_array_equal(res.posterior["indirect"], ref.posterior["indirect"])
    assert res.tidy().equals(ref.tidy())
