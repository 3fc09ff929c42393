"""Report sections of the data layer: data summary and Table 1 (the validation log is in the Inputs section)."""

from __future__ import annotations

import pandas as pd

from ..data import edges, questionnaires, regions
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


def table1(ctx) -> Section:  # type: ignore[no-untyped-def]
    """The paper's Table 1 by subtype, with protocol strata when present."""
    from ..table1 import table_one

    df = ctx.data
    group = ctx.config.group
    sec = Section("table1", "Table 1: participant characteristics")
    if not ctx.require(sec, "Table 1", group):
        return sec
    strata = "protocol" if "protocol" in df.columns and df["protocol"].nunique() > 1 else None
    t1 = ctx.attempt(sec, "Table 1", table_one, df, by=group, strata=strata)
    if t1 is None:
        return sec
    ctx.results["table_one"] = t1
    sec.raw_html(t1.to_html())
    if strata is None and "protocol" in df.columns:
        sec.note("Not stratified by protocol: every subject has the same protocol.")
    ctx.methods.append(
        "Group differences in participant characteristics were tested with Student's t-tests and "
        "Pearson's χ² tests without continuity correction."
    )
    return sec
