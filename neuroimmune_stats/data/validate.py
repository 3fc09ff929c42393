"""Validate one table against its schema, collecting **every** problem before raising."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, Problem
from .io import RawTable, TableInput, normalise_name, read_raw, split_long
from .schema import FieldSpec, TableSchema, load_schema


@dataclass
class ValidatedTable:
    """A typed table (``subject_id`` column first), its source and the notes kept for the log."""

    table: str
    frame: pd.DataFrame
    source: str
    lines: dict[str, int]
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    units: dict[str, str] = field(default_factory=dict)


def _fmt(v: Any) -> str:
    try:
        float(str(v).replace(",", "."))
        return str(v)
    except ValueError:
        return f'"{v}"'


def _canonical_id(v: str) -> str:
    return v[4:] if v.lower().startswith("sub-") else v


def _to_number(v: str, decimal_comma: bool) -> float:
    s = v.replace(",", ".") if decimal_comma and re.fullmatch(r"-?\d+,\d+", v) else v
    return float(s)


def _rename(raw: RawTable, schema: TableSchema, problems: list[Problem]) -> None:
    names = [normalise_name(c) for c in raw.frame.columns]
    lookup = {a.lower(): f.name for f in schema.fields for a in (f.name, *f.aliases)}
    out: list[str] = []
    for orig, n in zip(raw.frame.columns, names, strict=True):
        target = lookup.get(n, n)
        if target != str(orig):
            raw.renamed[str(orig)] = target
        if target in out:
            problems.append(Problem(raw.source, 1, target, "", f"column {target!r} appears twice "
                                    "in the header (after ignoring case, spaces and known aliases)"))
        out.append(target)
    raw.frame.columns = out
    for orig, new in raw.renamed.items():
        if normalise_name(orig) != new:
            raw.notes.append(f"{raw.source}: column {orig!r} read as {new!r}")


def _pivot_long(raw: RawTable, schema: TableSchema, problems: list[Problem]) -> None:
    ll = schema.long_layout or {}
    keys = ll["key"] if isinstance(ll["key"], list) else [ll["key"]]
    joiner = ll.get("joiner", "__")
    f = raw.frame
    name = f[keys[0]].astype(str) if len(keys) == 1 else f[keys].astype(str).agg(joiner.join, axis=1)
    name = name.map(normalise_name)
    ids = f["subject_id"].astype(str)
    dup = pd.DataFrame({"id": ids, "name": name}).duplicated(keep="first")
    for i in np.flatnonzero(dup.to_numpy()):
        problems.append(Problem(raw.source, int(raw.lines[i]), " / ".join(keys), f"{ids.iloc[i]} {name.iloc[i]}",
                                "appears twice for the same subject in the long layout"))
    first_line = pd.Series(raw.lines, index=f.index).groupby(ids.to_numpy(), sort=False).min()
    wide = pd.DataFrame({"id": ids, "name": name, "value": f[ll["value"]]}).loc[~dup.to_numpy()]
    wide = wide.pivot(index="id", columns="name", values="value").reindex(first_line.index)
    wide.columns = [str(c) for c in wide.columns]
    wide.insert(0, "subject_id", wide.index.astype(str))
    raw.frame = wide.reset_index(drop=True).astype(object)
    raw.lines = first_line.to_numpy()
    raw.notes.append(f"{raw.source}: long layout pivoted to one row per subject ({wide.shape[1] - 1} columns)")


def _check_id(raw: RawTable, problems: list[Problem]) -> pd.Series:
    ids = raw.frame["subject_id"]
    seen: dict[str, int] = {}
    out: list[object] = []
    for v, line in zip(ids.tolist(), raw.lines.tolist(), strict=True):
        if not isinstance(v, str) or v == "":
            problems.append(Problem(raw.source, line, "subject_id", "", "is empty; every row needs a subject ID"))
            out.append(np.nan)
            continue
        cid = _canonical_id(v)
        if cid in seen:
            problems.append(Problem(raw.source, line, "subject_id", v,
                                    f"is a duplicate subject ID (also on line {seen[cid]}); each subject "
                                    "must appear once"))
        else:
            seen[cid] = line
        out.append(cid)
    return pd.Series(out, index=ids.index, dtype=object)


def _check_enum(raw: RawTable, spec: FieldSpec, col: pd.Series, problems: list[Problem]) -> pd.Series:
    enum = spec.enum or ()
    lookup = {e.casefold(): e for e in enum}
    lookup.update({k.casefold(): v for k, v in spec.value_aliases.items()})
    out: list[object] = []
    for v, line in zip(col.tolist(), raw.lines.tolist(), strict=True):
        if not isinstance(v, str):
            if spec.required and not spec.missing_allowed:
                problems.append(Problem(raw.source, line, spec.name, "",
                                        f"is empty; {spec.title} is required ({', '.join(enum)})"))
            out.append(np.nan)
            continue
        hit = lookup.get(re.sub(r"\s+", " ", v).casefold()) or lookup.get(v.replace(" ", "").casefold())
        if hit is None:
            problems.append(Problem(raw.source, line, spec.name, _fmt(v),
                                    f"is not a known {spec.title.lower()}; use one of {', '.join(enum)}"))
            out.append(np.nan)
        else:
            out.append(hit)
    return pd.Categorical(out, categories=list(enum))  # type: ignore[return-value]


def _check_number(raw: RawTable, spec: FieldSpec, col: pd.Series, problems: list[Problem],
                  plausible: tuple[float, float] | None = None) -> np.ndarray:
    out = np.full(len(col), np.nan)
    unit = f" {spec.unit}" if spec.unit and spec.unit not in ("ratio", "z") else ""
    rng = f"{spec.minimum:g}–{spec.maximum:g}" if spec.minimum is not None and spec.maximum is not None else ""
    what = f"{spec.title} is {rng}{unit}" if rng else spec.title
    for i, (v, line) in enumerate(zip(col.tolist(), raw.lines.tolist(), strict=True)):
        if not isinstance(v, str):
            if spec.required:
                problems.append(Problem(raw.source, line, spec.name, "", f"is empty; {spec.title} is required"))
            continue
        try:
            x = _to_number(v, raw.decimal_comma)
        except ValueError:
            problems.append(Problem(raw.source, line, spec.name, _fmt(v),
                                    f"is not a number ({spec.title} must be numeric{',' + unit if unit else ''})"))
            continue
        if not math.isfinite(x):
            problems.append(Problem(raw.source, line, spec.name, v, "is not a finite number"))
            continue
        if spec.type == "integer" and x != round(x):
            problems.append(Problem(raw.source, line, spec.name, v,
                                    f"is not a whole number ({spec.title} must be a whole number)"))
            continue
        if spec.minimum is not None and x < spec.minimum:
            problems.append(Problem(raw.source, line, spec.name, v,
                                    f"is below the minimum {spec.minimum:g} ({what})"))
            continue
        if spec.maximum is not None and x > spec.maximum:
            problems.append(Problem(raw.source, line, spec.name, v,
                                    f"is above the maximum {spec.maximum:g} ({what})"))
            continue
        if spec.exclusive_minimum is not None and x <= spec.exclusive_minimum:
            problems.append(Problem(raw.source, line, spec.name, v,
                                    f"must be greater than {spec.exclusive_minimum:g} ({spec.title})"))
            continue
        if plausible is not None and not plausible[0] <= x <= plausible[1]:
            problems.append(Problem(raw.source, line, spec.name, v,
                                    f"is outside the plausible range {plausible[0]:g}–{plausible[1]:g} "
                                    f"({spec.title}); check the export, or widen the range if it is real"))
            continue
        out[i] = x
    return out


def _factor(values: pd.Series) -> pd.Categorical:
    s = values.where(values.notna(), None)
    levels = sorted({str(v) for v in s.dropna()}, key=lambda v: (0, float(v), v) if re.fullmatch(
        r"-?\d+(\.\d+)?", v) else (1, 0.0, v))
    return pd.Categorical([None if v is None else str(v) for v in s], categories=levels)


def _apply_rules(raw: RawTable, schema: TableSchema, out: dict[str, Any], problems: list[Problem],
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
            problems.append(Problem(raw.source, int(raw.lines[i]), target, f"{tgt[i]:g}",
                                    f"is not {' + '.join(t.upper() for t in terms)} = {parts} = {total[i]:g} "
                                    f"({rule['description']})"))
        fill = np.isfinite(total) & ~np.isfinite(tgt)
        if fill.any():
            tgt = tgt.copy()
            tgt[fill] = total[fill]
            out[target] = tgt
            notes.append(f"{raw.source}: {target} derived as {' + '.join(terms)} for {int(fill.sum())} row(s)")


def check_table(raw: RawTable, table: str, *, suvr_range: tuple[float, float] | None = None,
                connectivity_scale: str | None = None) -> ValidatedTable:
    """Type and check ``raw`` against the schema of ``table``; problems are collected."""
    schema = load_schema(table)
    problems = list(raw.problems)
    notes = list(raw.notes)
    if problems or raw.frame.shape[1] == 0:
        return ValidatedTable(table, pd.DataFrame(), raw.source, {}, notes, problems)
    _rename(raw, schema, problems)
    notes = list(raw.notes)
    if raw.frame.columns.duplicated().any():
        return ValidatedTable(table, pd.DataFrame(), raw.source, {}, notes, problems)
    if split_long(raw, schema.long_layout):
        _pivot_long(raw, schema, problems)
        notes = list(raw.notes)
    if len(raw.frame) == 0:
        problems.append(Problem(raw.source, None, None, "", "has a header but no data rows"))
        return ValidatedTable(table, pd.DataFrame(), raw.source, {}, notes, problems)
    missing = [c for c in schema.required if c not in raw.frame.columns]
    for c in missing:
        spec = schema.field(c)
        found = ", ".join(map(str, raw.frame.columns[:12]))
        problems.append(Problem(raw.source, 1, c, "", f"required column is missing ({spec.title if spec else c}); "
                                f"columns found: {found}"))
    if "subject_id" not in raw.frame.columns:
        return ValidatedTable(table, pd.DataFrame(), raw.source, {}, notes, problems)
    out: dict[str, Any] = {"subject_id": _check_id(raw, problems)}
    units: dict[str, str] = {}
    for col in raw.frame.columns:
        if col == "subject_id":
            continue
        side = raw.sidecar.get(col, {}) if isinstance(raw.sidecar.get(col), dict) else {}
        values = raw.frame[col]
        if side.get("Levels") and isinstance(side["Levels"], dict):
            values = values.map(lambda v, lv=side["Levels"]: lv.get(v, v) if isinstance(v, str) else v)
        spec = schema.field(col)
        if spec is None and schema.variable is not None:
            spec = schema.variable
            if not re.fullmatch(schema.variable_pattern or ".*", col):
                problems.append(Problem(raw.source, 1, col, "", f"is not a valid {schema.title.lower()} column "
                                        f"name (expected lower-case names matching {schema.variable_pattern})"))
                continue
            spec = FieldSpec(**{**spec.__dict__, "name": col, "title": f"{col} {schema.variable.title}"})
        if spec is None:
            if schema.extra_columns == "numeric":
                spec = FieldSpec(name=col, type="number", title=col, description=f"{col} must be numeric")
            else:
                out[col] = values
                continue
        unit = side.get("Units") if isinstance(side.get("Units"), str) else None
        if unit:
            units[col] = unit
        if spec.enum:
            out[col] = _check_enum(raw, spec, values, problems)
        elif spec.is_numeric:
            plausible = spec.plausible
            if table == "suvr" and suvr_range is not None:
                plausible = suvr_range
            scale = connectivity_scale or (unit if table == "connectivity" else None)
            if table == "connectivity" and scale == "r" and spec.range_when_r:
                spec = FieldSpec(**{**spec.__dict__, "minimum": spec.range_when_r[0],
                                    "maximum": spec.range_when_r[1],
                                    "title": "Connectivity declared as r"})
            out[col] = _check_number(raw, spec, values, problems, plausible)
        elif spec.factor:
            out[col] = _factor(values)
        else:
            out[col] = values
    _apply_rules(raw, schema, out, problems, notes)
    frame = pd.DataFrame(out)
    lines = {str(i): int(line) for i, line in zip(frame["subject_id"], raw.lines, strict=True)}
    return ValidatedTable(table, frame, raw.source, lines, notes, problems, units)


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
        Typed copy: factors as categoricals, numbers as float, ``subject_id`` first.

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
    schema = load_schema(table)
    raw = read_raw(df, table, schema.missing_values)
    checked = check_table(raw, table, suvr_range=suvr_range, connectivity_scale=connectivity_scale)
    if checked.problems:
        raise DataValidationError(checked.problems)
    return checked.frame
