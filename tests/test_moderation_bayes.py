"""Bayesian moderated mediation (exact conjugate path and NUTS) and compare_mediation on moderated results."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _moderation_data import moderation_input, quiet

from neuroimmune_stats.bayes.moderated import bayes_moderated_mediate
from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.mediation import mediate

X, M, Y, COV = "suvr_s1", "fss", "conn_s1__thalamus", ["age", "protocol"]


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return moderation_input()


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    rng = np.random.default_rng(4)
    n = 400
    df = pd.DataFrame({"x": rng.normal(size=n), "w": rng.normal(size=n), "c": rng.normal(size=n)})
    df["g"] = np.where(rng.random(n) < 0.5, "lo", "hi")
    df["m"] = (0.5 + 0.3 * df.w) * df.x + 0.2 * df.c + rng.normal(size=n)
    df["y"] = 0.6 * df.m + 0.2 * df.x + rng.normal(size=n)
    return df


@pytest.mark.parametrize("moderate", [("a",), ("b",), ("a", "b", "c_prime")])
def test_exact_posterior_centres_on_ols_with_vague_priors(big, moderate) -> None:
    """Vague conjugate priors: the posterior mean of each coefficient is the OLS estimate (t posterior),
    and the posterior of each conditional effect centres on its plug-in value within MC error."""
    freq = mediate(big, "x", "m", "y", covariates=["c"], moderator="w", moderate=moderate, n_boot=200, seed=1)
    bay = bayes_moderated_mediate(big, "x", "m", "y", "w", moderate=moderate, covariates=["c"], priors="vague",
                                  method="exact", draws=5000, chains=2, seed=np.random.SeedSequence(3))
    f, b = freq.tidy(), bay.tidy()
    assert list(f.term) == list(b.term)
    paths = f.term.isin(["a", "a:w", "b", "b:w", "c_prime", "c_prime:w"]).to_numpy()
    mc = b.std_error / np.sqrt(10000)
    assert np.all(np.abs(b.estimate[paths] - f.estimate[paths]) < 5 * mc[paths])
    # posterior SD of a coefficient = OLS SE × sqrt(df / (df - 2)) (t posterior), within 3%
    ratio = (b.std_error[paths] / f.std_error[paths]).to_numpy()
    assert np.all(np.abs(ratio - 1) < 0.04)
    cond = f.term.isin(["indirect", "index_moderated_mediation"]).to_numpy()
    assert np.all(np.abs(b.estimate[cond] - f.estimate[cond]) < 5 * mc[cond] + 0.01)
    assert f"PROCESS model {freq.process_model}" in bay.summary()


def test_factor_moderator_difference_and_index(big) -> None:
    bay = bayes_moderated_mediate(big, "x", "m", "y", "g", moderate=("a",), method="exact", draws=2000, chains=2,
                                  seed=np.random.SeedSequence(5))
    td = bay.tidy()
    idx = td[td.term == "index_moderated_mediation"].iloc[0]
    diff = td[td.term == "indirect_difference"].iloc[0]
    assert idx.estimate == pytest.approx(diff.estimate, rel=1e-12)  # 0/1 coding: index == difference
    assert diff.contrast == "lo - hi"
    draws = bay.posterior_distribution("indirect", "m", "lo") - bay.posterior_distribution("indirect", "m", "hi")
    np.testing.assert_allclose(draws, bay.posterior_distribution("indirect_difference", "m"), rtol=1e-12)


def test_seed_reproducible_and_streams_independent(data) -> None:
    from neuroimmune_stats._rng import analysis_seed

    kw = {"moderate": ("a",), "covariates": COV, "method": "exact", "draws": 300, "chains": 2}
    one = quiet(bayes_moderated_mediate, data, X, M, Y, "subtype", seed=analysis_seed(9, "bayes_mediate"), **kw)
    two = quiet(bayes_moderated_mediate, data, X, M, Y, "subtype", seed=analysis_seed(9, "bayes_mediate"), **kw)
    np.testing.assert_array_equal(one.posterior, two.posterior)
    assert one.n == 35 and len(one.excluded_ids) == 19
    with pytest.raises(SpecificationError, match="priors"):
        quiet(bayes_moderated_mediate, data, X, M, Y, "subtype", priors={"a": {"mu": 0, "sigma": 1}},
              seed=np.random.SeedSequence(1))
    with pytest.raises(SpecificationError, match="constant"):
        quiet(bayes_moderated_mediate, data.assign(k=1.0), X, M, Y, "k", seed=np.random.SeedSequence(1))


def test_nuts_agrees_with_exact(big) -> None:
    pytest.importorskip("neuroimmune_stats.bayes._nuts")  # the compiled NUTS engine of bayes/
    kw = {"moderate": ("b",), "covariates": ["c"], "draws": 1000, "chains": 2}
    ex = bayes_moderated_mediate(big, "x", "m", "y", "w", method="exact", seed=np.random.SeedSequence(1), **kw)
    nu = bayes_moderated_mediate(big, "x", "m", "y", "w", method="nuts", tune=500, seed=np.random.SeedSequence(1),
                                 **kw)
    e, n = ex.tidy(), nu.tidy()
    # NUTS draws are autocorrelated: allow 5 MC SEs at its bulk ESS
    tol = 5 * e.std_error / np.sqrt(np.minimum(n.ess_bulk, 2000))
    assert np.all(np.abs(e.estimate - n.estimate) < tol)
    assert np.all(np.abs(n.std_error / e.std_error - 1) < 0.15)
    assert np.nanmax(n.r_hat) < 1.02


def test_bayes_mediate_dispatch(data) -> None:
    import neuroimmune_stats as nis
    from neuroimmune_stats._rng import analysis_seed

    bay = quiet(nis.bayes_mediate, data, X, M, Y, covariates=COV, moderator="subtype", moderate=("a",),
                method="exact", draws=200, chains=2, seed=2)
    assert bay.seed == 2 and bay.process_model == 7
    direct = quiet(bayes_moderated_mediate, data, X, M, Y, "subtype", covariates=COV, method="exact", draws=200,
                   chains=2, seed=analysis_seed(2, "bayes_mediate"))
    np.testing.assert_array_equal(bay.posterior, direct.posterior)


def test_compare_mediation_on_moderated_results(data) -> None:
    import neuroimmune_stats as nis

    freq = quiet(nis.mediate, data, X, M, Y, covariates=COV, moderator="subtype", moderate=("a",), n_boot=300, seed=2)
    bay = quiet(bayes_moderated_mediate, data, X, M, Y, "subtype", covariates=COV, moderate=("a",), method="exact",
                draws=500, chains=2, seed=np.random.SeedSequence(2))
    cmp = quiet(nis.compare_mediation, freq, bay)
    td = cmp.tidy()
    ind = td[td.term == "indirect"]
    assert sorted(ind.w_value) == ["axial", "radicular"]
    assert {"index_moderated_mediation", "indirect_difference", "a:w"} <= set(td.term)
    assert "Frequentist" in cmp.summary()
    other = quiet(bayes_moderated_mediate, data, X, M, Y, "subtype", covariates=COV, moderate=("b",),
                  method="exact", draws=200, chains=2, seed=np.random.SeedSequence(2))
    with pytest.raises(SpecificationError, match="different models"):
        nis.compare_mediation(freq, other)
