"""Complete cases: ONE missing-value rule (NaN, None, NA, +inf and -inf are missing) and ONE warning policy.

Every analysis selects its rows here. The warning is emitted once per call by :func:`warn_excluded`,
naming the excluded subjects with the spelling of the input file.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..exceptions import DataWarning, InsufficientDataError, SpecificationError
from .columns import ID_COLUMN, is_factor, subject_ids


@dataclass(frozen=True)
class CompleteCases:
    """Who an analysis used: ``n`` complete cases and the IDs left out for missing values."""

    n: int
    excluded_ids: tuple[str, ...] = field(default_factory=tuple)

    @property
    def n_excluded(self) -> int:
        return len(self.excluded_ids)


def present(s: pd.Series) -> np.ndarray:
    """Boolean mask of usable values: not NaN/None/NA and, for numbers, finite.

    Examples
    --------
    >>> present(pd.Series([1.0, np.nan, np.inf, -np.inf, 2.0])).tolist()
    [True, False, False, False, True]
    """
    arr = s.array
    if isinstance(arr, pd.Categorical):
        return np.asarray(arr.codes >= 0)
    ok = ~np.asarray(pd.isna(arr), dtype=bool)
    if pd.api.types.is_float_dtype(s.dtype) or pd.api.types.is_complex_dtype(s.dtype):
        with np.errstate(invalid="ignore"):
            ok &= np.isfinite(np.asarray(s.to_numpy(dtype=float, na_value=np.nan)))
    elif pd.api.types.is_object_dtype(s.dtype):
        vals = s.to_numpy()
        for i in np.flatnonzero(ok):
            v = vals[i]
            if isinstance(v, float | np.floating) and not np.isfinite(v):
                ok[i] = False
    return ok


def present_matrix(Y: np.ndarray) -> np.ndarray:
    """The same rule on a float array: finite values are present."""
    return np.isfinite(Y)


def series_mask(columns: Sequence[pd.Series], n: int) -> np.ndarray:
    """:func:`complete_mask` of columns already taken out of their frame (``n`` rows each)."""
    mask = np.ones(n, dtype=bool)
    for s in columns:
        dt = s.dtype
        if isinstance(dt, np.dtype) and dt.kind == "f":
            mask &= np.isfinite(s.to_numpy())
        elif not (isinstance(dt, np.dtype) and dt.kind in "iub"):
            mask &= present(s)
    return mask


#: up to this many columns :func:`complete_mask` checks column by column, beyond it float columns as one block
NARROW = 16


def complete_mask(data: pd.DataFrame, columns: Sequence[str],
                  series: Mapping[str, pd.Series] | None = None) -> np.ndarray:
    """Rows of ``data`` complete on ``columns`` by the one missing-value rule.

    ``series`` may hold columns already read out of ``data`` (by name), so they are not read twice.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, np.inf, 3.0], "g": ["a", None, "b"], "k": [1, 2, 3]})
    >>> complete_mask(df, ["x"]).tolist(), complete_mask(df, ["g", "k"]).tolist()
    ([True, False, True], [True, False, True])
    """
    if not columns:
        return np.ones(len(data), dtype=bool)
    cols = list(dict.fromkeys(columns))
    if len(cols) <= NARROW:  # a few columns: one array each (a sub-frame would cost more than the checks)
        got = series or {}
        return series_mask([got[c] if c in got else data[c] for c in cols], len(data))
    mask = np.ones(len(data), dtype=bool)
    kind = {c: (dt.kind if isinstance(dt, np.dtype) else "") for c, dt in data.dtypes.items()}
    fast = [c for c in cols if kind.get(c, "") in ("f", "i", "u", "b")]
    if fast:  # plain numpy columns in one block (a wide frame must not cost a Python loop per column)
        floats = [c for c in fast if kind[c] == "f"]
        if floats:
            mask &= np.isfinite(data[floats].to_numpy(dtype=float)).all(axis=1)
    fast_set = set(fast)
    for c in cols:
        if c not in fast_set:
            mask &= present(data[c])
    return mask


def excluded_message(what: str, excluded: Sequence[str], n: int, columns: Iterable[str] | None = None) -> str:
    """The one wording of an exclusion note (used by warnings, summaries and the report)."""
    shown = ", ".join(excluded[:20]) + (" ..." if len(excluded) > 20 else "")
    cols = f" in {list(columns)}" if columns is not None else ""
    return (f"{what}: {len(excluded)} subject(s) with missing or non-finite values{cols} were excluded "
            f"(complete cases, n = {n}): {shown}.")


def warn_excluded(what: str, excluded: Sequence[str], n: int, columns: Iterable[str] | None = None,
                  *, stacklevel: int = 3) -> None:
    """Emit the call's single :class:`DataWarning` naming the excluded subjects (nothing when none)."""
    if excluded:
        warnings.warn(excluded_message(what, list(excluded), n, columns), DataWarning, stacklevel=stacklevel + 1)


def complete_cases(
    data: pd.DataFrame, columns: Sequence[str], *, min_n: int = 1, what: str = "analysis", warn: bool = False
) -> tuple[pd.DataFrame, CompleteCases]:
    """Rows of ``data`` complete on ``columns`` (a copy) and the record of who was left out.

    Missing means NaN, None, pandas NA, +inf or -inf, in every analysis. With ``warn=True`` a
    :class:`~neuroimmune_stats.exceptions.DataWarning` names the excluded subjects; an analysis that
    calls this several times passes ``warn=False`` and calls :func:`warn_excluded` once.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["sub-01", "sub-02", "sub-03"], "x": [1.0, np.inf, 3.0]})
    >>> frame, cc = complete_cases(df, ["x"])
    >>> cc.n, cc.excluded_ids
    (2, ('sub-02',))
    """
    missing = [c for c in columns if c not in data.columns]
    if missing:
        raise SpecificationError(f"{what}: columns not in the data: {missing}.")
    mask = complete_mask(data, list(columns))
    ids = subject_ids(data)
    frame = data.loc[mask, list(dict.fromkeys([*(c for c in [ID_COLUMN] if c in data), *columns]))]
    cc = CompleteCases(n=int(mask.sum()), excluded_ids=tuple(ids[~mask].tolist()))
    if warn:
        warn_excluded(what, cc.excluded_ids, cc.n, columns, stacklevel=3)
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
        return s.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError) as exc:
        raise SpecificationError(f"{what}: column {col!r} must be numeric.") from exc


__all__ = [
    "CompleteCases",
    "complete_cases",
    "complete_mask",
    "excluded_message",
    "numeric_column",
    "numeric_series",
    "present",
    "present_matrix",
    "warn_excluded",
]
