"""Report sections of the data layer: data summary, validation log, Table 1."""

from __future__ import annotations

import pandas as pd

from ..data import edges, merge_record, questionnaires, regions
from .html import Section


def data_summary(ctx) -> Section:  # type: ignore[no-untyped-def]
    """Who is in the data: source, counts per group and protocol, variables by role."""
    df = ctx.data
    sec = Section("data", "Data summary")
    sec.p(f"Source: {ctx.source}. {len(df)} subjects, {df.shape[1]} columns.")
    group = ctx.config.group
    if group in df.columns:
        by = [group] + (["protocol"] if "protocol" in df.columns else [])
        counts = df.groupby(by, observed=True, dropna=False).size().rename("n").reset_index()
        sec.table(counts.astype({c: str for c in by}), caption="Subjects per group and protocol")
    known = {"subject_id", *regions(df), *edges(df), *questionnaires(df)}
    roles = pd.DataFrame({
        "role": ["SUVR regions", "connectivity edges", "questionnaires", "participant columns"],
        "columns": [", ".join(regions(df)) or "none", ", ".join(edges(df)) or "none",
                    ", ".join(questionnaires(df)) or "none",
                    ", ".join(str(c) for c in df.columns if c not in known) or "none"],
    })
    sec.table(roles, caption="Variables by role")
    avail = pd.DataFrame({"variable": [c for c in df.columns if c != "subject_id"]})
    avail["n_available"] = [int(df[c].notna().sum()) for c in avail["variable"]]
    avail = avail[avail["n_available"] < len(df)]
    if len(avail):
        sec.table(avail, caption="Variables with missing values (each analysis uses its complete cases)")
    ctx.methods.append(f"Data: {ctx.source}; {len(df)} subjects after merging.")
    return sec


def validation_log(ctx) -> Section:  # type: ignore[no-untyped-def]
    """What validation and merging noticed (accepted variants, derived values, subjects left out)."""
    rec = merge_record(ctx.data)
    sec = Section("validation", "Validation log")
    notes = list(rec.get("validation_log", []))
    lines = notes + list(ctx.load_warnings)
    if rec:
        sec.p(f"All tables passed the schemas in data_schemas/ (merge rule: how={rec.get('how')!r}).")
        tables = pd.DataFrame([{"table": t, "file": v["source"], "rows": v["n_rows"]}
                               for t, v in rec.get("tables", {}).items()])
        sec.table(tables, caption="Tables read")
        for table, ids in rec.get("missing_from", {}).items():
            if ids:
                lines.append(f"missing from {table}: {', '.join(ids)}")
        if rec.get("lab_excluded_from_pet"):
            lines.append("LAB excluded from PET: " + ", ".join(rec["lab_excluded_from_pet"]))
    if lines:
        sec.pre("\n".join(dict.fromkeys(lines)))
    else:
        sec.p("Nothing to report: every subject is in every table and no value needed interpretation.")
    return sec


def table1(ctx) -> Section | None:  # type: ignore[no-untyped-def]
    """The paper's Table 1 by subtype, with protocol strata when present."""
    from ..table1 import table_one

    df = ctx.data
    if ctx.config.group not in df.columns:
        return None
    strata = "protocol" if "protocol" in df.columns else None
    t1 = table_one(df, by=ctx.config.group, strata=strata)
    ctx.results["table_one"] = t1
    sec = Section("table1", "Table 1: participant characteristics")
    sec.raw_html(t1.to_html())
    ctx.methods.append(
        "Group differences in participant characteristics were tested with Student's t-tests and "
        "Pearson's χ² tests without continuity correction."
    )
    return sec
