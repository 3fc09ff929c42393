"""The model-frame layer used by every analysis, plot and the report.

One place decides, for every analysis: which columns a role means (names and globs), which rows are
complete (NaN, None, NA and ±inf are missing), what the excluded subjects are called (their IDs as the
input file wrote them, named once per call in a :class:`~neuroimmune_stats.exceptions.DataWarning`),
how factors are coded (levels as the file wrote them, unused levels dropped, treatment or sum
contrasts) and when a design is rank deficient (R ``lm.fit``'s rule, tolerance 1e-7).

Modules: :mod:`.columns` (roles), :mod:`.cases` (complete cases), :mod:`.factors` (factor coder),
:mod:`.linalg` (least squares, rank rule, HC covariances), :mod:`.frame` (the model frame).
"""

from __future__ import annotations

from .cases import (
    CompleteCases,
    complete_cases,
    complete_mask,
    excluded_message,
    numeric_column,
    numeric_series,
    present,
    present_matrix,
    warn_excluded,
)
from .columns import (
    ALWAYS_FACTORS,
    ID_COLUMN,
    as_list,
    check_frame,
    is_factor,
    resolve_columns,
    subject_ids,
    without_attrs,
)
from .factors import FactorCoder, as_factor, clean_level, covariate_matrix
from .frame import Frame, model_frame
from .linalg import HC_TYPES, RANK_TOL, OLSFit, aliased_columns, check_rank, hc_vcov, ols, ols_checked

__all__ = [
    "ALWAYS_FACTORS",
    "HC_TYPES",
    "ID_COLUMN",
    "RANK_TOL",
    "CompleteCases",
    "FactorCoder",
    "Frame",
    "OLSFit",
    "aliased_columns",
    "as_factor",
    "as_list",
    "check_frame",
    "check_rank",
    "clean_level",
    "complete_cases",
    "complete_mask",
    "covariate_matrix",
    "excluded_message",
    "hc_vcov",
    "is_factor",
    "model_frame",
    "numeric_column",
    "numeric_series",
    "ols",
    "ols_checked",
    "present",
    "present_matrix",
    "resolve_columns",
    "subject_ids",
    "warn_excluded",
    "without_attrs",
]
