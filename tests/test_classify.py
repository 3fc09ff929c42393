"""Tests of the subtype classifiers (issue 7): estimator contract, fast solver, CV, permutation test."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

sklearn = pytest.importorskip("sklearn")

from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.utils.estimator_checks import parametrize_with_checks  # noqa: E402

from neuroimmune_stats.classify import SubtypeClassifier  # noqa: E402
from neuroimmune_stats.classify.cv import CVDesign, fold_assignment  # noqa: E402
from neuroimmune_stats.classify.fastlogit import (  # noqa: E402
    fit_l2_logistic,
    fit_l2_logistic_batched,
    is_fast_logistic,
)
from neuroimmune_stats.exceptions import SpecificationError  # noqa: E402

COVS = ["protocol", "tspo_genotype", "bmi"]


def make_data(seed: int = 0, n_axial: int = 26, n_radicular: int = 28, p: int = 8,
              signal: float = 0.0, confounded: bool = True) -> pd.DataFrame:
    """Cohort-like data; features carry confound effects (+ ``signal`` × subtype on f0..f2)."""
    rng = np.random.default_rng(seed)
    y = np.r_[np.zeros(n_axial), np.ones(n_radicular)]
    n = y.size
    shift = 1.0 if confounded else 0.0
    protocol = np.where(rng.random(n) < 0.5 + shift * np.where(y == 1, 0.25, -0.2), "2", "1")
    geno = np.where(rng.random(n) < 0.5 + shift * np.where(y == 1, 0.2, -0.15), "MAB", "HAB")
    bmi = 26 + shift * 2.5 * y + rng.normal(0, 3, n)
    conf = np.column_stack([protocol == "2", geno == "MAB", (bmi - 26) / 3]).astype(float)
    X = conf @ rng.normal(0, 1, (3, p)) + rng.normal(0, 1, (n, p))
    X += signal * y[:, None] * (np.arange(p) < 3)
    df = pd.DataFrame(X, columns=[f"f{j}" for j in range(p)])
    df.insert(0, "subject_id", [f"S{i:03d}" for i in range(n)])
    df["subtype"] = pd.Categorical(np.where(y == 1, "radicular", "axial"), ["axial", "radicular"])
    df["protocol"], df["tspo_genotype"], df["bmi"] = protocol, geno, bmi
    return df


# --------------------------------------------------------------------------- estimator contract
def _expected_failed(estimator):
    if getattr(estimator, "confounds", ()):
        return {
            "check_classifiers_train": (
                "confound column 0 is regressed out of the other features, which removes the class "
                "signal the check's blobs carry through it; the accuracy threshold cannot be met"
            ),
        }
    return {}


@parametrize_with_checks(
    [SubtypeClassifier(), SubtypeClassifier(confounds=[0])],
    expected_failed_checks=_expected_failed,
)
def test_sklearn_compatible(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check(estimator)


def test_params_stored_verbatim_and_estimator_not_fitted_in_place():
    est = LogisticRegression(C=0.5)
    clf = SubtypeClassifier(estimator=est, confounds=("protocol",), scale=False)
    assert clf.get_params()["confounds"] == ("protocol",)
    assert clf.get_params()["estimator"] is est
    df = make_data(1)
    clf.fit(df[["f0", "f1", "protocol"]], df["subtype"])
    assert not hasattr(est, "coef_")
    assert clf.estimator_ is not est
    assert clf.feature_names_ == ["f0", "f1"]


def test_confound_regression_uses_training_rows_only():
    df = make_data(2)
    X = df[["f0", "f1", "protocol", "bmi"]]
    tr, te = np.arange(40), np.arange(40, 54)
    clf = SubtypeClassifier(confounds=["protocol", "bmi"]).fit(X.iloc[tr], df["subtype"].iloc[tr])
    D = np.column_stack([np.ones(40), X["protocol"].iloc[tr] == "2", X["bmi"].iloc[tr]]).astype(float)
    coef = np.linalg.lstsq(D, X[["f0", "f1"]].iloc[tr].to_numpy(), rcond=None)[0]
    np.testing.assert_allclose(clf.confound_coef_, coef, atol=1e-10)
    Dte = np.column_stack([np.ones(14), X["protocol"].iloc[te] == "2", X["bmi"].iloc[te]]).astype(float)
    resid = X[["f0", "f1"]].iloc[te].to_numpy() - Dte @ coef
    np.testing.assert_allclose(clf.adjust(X.iloc[te]), (resid - clf.mean_) / clf.scale_, atol=1e-10)
    # an unseen factor level at predict time adjusts as the reference level, without error
    Xn = X.iloc[te].copy()
    Xn["protocol"] = "3"
    assert clf.predict(Xn).shape == (14,)


def test_estimator_bad_input():
    df = make_data(3)
    with pytest.raises(SpecificationError, match="DataFrame"):
        SubtypeClassifier(confounds=["protocol"]).fit(df[["f0", "f1"]].to_numpy(), df["subtype"])
    with pytest.raises(SpecificationError, match="not in X"):
        SubtypeClassifier(confounds=["scanner"]).fit(df[["f0", "f1"]], df["subtype"])
    with pytest.raises(SpecificationError, match="confound_strategy"):
        SubtypeClassifier(confound_strategy="combat").fit(df[["f0"]], df["subtype"])
    with pytest.raises(ValueError, match="one class"):
        SubtypeClassifier().fit(df[["f0"]], np.zeros(len(df)))


# --------------------------------------------------------------------------- fast solver
@pytest.mark.parametrize("C", [0.05, 1.0, 20.0])
def test_batched_newton_matches_sklearn(C):
    rng = np.random.default_rng(4)
    X = rng.normal(size=(44, 20))
    y = (X[:, 0] + rng.normal(size=44) > 0).astype(float)
    Y = np.vstack([y] + [rng.permutation(y) for _ in range(4)])
    coef, b = fit_l2_logistic(X, Y, C=C)
    for i in range(len(Y)):
        sk = LogisticRegression(C=C, tol=1e-12, max_iter=100_000).fit(X, Y[i])
        np.testing.assert_allclose(coef[i], sk.coef_[0], atol=1e-4)
        np.testing.assert_allclose(b[i], sk.intercept_[0], atol=1e-4)
    # per-fit designs with 0/1 case weights = fitting the weighted-in rows only
    W = np.ones_like(Y)
    W[:, :9] = 0
    cb, bb = fit_l2_logistic_batched(np.broadcast_to(X, (len(Y), *X.shape)), Y, W, C=C)
    cs, bs = fit_l2_logistic(X[9:], Y[:, 9:], C=C)
    np.testing.assert_allclose(cb, cs, atol=1e-8)
    np.testing.assert_allclose(bb, bs, atol=1e-8)


def test_fast_path_detection():
    assert is_fast_logistic(LogisticRegression())
    assert is_fast_logistic(LogisticRegression(C=0.3, solver="newton-cholesky"))
    assert not is_fast_logistic(LogisticRegression(solver="liblinear"))
    assert not is_fast_logistic(LogisticRegression(C=1.0, l1_ratio=1.0, solver="saga"))
    assert not is_fast_logistic(LogisticRegression(class_weight="balanced"))

    class MyLR(LogisticRegression):
        pass

    assert not is_fast_logistic(MyLR())


# --------------------------------------------------------------------------- folds
def test_folds_are_stratified_and_deterministic():
    codes = np.r_[np.zeros(26), np.ones(28)].astype(int)[None, :]
    u = np.random.default_rng(0).random((3, 54))
    f = fold_assignment(codes, u, 5)
    assert f.shape == (1, 3, 54)
    for r in range(3):
        for k in range(5):
            in_k = f[0, r] == k
            assert abs(in_k[:26].sum() - 26 / 5) < 1 and abs(in_k[26:].sum() - 28 / 5) < 1
    np.testing.assert_array_equal(f, fold_assignment(codes, u, 5))
    # protocol x subtype strata
    strata = np.tile([0, 1], 27)
    cv = CVDesign(strata, u, 5)
    fo = cv.folds(codes)[0, 0]
    for k in range(5):
        cell = np.bincount(codes[0][fo == k] * 2 + strata[fo == k], minlength=4)
        full = np.bincount(codes[0] * 2 + strata, minlength=4)
        assert np.all(np.abs(cell - full / 5) < 1)
