"""One factor coder: levels as the file wrote them, unused levels dropped, treatment or sum contrasts.

Integer codes stay integers (``protocol`` coded 1/2 has the levels ``1`` and ``2``, so
``df[df.protocol == 2]`` works), floats that are whole numbers become integers (``1`` and ``1.0``
are one level), strings keep their spelling, and levels are ordered as R's ``factor()`` orders them
(categorical order when the column is a Categorical, sorted otherwise).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

import numpy as np
import pandas as pd

from ..exceptions import SpecificationError
from .cases import numeric_series
from .columns import is_factor

Contrasts = Literal["treatment", "sum"]


def clean_level(v: Any) -> Any:
    if isinstance(v, bool | np.bool_):
        return bool(v)
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return int(v)
    if isinstance(v, np.integer):
        return int(v)
    return v


def as_factor(s: pd.Series, levels: Sequence[Any] | None = None) -> pd.Series:
    """``s`` as a pandas Categorical over its used levels (or ``levels``, in that order).

    Examples
    --------
    >>> as_factor(pd.Series([2.0, 1.0, 2.0], name="protocol")).cat.categories.tolist()
    [1, 2]
    >>> s = pd.Series(pd.Categorical(["HAB", "MAB"], categories=["HAB", "MAB", "LAB"]))
    >>> as_factor(s).cat.categories.tolist()
    ['HAB', 'MAB']
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes = s.array.codes
        k = len(s.dtype.categories)
        used = np.bincount(codes[codes >= 0], minlength=k).all() if k else True
        cat = s if used else s.cat.remove_unused_categories()  # every level used: nothing to drop
        have = cast(pd.CategoricalDtype, cat.dtype).categories.tolist()
        cats = [clean_level(c) for c in have]
        if cats != have and len(set(cats)) == len(cats):
            cat = cat.cat.rename_categories(cats)
    else:
        # factorize + from_codes: the levels astype("category") would give, several times faster on
        # arrow-backed strings (pandas 3); whole floats become integers
        codes, uniques = pd.factorize(s, sort=True)
        cats = [clean_level(u) for u in uniques]
        if len(set(cats)) == len(cats):
            cat = pd.Series(pd.Categorical.from_codes(codes, categories=pd.Index(cats)), index=s.index, name=s.name)
        else:  # e.g. 1 and 1.0 in an object column: one level
            cat = s.map(clean_level).astype("category").cat.remove_unused_categories()
    if levels is not None:
        wanted = list(levels)
        unknown = sorted({str(v) for v in cat.dropna().unique() if v not in wanted})
        if unknown:
            raise SpecificationError(f"factor {s.name!r}: level(s) {unknown} were not seen when the model was fit.")
        cat = cat.cat.set_categories(wanted)
    return cat


class FactorCoder:
    """Stateful factor coding: ``fit`` records the levels, ``transform`` codes any rows with them.

    Examples
    --------
    >>> coder = FactorCoder().fit(pd.Series(["axial", "radicular", "axial"], name="subtype"))
    >>> coder.levels, coder.column_names()
    (['axial', 'radicular'], ['subtype[T.radicular]'])
    >>> coder.transform(pd.Series(["radicular", "axial"], name="subtype")).tolist()
    [[1.0], [0.0]]
    >>> coder.transform(pd.Series(["axial", "radicular"]), contrasts="sum").tolist()
    [[1.0], [-1.0]]
    """

    def __init__(self, reference: Any = None) -> None:
        self.reference = reference
        self.levels: list[Any] = []
        self.name: str = ""

    def fit(self, s: pd.Series) -> FactorCoder:
        cat = as_factor(s)
        levels = cast(pd.CategoricalDtype, cat.dtype).categories.tolist()
        if self.reference is not None:
            match = [lv for lv in levels if str(lv) == str(self.reference)]
            if not match:
                raise SpecificationError(
                    f"reference: level {self.reference!r} is not a level of {s.name!r} (levels: {levels}).")
            levels = [match[0], *[lv for lv in levels if lv != match[0]]]
        self.levels = levels
        self.name = str(s.name)
        return self

    def codes(self, s: pd.Series) -> np.ndarray:
        """Integer codes (−1 for missing) over the fitted levels; an unseen level raises.

        One lookup over the distinct values (not a Categorical rebuild): a few µs per column.
        """
        if isinstance(s.dtype, pd.CategoricalDtype):
            raw = np.asarray(s.array.codes, dtype=np.int64)
            values = [clean_level(c) for c in s.dtype.categories.tolist()]
        else:
            raw, uniques = pd.factorize(s)
            values = [clean_level(u) for u in uniques]
        index = {lv: k for k, lv in enumerate(self.levels)}
        lookup = np.array([index.get(v, -2) for v in values] + [-1], dtype=np.int64)  # raw -1 -> -1
        out = lookup[raw]
        if (out == -2).any():
            unknown = sorted({str(values[r]) for r in np.unique(raw[out == -2])})
            raise SpecificationError(f"factor {s.name!r}: level(s) {unknown} were not seen when the model was fit.")
        return out

    def column_names(self, contrasts: Contrasts = "treatment") -> list[str]:
        tag = "T" if contrasts == "treatment" else "S"
        kept = self.levels[1:] if contrasts == "treatment" else self.levels[:-1]
        return [f"{self.name}[{tag}.{lv}]" for lv in kept]

    def transform(self, s: pd.Series, contrasts: Contrasts = "treatment") -> np.ndarray:
        """Contrast columns (treatment: first level reference; sum: last level −1, as ``contr.sum``)."""
        k = len(self.levels)
        codes = self.codes(s)
        if contrasts == "treatment":
            M = np.vstack([np.zeros((1, k - 1)), np.eye(k - 1)])
        else:
            M = np.vstack([np.eye(k - 1), -np.ones((1, k - 1))])
        out = M[np.where(codes < 0, 0, codes)]
        out[codes < 0] = np.nan
        return out.astype(float)


def covariate_matrix(
    frame: pd.DataFrame | Mapping[str, pd.Series], covariates: Sequence[str], *, what: str = "analysis",
    n: int | None = None,
) -> tuple[np.ndarray, list[str]]:
    """Columns for ``covariates`` (no intercept): numeric as is, factors as treatment dummies.

    ``frame`` is a DataFrame or a mapping of column name to Series (a model frame's columns, whose
    row count ``n`` is then given).

    Factor levels follow :func:`as_factor`; the first level is the reference, as in R. A covariate
    that is constant in ``frame`` raises :class:`SpecificationError` naming it.

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
            coder = FactorCoder().fit(s)
            if len(coder.levels) < 2:
                lev = coder.levels[0] if coder.levels else "none"
                raise SpecificationError(
                    f"{what}: covariate {cov!r} has a single level ({lev}) among the complete cases, "
                    "so it cannot be adjusted for; remove it."
                )
            cols.append(coder.transform(s))
            names.extend(coder.column_names())
        else:
            x = numeric_series(s, cov, what=what)
            if x.size and np.ptp(x) == 0:
                raise SpecificationError(
                    f"{what}: covariate {cov!r} is constant ({x[0]:g}) among the complete cases; remove it."
                )
            cols.append(x[:, None])
            names.append(cov)
    if not cols:
        return np.empty((len(frame) if n is None else n, 0)), []
    return np.column_stack(cols).astype(float), names


__all__ = ["Contrasts", "FactorCoder", "as_factor", "clean_level", "covariate_matrix"]
