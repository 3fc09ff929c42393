"""Column roles: names and globs resolved against a frame, factor detection, subject IDs."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import SpecificationError

#: columns that are always factors whatever their dtype (protocol is often coded 1/2)
ALWAYS_FACTORS = frozenset({"protocol", "scanner", "tspo_genotype", "sex", "subtype"})

ID_COLUMN = "subject_id"


def as_list(spec: str | Iterable[str] | None) -> list[str]:
    """``None`` → ``[]``, a string → ``[string]``, any other iterable → list.

    Examples
    --------
    >>> as_list("age"), as_list(None), as_list(("a", "b"))
    (['age'], [], ['a', 'b'])
    """
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
    items = as_list(spec)
    if items and all(isinstance(i, str) for i in items) and not any(ch in "".join(items) for ch in "*?["):
        cols = data.columns
        # plain names (fast path for wide tables); many names: one set of the labels (a membership test
        # on an arrow-string Index costs about a microsecond per name)
        names: Any = set(cols.tolist()) if len(items) > 32 else cols
        if cols.is_unique and all(i in names for i in items):
            return list(dict.fromkeys(items))
    out: list[str] = []
    seen: set[str] = set()
    for item in items:
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
    """True for strings, categoricals, booleans and the always-factor columns (e.g. protocol).

    Indifferent to the string storage (object, python or pyarrow strings).

    Examples
    --------
    >>> is_factor(pd.Series([1, 2], name="protocol")), is_factor(pd.Series([1.5, 2.0], name="bmi"))
    (True, False)
    """
    if str(series.name) in ALWAYS_FACTORS:
        return True
    dt = series.dtype
    if isinstance(dt, np.dtype):  # numpy dtypes by kind (pandas' is_string_dtype would scan object values)
        return dt.kind in "ObSU"
    return bool(
        isinstance(series.dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(series)
        or pd.api.types.is_string_dtype(series)
        or pd.api.types.is_bool_dtype(series)
    )


def subject_ids(data: pd.DataFrame) -> pd.Series:
    """The subject IDs of ``data`` as the input file wrote them: the ``subject_id`` column, else the index."""
    if ID_COLUMN in data.columns:
        return data[ID_COLUMN].astype(str)
    return pd.Series(data.index.astype(str), index=data.index)


def excluded_ids(data: pd.DataFrame, mask: np.ndarray) -> tuple[str, ...]:
    """The IDs (as :func:`subject_ids` gives them) of the rows where ``mask`` is False.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["sub-01", "sub-02", "sub-03"]})
    >>> excluded_ids(df, np.array([True, False, True])), excluded_ids(df, np.ones(3, bool))
    (('sub-02',), ())
    """
    drop = np.flatnonzero(~np.asarray(mask, dtype=bool))
    if drop.size == 0:
        return ()
    if ID_COLUMN in data.columns:
        return tuple(data[ID_COLUMN].iloc[drop].astype(str).tolist())
    return tuple(data.index[drop].astype(str).tolist())


def check_frame(data: object, *, what: str) -> pd.DataFrame:
    """``data`` if it is a DataFrame with unique column names, else a :class:`SpecificationError`."""
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"{what}: data must be a pandas DataFrame; got {type(data).__name__}.")
    if not data.columns.is_unique:
        dup = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
        raise SpecificationError(f"{what}: the data has duplicate column names {dup}; rename them.")
    return data


def without_attrs(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` itself when it has no ``attrs``, else a shallow copy without them.

    pandas deep-copies ``attrs`` (validation log, labels) into every object an operation returns, so a
    frame from :func:`~neuroimmune_stats.read_cohort` makes each column access cost a copy; analyses
    read what they need from ``attrs`` once, then work on this view.
    """
    if not data.attrs:
        return data
    return pd.DataFrame(data)  # shares the columns; unlike .copy(deep=False), never copies attrs at all


__all__ = ["ALWAYS_FACTORS", "ID_COLUMN", "as_list", "check_frame", "excluded_ids", "is_factor", "resolve_columns",
           "subject_ids", "without_attrs"]
