"""The distribution functions of ``_dist`` (scipy.special) against scipy.stats, the numpy KDE against
``scipy.stats.gaussian_kde``, average ranks against ``scipy.stats.rankdata``, and the point of them:
the analyses and the report's sections run without importing scipy.stats or scikit-learn."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from scipy import stats

from neuroimmune_stats import _dist
from neuroimmune_stats.plots._density import kde_on_grid

X = np.array([-40.0, -6.5, -2.0, -0.3, 0.0, 0.7, 1.96, 3.2, 12.0, np.inf, -np.inf])
Q = np.array([1e-12, 1e-4, 0.025, 0.3, 0.5, 0.8, 0.975, 0.9999])
DF = [1.0, 2.5, 7.0, 51.0, 1e4]


@pytest.mark.parametrize("df", DF)
def test_t_functions_equal_scipy_bit_for_bit(df: float) -> None:
    assert np.array_equal(_dist.t_sf(X, df), stats.t.sf(X, df))
    assert np.array_equal(_dist.t_cdf(X, df), stats.t.cdf(X, df))
    assert np.array_equal(_dist.t_ppf(Q, df), stats.t.ppf(Q, df))
    assert np.array_equal(_dist.t_isf(Q, df), stats.t.isf(Q, df))
    fin = X[np.isfinite(X)]
    np.testing.assert_allclose(_dist.t_logpdf(fin, df), stats.t.logpdf(fin, df), rtol=1e-14)
    # scalars in, numpy scalars out (the callers format them with float())
    assert float(_dist.t_sf(2.0, df)) == float(stats.t.sf(2.0, df))


def test_normal_f_and_chi2_equal_scipy() -> None:
    assert np.array_equal(_dist.norm_cdf(X), stats.norm.cdf(X))
    assert np.array_equal(_dist.norm_sf(X), stats.norm.sf(X))
    assert np.array_equal(_dist.norm_ppf(Q), stats.norm.ppf(Q))
    fin = X[np.isfinite(X)]
    np.testing.assert_allclose(_dist.norm_logpdf(fin), stats.norm.logpdf(fin), rtol=1e-15)
    pos = np.array([-1e-16, -2.0, 0.0, 0.01, 0.5, 1.0, 3.7, 40.0, np.nan, np.inf])  # below the support too
    for dfn, dfd in [(1, 5), (2, 51), (4.5, 200.0)]:
        assert np.array_equal(_dist.f_sf(pos, dfn, dfd), stats.f.sf(pos, dfn, dfd), equal_nan=True)
        assert np.array_equal(_dist.f_cdf(pos, dfn, dfd), stats.f.cdf(pos, dfn, dfd), equal_nan=True)
    for df in (1, 3, 12):
        assert np.array_equal(_dist.chi2_sf(pos, df), stats.chi2.sf(pos, df), equal_nan=True)


def test_noncentral_functions_match_scipy() -> None:
    x = np.array([0.2, 1.0, 2.5, 4.0])
    for dfn, dfd, nc in [(1, 50, 0.5), (2, 48, 8.0), (3, 20.5, 15.0)]:
        assert np.array_equal(_dist.ncf_cdf(x, dfn, dfd, nc), stats.ncf.cdf(x, dfn, dfd, nc))
        np.testing.assert_allclose(_dist.ncf_sf(x, dfn, dfd, nc), stats.ncf.sf(x, dfn, dfd, nc), rtol=0, atol=1e-14)
    for df, nc in [(10, 0.0), (52, 2.8), (200, -1.5)]:
        assert np.array_equal(_dist.nct_cdf(x, df, nc), stats.nct.cdf(x, df, nc))
        np.testing.assert_allclose(_dist.nct_sf(x, df, nc), stats.nct.sf(x, df, nc), rtol=0, atol=1e-14)


def test_average_ranks_equal_rankdata() -> None:
    rng = np.random.default_rng(3)
    a = rng.integers(0, 5, size=(40, 17)).astype(float)  # many ties
    assert np.array_equal(_dist.average_ranks(a, axis=1), stats.rankdata(a, axis=1))
    assert np.array_equal(_dist.average_ranks(a, axis=0), stats.rankdata(a, axis=0))
    v = rng.normal(size=101)
    assert np.array_equal(_dist.average_ranks(v), stats.rankdata(v))
    assert np.array_equal(_dist.average_ranks(np.ones(4)), [2.5] * 4)
    b = a.copy()
    b[3, 2] = np.nan  # a row with a NaN is all NaN (scipy's "propagate"); the other rows are untouched
    got, want = _dist.average_ranks(b, axis=1), stats.rankdata(b, axis=1)
    assert np.isnan(got[3]).all() and np.isnan(want[3]).all()
    assert np.array_equal(np.delete(got, 3, axis=0), np.delete(want, 3, axis=0))
    assert _dist.average_ranks(np.empty((2, 0)), axis=1).shape == (2, 0)


def test_kde_equals_gaussian_kde() -> None:
    rng = np.random.default_rng(0)
    v = np.concatenate([rng.normal(size=3000), rng.normal(4.0, 0.5, size=700), [np.nan, np.inf]])
    grid = np.linspace(-4, 7, 301)
    fin = v[np.isfinite(v)]
    np.testing.assert_allclose(kde_on_grid(v, grid), stats.gaussian_kde(fin)(grid), rtol=1e-10, atol=1e-14)
    assert not kde_on_grid(np.array([1.0, 1.0, 1.0]), grid).any()
    assert not kde_on_grid(np.array([np.nan, 2.0]), grid).any()


def test_table_one_chi_square_equals_chi2_contingency() -> None:
    from neuroimmune_stats.table1 import _chisq

    rng = np.random.default_rng(1)
    for shape in [(2, 2), (3, 2), (4, 3)]:
        t = rng.integers(1, 30, size=shape)
        res = stats.chi2_contingency(t, correction=False)
        stat, dof, p = _chisq(t)
        assert dof == res.dof
        np.testing.assert_allclose([stat, p], [res.statistic, res.pvalue], rtol=1e-12)
    t = np.array([[3, 0, 4], [0, 0, 0], [5, 0, 2]])  # empty row and column dropped: a 2 x 2 table
    np.testing.assert_allclose(_chisq(t)[:2], [stats.chi2_contingency(np.array([[3, 4], [5, 2]]),
                                                                      correction=False).statistic, 1])


def _heavy_modules_after(lines: list[str]) -> str:
    """Run ``lines`` in a fresh interpreter; which of scipy.stats, sklearn, statsmodels it imported."""
    code = "\n".join(["import sys", "import neuroimmune_stats as nis", *lines,
                      "print(','.join(m for m in ('scipy.stats', 'sklearn', 'statsmodels') if m in sys.modules))"])
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip()


def test_analyses_and_report_sections_do_not_import_scipy_stats_or_sklearn() -> None:
    """The point of _dist: importing scipy.stats costs ~0.75 s and scikit-learn ~0.4 s more; the
    default classifier (the batched L2 logistic solver) needs neither."""
    assert _heavy_modules_after([
        "from neuroimmune_stats.report import sections_analyses, sections_classifier, sections_data, "
        "sections_harmonize, sections_missing, sections_moderation, sections_planning",
        "from neuroimmune_stats import missing, multiplicity, plots",
        "for name in nis.__all__:",
        "    if name not in ('SubtypeClassifier', 'ComBat'):  # the two scikit-learn estimators",
        "        getattr(nis, name)",
    ]) == ""


def test_default_classifier_runs_without_sklearn() -> None:
    assert _heavy_modules_after([
        "df = nis.simulate_cohort(seed=2)",
        "res = nis.evaluate_classifier(df, features=['suvr_s1', 'suvr_thalamus'], covariates=['protocol'], "
        "n_repeats=2, n_permutations=19, seed=1)",
        "assert res.fast_path and res.estimator is None and res.p_value is not None",
    ]) == ""
