"""Imai–Keele–Yamamoto sensitivity of the indirect effect: closed form, an independent numerical
solution, a simulation with known confounding, and bad input."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import optimize

import neuroimmune_stats as nis
from neuroimmune_stats.exceptions import SpecificationError


def _quiet(fn, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kwargs)


def _simulate(n: int, rho: float, seed: int, a: float = 0.5, b: float = 0.4,
              cp: float = 0.3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.normal(size=n)
    cov = rng.normal(size=n)
    e = rng.multivariate_normal([0, 0], [[1, rho], [rho, 1]], size=n)
    m = a * x + 0.3 * cov + e[:, 0]
    y = cp * x + b * m - 0.2 * cov + e[:, 1]
    return pd.DataFrame({"x": x, "m": m, "y": y, "cov": cov})


@pytest.fixture(scope="module")
def cohort_result():
    df = nis.simulate_cohort(seed=2)
    return _quiet(nis.mediate, df, "suvr_s1", "fss", "conn_s1__thalamus",
                  covariates=["age", "protocol"], n_boot=200, seed=1)


def test_rho_zero_gives_ab_and_crossing_at_rho_tilde(cohort_result) -> None:
    sens = nis.mediation_sensitivity(cohort_result)
    assert sens.rho.size == 181 and sens.rho[0] == pytest.approx(-0.9)
    i0 = int(np.argmin(np.abs(sens.rho)))
    assert sens.acme[i0] == pytest.approx(cohort_result.effect("indirect"), rel=1e-10)
    assert sens.estimate == pytest.approx(cohort_result.effect("indirect"), rel=1e-10)
    at_zero = nis.mediation_sensitivity(cohort_result, rho=[sens.rho_zero])
    assert abs(at_zero.acme[0]) < 1e-10
    # sign change of the curve brackets rho_zero
    crossing = np.flatnonzero(np.diff(np.sign(sens.acme)) != 0)
    assert crossing.size == 1
    assert sens.rho[crossing[0]] <= sens.rho_zero <= sens.rho[crossing[0] + 1]
    assert sens.r2_product_residual == pytest.approx(sens.rho_zero**2)
    td = sens.tidy()
    assert list(td.columns) == ["rho", "term", "estimate", "n"] and len(td) == 181


def test_closed_form_matches_independent_numerical_solution(cohort_result) -> None:
    """For each ρ solve corr(ε2, ε1 − b ε2) = ρ for b on the sample residuals; δ(ρ) = a·b(ρ)."""
    res = cohort_result
    d = nis.simulate_cohort(seed=2).dropna(subset=["fss"])
    one = np.ones(len(d))
    p2 = (d.protocol.astype(str) == "2").to_numpy(float)
    design = np.column_stack([one, d.suvr_s1, d.age, p2])
    e1 = d.conn_s1__thalamus - design @ np.linalg.lstsq(design, d.conn_s1__thalamus, rcond=None)[0]
    fit_m = np.linalg.lstsq(design, d.fss, rcond=None)[0]
    e2 = d.fss - design @ fit_m
    rhos = np.array([-0.8, -0.5, -0.1, 0.0, 0.2, 0.45, 0.7])
    sens = nis.mediation_sensitivity(res, rho=rhos)
    for r, acme in zip(rhos, sens.acme, strict=True):
        b = optimize.brentq(lambda bb, r=r: np.corrcoef(e2, e1 - bb * e2)[0, 1] - r, -50, 50,
                            xtol=1e-14)
        assert acme == pytest.approx(fit_m[1] * b, rel=1e-7, abs=1e-10)


@pytest.mark.parametrize("rho_true", [0.0, 0.4, -0.3])
def test_simulation_recovers_true_indirect_effect(rho_true) -> None:
    """Errors generated with corr = ρ: δ(ρ) recovers a·b = 0.2 while the naive a·b is biased."""
    df = _simulate(200_000, rho_true, seed=int(10 * (rho_true + 1)))
    res = _quiet(nis.mediate, df, "x", "m", "y", covariates=["cov"], n_boot=2, seed=1)
    sens = nis.mediation_sensitivity(res, rho=[rho_true])
    assert sens.acme[0] == pytest.approx(0.2, abs=0.01)
    if rho_true != 0:
        assert abs(res.effect("indirect") - 0.2) > 0.05  # confounding biases the naive estimate


def test_summary_and_plot(cohort_result) -> None:
    import matplotlib.pyplot as plt

    sens = nis.mediation_sensitivity(cohort_result)
    s = sens.summary()
    assert "rho at which the indirect effect is 0" in s and "Imai" in s
    assert repr(sens) == s
    _, ax = plt.subplots()
    assert sens.plot(ax=ax) is ax
    assert len(ax.lines) >= 2
    plt.close("all")


def test_bad_input(cohort_result) -> None:
    df = nis.simulate_cohort(seed=2)
    with pytest.raises(SpecificationError, match="rho"):
        nis.mediation_sensitivity(cohort_result, rho=[0.2, 1.0])
    with pytest.raises(SpecificationError, match="mediate"):
        nis.mediation_sensitivity("not a result")
    par = _quiet(nis.mediate, df, "suvr_s1", ["fss", "conn_s1__pcc"], "conn_s1__thalamus",
                 n_boot=20, seed=1)
    with pytest.raises(SpecificationError, match="one mediator"):
        nis.mediation_sensitivity(par)
    diff = _quiet(nis.mediate, df, "suvr_s1", "fss", "conn_s1__thalamus",
                  covariates={"m": [], "y": ["age"]}, n_boot=20, seed=1)
    with pytest.raises(SpecificationError, match="same"):
        nis.mediation_sensitivity(diff)
