"""Array views of a data frame for ComBat: column positions, the feature block, factor codes, the output.

``harmonize`` on a wide table (a thousand features) spends more time in pandas than in the
estimation if each step goes through per-column Series work: iterating an arrow-string column
Index, building a Categorical per factor, setting columns one by one. The functions here read a
frame by position, once, and give exactly what the model-frame layer (:mod:`neuroimmune_stats.design`)
gives (the same columns, levels, dummy columns, decisions and error messages: where a case is not
the plain one, they call that layer). ``tests/test_harmonize.py`` checks each against it.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"a": [1.0, 2.0, 4.0], "site": ["x", "y", "x"], "b": [3.0, 1.0, 0.0]})
>>> pos = column_positions(df)
>>> resolve(df, ["b", "a"], what="features", positions=pos)
['b', 'a']
>>> codes, levels = factor_codes(df["site"])
>>> codes.tolist(), levels
([0, 1, 0], ['x', 'y'])
>>> with_columns(df, [0, 2], [[0.0, 9.0], [0.0, 9.0], [0.0, 9.0]])["b"].tolist()
[9.0, 9.0, 9.0]
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..design import (
    ALWAYS_FACTORS,
    as_factor,
    as_list,
    clean_level,
    covariate_matrix,
    is_factor,
    numeric_column,
    resolve_columns,
)

#: characters that make a column spec a glob (as :func:`~neuroimmune_stats.design.resolve_columns`)
GLOB_CHARS = "*?["
#: up to this many columns, :func:`has_missing` checks them one by one rather than as one block
FEW = 4


def column_positions(data: pd.DataFrame) -> dict[Hashable, int] | None:
    """``{label: position}`` of the columns of ``data`` when the labels are unique, else ``None``.

    Built from ``columns.tolist()`` (one conversion; iterating an arrow-string Index is slow).
    """
    cols = data.columns
    if not cols.is_unique or isinstance(cols, pd.MultiIndex):
        return None
    names = cols.tolist()
    return dict(zip(names, range(len(names)), strict=True))


def resolve(data: pd.DataFrame, spec: str | Sequence[str] | None, *, what: str,
            positions: dict[Hashable, int] | None) -> list[str]:
    """:func:`~neuroimmune_stats.design.resolve_columns` with a dictionary lookup for plain names.

    Plain names all in ``positions``: the names without repeats (what ``resolve_columns`` returns);
    anything else (globs, unknown names, non-strings, duplicate labels) goes to ``resolve_columns``.
    """
    items = as_list(spec)
    if (positions is not None and items and set(map(type, items)) == {str}
            and not any(ch in "".join(items) for ch in GLOB_CHARS) and all(map(positions.__contains__, items))):
        return list(dict.fromkeys(items))
    return resolve_columns(data, spec, what=what)


def feature_positions(names: Sequence[str], positions: dict[Hashable, int] | None) -> np.ndarray | None:
    """Positions of ``names`` among the columns (``None`` without unique labels)."""
    if positions is None:
        return None
    return np.fromiter(map(positions.__getitem__, names), dtype=np.int64, count=len(names))


def numbered(data: pd.DataFrame) -> pd.DataFrame:
    """``data`` (not copied) with its columns labelled ``0 .. p - 1``.

    Taking columns of this view costs a NumPy take of positions, not a take of the labels (for
    arrow strings a pyarrow call, and slicing an Index whose lookup engine is built also slices the
    engine); the caller puts the labels back with one ``set_axis``.
    """
    return data.set_axis(pd.RangeIndex(data.shape[1]), axis=1)


def float_block(data: pd.DataFrame, names: list[str], pos: np.ndarray | None, *, what: str) -> np.ndarray:
    """The columns ``names`` (at ``pos``) as one float (n, p) array; a non-numeric column raises naming it.

    Columns of numeric, non-boolean dtypes are read as one block; anything else (booleans, strings,
    categoricals, an always-factor name such as ``protocol``) column by column through
    :func:`~neuroimmune_stats.design.numeric_column`, which raises for a non-numeric one.
    """
    if ALWAYS_FACTORS.isdisjoint(names):
        block = data[names] if pos is None else numbered(data).take(pos, axis=1)
        dtypes = set(block.dtypes.tolist())
        if all(pd.api.types.is_numeric_dtype(t) and not pd.api.types.is_bool_dtype(t) for t in dtypes):
            return block.to_numpy(dtype=float)
    return np.column_stack([numeric_column(data, c, what=what) for c in names])


def has_missing(data: pd.DataFrame, names: Sequence[str]) -> bool:
    """True when a column ``names`` holds a value ``isna`` calls missing (NaN, None, NA, NaT).

    Up to :data:`FEW` columns one by one (no frame built), more as one block of the positional view.
    """
    pos = feature_positions(names, column_positions(data)) if len(names) > FEW else None
    if pos is not None:
        return bool(numbered(data).take(pos, axis=1).isna().to_numpy().any())
    for c in names:
        s = data[c]
        if isinstance(s, pd.DataFrame):  # a duplicated label
            if bool(s.isna().to_numpy().any()):
                return True
        elif bool(np.asarray(pd.isna(s.array)).any()):
            return True
    return False


def plain_codes(s: pd.Series) -> tuple[np.ndarray, list[Any]] | None:
    """Codes and levels of a factor that is not a Categorical and whose levels stay distinct once cleaned.

    One sorted ``factorize``, what ``as_factor`` does before it builds its Categorical; ``None`` for
    the other cases (a Categorical, or ``1`` and ``1.0`` in one object column). Strings (any storage)
    are factorised as Python strings: the same codes and levels (code-point order either way) without
    the arrow round trip.
    """
    if isinstance(s.dtype, pd.CategoricalDtype):
        return None
    values = s.to_numpy(dtype=object) if isinstance(s.dtype, pd.StringDtype) else s
    codes, uniques = pd.factorize(values, sort=True)
    cats = [clean_level(u) for u in uniques]
    if len(set(cats)) != len(cats):
        return None
    levels = cats if all(type(c) is str for c in cats) else list(pd.Index(cats))  # as the Categorical's categories
    return np.asarray(codes, dtype=np.int64), levels


def factor_codes(s: pd.Series) -> tuple[np.ndarray, list[Any]]:
    """Integer codes (-1 missing) and levels of a factor, as ``as_factor(s)`` gives them.

    The plain case is :func:`plain_codes`; the others call ``as_factor``.
    """
    plain = plain_codes(s)
    if plain is not None:
        return plain
    cat = as_factor(s)
    return np.asarray(cat.cat.codes, dtype=np.int64), list(cat.cat.categories)


def covariate_columns(data: pd.DataFrame, covariates: Sequence[str], *, what: str) -> tuple[np.ndarray, list[str]]:
    """:func:`~neuroimmune_stats.design.covariate_matrix` (treatment dummies, numeric columns as they are).

    A plain factor (:func:`plain_codes`) is coded from one ``factorize``, the first level the
    reference; Categoricals, numeric columns and the single-level error go through ``covariate_matrix``.
    """
    cols: list[np.ndarray] = []
    names: list[str] = []
    for cov in covariates:
        s = data[cov]
        plain = plain_codes(s) if isinstance(s, pd.Series) and is_factor(s) else None
        if plain is not None:
            codes, levels = plain
            if len(levels) >= 2:
                dummies = (codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float)
                dummies[codes < 0] = np.nan
                cols.append(dummies)
                names.extend(f"{s.name}[T.{lv}]" for lv in levels[1:])
                continue
        X, nm = covariate_matrix(data, [cov], what=what)
        cols.append(X)
        names.extend(nm)
    if not cols:
        return np.empty((len(data), 0)), []
    return np.column_stack(cols).astype(float), names


def with_columns(data: pd.DataFrame, pos: Sequence[int] | np.ndarray, values: Any) -> pd.DataFrame:
    """A copy of ``data`` (unique column labels) with the columns at ``pos`` replaced by those of ``values``.

    Column order, index and the other columns' dtypes are kept. One ``concat`` over the runs of
    consecutive replaced / other columns (setting a thousand columns one by one costs pandas seconds).
    """
    pos = np.asarray(pos, dtype=np.int64)
    values = np.asarray(values, dtype=float)
    ncol = data.shape[1]
    col_in_new = np.full(ncol, -1, dtype=np.int64)
    col_in_new[pos] = np.arange(len(pos))
    is_new = col_in_new >= 0
    bounds = [0, *(np.flatnonzero(np.diff(is_new.astype(np.int8))) + 1).tolist(), ncol]
    num = numbered(data)
    pieces = []
    for start, stop in itertools.pairwise(bounds):
        if is_new[start]:
            idx = col_in_new[start:stop]
            block = values if len(idx) == values.shape[1] and (np.diff(idx) == 1).all() and idx[0] == 0 \
                else values[:, idx]
            pieces.append(pd.DataFrame(block, index=data.index, columns=pd.RangeIndex(start, stop)))
        else:
            pieces.append(num.iloc[:, start:stop])
    out = pieces[0] if len(pieces) == 1 else pd.concat(pieces, axis=1)
    out = out.set_axis(data.columns, axis=1)
    if out.attrs:
        out.attrs = {}
    return out


__all__ = ["FEW", "GLOB_CHARS", "column_positions", "covariate_columns", "factor_codes", "feature_positions",
           "float_block", "has_missing", "numbered", "plain_codes", "resolve", "with_columns"]
