"""Repeated stratified folds and the two cross-validation engines (batched fast path, general path).

Folds are a deterministic function of the labels and one uniform key per subject and repeat:
subjects are sorted by stratum (label, optionally × protocol) and key, and dealt to the folds in
turn. The observed labels and every permutation go through the same function, so a permutation
re-stratifies its folds on the permuted labels, exactly as scikit-learn's
``permutation_test_score`` re-splits a stratified ``cv`` on each permuted ``y``. Keeping the folds
of the observed labels instead would make the permuted test folds unbalanced and the test
conservative.

Examples
--------
>>> import numpy as np
>>> codes = np.array([[0, 0, 0, 1, 1, 1]])
>>> u = np.random.default_rng(0).random((1, 6))
>>> f = fold_assignment(codes, u, 3)[0, 0]
>>> sorted(f[:3].tolist()), sorted(f[3:].tolist())
([0, 1, 2], [0, 1, 2])
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from . import fastlogit
from .fastlogit import _expit, _one_blas_thread, fit_l2_logistic_batched
from .foldbatch import SharedDesignCV
from .harmonize import FoldCombat
from .metrics import auc_rows, brier_rows, threshold_rows


def fold_order(codes: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Subjects sorted by stratum and key, shape (k, R, n): fold ``f`` holds ``order[..., f::n_splits]``."""
    codes = np.atleast_2d(codes)
    keys = codes[:, None, :].astype(float) + u[None, :, :]
    return np.argsort(keys, axis=2, kind="stable")


def fold_assignment(codes: np.ndarray, u: np.ndarray, n_splits: int) -> np.ndarray:
    """Fold ids of shape (k, R, n) for stratum codes (k, n) and repeat keys ``u`` (R, n) in [0, 1)."""
    order = fold_order(codes, u)
    out = np.empty(order.shape, dtype=np.int64)
    np.put_along_axis(out, order, np.broadcast_to(np.arange(order.shape[2]) % n_splits, out.shape), axis=2)
    return out


def adjusted_features(F: np.ndarray, D: np.ndarray | None, M: np.ndarray) -> np.ndarray:
    """Confound-regressed, standardised features, one copy per training mask: (k, n, p).

    ``F`` is (n, p), or (k, n, p) with one copy per mask (features harmonised per fold); ``D`` is the
    confound design with intercept (or None: no regression); row ``b`` of ``M`` marks the training rows.
    Coefficients, means and SDs come from the training rows only and are applied to all rows (least
    squares, minimum-norm when a factor level is missing from a fold; population SD as
    scikit-learn's ``StandardScaler``).
    """
    if D is not None:
        DtD = np.einsum("bn,ni,nj->bij", M, D, D)
        DtF = np.einsum("bn,ni,nk->bik", M, D, F) if F.ndim == 2 else np.einsum("bn,ni,bnk->bik", M, D, F)
        coef = np.linalg.pinv(DtD, hermitian=True) @ DtF
        R = (F[None] if F.ndim == 2 else F) - D[None] @ coef
    else:
        R = np.broadcast_to(F, (M.shape[0], *F.shape[-2:]))
    w = M / M.sum(axis=1, keepdims=True)
    mean = np.einsum("bn,bnk->bk", w, R)
    var = np.einsum("bn,bnk->bk", w, (R - mean[:, None]) ** 2)
    sd = np.sqrt(var)
    sd = np.where(sd > 1e-12 * (1 + np.abs(mean)), sd, 1.0)
    return (R - mean[:, None]) / sd[:, None]


def masked_auc(scores: np.ndarray, Y: np.ndarray, T: np.ndarray) -> np.ndarray:
    """AUC per row over the rows with ``T == 1`` (0.5 when they hold one class)."""
    pos, neg = T * Y, T * (1 - Y)
    gt = (scores[:, :, None] > scores[:, None, :]) + 0.5 * (scores[:, :, None] == scores[:, None, :])
    num = np.einsum("bi,bij,bj->b", pos, gt, neg)
    den = pos.sum(axis=1) * neg.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), 0.5)


class CVDesign:
    """Everything a cross-validation run needs except the labels (picklable for joblib)."""

    def __init__(self, strata: np.ndarray | None, u: np.ndarray, n_splits: int):
        self.strata, self.u, self.n_splits = strata, u, n_splits
        self.n_repeats = u.shape[0]

    def codes(self, Y: np.ndarray) -> np.ndarray:
        Y = np.atleast_2d(Y).astype(np.int64)
        return Y if self.strata is None else Y * (int(self.strata.max()) + 1) + self.strata[None, :]

    def folds(self, Y: np.ndarray) -> np.ndarray:
        """(k, R, n) fold ids for the label rows ``Y``."""
        return fold_assignment(self.codes(Y), self.u, self.n_splits)

    def order(self, Y: np.ndarray) -> np.ndarray:
        """(k, R, n) subjects in dealing order for the label rows ``Y`` (see :func:`fold_order`)."""
        return fold_order(self.codes(Y), self.u)


#: memory budget of one (label rows × n × p) feature copy in :class:`FastModel` (rows are split to fit)
FEATURE_BYTES = 16 * 2**20


class FastModel:
    """Batched L2 logistic regression over permutations, fold by fold.

    The label rows are processed in groups small enough that one (rows, n, p) copy of the adjusted
    features stays within :data:`FEATURE_BYTES`, so memory is bounded whatever ``p`` and the number of
    permutations; rows are independent fits, so the grouping never changes the numbers.
    """

    def __init__(self, F: np.ndarray, D: np.ndarray | None, C: float, cv: CVDesign,
                 harmonizer: FoldCombat | None = None):
        self.F, self.D, self.C, self.cv = F, D, C, cv
        self.harmonizer = harmonizer
        self._shared: SharedDesignCV | None = None

    def run(self, Y: np.ndarray, detail: bool = False) -> Any:
        """Mean test-fold AUC per label row; with ``detail``, the per-fold table, scores and coefficients
        of the first row. Without ``detail`` all folds are fitted at once on the shared design
        (:class:`~neuroimmune_stats.classify.foldbatch.SharedDesignCV`) unless features are
        harmonised per fold or wider than the training rows (then fold by fold, :meth:`run_by_fold`)."""
        n, p = self.F.shape
        n_train = n - -(-n // self.cv.n_splits)  # the smallest training set
        wide = fastlogit.use_row_space(n_train, p + (0 if self.D is None else self.D.shape[1]))
        if self.harmonizer is not None or wide:
            return self.run_by_fold(Y, detail)
        if self._shared is None:
            self._shared = SharedDesignCV(self.F, self.D, self.C, self.cv)
        if not detail:
            return self._shared.mean_auc(Y)
        y = np.atleast_2d(np.asarray(Y, dtype=float))[:1]
        order, eta, coef = self._shared.fit_folds(y, slopes=True)
        assert coef is not None
        S = self.cv.n_splits
        rows, oof = [], []
        for r in range(self.cv.n_repeats):
            for f in range(S):
                te = np.sort(order[0, r, f::S])
                score = eta[0, r, f, te]
                rows.append(_fold_row(r, f, score, _expit(score), (score > 0).astype(float), y[0, te]))
                oof.append((te, score, _expit(score)))
        return {"per_fold": pd.DataFrame(rows), "oof": oof, "coefs": coef[0].reshape(-1, p),
                "stat": self._shared.mean_auc(y)[0]}

    def run_by_fold(self, Y: np.ndarray, detail: bool = False) -> Any:
        """:meth:`run` fold by fold: each fold's adjusted features, then one batched solve per fold."""
        Y = np.atleast_2d(np.asarray(Y, dtype=float))
        rows_fit = max(1, FEATURE_BYTES // (8 * self.F.shape[0] * self.F.shape[1]))
        if not detail and Y.shape[0] > rows_fit:
            return np.concatenate([self.run_by_fold(Y[s:s + rows_fit]) for s in range(0, Y.shape[0], rows_fit)])
        folds = self.cv.folds(Y)
        aucs = np.zeros(Y.shape[0])
        rows, oof, coefs = [], [], []
        with _one_blas_thread():
            for r in range(self.cv.n_repeats):
                for f in range(self.cv.n_splits):
                    T = (folds[:, r] == f).astype(float)
                    M = 1.0 - T
                    F = self.F if self.harmonizer is None else self.harmonizer(self.F, M)
                    Z = adjusted_features(F, self.D, M)
                    coef, b = fit_l2_logistic_batched(Z, Y, M, C=self.C)
                    eta = (Z @ coef[..., None])[..., 0] + b[:, None]
                    aucs += masked_auc(eta, Y, T)
                    if detail:
                        te = np.flatnonzero(T[0])
                        score = eta[0, te]
                        rows.append(_fold_row(r, f, score, _expit(score), (score > 0).astype(float), Y[0, te]))
                        oof.append((te, score, _expit(score)))
                        coefs.append(coef[0])
        aucs /= self.cv.n_repeats * self.cv.n_splits
        if detail:
            return {"per_fold": pd.DataFrame(rows), "oof": oof, "coefs": np.vstack(coefs), "stat": aucs[0]}
        return aucs


class GeneralModel:
    """A fresh :class:`SubtypeClassifier` clone per fold and permutation: any sklearn classifier."""

    def __init__(self, estimator: Any, X: pd.DataFrame, confounds: list[str], cv: CVDesign,
                 harmonize: bool = False):
        self.estimator, self.X, self.confounds, self.cv = estimator, X, confounds, cv
        self.harmonize = harmonize

    def _fit_fold(self, y: np.ndarray, tr: np.ndarray, te: np.ndarray) -> tuple[Any, ...]:
        from .estimator import SubtypeClassifier  # scikit-learn: only on the general path

        clf = SubtypeClassifier(estimator=self.estimator, confounds=self.confounds, harmonize=self.harmonize)
        clf.fit(self.X.iloc[tr], y[tr])
        Xte = self.X.iloc[te]
        prob = clf.predict_proba(Xte)[:, 1] if hasattr(clf, "predict_proba") else None
        score = prob if prob is not None else np.asarray(clf.decision_function(Xte), dtype=float)
        pred = np.asarray(clf.predict(Xte), dtype=float)
        coef = getattr(clf.estimator_, "coef_", None)
        return score, prob, pred, None if coef is None else np.ravel(coef)

    def run(self, Y: np.ndarray, detail: bool = False) -> Any:
        Y = np.atleast_2d(np.asarray(Y, dtype=float))
        folds = self.cv.folds(Y)
        aucs = np.zeros(Y.shape[0])
        rows, oof, coefs = [], [], []
        for b, y in enumerate(Y):
            for r in range(self.cv.n_repeats):
                for f in range(self.cv.n_splits):
                    te = np.flatnonzero(folds[b, r] == f)
                    tr = np.flatnonzero(folds[b, r] != f)
                    score, prob, pred, coef = self._fit_fold(y.astype(int), tr, te)
                    aucs[b] += auc_rows(score[None, :], y[te][None, :])[0]
                    if detail:
                        rows.append(_fold_row(r, f, score, prob, pred, y[te]))
                        oof.append((te, score, prob))
                        coefs.append(coef)
        aucs /= self.cv.n_repeats * self.cv.n_splits
        if detail:
            has = all(c is not None for c in coefs)
            return {"per_fold": pd.DataFrame(rows), "oof": oof,
                    "coefs": np.vstack(coefs) if has else None, "stat": aucs[0]}
        return aucs


def _fold_row(r: int, f: int, score: np.ndarray, prob: np.ndarray | None, pred: np.ndarray,
              lab: np.ndarray) -> dict[str, Any]:
    ba, sens, spec = threshold_rows(pred[None, :], lab[None, :])
    return {
        "repeat": r, "fold": f,
        "auc": float(auc_rows(score[None, :], lab[None, :])[0]),
        "balanced_accuracy": float(ba[0]), "sensitivity": float(sens[0]), "specificity": float(spec[0]),
        "brier": float(brier_rows(prob[None, :], lab[None, :])[0]) if prob is not None else np.nan,
    }


class PermutationStatistic:
    """``statistic(idx)`` for :func:`~neuroimmune_stats.resampling.resample`: mean AUC per permutation."""

    def __init__(self, model: Any, y01: np.ndarray):
        self.model, self.y01 = model, y01

    def __call__(self, idx: np.ndarray) -> np.ndarray:
        return self.model.run(self.y01[idx])


__all__ = [
    "CVDesign",
    "FastModel",
    "GeneralModel",
    "PermutationStatistic",
    "adjusted_features",
    "fold_assignment",
    "fold_order",
    "masked_auc",
]
