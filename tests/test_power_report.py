"""The report's planning section (issue 17): n for 80% power for the S1 difference and Model 1."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from neuroimmune_stats.planning import power_ancova
from neuroimmune_stats.report import ReportContext
from neuroimmune_stats.report.config import StudyConfig
from neuroimmune_stats.report.sections_planning import group_effect_power, planning


@pytest.fixture(scope="module")
def ctx(example):  # type: ignore[no-untyped-def]
    import neuroimmune_stats as nis

    cfg = StudyConfig().quick()
    ctx = ReportContext(example, cfg, "example")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ctx.results["roi"] = nis.group_compare(example, list(cfg.roi_outcomes), group=cfg.group,
                                               covariates=list(cfg.roi_covariates))
        x, m, y = cfg.mediation_variables
        ctx.results["mediation_model1"] = nis.mediate(example, x=x, m=m, y=y, n_boot=200, ci=cfg.mediation_ci,
                                                      seed=cfg.seed)
    return ctx


def test_planning_section_reports_both_sample_sizes(ctx) -> None:  # type: ignore[no-untyped-def]
    sec = planning(ctx)
    kinds = [b.kind for b in sec.blocks]
    assert "figure" in kinds and "note" in kinds
    assert not ctx.skipped
    roi, med = ctx.results["planning_roi"], ctx.results["planning_mediation"]
    assert roi.analysis == "ancova" and roi.power >= 0.8
    assert med.analysis == "mediation" and med.target_reached and med.pilot["n"] == ctx.results["mediation_model1"].n
    assert "not post-hoc" in med.note
    assert any("Replication planning" in m for m in ctx.methods)


def test_group_effect_power_uses_the_partial_effect(ctx) -> None:  # type: ignore[no-untyped-def]
    tab = ctx.results["roi"]
    tab = tab if hasattr(tab, "columns") else tab.tidy()
    row = tab[tab["outcome"] == "suvr_s1"].iloc[0]
    res = group_effect_power(row)
    f = np.sqrt(row["F"] * row["df1"] / row["df2"])
    covs = int(row["n"] - row["df2"] - row["df1"] - 1)
    assert res.n == power_ancova(f, covariates=covs, target=0.8).n
    assert res.settings["covariates"] == covs == 2


def test_planning_section_skips_without_results(example) -> None:  # type: ignore[no-untyped-def]
    ctx = ReportContext(example, StudyConfig().quick(), "example")
    planning(ctx)
    assert len(ctx.skipped) == 2
    assert all(s.section == "Planning a replication" for s in ctx.skipped)
