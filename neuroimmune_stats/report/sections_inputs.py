"""The Inputs section, first in the report: every file found (used for which table, rows, subjects, or
unused and why), every analysis skipped with its reason, the validation log, and the subjects that did
not match across tables (IDs as the files wrote them)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..data import merge_record
from .html import Section


def _files_table(ctx: Any) -> pd.DataFrame:
    rec = merge_record(ctx.data).get("tables", {})
    rows = []
    if ctx.inputs is not None:
        for f in ctx.inputs.files:
            r = rec.get(f.role, {}) if f.role and f.path == ctx.inputs.tables.get(f.role) else {}
            rows.append({"file": f.path.name, "used as": f"{f.role} table" if f.role else "unused",
                         "rows": f.rows if f.rows is not None else r.get("n_rows", ""),
                         "subjects": f.subjects if f.subjects is not None else "", "why": f.reason})
    else:
        for t, v in rec.items():
            rows.append({"file": str(v.get("source", t)), "used as": f"{t} table", "rows": v.get("n_rows", ""),
                         "subjects": "", "why": "given explicitly"})
    return pd.DataFrame(rows, columns=["file", "used as", "rows", "subjects", "why"]).astype(str)


def inputs(ctx: Any) -> Section:
    """Build the Inputs section (after every other section ran, so that it can list their skips)."""
    df = ctx.data
    sec = Section("inputs", "Inputs")
    rec = merge_record(df)
    sec.p(f"Source: {ctx.source}. {len(df)} subjects after merging"
          + (f" (merge rule how={rec.get('how')!r})." if rec.get("how") else "."))
    files = _files_table(ctx)
    if len(files):
        sec.table(files, caption="Every file found and what was done with it")
    unused = list(ctx.inputs.unused) if ctx.inputs is not None else []
    if unused:
        sec.note(f"{len(unused)} file(s) not used: " + "; ".join(f"{f.path.name} ({f.reason})" for f in unused)
                 + ". Rename a file or pass it explicitly (--suvr FILE, ...) to use it.")
    absent = [t for t in ("participants", "suvr", "connectivity", "questionnaires") if t not in ctx.tables]
    if absent:
        sec.note("No table given for: " + ", ".join(absent) + "; the analyses that need them are skipped below.")

    sec.subhead("Analyses not run")
    if ctx.skipped:
        sec.table(pd.DataFrame([{"section": s.section, "analysis": s.analysis, "reason": s.reason, "kind": s.kind}
                                for s in ctx.skipped]),
                  caption="Each skipped analysis with its reason")
    else:
        sec.p("Every analysis of the report ran.")
    if ctx.not_requested:
        sec.p("Sections not requested by the study file ([report] sections): " + ", ".join(ctx.not_requested) + ".")

    sec.subhead("Validation log")
    notes = list(df.attrs.get("validation_log", rec.get("validation_log", [])))
    lines = list(dict.fromkeys([*map(str, notes), *ctx.load_warnings]))
    if rec.get("lab_excluded_from_pet"):
        lines.append("LAB excluded from PET: " + ", ".join(map(str, rec["lab_excluded_from_pet"])))
    if lines:
        sec.pre("\n".join(dict.fromkeys(lines)))
    else:
        sec.p("Nothing to report: every subject is in every table and no value needed interpretation.")

    sec.subhead("Unmatched subjects")
    unmatched = {str(k): [str(i) for i in v] for k, v in df.attrs.get("unmatched_ids", {}).items() if v}
    if unmatched:
        rows = []
        for table, ids in unmatched.items():
            what = ("in participants but missing from another table" if table == "participants"
                    else "in this table but not in participants")
            rows.append({"table": table, "subjects": len(ids), "which": what, "IDs as written": ", ".join(ids)})
        sec.table(pd.DataFrame(rows), caption="Subjects that did not match across tables (IDs as the files wrote them)")
    else:
        sec.p("Every subject matched across the tables given.")
    return sec
