"""The report's missing-data part: Model 1 complete cases beside multiple imputation and FIML."""

from __future__ import annotations

import dataclasses
import warnings

import neuroimmune_stats as nis
from neuroimmune_stats.report import ReportContext
from neuroimmune_stats.report.config import load_config
from neuroimmune_stats.report.html import Section
from neuroimmune_stats.report.sections_missing import add_mediation_missing


def test_side_by_side_section() -> None:
    df = nis.load_example()
    cfg = dataclasses.replace(load_config(seed=1), n_boot=300)
    ctx = ReportContext(data=df, config=cfg, source="example")
    x, m, y = cfg.mediation_variables
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cc = nis.mediate(df, x, m, y, n_boot=300, seed=1)
        sec = Section("mediation", "Mediation")
        add_mediation_missing(ctx, sec, cc, m=5)
    assert not ctx.skipped, ctx.skipped
    res = ctx.results["mediation_imputed"]
    assert res.n == 54 and cc.n == 35
    tables = [b for b in sec.blocks if b.kind == "html"]
    assert tables and "n = 35" in tables[0].caption and "n = 54" in tables[0].caption
    text = " ".join(str(b.content) for b in sec.blocks if b.kind == "p")
    assert "predictive mean matching" in text and "pooled bootstrap" in text
    assert any("imputation" in mth for mth in ctx.methods)
    assert any(b.kind == "figure" for b in sec.blocks)
