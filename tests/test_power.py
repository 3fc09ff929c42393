"""Closed-form power (issue 17): power_ancova = R pwr::pwr.f2.test, power_correlation = pwr::pwr.r.test.

Reference values: tests/reference/power_pwr.R -> power_pwr.json (R pwr 1.3.0, SuppDists 1.1-9.7).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, stats

from neuroimmune_stats.exceptions import SpecificationError
from neuroimmune_stats.planning import PowerResult, power_ancova, power_correlation
from neuroimmune_stats.planning.power import ancova_power, correlation_power_exact, correlation_power_pwr

REF = json.loads((Path(__file__).parent / "reference" / "power_pwr.json").read_text())


def _alt(a: str) -> str:
    return "two-sided" if a == "two.sided" else a


def test_ancova_power_equals_pwr_f2_test_on_grid() -> None:
    grid = pd.DataFrame(REF["f2"])
    assert len(grid) == 324
    for r in grid.itertuples():
        got = power_ancova(r.f, n=int(r.n), groups=int(r.groups), covariates=int(r.covariates),
                           covariate_r2=r.covariate_r2, alpha=r.alpha).power
        assert got == pytest.approx(r.power, abs=1e-8), r


def test_ancova_target_n_equals_pwr_solution() -> None:
    """Smallest integer n = ceiling(v) + groups + covariates, v solved by pwr.f2.test(power=)."""
    for r in pd.DataFrame(REF["f2_target"]).itertuples():
        res = power_ancova(r.f, groups=int(r.groups), covariates=int(r.covariates), target=r.target, alpha=r.alpha)
        assert res.n == r.n
        assert res.power >= r.target
        assert ancova_power(r.f**2, res.n - 1, int(r.groups), int(r.covariates), r.alpha) < r.target


def test_ancova_effect_as_d_and_covariate_r2() -> None:
    assert power_ancova(0.6, n=50, effect_type="d").power == power_ancova(0.3, n=50).power
    adj = power_ancova(0.3, n=50, covariates=2, covariate_r2=0.36).power
    assert adj == pytest.approx(power_ancova(0.3 / 0.8, n=50, covariates=2).power, abs=1e-14)
    assert power_ancova(0.0, n=40).power == pytest.approx(0.05, abs=1e-12)


def test_correlation_power_equals_pwr_r_test_on_grid() -> None:
    grid = pd.DataFrame(REF["r"])
    assert len(grid) == 120
    for r in grid.itertuples():
        got = power_correlation(r.r, n=int(r.n), alpha=r.alpha, alternative=r.alternative).power
        assert got == pytest.approx(r.power, abs=1e-8), r


def test_correlation_target_n_equals_pwr_solution() -> None:
    for r in pd.DataFrame(REF["r_target"]).itertuples():
        res = power_correlation(r.r, target=r.target, alpha=r.alpha, alternative=r.alternative)
        assert res.n == r.n
        assert correlation_power_pwr(r.r, res.n - 1, r.alpha, _alt(r.alternative)) < r.target


def _mixture_power(r: float, n: int, alpha: float) -> float:
    """Independent exact route: t of the slope given X is noncentral t with ncp δ√U, U ~ χ²(n − 1)."""
    df, k = n - 2, n - 1
    tc = stats.t.isf(alpha / 2, df)
    delta = r / np.sqrt(1 - r * r)

    def up(nc: float) -> float:
        p = float(stats.nct.sf(tc, df, nc))
        return p if np.isfinite(p) else 0.0

    lo, hi = stats.chi2.ppf([1e-14, 1 - 1e-14], k)
    return integrate.quad(lambda u: (up(delta * np.sqrt(u)) + up(-delta * np.sqrt(u))) * stats.chi2.pdf(u, k),
                          lo, hi, epsabs=1e-12, epsrel=1e-10, limit=400, points=[float(k)])[0]


@pytest.mark.parametrize(("r", "n"), [(0.3, 50), (-0.45, 20), (0.1, 200), (0.7, 12)])
def test_exact_correlation_power_two_exact_routes_agree(r: float, n: int) -> None:
    assert correlation_power_exact(r, n, 0.05, "two-sided") == pytest.approx(_mixture_power(r, n, 0.05), abs=1e-9)


def test_exact_correlation_power_is_alpha_at_zero_and_symmetric() -> None:
    assert power_correlation(0.0, n=30, method="exact").power == pytest.approx(0.05, abs=1e-12)
    g = power_correlation(0.3, n=30, method="exact", alternative="greater").power
    assert power_correlation(-0.3, n=30, method="exact", alternative="less").power == pytest.approx(g, abs=1e-12)


def test_exact_correlation_power_against_suppdists() -> None:
    """SuppDists::pPearson is itself accurate to ~1e-4 only (at rho = 0 it misses alpha by 1.1e-4)."""
    ex = pd.DataFrame(REF["r_exact"])
    got = np.array([correlation_power_exact(r.r, int(r.n), r.alpha, "two-sided") for r in ex.itertuples()])
    assert np.max(np.abs(got - ex["power"].to_numpy())) < 2e-4


def test_power_result_protocol_and_plot() -> None:
    res = power_ancova(0.25, n=[40, 80, 120], covariates=2)
    assert isinstance(res, PowerResult)
    tidy = res.tidy()
    assert list(tidy.columns) == ["n", "power", "mc_se"]
    assert tidy["power"].is_monotonic_increasing and (tidy["mc_se"] == 0).all()
    assert res.n == 120 and res.excluded_ids == () and res.seed is None
    assert "pwr.f2.test" in res.summary() and repr(res) == res.summary()
    ax = power_ancova(0.25, target=0.8).plot()
    assert ax.get_xlabel() == "total sample size n"
    assert len(ax.lines) >= 2  # curve and target line


def test_target_with_given_n_picks_smallest_or_warns() -> None:
    res = power_correlation(0.3, n=[40, 90, 120], target=0.8)
    assert res.n == 90 and res.target_reached
    with pytest.warns(UserWarning, match="no evaluated n reaches power 0.8"):
        res = power_correlation(0.3, n=[20, 30], target=0.8)
    assert not res.target_reached and res.n == 30
    assert "No evaluated n reaches" in res.summary()


@pytest.mark.parametrize(("call", "match"), [
    (lambda: power_ancova(0.25), "give n"),
    (lambda: power_ancova(-0.1, n=10), "effect must be"),
    (lambda: power_ancova(0.25, n=2), "n must be an integer"),
    (lambda: power_ancova(0.25, n=30, groups=3, effect_type="d"), "groups=2"),
    (lambda: power_ancova(0.25, n=30, covariate_r2=1.0), "covariate_r2"),
    (lambda: power_ancova(0.25, n=30, alpha=0), "alpha must be"),
    (lambda: power_ancova(0.25, target=1.0), "target must be"),
    (lambda: power_correlation(1.0, n=30), "strictly between -1 and 1"),
    (lambda: power_correlation(0.2, n=30, method="bogus"), "method must be one of"),
    (lambda: power_correlation(0.2, n=30, alternative="up"), "alternative must be one of"),
    (lambda: power_correlation(0.0, target=0.8), "cannot be reached"),
])
def test_bad_input_names_the_argument(call, match: str) -> None:  # type: ignore[no-untyped-def]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(SpecificationError, match=match):
            call()
