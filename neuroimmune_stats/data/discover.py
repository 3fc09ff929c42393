"""Find the four exports in a folder by name and by content, and say what was done with every file.

A site's pipeline rarely writes ``suvr.csv``: it writes ``pbr28_suvr.csv``, ``fc_matrix.tsv`` or
``painDETECT_scores.csv``. :func:`discover_inputs` looks at every file in the folder, recognises the
tables by name patterns **and** by their columns (a file whose columns look like SUVR regions is the SUVR
table), and lists each file as used (for which table, with rows and subjects) or unused and why — so a
report can say out loud what it read and what it left alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ..exceptions import SpecificationError
from .ids import id_key
from .io import RawTable, normalise_name, read_raw, split_header_unit
from .schema import TABLES, load_schema

#: file-name stems taken as a table without looking further (``participants.csv``, ``suvr.tsv``, ...)
EXACT_NAMES: dict[str, tuple[str, ...]] = {
    "participants": ("participants", "participants_table", "demographics"),
    "suvr": ("suvr", "pet_suvr", "suvr_regions"),
    "connectivity": ("connectivity", "conn", "fc"),
    "questionnaires": ("questionnaires", "questionnaire", "scores"),
}
#: name fragments that suggest a table (checked against the normalised file stem)
NAME_PATTERNS: dict[str, tuple[str, ...]] = {
    "participants": ("participant", "demograph", "subjects", "clinical", "cohort"),
    "suvr": ("suvr", "pbr28", "uptake", "pet"),
    "connectivity": ("conn", "fc", "fmri", "rsfc", "network"),
    "questionnaires": ("questionnaire", "pain", "score", "survey", "bpi", "fss", "clinical_scores"),
}
TABLE_SUFFIXES = (".csv", ".tsv", ".txt", ".tab", ".dat", ".gz", "")
_SYSTEM = re.compile(r"^(\.DS_Store|Thumbs\.db|desktop\.ini|\._.*|~\$.*|\.~lock\..*)$", re.IGNORECASE)
_KNOWN_REGIONS = {"s1", "thalamus", "ips", "pcc", "acc", "insula", "whole_brain", "wm_left", "wm_right",
                  "precuneus", "m1", "s2", "putamen", "caudate", "amygdala", "hippocampus", "cerebellum"}


@dataclass(frozen=True)
class FileUse:
    """What was done with one file of the folder.

    ``role`` is the table the file was used as (``"participants"``, ``"suvr"``, ``"connectivity"``,
    ``"questionnaires"``), also for a JSON sidecar read with its table, or ``None`` when the file was not
    used; ``reason`` says why in one sentence. ``rows`` (data rows) and ``subjects`` (distinct subject
    IDs) are filled for files read as tables.
    """

    path: Path
    role: str | None
    rows: int | None
    subjects: int | None
    reason: str
    #: an operating-system or editor file (``.DS_Store``, ``~$lock``): unused, but not a sign of a lost table
    system: bool = False

    @property
    def used(self) -> bool:
        return self.role is not None


@dataclass
class InputDiscovery:
    """The tables found in a folder (``tables``: role → path) and the fate of every file (``files``)."""

    folder: Path
    tables: dict[str, Path] = field(default_factory=dict)
    files: list[FileUse] = field(default_factory=list)

    @property
    def unused(self) -> list[FileUse]:
        """Files not used for any table, except operating-system files (``.DS_Store`` and the like)."""
        return [f for f in self.files if f.role is None and not f.system]

    @property
    def missing(self) -> list[str]:
        """The roles for which no file was found."""
        return [t for t in TABLES if t not in self.tables]

    def summary(self) -> str:
        """One line per file: name, used as which table (rows, subjects) or unused and why."""
        out = [f"Inputs in {self.folder}:"]
        for f in self.files:
            what = f"{f.role} table" if f.role else "unused"
            if f.rows is not None:
                what += f", {f.rows} rows, {f.subjects} subjects"
            out.append(f"  {f.path.name}: {what} ({f.reason})")
        if self.missing:
            out.append(f"  no file found for: {', '.join(self.missing)}")
        return "\n".join(out)

    def __repr__(self) -> str:
        return self.summary()


def _header_roles() -> dict[str, str]:
    """Normalised column name (or alias) → schema field name, over all four schemas."""
    out: dict[str, str] = {}
    for t in TABLES:
        for f in load_schema(t).fields:
            for a in (f.name, *f.aliases):
                out.setdefault(a.lower(), f.name)
    return out


def _columns(raw: RawTable) -> list[str]:
    lookup = _header_roles()
    cols = []
    for c in raw.frame.columns:
        base, _ = split_header_unit(str(c))
        n = normalise_name(base)
        cols.append(lookup.get(n, n))
    return cols


def _looks_numeric_in(raw: RawTable, cols: list[str], lo: float, hi: float) -> bool:
    """Most non-missing cells of the non-ID columns parse as numbers inside [lo, hi]."""
    idx = [i for i, c in enumerate(cols) if c != "subject_id"]
    if not idx:
        return False
    sample = raw.frame.iloc[:200, idx]
    vals = sample.to_numpy(dtype=object).ravel()
    vals = np.array([v for v in vals if isinstance(v, str)], dtype=object)
    if vals.size == 0:
        return False
    num = np.array([_float(v) for v in vals])
    ok = np.isfinite(num) & (num >= lo) & (num <= hi)
    return bool(ok.mean() >= 0.9)


def _float(v: str) -> float:
    try:
        return float(v.replace(",", ".")) if re.fullmatch(r"\s*[-+]?[\d.,]+([eE][-+]?\d+)?\s*", v) else np.nan
    except ValueError:
        return np.nan


def content_role(raw: RawTable) -> tuple[str | None, str]:
    """The table a file's columns (and values) say it is, with the evidence; ``None`` when unclear."""
    cols = _columns(raw)
    if "subject_id" not in cols:
        return None, "no subject ID column"
    rest = [c for c in cols if c != "subject_id"]
    s = set(rest)
    if {"region", "suvr"} <= s:
        return "suvr", "columns subject_id, region, suvr (long layout)"
    if {"seed", "target", "value"} <= s:
        return "connectivity", "columns subject_id, seed, target, value (long layout)"
    part = s & {"subtype", "protocol", "tspo_genotype"}
    if len(part) >= 2:
        return "participants", f"has participant columns {', '.join(sorted(part))}"
    if rest and sum("__" in c for c in rest) >= max(1, 0.8 * len(rest)):
        return "connectivity", "columns named <seed>__<target>"
    qfields = {f.name for f in load_schema("questionnaires").fields} - {"subject_id"}
    q = s & qfields
    if q:
        return "questionnaires", f"has questionnaire columns {', '.join(sorted(q))}"
    regionish = rest and all(re.fullmatch(r"[a-z][a-z0-9_]*", c) and "__" not in c for c in rest)
    if regionish and (s & _KNOWN_REGIONS or "suvr" in " ".join(rest)) and _looks_numeric_in(raw, cols, 0.0, 10.0):
        return "suvr", "region columns with SUVR-like values (0–10)"
    if regionish and _looks_numeric_in(raw, cols, 0.05, 6.0) and len(rest) >= 2:
        return "suvr", "numeric columns with SUVR-like values (0.05–6)"
    return None, "columns not recognised as any of the four tables"


def name_role(path: Path) -> tuple[str | None, int]:
    """The table a file name suggests: (role, strength) with 2 = exact name, 1 = pattern, 0 = none."""
    stem = normalise_name(path.name.split(".")[0])
    for table, stems in EXACT_NAMES.items():
        if stem in stems:
            return table, 2
    hits = [t for t, pats in NAME_PATTERNS.items() if any(p in stem for p in pats)]
    if len(hits) == 1:
        return hits[0], 1
    if "suvr" in hits:  # e.g. pet_suvr_scores: the most specific word wins
        return "suvr", 1
    return None, 0


def _subjects(raw: RawTable) -> int | None:
    cols = _columns(raw)
    if "subject_id" not in cols:
        return None
    ids = raw.frame.iloc[:, cols.index("subject_id")]
    return len({id_key(v) for v in ids.tolist() if isinstance(v, str) and id_key(v)})


def discover_inputs(folder: str | Path) -> InputDiscovery:
    """Find the participants, SUVR, connectivity and questionnaire tables in ``folder``.

    Every file directly inside ``folder`` is looked at. A file is taken as a table by its name (exact
    names such as ``participants.tsv`` or ``suvr.csv`` first, then patterns such as ``*suvr*``,
    ``*conn*``, ``*questionnaire*``/``*pain*``) **and** by its columns (participant columns, region
    columns with SUVR-like values, ``<seed>__<target>`` columns, questionnaire scores, or a long layout);
    when the two disagree, the columns win. When two files qualify for one table, the exact name, then a
    name confirmed by the columns, then the columns alone win, and the other file is listed as unused with
    the reason. JSON sidecars next to a used table are listed with that table.

    Parameters
    ----------
    folder : path
        The folder holding a site's exports.

    Returns
    -------
    InputDiscovery
        ``.tables`` (role → path, ready for ``read_cohort(**discovery.tables)``), ``.files`` (one
        :class:`FileUse` per file, used or not, with the reason), ``.unused``, ``.missing``, ``.summary()``.

    Raises
    ------
    SpecificationError
        When ``folder`` is not a folder. Files that cannot be read are listed, never raised.

    Examples
    --------
    >>> from neuroimmune_stats.data.example import example_dir
    >>> found = discover_inputs(example_dir())
    >>> sorted(found.tables)
    ['connectivity', 'participants', 'questionnaires', 'suvr']
    >>> [(f.path.name, f.rows) for f in found.files if f.role == "suvr"]
    [('suvr.csv', 54)]
    """
    d = Path(folder)
    if not d.is_dir():
        raise SpecificationError(f"{str(d)!r} is not a folder.")
    entries = sorted(d.iterdir(), key=lambda p: p.name)
    decided: dict[Path, FileUse] = {}
    # candidates: role -> list of (rank, path, FileUse-if-chosen)
    candidates: dict[str, list[tuple[int, str, FileUse]]] = {t: [] for t in TABLES}
    sidecars: list[Path] = []
    for p in entries:
        if _SYSTEM.match(p.name):
            decided[p] = FileUse(p, None, None, None, "operating-system or editor file, ignored", system=True)
            continue
        if p.is_dir():
            decided[p] = FileUse(p, None, None, None, "a folder: sub-folders are not searched")
            continue
        suffix = p.suffix.lower()
        if suffix == ".json":
            sidecars.append(p)
            continue
        if suffix not in TABLE_SUFFIXES:
            kind = {".xlsx": "an Excel workbook", ".xls": "an Excel workbook", ".ods": "a spreadsheet",
                    ".pdf": "a PDF", ".md": "a text document", ".html": "a web page"}.get(suffix, f"a {suffix} file")
            extra = "; export it as CSV UTF-8 to use it" if suffix in (".xlsx", ".xls", ".ods") else ""
            decided[p] = FileUse(p, None, None, None, f"{kind}, not a CSV/TSV table{extra}")
            continue
        nrole, strength = name_role(p)
        raw = read_raw(p, nrole or "table", load_schema(nrole or "participants").missing_values)
        if raw.problems:
            why = str(raw.problems[0]).split(": ", 1)[-1]
            if nrole is not None:
                candidates[nrole].append((3 * strength, p.name, FileUse(
                    p, nrole, None, None, f"named like the {nrole} table, but it could not be read: {why}")))
            else:
                decided[p] = FileUse(p, None, None, None, f"could not be read as a table: {why}")
            continue
        crole, evidence = content_role(raw)
        rows, subjects = len(raw.frame), _subjects(raw)
        if crole is not None:
            rank = 3 * strength + 1 + (1 if nrole == crole else 0)
            how = (f"named like the {crole} table and {evidence}" if nrole == crole
                   else f"recognised by content: {evidence}" + (
                       f" (the name suggested {nrole}, the columns win)" if nrole else ""))
            candidates[crole].append((rank, p.name, FileUse(p, crole, rows, subjects, how)))
        elif nrole is not None and evidence != "no subject ID column":
            candidates[nrole].append((3 * strength, p.name, FileUse(
                p, nrole, rows, subjects, f"named like the {nrole} table ({evidence})")))
        else:
            cols = ", ".join(map(str, list(raw.frame.columns)[:8]))
            decided[p] = FileUse(p, None, rows, subjects, f"{evidence} (columns: {cols})")
    tables: dict[str, Path] = {}
    for role, cands in candidates.items():
        if not cands:
            continue
        cands.sort(key=lambda c: (-c[0], c[1]))
        best = cands[0][2]
        tables[role] = best.path
        decided[best.path] = best
        for _, _, other in cands[1:]:
            decided[other.path] = FileUse(other.path, None, other.rows, other.subjects,
                                          f"also looks like the {role} table ({other.reason}), but "
                                          f"{best.path.name} was used; pass it explicitly to use it instead")
    used_stems = {Path(p.name.removesuffix(".gz")).with_suffix("").name: r for r, p in tables.items()}
    for p in sidecars:
        owner = used_stems.get(p.with_suffix("").name)
        if owner is not None:
            decided[p] = FileUse(p, owner, None, None,
                                 f"JSON sidecar of {tables[owner].name} (Levels, Units, LongName)")
        else:
            decided[p] = FileUse(p, None, None, None, "a JSON file that is not the sidecar of a table used")
    files = [decided[p] for p in entries]
    return InputDiscovery(folder=d, tables={t: tables[t] for t in TABLES if t in tables}, files=files)
