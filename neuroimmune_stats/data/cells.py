"""Typing of text cells: one strict number grammar and one factor coder for every table.

Numbers follow a strict grammar (``2_5`` is not 25, ``1,234`` is not 1234): an optional sign, digits with
at most one decimal point (a decimal comma in ``;``/tab files with decimal commas), an optional exponent.
Variants that are unambiguous are read with a note — a Unicode minus (``−0.5``), full-width digits
(``１２``) — and everything else is refused with the reason: spreadsheet error values (``#DIV/0!``),
thousands separators, text. Columns are processed vectorised, so reading is linear in the cells.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

_NUMBER = r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?"
_NUMBER_RE = re.compile(_NUMBER)
_INF_RE = re.compile(r"[+-]?(?:inf|infinity)", re.IGNORECASE)
_DECIMAL_COMMA_RE = re.compile(r"[+-]?[0-9]+,[0-9]+(?:[eE][+-]?[0-9]+)?")
_SPREADSHEET_ERROR = re.compile(r"#(?:N/?A|DIV/0!?|VALUE!?|REF!?|NAME\??|NUM!?|NULL!?|SPILL!?|CALC!?|FIELD!?|"
                                r"GETTING_DATA|BLOCKED!?|CONNECT!?|BUSY!?|UNKNOWN!?)", re.IGNORECASE)
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:([,'\u00a0\u202f ])\d{3})+(?:[.,]\d+)?|[+-]?\d{1,3}(?:\.\d{3}){2,}(?:,\d+)?|"
                        r"[+-]?\d{1,3}(?:\.\d{3})+,\d+")
_MINUS = {"\u2212": "-", "\u2012": "-", "\u2013": "-", "\ufe63": "-", "\uff0d": "-"}


@dataclass
class Parsed:
    """Numbers parsed from a column: values (NaN where missing or refused) and the refused cells."""

    values: np.ndarray
    #: position → reason, for cells that hold text that is not a number
    refused: dict[int, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _normalise_variant(v: str) -> str:
    s = unicodedata.normalize("NFKC", v)
    for k, r in _MINUS.items():
        s = s.replace(k, r)
    return s.replace(" ", "") if re.fullmatch(r"[+-]\s+\d.*", s) else s


def why_not_a_number(v: str) -> str:
    """The reason a cell is not read as a number (for the message)."""
    if _SPREADSHEET_ERROR.fullmatch(v.strip()):
        return ("is a spreadsheet error value, not a number; fix the formula in the source sheet, or leave the "
                "cell empty for a missing value")
    if _THOUSANDS.fullmatch(v.strip()):
        return "looks like a number written with a thousands separator; write it without separators (e.g. 1234.5)"
    if "_" in v and re.fullmatch(r"[+-]?[\d_]+(?:\.[\d_]*)?", v):
        return "is not a number (an underscore is not a digit separator here)"
    return "is not a number"


def parse_numbers(col: pd.Series | list[object], decimal_comma: bool = False) -> Parsed:
    """Parse a column of text cells (NaN = missing) with the strict grammar.

    Examples
    --------
    >>> p = parse_numbers(pd.Series(["1.5", "−2", "2_5", "#DIV/0!", None], dtype=object))
    >>> p.values.tolist()[:2], sorted(p.refused)
    ([1.5, -2.0], [2, 3])
    """
    cells = col.tolist() if isinstance(col, pd.Series) else list(col)
    # fast path: pandas' C parser reads exactly the grammar's numbers (cells are stripped; pinned by
    # tests/test_data_readers.py); every present cell it leaves NaN or infinite goes through the grammar below
    series = pd.Series(cells, dtype=object)
    fast = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    parsed = Parsed(np.array(fast, dtype=float))
    present = series.notna().to_numpy()
    odd = present & ~np.isfinite(parsed.values)
    match = _NUMBER_RE.fullmatch
    out = parsed.values
    variants = 0
    for i in np.flatnonzero(odd).tolist():
        v = cells[i]
        if not isinstance(v, str):
            continue
        if match(v):
            out[i] = float(v)
            continue
        if decimal_comma and _DECIMAL_COMMA_RE.fullmatch(v):
            out[i] = float(v.replace(",", "."))
            continue
        if _INF_RE.fullmatch(v):
            out[i] = float(v)
            continue
        w = _normalise_variant(v)
        if w != v and (_NUMBER_RE.fullmatch(w) or (decimal_comma and _DECIMAL_COMMA_RE.fullmatch(w))):
            out[i] = float(w.replace(",", "."))
            variants += 1
            continue
        parsed.refused[i] = why_not_a_number(v)
    if variants:
        parsed.notes.append(f"{variants} value(s) written with a Unicode minus sign or full-width digits read "
                            "as numbers")
    return parsed


def _code_number(v: str) -> float | None:
    w = _normalise_variant(v.strip())
    return float(w) if _NUMBER_RE.fullmatch(w) else None


def code_factor(values: pd.Series, categories: list[object] | None = None) -> pd.Categorical:
    """A factor that keeps the file's codes: integer codes stay integers, ``1`` and ``1.0`` are one level.

    Text levels keep their spelling (sorted, as R's ``factor()``); numeric codes are sorted numerically.
    The levels are coded once each (linear in the rows).

    Examples
    --------
    >>> f = code_factor(pd.Series(["2", "1", "1.0", None], dtype=object))
    >>> list(f.categories), f.tolist()[:3]
    ([1, 2], [2, 1, 1])
    >>> list(code_factor(pd.Series(["B", "A"], dtype=object)).categories)
    ['A', 'B']
    """
    if categories is not None:
        return pd.Categorical(values.tolist(), categories=categories)
    s = values.astype(object)
    codes, uniques = pd.factorize(s, use_na_sentinel=True)
    texts = [str(u) for u in uniques]
    nums = [_code_number(t) for t in texts]
    if texts and all(x is not None and np.isfinite(x) for x in nums):
        whole = all(float(x).is_integer() for x in nums if x is not None)
        coded: list[object] = [int(x) if whole else float(x) for x in nums if x is not None]
        cats: list[object] = sorted(set(coded))  # type: ignore[type-var]
        index = pd.Index(cats, dtype="int64" if whole else "float64")
    else:
        coded = list(texts)
        index = pd.Index(sorted(set(texts)), dtype=object)
    pos = index.get_indexer(pd.Index(coded, dtype=index.dtype)) if coded else np.array([], dtype=np.intp)
    new_codes = np.where(codes >= 0, pos[np.maximum(codes, 0)] if len(pos) else -1, -1)
    return pd.Categorical.from_codes(new_codes, categories=index)
