"""Subtype classifiers without confound leakage, with honest (label-permutation) inference.

:class:`SubtypeClassifier` is a scikit-learn classifier that regresses confounds out of the features
inside each training set; :func:`evaluate_classifier` runs repeated stratified cross-validation, a
confounds-only baseline and a label-permutation test (fast batched path for L2 logistic regression).
"""

from typing import TYPE_CHECKING, Any

from .evaluate import ClassifierResult, evaluate_classifier

if TYPE_CHECKING:  # pragma: no cover
    from .estimator import SubtypeClassifier


def __getattr__(name: str) -> Any:
    # SubtypeClassifier is a scikit-learn estimator: importing scikit-learn (and scipy.stats with it)
    # costs about a second, which evaluate_classifier's default path does not need
    if name == "SubtypeClassifier":
        from .estimator import SubtypeClassifier

        return SubtypeClassifier
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["ClassifierResult", "SubtypeClassifier", "evaluate_classifier"]
