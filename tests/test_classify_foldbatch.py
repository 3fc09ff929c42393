"""The all-folds solver on the shared design (issue 19) against the fold-by-fold solver and scikit-learn.

Every comparison is computed at run time: the fold-by-fold path (``FastModel.run_by_fold``, the solver
the permutation test used before) and scikit-learn's ``LogisticRegression`` on confound-regressed
features are the references; nothing is pinned.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sklearn")

from test_classify import COVS, make_data

from neuroimmune_stats.classify import cv as cvmod
from neuroimmune_stats.classify import evaluate_classifier, foldbatch
from neuroimmune_stats.classify.cv import CVDesign, FastModel
from neuroimmune_stats.design import covariate_matrix
from neuroimmune_stats.resampling import draw


def _model(df: pd.DataFrame, feats: list[str], covs: list[str], seed: int, n_repeats: int = 3,
           strata: bool = True) -> tuple[FastModel, np.ndarray]:
    rng = np.random.default_rng(seed)
    F = df[feats].to_numpy(float)
    D = None
    if covs:
        Cm, _ = covariate_matrix(df, covs, what="test")
        D = np.column_stack([np.ones(len(df)), Cm])
    st = np.unique(df["protocol"].astype(str), return_inverse=True)[1] if strata else None
    cv = CVDesign(st, rng.random((n_repeats, len(df))), 5)
    return FastModel(F, D, 1.0, cv), (df["subtype"] == "radicular").to_numpy(float)


def _perms(y: np.ndarray, k: int, seed: int) -> np.ndarray:
    return y[draw("permutation", y.size, k, np.random.default_rng(seed))]


@pytest.mark.parametrize(("seed", "covs", "n_feats"), [(1, COVS, 8), (2, COVS, 4), (3, [], 8), (4, ["bmi"], 6)])
def test_all_folds_at_once_equal_fold_by_fold(seed, covs, n_feats):
    df = make_data(seed, signal=0.5)
    model, y = _model(df, [f"f{j}" for j in range(n_feats)], covs, seed)
    Y = np.vstack([y, _perms(y, 60, seed)])
    shared = model.run(Y)
    by_fold = model.run_by_fold(Y)
    np.testing.assert_allclose(shared, by_fold, rtol=0, atol=1e-12)
    assert np.sum(shared[1:] >= shared[0]) == np.sum(by_fold[1:] >= by_fold[0])


def test_detail_equals_fold_by_fold_and_sklearn():
    from sklearn.linear_model import LogisticRegression

    df = make_data(5, signal=0.6)
    feats = [f"f{j}" for j in range(8)]
    model, y = _model(df, feats, COVS, 5, n_repeats=2)
    new, old = model.run(y[None], detail=True), model.run_by_fold(y[None], detail=True)
    assert new["stat"] == old["stat"]
    pd.testing.assert_frame_equal(new["per_fold"], old["per_fold"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(new["coefs"], old["coefs"], rtol=0, atol=1e-8)
    # scikit-learn on the fold's confound-regressed (least squares), standardised training features
    F, D = model.F, model.D
    folds = model.cv.folds(y[None])[0]
    for r, f in [(0, 0), (0, 3), (1, 4)]:
        tr = folds[r] != f
        coef, *_ = np.linalg.lstsq(D[tr], F[tr], rcond=None)
        R = F - D @ coef
        Z = (R - R[tr].mean(axis=0)) / R[tr].std(axis=0)
        ref = LogisticRegression(C=1.0, tol=1e-14, max_iter=10_000, solver="newton-cholesky").fit(Z[tr], y[tr])
        np.testing.assert_allclose(new["coefs"][r * 5 + f], ref.coef_[0], rtol=0, atol=1e-9)
        te = new["oof"][r * 5 + f][0]
        np.testing.assert_array_equal(te, np.flatnonzero(~tr))
        np.testing.assert_allclose(new["oof"][r * 5 + f][1], ref.decision_function(Z[te]), rtol=0, atol=1e-9)


def test_permuted_mean_auc_equals_sklearn():
    """A few permutations' mean AUC, recomputed fold by fold with scikit-learn, to 1e-12."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    df = make_data(6, signal=0.3)
    model, y = _model(df, [f"f{j}" for j in range(5)], COVS, 6, n_repeats=2)
    Y = _perms(y, 3, 11)
    shared = model.run(Y)
    folds = model.cv.folds(Y)
    for b, yb in enumerate(Y):
        aucs = []
        for r in range(2):
            for f in range(5):
                tr, te = folds[b, r] != f, folds[b, r] == f
                coef, *_ = np.linalg.lstsq(model.D[tr], model.F[tr], rcond=None)
                R = model.F - model.D @ coef
                Z = (R - R[tr].mean(axis=0)) / R[tr].std(axis=0)
                lr = LogisticRegression(C=1.0, tol=1e-14, max_iter=10_000, solver="newton-cholesky")
                lr.fit(Z[tr], yb[tr])
                aucs.append(roc_auc_score(yb[te], lr.decision_function(Z[te])) if np.ptp(yb[te]) else 0.5)
        assert shared[b] == pytest.approx(np.mean(aucs), rel=0, abs=1e-12)


def test_fold_without_a_confound_level():
    """A rare genotype level missing from some training folds: minimum-norm regression, as pinv."""
    df = make_data(7, signal=0.4)
    df["tspo_genotype"] = np.where(np.arange(len(df)) < 3, "LAB", df["tspo_genotype"])
    model, y = _model(df, [f"f{j}" for j in range(6)], COVS, 7, strata=False)
    Y = np.vstack([y, _perms(y, 40, 2)])
    lacking = [(b, r, f) for b, fo in enumerate(model.cv.folds(Y)) for r in range(3) for f in range(5)
               if set(np.flatnonzero(fo[r] == f)) >= {0, 1, 2}]
    assert lacking  # some training fold holds none of the three
    np.testing.assert_allclose(model.run(Y), model.run_by_fold(Y), rtol=0, atol=1e-12)


def test_batching_never_changes_the_numbers(monkeypatch):
    df = make_data(8, signal=0.4)
    model, y = _model(df, [f"f{j}" for j in range(6)], COVS, 8)
    Y = np.vstack([y, _perms(y, 30, 3)])
    a = model.run(Y)
    monkeypatch.setattr(foldbatch, "BATCH_BYTES", 1)  # one label row per batch
    monkeypatch.setattr(foldbatch, "FITS_PER_SOLVE", 7)
    model._shared = None
    np.testing.assert_array_equal(model.run(Y), a)


def test_evaluate_classifier_same_numbers_as_fold_by_fold(monkeypatch):
    """The whole result (p-value, null, tables) with the permutations fitted fold by fold, as before."""
    import neuroimmune_stats as nis

    df = nis.load_example()
    feats = [c for c in df if c.startswith(("suvr_", "conn_")) and c != "suvr_whole_brain"]
    kw = {"features": feats, "covariates": COVS, "n_repeats": 4, "n_permutations": 120, "stratify_by": "protocol",
          "seed": 2022, "early_stop": 51}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        new = evaluate_classifier(df, **kw)
        monkeypatch.setattr(cvmod.FastModel, "run", lambda self, Y, detail=False: self.run_by_fold(Y, detail))
        old = evaluate_classifier(df, **kw)
    assert new.p_value == old.p_value and new.n_permutations_drawn == old.n_permutations_drawn
    np.testing.assert_allclose(new.null_distribution, old.null_distribution, rtol=0, atol=1e-12)
    assert new.observed_auc == old.observed_auc
    pd.testing.assert_frame_equal(new.tidy(), old.tidy(), rtol=0, atol=1e-9)


def test_spd_inverse_and_least_squares():
    rng = np.random.default_rng(0)
    A = rng.normal(size=(40, 7, 7))
    H = A @ A.transpose(0, 2, 1) + 0.1 * np.eye(7)
    inv = foldbatch._spd_inverse(H.transpose(1, 2, 0)).transpose(2, 0, 1)
    np.testing.assert_allclose(inv, np.linalg.inv(H), rtol=1e-9, atol=1e-9)
    D = rng.normal(size=(40, 20, 4))
    D[:5, :, 2] = 0.0  # a confound column empty in five fits
    F = rng.normal(size=(40, 20, 3))
    DtD, DtF = D.transpose(0, 2, 1) @ D, D.transpose(0, 2, 1) @ F
    got = foldbatch._least_squares(DtD.transpose(1, 2, 0), DtF.transpose(1, 2, 0)).transpose(2, 0, 1)
    np.testing.assert_allclose(got, np.linalg.pinv(DtD, hermitian=True) @ DtF, rtol=0, atol=1e-10)
