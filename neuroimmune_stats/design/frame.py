"""The model frame: roles resolved, complete cases taken, factors coded, one warning per call.

:func:`model_frame` is the entry point of every analysis that is not formula-driven (``correlate``,
``mediate``, ``bayes_mediate``, ``evaluate_classifier``, ``permutation_test``...); ``lm`` builds its
frame through the same cases and factor rules. The same data therefore give the same ``n``, the same
excluded IDs and the same rank decision everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..exceptions import InsufficientDataError, SpecificationError
from .cases import CompleteCases, complete_mask, numeric_series, warn_excluded
from .columns import (
    ID_COLUMN,
    as_list,
    check_frame,
    excluded_ids,
    is_factor,
    resolve_columns,
    subject_ids,
    without_attrs,
)
from .factors import as_factor, covariate_matrix
from .linalg import check_rank

RoleSpec = str | Iterable[str] | None


class Frame:
    """Complete cases of the role columns (a private copy) and who was excluded.

    The columns are kept as the Series :func:`model_frame` made of them (``column(name)``, no
    DataFrame lookup); ``data``, the DataFrame of them all, is assembled on first use. Analyses
    that need a few arrays never pay for a DataFrame they do not read.
    """

    __slots__ = ("_columns", "_data", "cases", "labels", "roles", "what")

    def __init__(self, columns: Mapping[str, pd.Series], roles: Mapping[str, tuple[str, ...]],
                 cases: CompleteCases, what: str, labels: Mapping[str, str] | None = None) -> None:
        self._columns = dict(columns)
        self._data: pd.DataFrame | None = None
        self.roles = roles
        self.cases = cases
        self.what = what
        self.labels = dict(labels or {})

    @property
    def data(self) -> pd.DataFrame:
        """The complete cases of every column of the frame, in order (the subject ID first, if any)."""
        if self._data is None:
            index = next(iter(self._columns.values())).index if self._columns else pd.RangeIndex(0)
            self._data = pd.DataFrame(self._columns, index=index, copy=False)
        return self._data

    @property
    def n(self) -> int:
        return self.cases.n

    @property
    def excluded_ids(self) -> tuple[str, ...]:
        return self.cases.excluded_ids

    @property
    def ids(self) -> tuple[str, ...]:
        if ID_COLUMN in self._columns:
            return tuple(self._columns[ID_COLUMN].astype(str).tolist())
        return tuple(subject_ids(self.data).tolist())

    @property
    def names(self) -> list[str]:
        """The frame's columns, in order (the subject ID first, if the data had one)."""
        return list(self._columns)

    def role(self, name: str) -> list[str]:
        return list(self.roles.get(name, ()))

    def column(self, name: str) -> pd.Series:
        """One column of the frame (complete cases, factors coded), without a DataFrame lookup."""
        try:
            return self._columns[name]
        except KeyError:
            raise SpecificationError(f"{self.what}: column {name!r} is not in the model frame.") from None

    def numeric(self, column: str) -> np.ndarray:
        """One column as float64 (a clear error if it is a factor)."""
        return numeric_series(self.column(column), column, what=self.what)

    def covariates(self, names: Sequence[str]) -> tuple[np.ndarray, list[str]]:
        """:func:`~neuroimmune_stats.design.covariate_matrix` of these columns (no intercept, no rank check)."""
        return covariate_matrix(self._columns, names, what=self.what, n=self.n)

    def design(self, role: str = "covariates", *, intercept: bool = True,
               extra: Iterable[tuple[str, np.ndarray]] = ()) -> tuple[np.ndarray, list[str]]:
        """Intercept, treatment-coded columns of ``role`` and ``extra`` columns, rank-checked."""
        C, names = self.covariates(self.role(role))
        blocks = [np.ones((self.n, 1))] if intercept else []
        cols = ["(Intercept)"] if intercept else []
        for name, col in extra:
            blocks.append(np.asarray(col, dtype=float).reshape(self.n, -1))
            cols.append(name)
        blocks.append(C)
        cols.extend(names)
        X = np.column_stack(blocks) if blocks else np.empty((self.n, 0))
        check_rank(X, cols, what=self.what)
        return X, cols


def model_frame(
    data: pd.DataFrame,
    *,
    what: str,
    roles: Mapping[str, RoleSpec],
    numeric: Iterable[str] = (),
    factors: Iterable[str] = (),
    nonconstant: Iterable[str] = (),
    min_n: int = 3,
    warn: bool = True,
    distinct: bool = True,
) -> Frame:
    """Resolve ``roles`` (names or globs), take complete cases, check types, warn once.

    Parameters
    ----------
    data : DataFrame
        Not modified; the frame holds a copy of the columns it needs.
    what : str
        The call, for messages (e.g. ``"mediate"``).
    roles : mapping
        Role name → column name(s) or glob(s), e.g. ``{"x": "suvr_s1", "covariates": ["protocol"]}``.
    numeric, factors : iterable of role names
        Roles whose columns must be numeric / are coded as factors (levels as the file wrote them).
    nonconstant : iterable of role names
        Roles whose columns must vary among the complete cases.
    min_n : int
        Fewest complete cases accepted (:class:`InsufficientDataError` below it).
    warn : bool
        Emit the call's :class:`DataWarning` naming excluded subjects.
    distinct : bool
        Refuse a column that appears in two roles.

    Examples
    --------
    >>> df = pd.DataFrame({"subject_id": ["a", "b", "c", "d"], "x": [1.0, 2, np.inf, 4],
    ...                    "y": [2.0, 1, 3, 5], "protocol": [1, 2, 1, 2]})
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as w:
    ...     warnings.simplefilter("always")
    ...     fr = model_frame(df, what="demo", roles={"x": "x", "y": "y", "covariates": ["protocol"]},
    ...                      numeric=("x", "y"))
    >>> fr.n, fr.excluded_ids, len(w)
    (3, ('c',), 1)
    >>> fr.data["protocol"].cat.categories.tolist()
    [1, 2]
    """
    check_frame(data, what=what)
    labels = dict(data.attrs.get("labels", {}) or {})
    data = without_attrs(data)
    resolved: dict[str, tuple[str, ...]] = {}
    for role, spec in roles.items():
        resolved[role] = tuple(resolve_columns(data, as_list(spec), what=f"{what} {role}"))
    if distinct:
        owner: dict[str, str] = {}
        for role, cols in resolved.items():
            for c in cols:
                if c in owner and owner[c] != role:
                    raise SpecificationError(f"{what}: column {c!r} cannot be both {owner[c]} and {role}.")
                owner[c] = role
    columns = list(dict.fromkeys(c for cols in resolved.values() for c in cols))
    keep = list(dict.fromkeys([*(c for c in [ID_COLUMN] if c in data.columns), *columns]))
    # each column read out of the frame once (a column access costs tens of µs on an arrow-string Index)
    series = {c: data[c] for c in keep}
    for role in numeric:
        for c in resolved.get(role, ()):
            s = series[c]
            if isinstance(s.dtype, pd.CategoricalDtype) or (is_factor(s) and not pd.api.types.is_numeric_dtype(s)):
                raise SpecificationError(f"{what}: {role} column {c!r} must be numeric; it holds {s.dtype} values.")
    mask = complete_mask(data, columns, series)
    # columns taken by position (a fraction of the cost of .loc with a mask and a list on small frames);
    # each becomes one Series, coded once if it is a factor; no DataFrame is built unless asked for
    rows = np.flatnonzero(mask)
    cases = CompleteCases(n=int(rows.size), excluded_ids=excluded_ids(data, mask))
    if warn:
        warn_excluded(what, cases.excluded_ids, cases.n, columns, stacklevel=3)
    if cases.n < min_n:
        raise InsufficientDataError(
            f"{what}: {cases.n} complete case(s) on {columns}; at least {min_n} are needed.")
    factor_cols = {c for r in factors for c in resolved.get(r, ())}
    taken: dict[str, pd.Series] = {}
    for c, s in series.items():
        col = s.take(rows)  # a new Series: its own values and index, the input's dtype
        if c in columns and (c in factor_cols or is_factor(s)):  # the input column: same name and dtype
            col = as_factor(col)
        taken[c] = col
    for role in nonconstant:
        for c in resolved.get(role, ()):
            if taken[c].nunique(dropna=True) < 2:
                raise SpecificationError(f"{what}: {role} column {c!r} is constant among the {cases.n} complete cases.")
    return Frame(taken, roles=resolved, cases=cases, what=what, labels=labels)


__all__ = ["Frame", "model_frame"]
