"""Batched classification metrics: AUC by ranks, threshold metrics and the Brier score.

Every function takes scores of shape ``(B, m)`` and 0/1 labels of shape ``(B, m)`` (one row per
label vector, e.g. per permutation) and returns one value per row.

Examples
--------
>>> import numpy as np
>>> auc_rows(np.array([[0.1, 0.4, 0.35, 0.8]]), np.array([[0, 0, 1, 1]]))
array([0.75])
"""

from __future__ import annotations

import numpy as np

from .._dist import average_ranks

#: the metrics reported by :func:`~neuroimmune_stats.classify.evaluate_classifier`, in order
TERMS = ("auc", "balanced_accuracy", "sensitivity", "specificity", "brier")


def auc_rows(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Area under the ROC curve per row (Mann–Whitney form, ties count 1/2).

    A row whose labels hold a single class (possible in a test fold after a label permutation)
    gets 0.5, the value of an uninformative classifier.
    """
    scores = np.atleast_2d(scores)
    labels = np.atleast_2d(labels).astype(float)
    ranks = average_ranks(scores, axis=1)
    n1 = labels.sum(axis=1)
    n0 = labels.shape[1] - n1
    u = (ranks * labels).sum(axis=1) - n1 * (n1 + 1) / 2
    with np.errstate(invalid="ignore", divide="ignore"):
        auc = u / (n1 * n0)
    return np.where((n1 > 0) & (n0 > 0), auc, 0.5)


def threshold_rows(pred: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(balanced accuracy, sensitivity, specificity) per row from 0/1 predictions.

    Sensitivity is the hit rate of the positive class (label 1), specificity that of class 0.
    """
    pred = np.atleast_2d(pred).astype(float)
    labels = np.atleast_2d(labels).astype(float)
    n1 = labels.sum(axis=1)
    n0 = labels.shape[1] - n1
    with np.errstate(invalid="ignore", divide="ignore"):
        sens = (pred * labels).sum(axis=1) / n1
        spec = ((1 - pred) * (1 - labels)).sum(axis=1) / n0
    return (sens + spec) / 2, sens, spec


def brier_rows(prob: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Mean squared difference between the predicted probability of class 1 and the label."""
    return np.mean((np.atleast_2d(prob) - np.atleast_2d(labels)) ** 2, axis=1)


def fold_metrics(score: np.ndarray, prob: np.ndarray | None, pred: np.ndarray, labels: np.ndarray) -> dict:
    """All :data:`TERMS` for one test fold (1-d inputs)."""
    ba, sens, spec = threshold_rows(pred, labels)
    return {
        "auc": float(auc_rows(score, labels)[0]),
        "balanced_accuracy": float(ba[0]),
        "sensitivity": float(sens[0]),
        "specificity": float(spec[0]),
        "brier": float(brier_rows(prob, labels)[0]) if prob is not None else float("nan"),
    }


def hanley_mcneil_se(auc: float, n1: int, n0: int) -> float:
    """Standard error of an AUC (Hanley & McNeil 1982, Radiology 143:29) for n1 positives, n0 negatives."""
    q1 = auc / (2 - auc)
    q2 = 2 * auc**2 / (1 + auc)
    var = (auc * (1 - auc) + (n1 - 1) * (q1 - auc**2) + (n0 - 1) * (q2 - auc**2)) / (n1 * n0)
    return float(np.sqrt(max(var, 0.0)))


def roc_points(score: np.ndarray, labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(false positive rate, true positive rate) of the ROC curve, from (0, 0) to (1, 1)."""
    order = np.argsort(-score, kind="mergesort")
    s, y = score[order], labels[order].astype(float)
    distinct = np.r_[np.flatnonzero(np.diff(s)), y.size - 1]
    tp = np.cumsum(y)[distinct]
    fp = (distinct + 1) - tp
    n1, n0 = y.sum(), y.size - y.sum()
    tpr = np.r_[0.0, tp / n1] if n1 else np.r_[0.0, np.zeros_like(tp)]
    fpr = np.r_[0.0, fp / n0] if n0 else np.r_[0.0, np.zeros_like(fp)]
    return fpr, tpr


__all__ = [
    "TERMS",
    "auc_rows",
    "brier_rows",
    "fold_metrics",
    "hanley_mcneil_se",
    "roc_points",
    "threshold_rows",
]
