"""Subtype classifiers without confound leakage, with honest (label-permutation) inference.

:class:`SubtypeClassifier` is a scikit-learn classifier that regresses confounds out of the features
inside each training set; :func:`evaluate_classifier` runs repeated stratified cross-validation, a
confounds-only baseline and a label-permutation test (fast batched path for L2 logistic regression).
"""

from .estimator import SubtypeClassifier
from .evaluate import ClassifierResult, evaluate_classifier

__all__ = ["ClassifierResult", "SubtypeClassifier", "evaluate_classifier"]
