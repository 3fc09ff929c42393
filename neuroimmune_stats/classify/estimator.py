"""``SubtypeClassifier``: a scikit-learn classifier with cross-validated confound regression inside.

The columns named in ``confounds`` never reach the classifier. In ``fit`` each feature is regressed
on the confounds (factor confounds such as protocol or genotype dummy-coded) using the training rows
only; the residuals are standardised and passed to the wrapped estimator. In ``predict`` the test
rows are adjusted with the *training* coefficients. Because this happens inside ``fit``, any
scikit-learn cross-validation of the estimator is free of confound leakage across folds
(cross-validated confound regression; Snoek, Miletić & Scholte 2019).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._optional import require
from ..design import as_list, is_factor
from ..exceptions import SpecificationError
from ..harmonization.api import batch_codes, batch_labels
from ..harmonization.combat import CombatFit, apply_fit, fit_combat
from .harmonize import BATCH

require("sklearn", purpose="subtype classification")
from sklearn.base import BaseEstimator, ClassifierMixin  # noqa: E402
from sklearn.utils.metaestimators import available_if  # noqa: E402

CONFOUND_STRATEGIES = ("regress", "none")


class ConfoundCoder:
    """Dummy-codes confounds with the levels seen at fit time (unseen levels → all-zero rows)."""

    def __init__(self, confounds: Sequence[str]):
        self.confounds = list(confounds)

    def fit(self, frame: pd.DataFrame) -> ConfoundCoder:
        self.levels_: dict[str, list[Any] | None] = {}
        self.names_: list[str] = []
        for c in self.confounds:
            s = frame[c]
            if is_factor(s):
                cat = s.astype("category") if not isinstance(s.dtype, pd.CategoricalDtype) else s
                levels = list(cat.cat.remove_unused_categories().cat.categories)
                self.levels_[c] = levels
                self.names_.extend(f"{c}[T.{lev}]" for lev in levels[1:])
            else:
                self.levels_[c] = None
                self.names_.append(c)
        return self

    def transform(self, frame: pd.DataFrame) -> np.ndarray:
        cols: list[np.ndarray] = []
        for c in self.confounds:
            s = frame[c]
            levels = self.levels_[c]
            if levels is None:
                try:
                    cols.append(s.to_numpy(dtype=float))
                except (TypeError, ValueError) as exc:
                    raise SpecificationError(f"confound {c!r} must be numeric or a factor.") from exc
            else:
                vals = s.astype(object).to_numpy()
                cols.extend((vals == lev).astype(float) for lev in levels[1:])
        if not cols:
            return np.empty((len(frame), 0))
        return np.column_stack(cols)


def residualise(
    F_train: np.ndarray, C_train: np.ndarray, F_other: np.ndarray | None = None,
    C_other: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """Regress features on ``[1, confounds]`` in the training rows; residualise train (and other)."""
    D = np.column_stack([np.ones(len(F_train)), C_train])
    coef = np.linalg.lstsq(D, F_train, rcond=None)[0]
    R_train = F_train - D @ coef
    R_other = None
    if F_other is not None and C_other is not None:
        R_other = F_other - np.column_stack([np.ones(len(F_other)), C_other]) @ coef
    return R_train, R_other, coef


def _has(method: str) -> Any:
    """``available_if`` check: the (fitted or default) estimator has ``method``."""

    def check(self: SubtypeClassifier) -> bool:
        est = getattr(self, "estimator_", None)
        if est is None:
            est = self.estimator if self.estimator is not None else self._default_estimator()
        return hasattr(est, method)

    return check


class SubtypeClassifier(ClassifierMixin, BaseEstimator):
    """Classifier with confound regression and scaling fitted inside each training set.

    Parameters
    ----------
    estimator : sklearn classifier, optional
        The classifier fitted on the adjusted features; cloned, never fitted in place. Default:
        L2-penalised ``LogisticRegression(C=1.0, max_iter=1000)``.
    confounds : sequence of str or int, default=()
        Columns of ``X`` (a DataFrame) used only to adjust the features, then dropped. Factor
        columns (strings, categoricals, ``protocol``, ``tspo_genotype``, ...) are dummy-coded.
        Integer positions select numeric confound columns of an array (or DataFrame) ``X``.
    confound_strategy : {"regress", "none"}, default="regress"
        ``"regress"``: regress every feature on the confounds in the training rows and use the
        residuals (test rows are adjusted with the training coefficients). ``"none"``: drop the
        confound columns without adjusting (the unadjusted, leaky comparison).
    scale : bool, default=True
        Standardise the (adjusted) features with the training mean and SD.
    harmonize : bool, default=False
        Run ComBat (parametric empirical Bayes, as ``sva::ComBat``) on the features inside ``fit``,
        before the confound regression: batch = the ``protocol`` column of ``X`` (required; never a
        feature), covariates preserved = the *factor* ``confounds`` other than ``protocol``, never the
        target. ``fit`` estimates it on the training rows; training and new rows alike are then mapped
        with those estimates without reading their covariates or labels (covariate part = training
        mean, as ``neuroCombatFromTraining``), so train and test are on one scale and a test row's
        harmonised values depend only on its own features, its protocol and the training rows.
        A protocol not seen in ``fit`` raises.

    Attributes
    ----------
    estimator_ : the fitted clone of ``estimator``
    classes_ : ndarray of the class labels
    feature_names_ : list of str, the feature columns (confounds excluded)
    confound_coef_ : ndarray, coefficients of the confound regression (intercept first)
    combat_ : CombatFit or None, the ComBat estimates (``harmonize=True``)
    batch_levels_ : list of str, the protocols seen in ``fit`` (``harmonize=True``)
    mean_, scale_ : ndarray, the standardisation of the adjusted features
    n_features_in_ : int

    Notes
    -----
    Passes scikit-learn's ``parametrize_with_checks`` with ``confounds=()`` and with integer
    confound positions, except ``check_classifiers_train`` for the latter (marked expected-failed in
    the tests): regressing column 0 out of the check's blobs removes the class signal it carries,
    so the accuracy threshold of the check cannot be met. DataFrame confounds by name cannot be
    exercised by those checks, which pass arrays.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> X = pd.DataFrame({"f1": rng.normal(size=40), "f2": rng.normal(size=40),
    ...                   "protocol": np.repeat(["1", "2"], 20)})
    >>> y = np.where(X["f1"] + rng.normal(size=40) > 0, "radicular", "axial")
    >>> clf = SubtypeClassifier(confounds=["protocol"]).fit(X, y)
    >>> clf.feature_names_
    ['f1', 'f2']
    >>> clf.predict_proba(X).shape
    (40, 2)
    """

    def __init__(
        self,
        estimator: Any = None,
        confounds: Sequence[str] = (),
        confound_strategy: str = "regress",
        scale: bool = True,
        harmonize: bool = False,
    ):
        self.estimator = estimator
        self.confounds = confounds
        self.confound_strategy = confound_strategy
        self.scale = scale
        self.harmonize = harmonize

    def _default_estimator(self) -> Any:
        from sklearn.linear_model import LogisticRegression

        return LogisticRegression(C=1.0, max_iter=1000)

    def _check_params(self) -> list[Any]:
        if self.confound_strategy not in CONFOUND_STRATEGIES:
            raise SpecificationError(
                f"confound_strategy must be one of {CONFOUND_STRATEGIES}; got {self.confound_strategy!r}."
            )
        if not isinstance(self.harmonize, bool):
            raise SpecificationError(f"harmonize must be True or False; got {self.harmonize!r}.")
        if isinstance(self.confounds, (int, np.integer)) and not isinstance(self.confounds, bool):
            out: list[Any] = [int(self.confounds)]
        else:
            out = as_list(self.confounds)
        if self.harmonize and any(isinstance(c, (int, np.integer)) for c in out):
            raise SpecificationError(
                "harmonize=True needs X as a DataFrame with a 'protocol' column and confounds given by name."
            )
        return out

    def _split(self, X: Any, confounds: list[str], reset: bool) -> tuple[np.ndarray, np.ndarray]:
        from sklearn.utils.validation import check_array, validate_data

        if not confounds and not self.harmonize:
            F = validate_data(self, X, reset=reset, dtype=np.float64)
            return F, np.empty((F.shape[0], 0))
        if confounds and all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in confounds):
            A = validate_data(self, X, reset=reset, dtype=np.float64)
            pos = [int(c) for c in confounds]
            if max(pos) >= A.shape[1] or min(pos) < -A.shape[1]:
                raise SpecificationError(
                    f"confounds: column positions {pos} are out of range for X with {A.shape[1]} columns."
                )
            pos = sorted({p % A.shape[1] for p in pos})
            keep = [j for j in range(A.shape[1]) if j not in pos]
            if not keep:
                raise SpecificationError(
                    f"X has {A.shape[1]} feature(s), all of them confounds {pos}; no features are left."
                )
            if reset:
                names = getattr(self, "feature_names_in_", None)
                self.feature_names_ = [str(names[j]) if names is not None else f"x{j}" for j in keep]
            return A[:, keep], A[:, pos]
        if not isinstance(X, pd.DataFrame):
            if self.harmonize:
                raise SpecificationError(f"harmonize=True needs X as a DataFrame with a {BATCH!r} column.")
            raise SpecificationError(
                "X must be a DataFrame holding the confound columns "
                f"{confounds} when confounds are given by name (use integer positions for arrays)."
            )
        missing = [c for c in confounds if c not in X.columns]
        if missing:
            raise SpecificationError(f"confounds: columns not in X: {missing}.")
        if self.harmonize and BATCH not in X.columns:
            raise SpecificationError(f"harmonize=True needs a {BATCH!r} column in X (the batch ComBat removes).")
        feats = [c for c in X.columns if c not in confounds and not (self.harmonize and c == BATCH)]
        if reset:
            self.feature_names_in_ = np.asarray(X.columns, dtype=object)
            self.n_features_in_ = X.shape[1]
            self.feature_names_ = [str(c) for c in feats]
            if not feats:
                raise SpecificationError("X holds only confound columns; no features are left.")
        else:
            if list(X.columns) != list(self.feature_names_in_):
                raise SpecificationError(
                    "X has different columns from those seen in fit: "
                    f"expected {list(self.feature_names_in_)}, got {list(X.columns)}."
                )
        F = check_array(X[feats], dtype=np.float64)
        if confounds and X[confounds].isna().any().any():
            raise SpecificationError(f"confounds {confounds} contain missing values.")
        if self.harmonize and X[BATCH].isna().any():
            raise SpecificationError(f"harmonize=True: the {BATCH!r} column contains missing values.")
        if reset:
            self._coder = ConfoundCoder(confounds).fit(X)
        return F, self._coder.transform(X)

    def fit(self, X: Any, y: Any) -> SubtypeClassifier:
        """Fit confound regression, scaling and the estimator on ``(X, y)``; returns self."""
        from sklearn.base import clone
        from sklearn.utils.multiclass import check_classification_targets
        from sklearn.utils.validation import column_or_1d

        confounds = self._check_params()
        F, Cm = self._split(X, confounds, reset=True)
        if not confounds and not self.harmonize:
            self.feature_names_ = (
                [str(c) for c in self.feature_names_in_]
                if hasattr(self, "feature_names_in_")
                else [f"x{i}" for i in range(F.shape[1])]
            )
        y = column_or_1d(np.asarray(y), warn=True)
        if len(y) != F.shape[0]:
            raise SpecificationError(f"X has {F.shape[0]} rows but y has {len(y)} labels.")
        check_classification_targets(y)
        self.classes_ = np.unique(y)
        if self.classes_.size < 2:
            raise SpecificationError(
                f"y holds one class only ({self.classes_[0]!r}); a classifier needs two or more."
            )
        self.combat_: CombatFit | None = None
        if self.harmonize:
            F = self._fit_combat(X, F, confounds)
        if confounds and self.confound_strategy == "regress" and Cm.shape[1]:
            F, _, self.confound_coef_ = residualise(F, Cm)
        else:
            self.confound_coef_ = np.zeros((1 + Cm.shape[1], F.shape[1]))
        if self.scale:
            self.mean_ = F.mean(axis=0)
            sd = F.std(axis=0)
            self.scale_ = np.where(sd > 1e-12 * (1 + np.abs(self.mean_)), sd, 1.0)
        else:
            self.mean_, self.scale_ = np.zeros(F.shape[1]), np.ones(F.shape[1])
        base = self.estimator if self.estimator is not None else self._default_estimator()
        self.estimator_ = clone(base).fit((F - self.mean_) / self.scale_, y)
        self.classes_ = self.estimator_.classes_
        return self

    def _fit_combat(self, X: pd.DataFrame, F: np.ndarray, confounds: list[str]) -> np.ndarray:
        """Estimate ComBat on the training rows; return them mapped by the training estimates."""
        codes, levels = batch_codes(X[BATCH])
        self.batch_levels_ = [str(v) for v in levels]
        factors = [c for c in confounds if c != BATCH and is_factor(X[c])]
        mod = ConfoundCoder(factors).fit(X).transform(X)
        fit = fit_combat(F, codes, len(levels), mod, names=self.feature_names_, levels=self.batch_levels_)
        self.combat_ = fit
        return apply_fit(fit, F, codes)[0]

    def _apply_combat(self, X: pd.DataFrame, F: np.ndarray) -> np.ndarray:
        known = {v: i for i, v in enumerate(self.batch_levels_)}
        labels = batch_labels(X[BATCH])
        unseen = sorted(set(labels) - set(known))
        if unseen:
            raise SpecificationError(
                f"harmonize=True: {BATCH} level(s) {unseen} were not seen in fit (seen: {self.batch_levels_}); "
                "ComBat cannot harmonise an unseen batch."
            )
        fit = self.combat_
        assert fit is not None
        return apply_fit(fit, F, np.array([known[v] for v in labels], dtype=np.int64))[0]

    def _transform(self, X: Any) -> np.ndarray:
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "estimator_")
        confounds = self._check_params()
        F, Cm = self._split(X, confounds, reset=False)
        if self.harmonize:
            F = self._apply_combat(X, F)
        if confounds and self.confound_strategy == "regress" and Cm.shape[1]:
            F = F - np.column_stack([np.ones(len(F)), Cm]) @ self.confound_coef_
        return (F - self.mean_) / self.scale_

    def adjust(self, X: Any) -> np.ndarray:
        """The confound-adjusted, scaled features the estimator sees (training coefficients)."""
        return self._transform(X)

    def predict(self, X: Any) -> np.ndarray:
        """Predicted class labels."""
        Z = self._transform(X)
        return self.estimator_.predict(Z)

    @available_if(_has("predict_proba"))
    def predict_proba(self, X: Any) -> np.ndarray:
        """Class probabilities (columns in the order of ``classes_``)."""
        Z = self._transform(X)
        return self.estimator_.predict_proba(Z)

    @available_if(_has("decision_function"))
    def decision_function(self, X: Any) -> np.ndarray:
        """The estimator's decision function (when it has one)."""
        Z = self._transform(X)
        return self.estimator_.decision_function(Z)

    @property
    def coef_(self) -> np.ndarray:
        """Coefficients of the fitted estimator on the standardised adjusted features."""
        return self.estimator_.coef_


__all__ = ["CONFOUND_STRATEGIES", "ConfoundCoder", "SubtypeClassifier", "residualise"]
