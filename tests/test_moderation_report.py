"""The report section "Does the pathway differ by subtype?" (report/sections_moderation.py)."""

from __future__ import annotations

import warnings

import numpy as np

from neuroimmune_stats.mediation import mediate
from neuroimmune_stats.report import ReportContext
from neuroimmune_stats.report.config import load_config
from neuroimmune_stats.report.sections_moderation import pathway_by_group


def test_section_models_7_and_14(example) -> None:
    cfg = load_config(seed=3).quick()
    ctx = ReportContext(data=example.copy(), config=cfg, source="example")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sec = pathway_by_group(ctx)
        x, m, y = cfg.mediation_variables
        ref = mediate(example, x, m, y, moderator=cfg.group, moderate=("b",), n_boot=cfg.n_boot, ci=cfg.mediation_ci,
                      seed=cfg.seed)
    assert "subtype" in sec.title
    assert {"moderation_model7", "moderation_model14"} <= set(ctx.results)
    got = ctx.results["moderation_model14"]
    np.testing.assert_array_equal(got.draws, ref.draws)
    assert got.process_model == 14 and ctx.methods and "PROCESS models 7 and 14" in ctx.methods[-1]


def test_section_skipped_without_group(example) -> None:
    cfg = load_config(seed=3)
    ctx = ReportContext(data=example.drop(columns=[cfg.group]), config=cfg, source="example")
    sec = pathway_by_group(ctx)
    assert "moderation_model7" not in ctx.results and ctx.skipped
    assert sec.title.startswith("Does the pathway differ")
