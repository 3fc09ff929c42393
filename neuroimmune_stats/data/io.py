"""Read one exported table (CSV/TSV path or DataFrame) into raw text cells with file line numbers.

Nothing is interpreted here beyond the layout: the container (plain text or gzip; workbooks and other
binary files saved under a ``.csv`` name are refused), the encoding (UTF-8 with or without BOM, UTF-16),
line endings, the separator (``,``, tab, ``;`` with decimal commas, ``|``, Excel's ``sep=`` line), blank
lines, trailing separators, empty columns, BIDS sidecars. Every row keeps the **physical** line of the file
it starts on (a quoted newline counts), so messages point at the line an editor shows. Typing and rules
are in :mod:`.validate`.
"""

from __future__ import annotations

import csv
import gc
import gzip
import io
import json
import os
import re
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import Problem

TableInput = str | os.PathLike[str] | pd.DataFrame

_SEPARATORS = (",", "\t", ";", "|")
#: files larger than this (after decompression) are refused rather than read into memory
MAX_BYTES = 2**30
#: at most this many problems of one kind are listed per file (the rest are counted)
MAX_LISTED = 50
_MAGIC = (
    (b"PK\x03\x04", "a ZIP archive (an Excel .xlsx or OpenDocument workbook is one)"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97–2003 workbook (.xls)"),
    (b"%PDF", "a PDF document"),
    (b"PAR1", "a Parquet file"),
    (b"\x89HDF", "an HDF5 file"),
    (b"\x89PNG", "a PNG image"),
    (b"SQLite format 3", "an SQLite database"),
    (b"BZh", "a bzip2-compressed file"),
    (b"\xfd7zXZ", "an xz-compressed file"),
)


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
    header_line: int = 1
    #: written header of each column, in order (duplicates kept)
    header: list[str] = field(default_factory=list)
    #: the sidecar's file name (for messages), when there is one
    sidecar_name: str | None = None


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


def _sidecar(path: Path) -> tuple[dict[str, Any], str | None]:
    name = path.name
    for ext in (".gz",):
        name = name.removesuffix(ext)
    side = path.with_name(Path(name).with_suffix(".json").name)
    if not side.is_file():
        return {}, None
    try:
        data = json.loads(side.read_text(encoding="utf-8-sig"))
    except (OSError, ValueError):
        return {"__error__": f"the sidecar {side.name} is not valid JSON and was ignored"}, side.name
    return (data if isinstance(data, dict) else {}), side.name


def _cell_text(col: pd.Series) -> list[object]:
    """A DataFrame column as text cells (NaN for missing), the way a CSV export writes it."""
    miss = pd.isna(col).tolist()
    return [np.nan if m else (v if isinstance(v, str) else _num_text(v)) for v, m in
            zip(col.tolist(), miss, strict=True)]


def _num_text(v: object) -> str:
    if isinstance(v, float | np.floating) and float(v).is_integer() and abs(float(v)) < 1e15:
        return repr(float(v))
    return str(v)


def _from_dataframe(df: pd.DataFrame, label: str, missing_values: tuple[str, ...]) -> RawTable:
    cols = [str(c) for c in df.columns]
    if "subject_id" not in {normalise_name(c) for c in cols} and df.index.name:
        df = df.reset_index()
        cols = [str(c) for c in df.columns]
    frame = frame_from_columns([_cell_text(df.iloc[:, i]) for i in range(df.shape[1])], cols, missing_values)
    return RawTable(frame=frame, source=label, lines=np.arange(len(frame)) + 2, header=cols)


def _fail(label: str, rule: str, line: int | None = None) -> RawTable:
    return RawTable(pd.DataFrame(), label, np.array([], dtype=int), problems=[Problem(label, line, None, "", rule)])


def _decompress(data: bytes, label: str) -> tuple[bytes | None, str | None]:
    """gunzip with a size limit; (bytes, None) or (None, reason)."""
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        out = d.decompress(data, MAX_BYTES + 1)
    except zlib.error as exc:
        return None, f"looks gzip-compressed but cannot be decompressed ({exc}); re-export it as plain CSV"
    if len(out) > MAX_BYTES:
        return None, f"decompresses to more than {MAX_BYTES // 2**20} MiB; split the table or read it in parts"
    return out, None


def _decode(data: bytes, label: str) -> tuple[str | None, str | None, Problem | None]:
    """(text, note, problem): BOMs, UTF-16 with or without BOM, UTF-8; NUL bytes refused."""
    for bom, enc in ((b"\xff\xfe\x00\x00", "utf-32-le"), (b"\x00\x00\xfe\xff", "utf-32-be"),
                     (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")):
        if data.startswith(bom):
            try:
                return data[len(bom):].decode(enc), f"{label}: read as {enc.upper()} text (byte-order mark)", None
            except UnicodeDecodeError as exc:
                return None, None, Problem(label, None, None, "", f"declares {enc.upper()} but is not valid "
                                           f"{enc.upper()} text ({exc.reason}); re-save the file as CSV UTF-8")
    head = data[:4096]
    if len(head) >= 4 and b"\x00" in head:
        even, odd = head[0::2], head[1::2]
        for zeros, enc in ((odd, "utf-16-le"), (even, "utf-16-be")):
            if zeros.count(0) >= 0.9 * len(zeros) and len(data) % 2 == 0:
                try:
                    return data.decode(enc), f"{label}: read as {enc.upper()} text (no byte-order mark)", None
                except UnicodeDecodeError:
                    break
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        return None, None, Problem(label, line, None, "", f"is not UTF-8 text (byte 0x{data[exc.start]:02x}); re-save "
                                   "the file as UTF-8 (in Excel: Save As → 'CSV UTF-8')")
    nul = text.find("\x00")
    if nul >= 0:
        line = text.count("\n", 0, nul) + 1
        return None, None, Problem(label, line, None, "", "contains NUL bytes (a binary or damaged file, or UTF-16 "
                                   "without a byte-order mark); re-export the table as CSV UTF-8")
    return text, None, None


def read_raw(obj: TableInput, table: str, missing_values: tuple[str, ...]) -> RawTable:
    """Read ``obj`` (a path or a DataFrame) as text cells; problems are collected, not raised."""
    if isinstance(obj, pd.DataFrame):
        raw = _from_dataframe(obj, f"<{table} DataFrame>", missing_values)
    else:
        path = Path(obj)
        label = path.name
        if not path.is_file():
            what = "is a folder, not a file" if path.is_dir() else f"was not found at {str(path)!r}"
            return _fail(label, f"the {table} file {what}")
        try:
            size = path.stat().st_size
            if size > MAX_BYTES:
                return _fail(label, f"is {size / 2**20:.0f} MiB, larger than the {MAX_BYTES // 2**20} MiB that are "
                             "read into memory; split the table")
            data = path.read_bytes()
        except OSError as exc:
            return _fail(label, f"cannot be read ({exc.strerror or exc})")
        notes: list[str] = []
        if data[:2] == b"\x1f\x8b":
            unpacked, why = _decompress(data, label)
            if unpacked is None:
                return _fail(label, why or "cannot be decompressed")
            data = unpacked
            notes.append(f"{label}: gzip-compressed, decompressed before reading")
        for magic, what in _MAGIC:
            if data.startswith(magic):
                return _fail(label, f"is {what}, not a CSV/TSV text table; open it in its program and export the "
                             "sheet as CSV UTF-8 (in Excel: Save As → 'CSV UTF-8')")
        text, note, problem = _decode(data, label)
        if problem is not None or text is None:
            return RawTable(pd.DataFrame(), label, np.array([], dtype=int),
                            problems=[problem or Problem(label, None, None, "", "cannot be decoded")])
        if note:
            notes.append(note)
        raw = _parse_text_no_gc(text, label, path.suffix.lower(), notes, missing_values)
        if raw.problems:
            return raw
        raw.sidecar, raw.sidecar_name = _sidecar(path)
        if "__error__" in raw.sidecar:
            raw.notes.append(raw.sidecar.pop("__error__"))
    return raw


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while tables are read and merged.

    Reading makes millions of small lists and tuples of strings (no reference cycles); collections
    triggered by their allocation scan every live object and made reading super-linear in the rows.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _parse_text_no_gc(text: str, label: str, suffix: str, notes: list[str],
                      missing_values: tuple[str, ...]) -> RawTable:
    with gc_paused():
        return _parse_text(text, label, suffix, notes, missing_values)


def _parse_text(text: str, label: str, suffix: str, notes: list[str], missing_values: tuple[str, ...]) -> RawTable:
    """Parse decoded text with the csv module, keeping the physical line each record starts on."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        return _fail(label, "the file is empty (no header, no rows)")
    # blank lines (or lines of separators only) before the header
    pos, line_no = 0, 1
    while True:
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        if line.strip().strip(",;\t|").strip() or end < 0:
            break
        pos, line_no = end + 1, line_no + 1
    if line_no > 1:
        notes.append(f"{label}: {line_no - 1} blank line(s) before the header skipped")
    body = text[pos:]
    first = body.split("\n", 1)[0]
    m = re.fullmatch(r"\s*\"?sep=(.)\"?\s*", first)
    if m:  # Excel's separator hint line
        sep = m.group(1)
        body = body.split("\n", 1)[1] if "\n" in body else ""
        line_no += 1
        notes.append(f"{label}: Excel 'sep={sep}' line read as the separator")
        first = body.split("\n", 1)[0]
        if not body.strip():
            return _fail(label, "the file is empty (no header, no rows)")
    else:
        sep = _sniff_sep(first, suffix)
    header_line = line_no
    reader = csv.reader(io.StringIO(body, newline=""), delimiter=sep, quotechar='"', doublequote=True, strict=False)
    records: list[list[str]] = []
    starts: list[int] = []
    problems: list[Problem] = []
    prev = 0
    try:
        if '"' not in body:  # no quoted newlines: record i starts on physical line header_line + i
            records = list(reader)
            starts = list(range(header_line, header_line + len(records)))
        else:
            for rec in reader:
                starts.append(header_line + prev)
                prev = reader.line_num
                records.append(rec)
    except csv.Error as exc:
        where = header_line + prev
        why = ("a field is longer than 131 072 characters (an opening quote that is never closed?)"
               if "field larger" in str(exc) else f"cannot be parsed ({exc})")
        return _fail(label, why, where)
    if not records or not "".join(records[0]).strip(" ,;\t|"):
        return _fail(label, "has no header: the file holds only blank lines or separators")
    header = [h.replace("\ufeff", "").strip() for h in records[0]]
    rows, lines = records[1:], starts[1:]
    n_head = len(header)
    # blank records: no field with content
    keep = [i for i, r in enumerate(rows) if "".join(r).strip()]
    inner = (keep[-1] + 1 - len(keep)) if keep else 0
    if inner:
        notes.append(f"{label}: {inner} blank line(s) between rows skipped")
    rows = [rows[i] for i in keep]
    lines = [lines[i] for i in keep]
    # trailing separators: a header and/or every row ending with one empty field
    if n_head > 1 and header[-1] == "" and all(len(r) < n_head or r[-1].strip() == "" for r in rows):
        header = header[:-1]
        n_head -= 1
        rows = [r[:-1] if len(r) == n_head + 1 else r for r in rows]
        notes.append(f"{label}: the header ends with a separator; the empty last column was dropped")
    if rows and all(len(r) == n_head + 1 and r[-1].strip() == "" for r in rows):
        rows = [r[:-1] for r in rows]
        notes.append(f"{label}: every row ends with a separator; the empty last field was ignored")
    lens = list(map(len, rows))
    bad = [] if not lens or min(lens) == max(lens) == n_head else [
        (ln, k) for k, ln in zip(lens, lines, strict=True) if k != n_head]
    for ln, k in bad[:MAX_LISTED]:
        hint = ("a value or a separator is missing (short rows are not padded)" if k < n_head else
                "look for a stray separator or an unquoted comma")
        problems.append(Problem(label, ln, None, "", f"has {k} fields but the header has {n_head}; {hint}"))
    if len(bad) > MAX_LISTED:
        problems.append(Problem(label, None, None, "", f"and {len(bad) - MAX_LISTED} more rows with the wrong "
                                "number of fields"))
    if problems:
        return RawTable(pd.DataFrame(), label, np.array([], dtype=int), problems=problems, header=header)
    columns = [list(c) for c in zip(*rows, strict=True)] if rows else [[] for _ in header]
    # columns without a name: dropped when empty, refused when they hold values
    keep_cols = []
    for j, h in enumerate(header):
        if h != "":
            keep_cols.append(j)
            continue
        filled = next((i for i, v in enumerate(columns[j]) if v.strip()), None)
        if filled is None:
            notes.append(f"{label}: column {j + 1} has no name and no values; dropped")
        else:
            problems.append(Problem(label, header_line, f"#{j + 1}", "", f"column {j + 1} has no name in the header "
                                    f"but holds values (line {lines[filled]}: {columns[j][filled]!r}); name it or "
                                    "remove it"))
    if problems:
        return RawTable(pd.DataFrame(), label, np.array([], dtype=int), problems=problems, header=header)
    header = [header[j] for j in keep_cols]
    frame = frame_from_columns([columns[j] for j in keep_cols], header, missing_values)
    raw = RawTable(frame=frame, source=label, lines=np.asarray(lines, dtype=np.int64), sep=sep,
                   header_line=header_line, header=header, notes=notes)
    if sep == ";":
        raw.notes.append(f"{label}: read with ';' as the separator")
    if sep != "," and len(frame):
        dec = re.compile(r"[-+\u2212]?[0-9]+,[0-9]+")
        sample = frame.iloc[:1000].to_numpy().ravel().tolist()
        raw.decimal_comma = any(isinstance(v, str) and dec.fullmatch(v) for v in sample)
        if raw.decimal_comma:
            raw.notes.append(f"{label}: decimal commas read as decimal points")
    return raw


def _clean(cells: list[Any], miss: set[str]) -> list[Any]:
    """Strip whitespace; missing-value tokens (and non-text cells) → NaN."""
    nan = np.nan
    try:
        return [nan if (t := v.strip()) in miss else t for v in cells]
    except AttributeError:  # NaN cells of a DataFrame input
        return [nan if not isinstance(v, str) or (t := v.strip()) in miss else t for v in cells]


def frame_from_columns(columns: list[list[Any]], names: list[str], missing_values: tuple[str, ...]) -> pd.DataFrame:
    """One object DataFrame (a single block) from cleaned text columns; names may repeat."""
    miss = set(missing_values)
    n = len(columns[0]) if columns else 0
    block = np.empty((n, len(columns)), dtype=object)
    for j, col in enumerate(columns):
        block[:, j] = _clean(col, miss)
    return pd.DataFrame(block, columns=pd.Index(names, dtype=object), dtype=object, copy=False)


def split_long(raw: RawTable, long_layout: dict[str, Any] | None) -> bool:
    """True when ``raw`` is in the schema's long layout (columns subject_id, key(s), value)."""
    if not long_layout:
        return False
    keys = long_layout["key"] if isinstance(long_layout["key"], list) else [long_layout["key"]]
    cols = {normalise_name(c) for c in raw.frame.columns}
    return cols == {"subject_id", *keys, long_layout["value"]}


def gzip_bytes(text: str) -> bytes:
    """gzip-compress ``text`` (UTF-8), as a pipeline writing ``table.csv.gz`` would (used by the tests)."""
    return gzip.compress(text.encode("utf-8"), mtime=0)
