"""Shared model-frame building: column resolution, complete cases and covariate coding.

Every analysis selects its variables here so the same rules hold everywhere: globs such as
``"suvr_*"`` expand against the frame, strings/categoricals/booleans and ``protocol`` are factors,
incomplete rows are dropped per analysis with the subject IDs recorded, and factor covariates are
dummy-coded against their first level (R's treatment contrasts).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .exceptions import DataWarning, InsufficientDataError, SpecificationError

#: columns that are always factors whatever their dtype (protocol is often coded 1/2)
ALWAYS_FACTORS = frozenset({"protocol", "scanner", "tspo_genotype", "sex", "subtype"})

ID_COLUMN = "subject_id"


def as_list(spec: str | Iterable[str] | None) -> list[str]:
    """``None`` → ``[]``, a string → ``[string]``, any other iterable → list."""
    if spec is None:
        return []
    if isinstance(spec, str):
        return [spec]
    return list(spec)


def resolve_columns(data: pd.DataFrame, spec: str | Iterable[str] | None, *, what: str) -> list[str]:
    """Expand column names and globs (``"suvr_*"``) against ``data``; unknown names raise.

    Examples
    --------
    >>> df = pd.DataFrame({"suvr_s1": [1.0], "suvr_thalamus": [1.0], "age": [3]})
    >>> resolve_columns(df, "suvr_*", what="outcomes")
    ['suvr_s1', 'suvr_thalamus']
    """
    out: list[str] = []
    seen: set[str] = set()
    for item in as_list(spec):
        if not isinstance(item, str):
            raise SpecificationError(f"{what}: column names must be strings; got {item!r}.")
        if any(ch in item for ch in "*?["):
            hits = [c for c in data.columns if fnmatch.fnmatchcase(str(c), item)]
            if not hits:
                raise SpecificationError(f"{what}: the pattern {item!r} matches no column.")
            fresh = [h for h in hits if h not in seen]
            out.extend(fresh)
            seen.update(fresh)
        elif item in data.columns:
            if item not in seen:
                out.append(item)
                seen.add(item)
        else:
            close = [c for c in data.columns if str(c).lower() == item.lower()]
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise SpecificationError(f"{what}: column {item!r} is not in the data.{hint}")
    return out


def is_factor(series: pd.Series) -> bool:
    """True for strings, categoricals, booleans and the always-factor columns (e.g. protocol)."""
    if str(series.name) in ALWAYS_FACTORS:
        return True
    return bool(
        isinstance(series.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(series)
        or pd.api.types.is_string_dtype(series)
        or pd.api.types.is_bool_dtype(series)
    )


def subject_ids(data: pd.DataFrame) -> pd.Series:
    """The subject IDs of ``data``: the ``subject_id`` column, else the index."""
    if ID_COLUMN in data.columns:
        return data[ID_COLUMN].astype(str)
    return pd.Series(data.index.astype(str), index=data.index)


@dataclass(frozen=True)
class CompleteCases:
    """Who an analysis used: ``n`` complete cases and the IDs left out for missing values."""

    n: int
    excluded_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_excluded(self) -> int:
        return len(self.excluded_ids)


def complete_cases(
    data: pd.DataFrame, columns: Sequence[str], *, min_n: int = 1, what: str = "analysis", warn: bool = False
) -> tuple[pd.DataFrame, CompleteCases]:
    """Rows of ``data`` complete on ``columns`` (a copy) and the record of who was left out.

    With ``warn=True`` a :class:`~neuroimmune_stats.exceptions.DataWarning` names the excluded subjects.
    """
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise SpecificationError(f"{what}: columns not in the data: {missing}.")
    mask = data[list(columns)].notna().all(axis=1)
    ids = subject_ids(data)
    frame = data.loc[mask, list(dict.fromkeys([*(c for c in [ID_COLUMN] if c in data), *columns]))]
    cc = CompleteCases(n=int(mask.sum()), excluded_ids=tuple(ids[~mask].tolist()))
    if warn and cc.excluded_ids:
        import warnings

        shown = ", ".join(cc.excluded_ids[:20]) + (" ..." if cc.n_excluded > 20 else "")
        warnings.warn(
            f"{what}: {cc.n_excluded} subject(s) with missing values in {list(columns)} "
            f"were excluded (complete cases, n = {cc.n}): {shown}.",
            DataWarning,
            stacklevel=4,
        )
    if cc.n < min_n:
        raise InsufficientDataError(
            f"{what}: {cc.n} complete case(s) on {list(columns)}; at least {min_n} are needed."
        )
    return frame.copy(), cc


def numeric_column(frame: pd.DataFrame, col: str, *, what: str) -> np.ndarray:
    """A column as float64, or a clear error if it is not numeric."""
    return numeric_series(frame[col], col, what=what)


def numeric_series(s: pd.Series, col: str, *, what: str) -> np.ndarray:
    """A series as float64, or a clear error naming ``col`` if it is not numeric."""
    if is_factor(s) and not pd.api.types.is_numeric_dtype(s):
        raise SpecificationError(f"{what}: column {col!r} must be numeric; it holds {s.dtype} values.")
    try:
        return s.to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        raise SpecificationError(f"{what}: column {col!r} must be numeric.") from exc


def covariate_matrix(
    frame: pd.DataFrame, covariates: Sequence[str], *, what: str = "analysis"
) -> tuple[np.ndarray, list[str]]:
    """Columns for ``covariates`` (no intercept): numeric as is, factors as treatment dummies.

    Factor levels are sorted (or taken in categorical order); the first level is the reference,
    as in R. A covariate that is constant in ``frame`` raises :class:`SpecificationError` naming it.

    Examples
    --------
    >>> df = pd.DataFrame({"protocol": [1, 2, 2], "bmi": [20.0, 25.0, 30.0]})
    >>> X, names = covariate_matrix(df, ["protocol", "bmi"])
    >>> names
    ['protocol[T.2]', 'bmi']
    """
    cols: list[np.ndarray] = []
    names: list[str] = []
    for cov in covariates:
        s = frame[cov]
        if is_factor(s):
            cat = s.astype("category") if not isinstance(s.dtype, pd.CategoricalDtype) else s
            cat = cat.cat.remove_unused_categories()
            levels = list(cat.cat.categories)
            if len(levels) < 2:
                raise SpecificationError(
                    f"{what}: covariate {cov!r} has a single level ({levels[0] if levels else 'none'}) "
                    "among the complete cases, so it cannot be adjusted for; remove it."
                )
            for lev in levels[1:]:
                cols.append((cat == lev).to_numpy(dtype=float))
                names.append(f"{cov}[T.{lev}]")
        else:
            x = numeric_column(frame, cov, what=what)
            if np.ptp(x) == 0:
                raise SpecificationError(
                    f"{what}: covariate {cov!r} is constant ({x[0]:g}) among the complete cases; "
                    "remove it."
                )
            cols.append(x)
            names.append(cov)
    if not cols:
        return np.empty((len(frame), 0)), []
    return np.column_stack(cols), names


__all__ = [
    "ALWAYS_FACTORS",
    "ID_COLUMN",
    "CompleteCases",
    "as_list",
    "complete_cases",
    "covariate_matrix",
    "is_factor",
    "numeric_column",
    "resolve_columns",
    "subject_ids",
]
