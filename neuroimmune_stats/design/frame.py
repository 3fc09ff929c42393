"""The model frame: roles resolved, complete cases taken, factors coded, one warning per call.

:func:`model_frame` is the entry point of every analysis that is not formula-driven (``correlate``,
``mediate``, ``bayes_mediate``, ``evaluate_classifier``, ``permutation_test``...); ``lm`` builds its
frame through the same cases and factor rules. The same data therefore give the same ``n``, the same
excluded IDs and the same rank decision everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

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


@dataclass(frozen=True)
class Frame:
    """Complete cases of the role columns (a private copy) and who was excluded."""

    data: pd.DataFrame
    roles: Mapping[str, tuple[str, ...]]
    cases: CompleteCases
    what: str
    labels: Mapping[str, str] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return self.cases.n

    @property
    def excluded_ids(self) -> tuple[str, ...]:
        return self.cases.excluded_ids

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(subject_ids(self.data).tolist())

    def role(self, name: str) -> list[str]:
        return list(self.roles.get(name, ()))

    def numeric(self, column: str) -> np.ndarray:
        """One column as float64 (a clear error if it is a factor)."""
        return numeric_series(self.data[column], column, what=self.what)

    def design(self, role: str = "covariates", *, intercept: bool = True,
               extra: Iterable[tuple[str, np.ndarray]] = ()) -> tuple[np.ndarray, list[str]]:
        """Intercept, treatment-coded columns of ``role`` and ``extra`` columns, rank-checked."""
        C, names = covariate_matrix(self.data, self.role(role), what=self.what)
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
    # columns taken by position (a fraction of the cost of .loc with a mask and a list on small frames)
    rows = np.flatnonzero(mask)
    frame = pd.DataFrame({c: s.array.take(rows) for c, s in series.items()}, index=data.index[rows])
    cases = CompleteCases(n=int(mask.sum()), excluded_ids=excluded_ids(data, mask))
    if warn:
        warn_excluded(what, cases.excluded_ids, cases.n, columns, stacklevel=3)
    if cases.n < min_n:
        raise InsufficientDataError(
            f"{what}: {cases.n} complete case(s) on {columns}; at least {min_n} are needed.")
    factor_cols = {c for r in factors for c in resolved.get(r, ())}
    for c in columns:
        if c in factor_cols or is_factor(series[c]):  # the input column: same name and dtype as frame[c]
            col = frame[c]
            coded = as_factor(col)
            if coded is not col:  # a categorical with every level used comes back as it is
                frame[c] = coded
    for role in nonconstant:
        for c in resolved.get(role, ()):
            s = frame[c]
            if s.nunique(dropna=True) < 2:
                raise SpecificationError(f"{what}: {role} column {c!r} is constant among the {cases.n} complete cases.")
    return Frame(data=frame, roles=resolved, cases=cases, what=what, labels=labels)


__all__ = ["Frame", "model_frame"]
