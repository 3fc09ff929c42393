"""Besag–Clifford early stopping of the classifier's label permutations (issue 19).

Validity (p uniform-ish under the null), agreement with the full fixed-size run (same draws, same
decision, never a p the full run could not reach), determinism across n_jobs, early stops where
the answer is decided, and the provenance (permutations drawn, rule) in the result.
"""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("sklearn")

from test_classify import COVS, make_data

from neuroimmune_stats.classify import evaluate_classifier
from neuroimmune_stats.exceptions import SpecificationError

KW = {"n_repeats": 1, "n_splits": 3, "stratify_by": "protocol"}


def _ties(null, observed):
    """Exceedances as the sequential rule counts them (ties within 1e-10 included)."""
    return int(np.sum(null >= observed - 1e-10 * max(1.0, abs(observed))))


@pytest.fixture(scope="module")
def null_runs():
    df = make_data(1, signal=0.0)
    kw = {**KW, "covariates": COVS, "n_permutations": 300, "seed": 5}
    return evaluate_classifier(df, "f*", **kw), evaluate_classifier(df, "f*", early_stop=10, **kw)


def test_null_case_stops_early_on_the_full_runs_draws(null_runs):
    full, seq = null_runs
    assert full.early_stop is None and full.n_permutations_drawn == 300 and not full.stopped_early
    assert seq.stopped_early and seq.n_permutations_drawn < 100
    L = seq.n_permutations_drawn
    # the same permutations in the same order: the sequential null is the full null's prefix
    np.testing.assert_array_equal(seq.null_distribution, full.null_distribution[:L])
    assert seq.observed_auc == full.observed_auc
    assert _ties(seq.null_distribution, seq.observed_auc) == 10
    assert seq.null_distribution[-1] >= seq.observed_auc - 1e-10  # stopped at the 10th exceedance
    assert seq.p_value == pytest.approx(10 / L, abs=0)
    # error bound: the full run cannot go below (h + 1)/(P + 1), so both reject at the same levels
    assert full.p_value >= 11 / 301
    for alpha in (0.001, 0.01, 10 / 301):
        assert (seq.p_value <= alpha) == (full.p_value <= alpha)
    assert seq.p_value >= 10 / 300  # never below what h exceedances in at most P draws allow
    assert "Besag-Clifford" in seq.summary() and "stopped early" in seq.summary()
    assert f"stopped after {L} permutations" in seq.permutation_rule
    assert "300 label permutations" in full.permutation_rule


def test_significant_case_runs_to_the_cap_and_equals_the_fixed_test():
    df = make_data(2, signal=2.5, confounded=False)
    kw = {**KW, "n_permutations": 120, "seed": 3, "permute_within": None}
    full = evaluate_classifier(df, "f*", **kw)
    seq = evaluate_classifier(df, "f*", early_stop=5, **kw)
    assert not seq.stopped_early and seq.n_permutations_drawn == 120
    np.testing.assert_array_equal(seq.null_distribution, full.null_distribution)
    assert seq.p_value == (_ties(full.null_distribution, full.observed_auc) + 1) / 121 == full.p_value == 1 / 121
    assert "ran to the cap" in seq.summary() and "all 120 drawn" in seq.permutation_rule


def test_same_seed_same_numbers_across_n_jobs():
    df = make_data(4, signal=0.3)
    kw = {**KW, "covariates": COVS, "n_permutations": 200, "seed": 9, "early_stop": 8}
    a = evaluate_classifier(df, "f*", n_jobs=1, **kw)
    b = evaluate_classifier(df, "f*", n_jobs=2, **kw)
    assert a.n_permutations_drawn == b.n_permutations_drawn and a.p_value == b.p_value
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)
    c = evaluate_classifier(df, "f*", n_jobs=1, **{**kw, "seed": 10})
    assert not np.array_equal(a.null_distribution[:5], c.null_distribution[:5])


def _null_p_values(n_sims: int, n_perm: int, h: int) -> np.ndarray:
    ps = []
    for s in range(n_sims):
        df = make_data(100 + s, n_axial=15, n_radicular=15, p=2, confounded=False)
        ps.append(evaluate_classifier(df, "f*", n_repeats=1, n_splits=3, n_permutations=n_perm,
                                      early_stop=h, permute_within=None, seed=s).p_value)
    return np.array(ps)


def _check_valid(ps: np.ndarray) -> None:
    from scipy.stats import binom

    for u in (0.1, 0.2, 0.5):  # P(p <= u) <= u, one-sided binomial check at 0.1%
        k = int(np.sum(ps <= u + 1e-12))
        assert binom.sf(k - 1, ps.size, u) > 1e-3, (u, k, ps.size)
    assert np.all((ps > 0) & (ps <= 1))


def test_p_values_valid_under_the_null_small():
    ps = _null_p_values(40, 39, 4)
    _check_valid(ps)
    assert 0.3 < np.mean(ps) < 0.7  # roughly uniform: mean 1/2


@pytest.mark.slow
def test_p_values_uniform_under_the_null_large():
    # the sequential p-value is discrete (h/L; p = 1 has mass ~1/(h+1)), so no KS test against the
    # continuous uniform: P(p <= u) <= u at attainable u, and not far below it (ties make it conservative)
    ps = _null_p_values(300, 99, 5)
    _check_valid(ps)
    for u in (0.1, 0.2, 0.3, 0.5):
        assert np.mean(ps <= u + 1e-12) > u - 0.1, u


def test_early_stop_arguments():
    df = make_data(0)
    for bad in (0, -1, 2.5, "10", True):
        with pytest.raises(SpecificationError, match="early_stop"):
            evaluate_classifier(df, "f*", n_permutations=9, early_stop=bad, **KW)
    res = evaluate_classifier(df, "f*", n_permutations=0, early_stop=5, **KW)
    assert res.p_value is None and res.n_permutations_drawn == 0 and res.permutation_rule is None
