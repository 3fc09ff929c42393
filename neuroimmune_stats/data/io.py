"""Read one exported table (CSV/TSV path or DataFrame) into raw text cells with file line numbers.

Nothing is interpreted here beyond the layout: the encoding, the separator (``,``, tab, ``;`` with
decimal commas), header normalisation, BIDS sidecars. Typing and rules are in :mod:`.validate`.
"""

from __future__ import annotations

import io
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import Problem

TableInput = str | os.PathLike[str] | pd.DataFrame

_SEPARATORS = (",", "\t", ";", "|")


@dataclass
class RawTable:
    """Cells as text (NaN where missing), the file line of each row, and what was noticed."""

    frame: pd.DataFrame
    source: str
    lines: np.ndarray
    sep: str = ","
    decimal_comma: bool = False
    sidecar: dict[str, Any] = field(default_factory=dict)
    renamed: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def normalise_name(name: object) -> str:
    """Header normalisation: trim, lower case, runs of spaces/dots/hyphens → ``_``.

    Examples
    --------
    >>> normalise_name("  Subject ID ")
    'subject_id'
    """
    s = str(name).replace("\ufeff", "").strip().lower()
    s = re.sub(r"[\s.\-/]+", "_", s)
    return s.strip("_") if s.strip("_") else s


_UNIT_SUFFIX = re.compile(r"^(?P<base>.*?\S)\s*[(\[]\s*(?P<unit>[^()\[\]]*?)\s*[)\]]\s*$")


def split_header_unit(name: str) -> tuple[str, str | None]:
    """Split a header such as ``Age (years)`` or ``dose [MBq]`` into the name and the unit written.

    Examples
    --------
    >>> split_header_unit("Age (years)"), split_header_unit("bmi")
    (('Age', 'years'), ('bmi', None))
    """
    m = _UNIT_SUFFIX.match(name)
    if m is None or not m.group("unit"):
        return name, None
    return m.group("base"), m.group("unit")


def _sniff_sep(header: str, suffix: str) -> str:
    if suffix == ".tsv" and "\t" in header:
        return "\t"
    counts = {sep: header.count(sep) for sep in _SEPARATORS}
    best = max(counts, key=lambda k: counts[k])
    return best if counts[best] > 0 else ","


def _sidecar(path: Path) -> dict[str, Any]:
    side = path.with_suffix(".json")
    if not side.is_file():
        return {}
    try:
        data = json.loads(side.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {"__error__": f"the sidecar {side.name} is not valid JSON and was ignored"}
    return data if isinstance(data, dict) else {}


def _from_dataframe(df: pd.DataFrame, label: str) -> RawTable:
    obj = df.reset_index(drop=True) if "subject_id" in map(normalise_name, df.columns) else (
        df.reset_index() if df.index.name else df.reset_index(drop=True)
    )

    def cell(v: Any) -> Any:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA or v is pd.NaT:
            return np.nan
        return str(v)

    frame = pd.DataFrame({c: [cell(v) for v in obj[c].tolist()] for c in obj.columns}, dtype=object)
    return RawTable(frame=frame, source=label, lines=np.arange(len(frame)) + 2)


def read_raw(obj: TableInput, table: str, missing_values: tuple[str, ...]) -> RawTable:
    """Read ``obj`` (a path or a DataFrame) as text cells; problems are collected, not raised."""
    if isinstance(obj, pd.DataFrame):
        raw = _from_dataframe(obj, f"<{table} DataFrame>")
    else:
        path = Path(obj)
        label = path.name
        if not path.is_file():
            return RawTable(pd.DataFrame(), label, np.array([], dtype=int), problems=[
                Problem(label, None, None, "", f"the {table} file was not found at {str(path)!r}")])
        data = path.read_bytes()
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            return RawTable(pd.DataFrame(), label, np.array([], dtype=int), problems=[Problem(
                label, line, None, "",
                f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); re-save the file as "
                "UTF-8 (in Excel: Save As → 'CSV UTF-8')")])
        if not text.strip():
            return RawTable(pd.DataFrame(), label, np.array([], dtype=int), problems=[
                Problem(label, None, None, "", "the file is empty (no header, no rows)")])
        text = text.replace("\r\n", "\n").replace("\r", "\n")
        header = text.split("\n", 1)[0]
        sep = _sniff_sep(header, path.suffix.lower())
        try:
            frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False,
                                na_filter=False, skip_blank_lines=False)
        except pd.errors.ParserError as exc:
            m = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
            rule = ("has {2} fields but the header has {0}; look for a stray separator or an "
                    "unquoted comma").format(*m.groups()) if m else f"cannot be parsed ({exc})"
            return RawTable(pd.DataFrame(), label, np.array([], dtype=int), problems=[
                Problem(label, int(m.group(2)) if m else None, None, "", rule)])
        lines = np.arange(len(frame)) + 2
        keep = np.array([any(str(v).strip() != "" for v in row) for row in frame.itertuples(index=False)],
                        dtype=bool)
        frame, lines = frame.iloc[np.flatnonzero(keep)].reset_index(drop=True), lines[keep]
        raw = RawTable(frame=frame.astype(object), source=label, lines=lines, sep=sep)
        raw.sidecar = _sidecar(path)
        if "__error__" in raw.sidecar:
            raw.notes.append(raw.sidecar.pop("__error__"))
        if sep == ";":
            raw.notes.append(f"{label}: read with ';' as the separator")
        if sep != ",":
            raw.decimal_comma = bool(
                frame.map(lambda v: bool(re.fullmatch(r"\s*-?\d+,\d+\s*", str(v)))).to_numpy().any()
            ) if len(frame) else False
            if raw.decimal_comma:
                raw.notes.append(f"{label}: decimal commas read as decimal points")
    # cells: strip whitespace, missing tokens → NaN
    miss = set(missing_values)

    def clean(v: Any) -> Any:
        if not isinstance(v, str):
            return v
        s = v.strip()
        return np.nan if s in miss else s

    raw.frame = raw.frame.map(clean) if len(raw.frame.columns) else raw.frame
    return raw


def split_long(raw: RawTable, long_layout: dict[str, Any] | None) -> bool:
    """True when ``raw`` is in the schema's long layout (columns subject_id, key(s), value)."""
    if not long_layout:
        return False
    keys = long_layout["key"] if isinstance(long_layout["key"], list) else [long_layout["key"]]
    cols = {normalise_name(c) for c in raw.frame.columns}
    return cols == {"subject_id", *keys, long_layout["value"]}
