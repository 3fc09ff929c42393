"""Validate one table against its schema, collecting **every** problem before raising."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, Problem, SpecificationError
from .cells import code_factor, parse_numbers
from .ids import id_key
from .io import RawTable, TableInput, normalise_name, read_raw, split_header_unit, split_long
from .schema import FieldSpec, TableSchema, load_schema
from .units import canonical_unit, conversion, convertible_to, show

#: at most this many problems are listed per table; the rest are counted in one line
MAX_PROBLEMS = 200
#: numeric columns without a range still refuse magnitudes beyond this (1e308 in a score overflows later)
MAX_MAGNITUDE = 1e12


@dataclass
class ValidatedTable:
    """A typed table (``subject_id`` column first, IDs as written), its source and the notes kept for the log."""

    table: str
    frame: pd.DataFrame
    source: str
    lines: dict[str, int]
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)
    #: matching key of each row's subject ID (:func:`~.ids.id_key`), aligned with ``frame``
    keys: list[str] = field(default_factory=list)
    #: file line of each row, aligned with ``frame``
    row_lines: np.ndarray = field(default_factory=lambda: np.array([], dtype=np.int64))
    #: sidecar ``LongName`` of columns (names as in ``frame``)
    labels: dict[str, str] = field(default_factory=dict)


def _fmt(v: Any) -> str:
    s = str(v)
    return s if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", s) else f'"{s}"'


def _lookup(schema: TableSchema) -> dict[str, str]:
    out = {a.lower(): f.name for f in schema.fields for a in (f.name, *f.aliases)}
    if schema.name != "participants":  # participant columns repeated in another table keep their meaning
        for f in load_schema("participants").fields:
            for a in (f.name, *f.aliases):
                out.setdefault(a.lower(), f.name)
    return out


def _rename(raw: RawTable, schema: TableSchema, problems: list[Problem], header_units: dict[str, str]) -> None:
    lookup = _lookup(schema)
    out: list[str] = []
    first: dict[str, tuple[int, str]] = {}
    for pos, orig in enumerate(map(str, raw.frame.columns), start=1):
        base, unit = split_header_unit(orig)
        n_base = normalise_name(base)
        if unit is not None and (n_base in lookup or canonical_unit(unit) is not None):
            target = lookup.get(n_base, n_base)
            header_units[target] = unit
        else:
            unit = None
            target = lookup.get(normalise_name(orig), normalise_name(orig))
        if target != orig:
            raw.renamed[orig] = target
            if normalise_name(orig) != target:
                raw.notes.append(f"{raw.source}: column {orig!r} read as {target!r}"
                                 + (f" (unit {unit})" if unit else ""))
        if target in first:
            p0, w0 = first[target]
            problems.append(Problem(raw.source, raw.header_line, target, "",
                                    f"appears twice in the header: columns {p0} ({w0!r}) and {pos} ({orig!r}) are "
                                    "both read as this column (after ignoring case, spaces, units and known "
                                    "aliases); remove or rename one"))
        else:
            first[target] = (pos, orig)
        out.append(target)
    raw.frame.columns = pd.Index(out, dtype=object)


def _check_ids(raw: RawTable, problems: list[Problem]) -> tuple[pd.Series, list[str]]:
    """IDs as written (stripped) and their matching keys; empty and duplicate IDs are problems."""
    ids = raw.frame["subject_id"].astype(object)
    written = [v if isinstance(v, str) else "" for v in ids.tolist()]
    keys = list(map(id_key, written))
    seen: dict[str, tuple[int, str]] = {}
    for v, k, line in zip(written, keys, raw.lines.tolist(), strict=True):
        if k == "":
            what = f"{v!r} is only a prefix" if v else "is empty"
            problems.append(Problem(raw.source, line, "subject_id", "",
                                    f"{what}; every row needs a subject ID"))
            continue
        if k in seen:
            l0, w0 = seen[k]
            also = f"also on line {l0}" + (f" as {w0!r}" if w0 != v else "")
            problems.append(Problem(raw.source, line, "subject_id", v,
                                    f"is a duplicate subject ID ({also}); each subject must appear once "
                                    "(IDs are matched ignoring a 'sub-' prefix, zero padding and case)"))
        else:
            seen[k] = (line, v)
    return pd.Series(written, index=ids.index, dtype=object), keys


def _check_enum(raw: RawTable, spec: FieldSpec, col: pd.Series, lines: np.ndarray,
                problems: list[Problem]) -> pd.Categorical:
    enum = list(spec.enum or ())
    lookup = {e.casefold(): e for e in enum}
    lookup.update({k.casefold(): v for k, v in spec.value_aliases.items()})
    squashed = {k.replace(" ", ""): v for k, v in lookup.items()}
    required = spec.required and not spec.missing_allowed
    codes, uniques = pd.factorize(col.astype(object), use_na_sentinel=True)
    level = [lookup.get(_SPACES.sub(" ", str(u)).casefold()) or squashed.get(str(u).replace(" ", "").casefold())
             for u in uniques]
    for j in np.flatnonzero(np.array([lv is None for lv in level] + [required], dtype=bool)[codes]):
        if codes[j] < 0:
            problems.append(Problem(raw.source, int(lines[j]), spec.name, "",
                                    f"is empty; {spec.title} is required ({', '.join(enum)})"))
        else:
            problems.append(Problem(raw.source, int(lines[j]), spec.name, _fmt(uniques[codes[j]]),
                                    f"is not a known {spec.title.lower()}; use one of {', '.join(enum)}"))
    pos = np.array([enum.index(lv) if lv is not None else -1 for lv in level] + [-1], dtype=np.intp)
    return pd.Categorical.from_codes(pos[codes], categories=pd.Index(enum, dtype=object))


_SPACES = re.compile(r"\s+")


def _check_number(raw: RawTable, spec: FieldSpec, col: pd.Series | list[object], lines: np.ndarray,
                  problems: list[Problem], plausible: tuple[float, float] | None = None, factor: float = 1.0,
                  notes: list[str] | None = None, names: list[str] | None = None) -> np.ndarray:
    """Parse and range-check one numeric column; or, with ``names``, a block of columns sharing ``spec``
    (``col`` then holds the cells column after column and ``lines`` the line of each cell)."""
    cells = col.tolist() if isinstance(col, pd.Series) else list(col)
    n_rows = len(cells) // len(names) if names else len(cells)
    base_title = spec.title

    def name_at(i: int) -> str:
        return names[i // n_rows] if names else spec.name

    def title_at(i: int) -> str:
        return f"{names[i // n_rows]} {base_title}" if names else base_title

    unit = f" {show(spec.unit)}" if spec.unit and spec.unit not in ("ratio", "z") else ""
    rng = f"{spec.minimum:g}–{spec.maximum:g}" if spec.minimum is not None and spec.maximum is not None else ""

    def what(i: int) -> str:
        return f"{title_at(i)} is {rng}{unit}" if rng else title_at(i)

    parsed = parse_numbers(cells, raw.decimal_comma)
    if notes is not None:
        where = f"column {spec.name}" if not names else f"{len(names)} {base_title} column(s)"
        notes.extend(f"{raw.source}: {where}: {n}" for n in parsed.notes)
    found: list[tuple[int, Problem]] = []
    for i, reason in parsed.refused.items():
        found.append((i, Problem(raw.source, int(lines[i]), name_at(i), _fmt(cells[i]),
                                 f"{reason} ({title_at(i)} must be numeric{',' + unit if unit else ''})")))
    x = parsed.values * factor if factor != 1.0 else parsed.values
    present = np.array([isinstance(v, str) for v in cells], dtype=bool)
    bad = np.zeros(len(x), dtype=bool)
    bad[list(parsed.refused)] = True

    def flag(mask: np.ndarray, rule_fn: Any) -> None:
        nonlocal bad
        mask = mask & ~bad & present
        for j in np.flatnonzero(mask).tolist():
            found.append((j, Problem(raw.source, int(lines[j]), name_at(j), cells[j], str(rule_fn(j)))))
        bad |= mask

    with np.errstate(invalid="ignore", over="ignore"):
        flag(~np.isfinite(x), lambda i: "is not a finite number")
        if spec.type == "integer":
            flag(x != np.round(x), lambda i: f"is not a whole number ({title_at(i)} must be a whole number)")
        conv = (lambda i: f" (= {x[i]:g}{unit} after conversion)") if factor != 1.0 else (lambda i: "")
        if spec.minimum is not None:
            lo = spec.minimum
            flag(x < lo, lambda i: f"is below the minimum {lo:g}{conv(i)} ({what(i)})")
        if spec.maximum is not None:
            hi = spec.maximum
            flag(x > hi, lambda i: f"is above the maximum {hi:g}{conv(i)} ({what(i)})")
        if spec.exclusive_minimum is not None:
            ex = spec.exclusive_minimum
            flag(x <= ex, lambda i: f"must be greater than {ex:g} ({title_at(i)})")
        if plausible is not None:
            a, b = plausible
            flag((x < a) | (x > b), lambda i: f"is outside the plausible range {a:g}–{b:g} ({title_at(i)}); check "
                 "the export, or widen the range if it is real")
        if spec.minimum is None and spec.maximum is None and plausible is None:
            flag(np.abs(x) > MAX_MAGNITUDE, lambda i: f"is implausibly large in magnitude (beyond "
                 f"±{MAX_MAGNITUDE:g}); check the export")
    if spec.required:
        for j in np.flatnonzero(~present).tolist():
            found.append((j, Problem(raw.source, int(lines[j]), name_at(j), "",
                                     f"is empty; {title_at(j)} is required")))
    found.sort(key=lambda t: t[0])  # file order: column after column, row after row
    problems.extend(p for _, p in found)
    result: np.ndarray = np.where(bad, np.nan, x)
    return result


def _apply_rules(raw: RawTable, schema: TableSchema, out: dict[str, Any], lines: np.ndarray, problems: list[Problem],
                 notes: list[str]) -> None:
    for rule in schema.rules:
        if rule.get("rule") != "sum":
            continue
        target, terms = rule["target"], rule["terms"]
        if not all(t in out for t in terms):
            continue
        total = np.sum([np.asarray(out[t], dtype=float) for t in terms], axis=0)
        if target not in out:
            out[target] = total
            notes.append(f"{raw.source}: {target} derived as {' + '.join(terms)} (column absent)")
            continue
        tgt = np.asarray(out[target], dtype=float)
        both = np.isfinite(total) & np.isfinite(tgt)
        for i in np.flatnonzero(both & (np.abs(tgt - total) > 1e-9)):
            parts = " + ".join(f"{out[t][i]:g}" for t in terms)
            problems.append(Problem(raw.source, int(lines[i]), target, f"{tgt[i]:g}",
                                    f"is not {' + '.join(t.upper() for t in terms)} = {parts} = {total[i]:g} "
                                    f"({rule['description']})"))
        fill = np.isfinite(total) & ~np.isfinite(tgt)
        if fill.any():
            tgt = tgt.copy()
            tgt[fill] = total[fill]
            out[target] = tgt
            notes.append(f"{raw.source}: {target} derived as {' + '.join(terms)} for {int(fill.sum())} row(s)")


def _variable_spec(schema: TableSchema, name: str) -> FieldSpec:
    assert schema.variable is not None
    return FieldSpec(**{**schema.variable.__dict__, "name": name, "title": f"{name} {schema.variable.title}"})


def _bad_variable_name(raw: RawTable, schema: TableSchema, name: str, line: int, problems: list[Problem]) -> bool:
    if re.fullmatch(schema.variable_pattern or ".*", name):
        return False
    problems.append(Problem(raw.source, line, name, "", f"is not a valid {schema.title.lower()} column name "
                            f"(expected lower-case names matching {schema.variable_pattern})"))
    return True


def _numeric_options(table: str, spec: FieldSpec, unit: str | None, suvr_range: tuple[float, float] | None,
                     connectivity_scale: str | None) -> tuple[FieldSpec, tuple[float, float] | None]:
    plausible = spec.plausible
    if table == "suvr" and suvr_range is not None:
        plausible = suvr_range
    if table == "connectivity":
        scale = connectivity_scale or (canonical_unit(unit) if unit else None)
        if scale == "r" and spec.range_when_r:
            spec = FieldSpec(**{**spec.__dict__, "minimum": spec.range_when_r[0], "maximum": spec.range_when_r[1],
                                "title": "Connectivity declared as r"})
            plausible = None
    return spec, plausible


def _pivot_long(raw: RawTable, schema: TableSchema, table: str, problems: list[Problem], notes: list[str],
                suvr_range: tuple[float, float] | None, connectivity_scale: str | None) -> dict[str, np.ndarray]:
    """Check the long layout row by row (lines as in the file) and pivot it; returns the typed value columns."""
    ll = schema.long_layout or {}
    keys = ll["key"] if isinstance(ll["key"], list) else [ll["key"]]
    joiner = ll.get("joiner", "__")
    f = raw.frame
    lines = raw.lines
    bad = np.zeros(len(f), dtype=bool)
    ids = f["subject_id"].astype(object)
    for k in ["subject_id", *keys]:
        empty = f[k].isna().to_numpy().copy()
        if k == "subject_id":
            empty |= np.array([id_key(v) == "" if isinstance(v, str) else True for v in ids.tolist()])
        for i in np.flatnonzero(empty):
            problems.append(Problem(raw.source, int(lines[i]), k, "", f"is empty; every row of the long layout needs "
                                    f"a {'subject ID' if k == 'subject_id' else k}"))
        bad |= empty
    parts = [f[k].astype(object).where(f[k].notna(), "").astype(str).map(normalise_name) for k in keys]
    name = parts[0] if len(parts) == 1 else parts[0].str.cat(parts[1:], sep=joiner)  # type: ignore[operator]
    id_keys = pd.Series([id_key(v) if isinstance(v, str) else "" for v in ids.tolist()], index=f.index)
    pair = pd.DataFrame({"k": id_keys, "n": name})
    dup = pair.duplicated(keep="first").to_numpy() & ~bad
    if dup.any():
        first_line = pd.Series(lines, index=f.index).groupby([pair["k"], pair["n"]]).transform("min").to_numpy()
        for i in np.flatnonzero(dup):
            problems.append(Problem(raw.source, int(lines[i]), " / ".join(keys), f"{ids.iloc[i]} {name.iloc[i]}",
                                    f"appears twice for the same subject in the long layout (also on line "
                                    f"{first_line[i]})"))
    bad |= dup
    ok = ~bad
    value = f[ll["value"]]
    groups = pd.Series(np.arange(len(f)))[ok].groupby(name[ok].to_numpy(), sort=False)
    typed_long = np.full(len(f), np.nan)
    valid_names: list[str] = []
    for region, idx in groups:
        pos = idx.to_numpy()
        if _bad_variable_name(raw, schema, str(region), int(lines[pos[0]]), problems):
            continue
        valid_names.append(str(region))
        spec, plausible = _numeric_options(table, _variable_spec(schema, str(region)), None, suvr_range,
                                           connectivity_scale)
        typed_long[pos] = _check_number(raw, spec, value.iloc[pos].reset_index(drop=True), lines[pos], problems,
                                        plausible, notes=notes)
    # one row per subject (first spelling and first line of each ID key), one column per name
    keep = ok & name.isin(valid_names).to_numpy()
    subj = id_keys[ok]
    order = pd.unique(subj.to_numpy())
    first_pos = pd.Series(np.flatnonzero(ok), index=subj.to_numpy()).groupby(level=0, sort=False).min()
    first_pos = first_pos.reindex(order)
    wide = pd.DataFrame({"k": id_keys[keep].to_numpy(), "n": name[keep].to_numpy(), "v": typed_long[keep]})
    grid = wide.pivot(index="k", columns="n", values="v").reindex(index=order, columns=valid_names)
    raw.frame = pd.DataFrame({"subject_id": ids.to_numpy()[first_pos.to_numpy()]}, dtype=object)
    raw.lines = lines[first_pos.to_numpy()]
    notes.append(f"{raw.source}: long layout pivoted to one row per subject ({len(valid_names)} columns)")
    return {str(c): grid[c].to_numpy(dtype=float) for c in grid.columns}


def _check_variable_block(raw: RawTable, schema: TableSchema, table: str, written: dict[str, str],
                          header_units: dict[str, str], problems: list[Problem], notes: list[str],
                          suvr_range: tuple[float, float] | None, connectivity_scale: str | None
                          ) -> dict[str, np.ndarray]:
    """The region / edge columns without sidecar entries or header units, checked as one block (one parse for
    the whole table, so a table 10 000 columns wide costs what its cells cost)."""
    if schema.variable is None or not len(raw.frame):
        return {}
    participants = load_schema("participants")
    pattern = re.compile(schema.variable_pattern or ".*")
    block = [c for c in raw.frame.columns if c != "subject_id" and schema.field(c) is None
             and participants.field(c) is None and pattern.fullmatch(c) and c not in header_units
             and not isinstance(raw.sidecar.get(written.get(c, c), raw.sidecar.get(c)), dict)]
    if len(block) < 2:
        return {}
    n = len(raw.frame)
    pos = {c: j for j, c in enumerate(raw.frame.columns)}
    cells: list[object] = raw.frame.iloc[:, [pos[c] for c in block]].to_numpy().T.ravel().tolist()
    template = FieldSpec(**{**schema.variable.__dict__, "name": "*"})
    spec, plausible = _numeric_options(table, template, None, suvr_range, connectivity_scale)
    values = _check_number(raw, spec, cells, np.tile(raw.lines, len(block)), problems, plausible, notes=notes,
                           names=block)
    return {c: values[j * n:(j + 1) * n] for j, c in enumerate(block)}


def check_table(raw: RawTable, table: str, *, suvr_range: tuple[float, float] | None = None,
                connectivity_scale: str | None = None) -> ValidatedTable:
    """Type and check ``raw`` against the schema of ``table``; problems are collected."""
    schema = load_schema(table)
    problems = list(raw.problems)
    notes = list(raw.notes)

    def done(frame: pd.DataFrame | None = None, **kw: Any) -> ValidatedTable:
        if len(problems) > MAX_PROBLEMS:
            extra = len(problems) - MAX_PROBLEMS
            del problems[MAX_PROBLEMS:]
            problems.append(Problem(raw.source, None, None, "", f"and {extra} more problems in this table"))
        return ValidatedTable(table, pd.DataFrame() if frame is None else frame, raw.source, {}, notes, problems, **kw)

    if not problems and raw.frame.shape[1] == 0:
        problems.append(Problem(raw.source, None, None, "", "has no columns (an empty table)"))
    if problems:
        return done()
    header_units: dict[str, str] = {}
    _rename(raw, schema, problems, header_units)
    notes = list(raw.notes)
    if raw.frame.columns.duplicated().any():
        return done()
    typed: dict[str, np.ndarray] = {}
    if split_long(raw, schema.long_layout):
        typed = _pivot_long(raw, schema, table, problems, notes, suvr_range, connectivity_scale)
    if len(raw.frame) == 0:
        problems.append(Problem(raw.source, None, None, "", "has a header but no data rows"))
        return done()
    for c in [c for c in schema.required if c not in raw.frame.columns]:
        spec = schema.field(c)
        found = ", ".join(map(str, raw.frame.columns[:12]))
        problems.append(Problem(raw.source, raw.header_line, c, "", f"required column is missing "
                                f"({spec.title if spec else c}); columns found: {found}"))
    if "subject_id" not in raw.frame.columns:
        return done()
    lines = raw.lines
    ids, keys = _check_ids(raw, problems)
    out: dict[str, Any] = {"subject_id": ids}
    units: dict[str, str] = {}
    labels: dict[str, str] = {}
    participants = load_schema("participants")
    written = {new: old for old, new in raw.renamed.items()}
    typed.update(_check_variable_block(raw, schema, table, written, header_units, problems, notes, suvr_range,
                                       connectivity_scale))
    for col in [*raw.frame.columns, *[c for c in typed if c not in raw.frame.columns]]:
        if col == "subject_id":
            continue
        side_any = raw.sidecar.get(written.get(col, col), raw.sidecar.get(col))
        side: dict[str, Any] = side_any if isinstance(side_any, dict) else {}
        if isinstance(side.get("LongName"), str) and side["LongName"].strip():
            labels[col] = side["LongName"].strip()
        if col in typed:
            out[col] = typed[col]
            continue
        values = raw.frame[col]
        spec = schema.field(col) or (participants.field(col) if table != "participants" else None)
        levels = side.get("Levels") if isinstance(side.get("Levels"), dict) else None
        if spec is None and schema.variable is not None:
            if _bad_variable_name(raw, schema, col, raw.header_line, problems):
                continue
            spec = _variable_spec(schema, col)
        declared = side.get("Units") if isinstance(side.get("Units"), str) and side["Units"].strip() else None
        head_unit = header_units.get(col)
        if declared and head_unit and canonical_unit(declared) != canonical_unit(head_unit):
            problems.append(Problem(raw.source, raw.header_line, col, f'"{head_unit}"',
                                    f"is the unit in the header, but {raw.sidecar_name} declares {declared!r}; "
                                    "make them agree"))
            continue
        unit = declared or head_unit
        where = f"declared in {raw.sidecar_name}" if declared else "written in the header"
        factor = 1.0
        if unit:
            units[col] = unit
        if spec is None:
            if levels:
                out[col] = code_factor(values)
            elif schema.extra_columns == "numeric":
                spec = FieldSpec(name=col, type="number", title=col, description=f"{col} must be numeric")
            else:
                parsed = parse_numbers(values, raw.decimal_comma)
                if values.notna().any() and not parsed.refused:
                    notes.append(f"{raw.source}: extra column {col!r} read as numbers")
                    spec = FieldSpec(name=col, type="number", title=col, description=f"{col} (numeric)")
                else:
                    out[col] = values
            if spec is None:
                continue
        if unit and spec.unit and table == "connectivity" and canonical_unit(unit) in ("z", "r"):
            pass  # the scale of connectivity values (Fisher z or r), checked by its range rule
        elif unit and spec.unit:
            f, canon = conversion(unit, spec.unit)
            if f is None:
                conv = convertible_to(spec.unit)
                problems.append(Problem(raw.source, raw.header_line, col, f'"{unit}"',
                                        f"({where}) is not a unit of {spec.title}: the schema's unit is "
                                        f"{show(spec.unit)}" + (f"; converted automatically: {', '.join(conv)}"
                                                                if conv else "")))
                continue
            if f != 1.0:
                factor = f
                notes.append(f"{raw.source}: column {col} converted from {show(canon)} ({where}) to "
                             f"{show(spec.unit)} (× {f:g})")
        if spec.enum:
            if levels:
                values = values.map(lambda v, lv=levels: lv.get(v, v) if isinstance(v, str) else v)
            out[col] = _check_enum(raw, spec, values, lines, problems)
        elif spec.is_numeric:
            spec, plausible = _numeric_options(table, spec, unit, suvr_range, connectivity_scale)
            out[col] = _check_number(raw, spec, values, lines, problems, plausible, factor, notes)
        elif spec.factor or levels:
            out[col] = code_factor(values)
        else:
            out[col] = values
    _apply_rules(raw, schema, out, lines, problems, notes)
    frame = pd.DataFrame(out)
    frame.index = pd.RangeIndex(len(frame))
    vt = done(frame, units=units, keys=keys, row_lines=np.asarray(lines), labels=labels)
    vt.lines = dict(zip(ids.tolist(), lines.tolist(), strict=True))
    return vt


def check_read_options(where: str, suvr_range: Any, connectivity_scale: Any
                       ) -> tuple[tuple[float, float] | None, str | None]:
    """Check ``suvr_range`` (two finite numbers, 0 ≤ low < high) and ``connectivity_scale`` (``"z"``/``"r"``)."""
    from .._params import check_choice

    scale = check_choice(connectivity_scale, ("z", "r"), where=where, name="connectivity_scale", allow_none=True)
    if suvr_range is None:
        return None, scale
    ok = isinstance(suvr_range, list | tuple) and len(suvr_range) == 2 and all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool) and np.isfinite(v)
        for v in suvr_range)
    if not ok or not 0 <= float(suvr_range[0]) < float(suvr_range[1]):
        raise SpecificationError(f"{where}: suvr_range must be two finite numbers (low, high) with 0 ≤ low < high; "
                                 f"got {suvr_range!r}.")
    return (float(suvr_range[0]), float(suvr_range[1])), scale


def validate(
    df: TableInput,
    table: str,
    *,
    suvr_range: tuple[float, float] | None = None,
    connectivity_scale: str | None = None,
) -> pd.DataFrame:
    """Validate one table against ``data_schemas/<table>.schema.json`` and return it typed.

    Parameters
    ----------
    df : DataFrame or path
        The table (a CSV/TSV path is read with the same rules as :func:`read_cohort`).
    table : {"participants", "suvr", "connectivity", "questionnaires"}
    suvr_range : (float, float), optional
        Plausible SUVR range; default from the schema (0.2–5).
    connectivity_scale : {"z", "r"}, optional
        ``"r"`` checks connectivity values lie in [−1, 1]; default from a sidecar's ``Units``.

    Returns
    -------
    DataFrame
        Typed copy: factors as categoricals (numeric codes stay numbers), numbers as float, ``subject_id``
        first and as written.

    Raises
    ------
    DataValidationError
        Listing every problem with file, line, column, value and rule.

    Examples
    --------
    >>> import pandas as pd
    >>> q = pd.DataFrame({"subject_id": ["s1", "s2"], "fss": [34, 5]})
    >>> try:
    ...     validate(q, "questionnaires")
    ... except DataValidationError as err:
    ...     print(err)
    1 problem found in the input data:
      - <questionnaires DataFrame> line 2, column fss: 34 is above the maximum 31 (Fibromyalgia Survey Score is 0–31)
    """
    suvr_range, connectivity_scale = check_read_options("validate", suvr_range, connectivity_scale)
    schema = load_schema(table)
    raw = read_raw(df, table, schema.missing_values)
    checked = check_table(raw, table, suvr_range=suvr_range, connectivity_scale=connectivity_scale)
    if checked.problems:
        raise DataValidationError(checked.problems)
    return checked.frame
