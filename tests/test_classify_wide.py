"""Wide data (issue 14): the classifier is linear in the number of features and bounded in memory.

With more features than subjects the logistic fits run in the row space of the training rows
(``n + 1`` unknowns instead of ``p + 1``); the minimiser is unique, so the row-space form gives the
primal form's coefficients and AUCs. Checked here by forcing the row-space form on small problems,
against scikit-learn on a wide one, and by a tracemalloc-bounded run on 54 subjects x 10,000 features.
"""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")

from test_classify import COVS, make_data

from neuroimmune_stats.classify import cv, evaluate_classifier, fastlogit
from neuroimmune_stats.classify.fastlogit import fit_l2_logistic, fit_l2_logistic_batched


@pytest.fixture
def force_row_space(monkeypatch):
    monkeypatch.setattr(fastlogit, "use_row_space", lambda n, p: True)


def _problem(n=40, p=6, B=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(B, n, p))
    Y = (rng.random((B, n)) < 0.5).astype(float)
    W = (rng.random((B, n)) < 0.8).astype(float)
    return X, Y, W


def test_row_space_form_gives_the_primal_coefficients(monkeypatch):
    X, Y, W = _problem()
    primal = fit_l2_logistic_batched(X, Y, W, C=0.7)
    p1 = fit_l2_logistic(X[0], Y, C=0.7)
    monkeypatch.setattr(fastlogit, "use_row_space", lambda n, p: True)
    dual = fit_l2_logistic_batched(X, Y, W, C=0.7)
    d1 = fit_l2_logistic(X[0], Y, C=0.7)
    for a, b in ((primal, dual), (p1, d1)):
        np.testing.assert_allclose(b[0], a[0], atol=1e-8)
        np.testing.assert_allclose(b[1], a[1], atol=1e-8)


def test_wide_fit_matches_sklearn():
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(3)
    n, p = 30, 400
    X = rng.normal(size=(n, p))
    y = (X[:, 0] + rng.normal(size=n) > 0).astype(float)
    ref = LogisticRegression(C=0.5, tol=1e-12, max_iter=100_000).fit(X, y)
    coef, b = fit_l2_logistic(X, y[None], C=0.5)
    cb, bb = fit_l2_logistic_batched(X[None], y[None], np.ones((1, n)), C=0.5)
    for c, i in ((coef, b), (cb, bb)):
        np.testing.assert_allclose(c[0], ref.coef_[0], atol=1e-6)
        assert abs(i[0] - ref.intercept_[0]) < 1e-6


def test_classifier_aucs_unchanged_by_the_row_space_form(monkeypatch):
    df = make_data(5, signal=0.6)
    kw = {"covariates": COVS, "n_repeats": 2, "n_permutations": 20, "stratify_by": "protocol", "seed": 4}
    before = evaluate_classifier(df, "f*", **kw)
    monkeypatch.setattr(fastlogit, "use_row_space", lambda n, p: True)
    after = evaluate_classifier(df, "f*", **kw)
    a, b = before.per_fold["features"], after.per_fold["features"]
    np.testing.assert_allclose(b["auc"], a["auc"], rtol=0, atol=1e-10)
    np.testing.assert_allclose(after.null_distribution, before.null_distribution, rtol=0, atol=1e-10)
    np.testing.assert_allclose(after.coefs, before.coefs, atol=1e-7)
    assert after.observed_auc == pytest.approx(before.observed_auc, abs=1e-10)


def test_feature_groups_never_change_the_numbers(monkeypatch):
    df = make_data(6, signal=0.4)
    kw = {"covariates": COVS, "n_repeats": 1, "n_permutations": 30, "seed": 2}
    a = evaluate_classifier(df, "f*", **kw)
    monkeypatch.setattr(cv, "FEATURE_BYTES", 1)  # one label row per group
    b = evaluate_classifier(df, "f*", **kw)
    np.testing.assert_array_equal(a.null_distribution, b.null_distribution)


def test_ten_thousand_features_bounded_memory():
    rng = np.random.default_rng(0)
    base = make_data(7)[["subject_id", "subtype", *COVS]]
    n, p = len(base), 10_000
    assert n == 54
    y = (base["subtype"] == "radicular").to_numpy(float)
    X = rng.normal(size=(n, p))
    X[:, :200] += 1.0 * y[:, None]
    df = pd.concat([base, pd.DataFrame(X, columns=[f"g{j:05d}" for j in range(p)])], axis=1)
    tracemalloc.start()
    try:
        res = evaluate_classifier(df, "g*", covariates=COVS, n_repeats=1, n_splits=3, n_permutations=4, seed=1)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 500 * 2**20, f"peak {peak / 2**20:.0f} MB"
    assert res.coefs.shape == (3, p)
    assert res.observed_auc > 0.8  # the 200 informative features are found
    assert res.n_permutations_drawn == 4
