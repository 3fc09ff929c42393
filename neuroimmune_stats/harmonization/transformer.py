"""``ComBat``: the harmonisation as a scikit-learn transformer on DataFrames.

``fit`` estimates ComBat on the training rows; ``transform`` harmonises rows of the batches seen in
``fit`` with those estimates. New rows are mapped without reading their covariates: their
covariate part is the training mean, as ``neuroCombatFromTraining`` does, so the map is a fixed
affine function per batch and feature, ``y -> m + (y - m - gamma*_b sigma) / sqrt(delta*_b)`` with
``m`` the training mean fit and ``sigma`` the pooled SD. ``fit_transform(X)`` returns what
:func:`~neuroimmune_stats.harmonization.harmonize` returns on ``X`` (each training row with its own
covariate part, as ``sva::ComBat``); without covariates the two maps coincide.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .._optional import require
from .._params import check_bool
from ..design import without_attrs
from ..exceptions import SpecificationError
from .api import _missing_error, batch_labels, combat_frame, feature_matrix, prepare, replace_columns
from .combat import apply_fit
from .frames import column_positions, feature_positions

require("sklearn", purpose="the ComBat transformer")
from sklearn.base import BaseEstimator, TransformerMixin  # noqa: E402

WHAT = "ComBat"


class ComBat(TransformerMixin, BaseEstimator):
    """ComBat harmonisation fitted on training rows, applied to new rows of seen batches.

    Parameters
    ----------
    batch : str, default="protocol"
        The batch column of ``X`` (a factor whatever its dtype).
    covariates : sequence of str, default=()
        Columns whose effects are preserved in the estimation (as ``harmonize``); never read by
        ``transform``.
    parametric, eb : bool, default=True
        As :func:`~neuroimmune_stats.harmonization.harmonize`.
    features : sequence of str, optional
        Columns to harmonise; default every numeric, non-factor column except ``batch`` and
        ``covariates``.

    Attributes
    ----------
    features_ : list of str, the harmonised columns
    batch_levels_ : list, the batches seen in ``fit``
    fit_ : CombatFit, the estimates
    feature_names_in_ : ndarray of the columns of the training frame
    n_features_in_ : int

    Notes
    -----
    The transformer takes and returns DataFrames (the batch is a column, covariates are named), so
    scikit-learn's ``check_estimator``, which feeds NumPy arrays, does not apply; the tests check
    the parts of the contract that do: ``clone``, ``get_params``/``set_params``, ``fit`` returning
    ``self``, ``NotFittedError`` before ``fit``, no state changed by ``transform``, idempotent
    ``fit`` and no mutation of the input.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.load_example()
    >>> train, test = df.iloc[:40], df.iloc[40:]
    >>> cb = ComBat(batch="protocol", features=["suvr_s1", "suvr_thalamus", "suvr_pcc"]).fit(train)
    >>> out = cb.transform(test)
    >>> list(out.columns) == list(test.columns), out.index.equals(test.index)
    (True, True)
    """

    def __init__(self, batch: str = "protocol", covariates: Sequence[str] = (), parametric: bool = True,
                 eb: bool = True, features: Sequence[str] | None = None):
        self.batch = batch
        self.covariates = covariates
        self.parametric = parametric
        self.eb = eb
        self.features = features

    def _fit(self, X: Any) -> pd.DataFrame:
        parametric = check_bool(self.parametric, where=WHAT, name="parametric")
        eb = check_bool(self.eb, where=WHAT, name="eb")
        prep = prepare(X, None if self.features is None else list(self.features), self.batch,
                       list(self.covariates), what=WHAT)
        out, fit = combat_frame(X, prep, parametric=parametric, eb=eb)
        self.features_ = prep.features
        self.covariates_ = prep.covariates
        self.batch_levels_ = prep.levels
        self.fit_ = fit
        self.feature_names_in_ = np.asarray(X.columns, dtype=object)
        self.n_features_in_ = X.shape[1]
        return out

    def fit(self, X: Any, y: Any = None) -> ComBat:
        """Estimate ComBat on the rows of ``X``; returns self."""
        self._fit(X)
        return self

    def fit_transform(self, X: Any, y: Any = None, **fit_params: Any) -> pd.DataFrame:
        """Fit on ``X`` and return its harmonised copy (equal to ``harmonize(X, ...)``)."""
        return self._fit(X)

    def transform(self, X: Any) -> pd.DataFrame:
        """Harmonise rows of seen batches with the training estimates (covariates not read)."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "fit_")
        if not isinstance(X, pd.DataFrame):
            raise SpecificationError(f"{WHAT}: X must be a pandas DataFrame; got {type(X).__name__}.")
        X = without_attrs(X)
        where = column_positions(X)
        names = [self.batch, *self.features_]
        missing = [c for c in names if c not in (X.columns if where is None else where)]
        if missing:
            raise SpecificationError(f"{WHAT}: columns seen in fit are missing from X: {missing}.")
        _missing_error(X, [*self.features_, self.batch], WHAT)
        s = X[self.batch]
        known = {str(v): i for i, v in enumerate(self.batch_levels_)}
        labels = batch_labels(s)
        unseen = sorted(set(labels) - set(known))
        if unseen:
            raise SpecificationError(
                f"{WHAT}: batch level(s) {unseen} of {self.batch!r} were not seen in fit (seen: "
                f"{[str(v) for v in self.batch_levels_]}); ComBat cannot harmonise an unseen batch."
            )
        codes = np.array([known[v] for v in labels], dtype=np.int64)
        pos = feature_positions(self.features_, where)
        Y = feature_matrix(X, self.features_, what=f"{WHAT} features", positions=pos)
        return replace_columns(X, self.features_, apply_fit(self.fit_, Y, codes)[0], pos)

    def get_feature_names_out(self, input_features: Any = None) -> np.ndarray:
        """The output columns: those of the training frame."""
        from sklearn.utils.validation import check_is_fitted

        check_is_fitted(self, "fit_")
        return np.asarray(self.feature_names_in_, dtype=object)


__all__ = ["ComBat"]
