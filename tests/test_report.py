"""The one-command report: content, escaping, config, numbers equal to the API, timings.

Exit codes and every problem class of the command line are in tests/test_cli.py; the browser and
print checks in tests/test_report_browser.py.
"""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from neuroimmune_stats.data.example import example_paths
from neuroimmune_stats.report import ReportContext, Skip, build_report, run_report
from neuroimmune_stats.report.config import load_config
from neuroimmune_stats.report.html import Section


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIS_QUICK", "1")


@pytest.fixture(scope="module")
def example_run(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    mp = pytest.MonkeyPatch()
    mp.setenv("NIS_QUICK", "1")
    try:
        run = run_report(output=tmp_path_factory.mktemp("rep") / "report.html", seed=7, progress=False)
    finally:
        mp.undo()
    return run, run.path.read_text(encoding="utf-8")


def test_report_has_the_issue_sections(example_run) -> None:  # type: ignore[no-untyped-def]
    run, html = example_run
    for heading in ("Inputs", "Data summary", "Validation log", "Analyses not run", "Unmatched subjects",
                    "Table 1: participant characteristics", "ROI group models", "Correlations", "Mediation",
                    "Does the pathway differ by subtype?", "Subtype classifier", "Planning a replication",
                    "ROI group models after ComBat harmonisation (sensitivity)", "Methods (as run)"):
        assert f">{heading}<" in html, heading
    assert "seed 7" in html
    assert "<script" not in html.lower()
    assert "http://" not in html and "https://" not in html  # self-contained
    assert run.skipped == [] and run.unused_files == [] and run.unmatched == {} and run.problems == []


def test_titles_say_what_was_run(example_run) -> None:  # type: ignore[no-untyped-def]
    _, html = example_run
    # the classifier: imaging only, the normaliser left out, three models with their meaning
    assert "imaging: regional SUVR (s1, thalamus, ips, pcc, wm_left, wm_right)" in html
    assert "suvr_whole_brain (the normaliser) left out" in html and "connectivity (s1__thalamus" in html
    for model in ("imaging after confound regression", "confounds only", "imaging + confounds"):
        assert f"<th class=\"txt\">{model}</th>" in html or f"<th>{model}</th>" in html
    assert "Confounds only: AUC of the confounds alone" in html
    assert "Besag–Clifford stop at 3 exceedances, at most 49" in html  # NIS_QUICK: 49 permutations
    assert "paindetect" not in html.split('id="classifier"')[1].split("</section>")[0]
    # Figures 4-5: adjusted, with the table's corrected p
    assert "annotated with the table&#39;s r and bonferroni-corrected p" in html


def test_timings_cover_every_section(example_run) -> None:  # type: ignore[no-untyped-def]
    run, _ = example_run
    for step in ("load", "data_summary", "table1", "roi_models", "roi_harmonized", "correlations", "mediation",
                 "moderation", "classifier", "planning", "inputs", "render", "total"):
        assert step in run.timings and step in run.cpu_timings
    parts = [v for k, v in run.timings.items() if k != "total"]
    # the sections run on up to two processes (report.lanes): their wall times overlap, at most twice over
    assert max(parts) <= run.timings["total"] + 1e-6
    assert sum(parts) <= 2 * run.timings["total"] + 1e-6


def test_user_strings_are_escaped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import neuroimmune_stats.report as rep

    monkeypatch.setattr(rep, "SECTION_BUILDERS", rep.SECTION_BUILDERS[:2])
    paths = example_paths()
    part = pd.read_csv(paths["participants"])
    part["<script>alert(1)</script>"] = "x<b>bold</b>"
    part.loc[0, "scanner"] = "<img src=x onerror=alert(2)>"
    part.to_csv(tmp_path / "participants.csv", index=False)
    for t in ("suvr", "connectivity", "questionnaires"):
        shutil.copy(paths[t], tmp_path / f"{t}.csv")
    out = build_report(directory=tmp_path, output=tmp_path / "r.html", progress=False)
    html = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html or "script_alert" in html


def test_sections_not_requested(tmp_path: Path) -> None:
    cfg = tmp_path / "study.toml"
    cfg.write_text('[report]\nsections = ["data_summary"]\n', encoding="utf-8")
    run = run_report(output=tmp_path / "r.html", config=cfg, progress=False)
    html = run.path.read_text(encoding="utf-8")
    assert 'id="data"' in html and 'id="roi"' not in html and run.problems == []
    assert "Sections not requested by the study file ([report] sections): table1, roi_models" in html


def test_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "study.toml"
    cfg.write_text('[study]\nseed = 5\n[mediation]\nn_boot = 999\n[labels]\nsuvr_s1 = "S1 SUVR"\n', encoding="utf-8")
    c = load_config(cfg)
    assert c.seed == 5 and c.label("suvr_s1") == "S1 SUVR" and c.label("fss") == "fss"
    cfg.write_text('[study]\nsede = 5\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown key study\.sede"):
        load_config(cfg)


def test_skip_reasons_name_the_missing_table_or_column() -> None:
    import neuroimmune_stats as nis

    df = nis.load_example().drop(columns=["conn_s1__thalamus", "conn_s1__pcc", "conn_thalamus__pcc", "bmi"])
    ctx = ReportContext(data=df, config=load_config(None), source="test")
    sec = Section("x", "X")
    assert not ctx.require(sec, "follow-up", "conn_s1__thalamus", "fss")
    assert not ctx.require(sec, "sensitivity", "bmi")
    assert ctx.skipped == [
        Skip("X", "follow-up", "no connectivity table was given (needed for conn_s1__thalamus)", "missing table"),
        Skip("X", "sensitivity", "the participants table (the data frame) has no column bmi", "missing column"),
    ]
    one = df[df["protocol"].astype(str) == "1"]
    ctx1 = ReportContext(data=one, config=load_config(None), source="test")
    assert ctx1.usable_covariates(sec, ["protocol", "tspo_genotype"], "ROI", ["suvr_s1"]) == ["tspo_genotype"]
    assert "not adjusted for protocol: it has a single value (1)" in sec.blocks[-1].content
    assert ctx.attempt(sec, "boom", lambda: 1 / 0) is None and ctx.skipped[-1].kind == "unexpected error"


def test_report_numbers_equal_the_api() -> None:
    """The report shows exactly what the Python API gives for the same seed and resample counts."""
    import warnings

    import neuroimmune_stats as nis
    from neuroimmune_stats.report.sections_analyses import mediation, roi_models

    df = nis.load_example()
    cfg = replace(load_config(None, seed=11), n_boot=300, bayes_draws=200)
    ctx = ReportContext(data=df, config=cfg, source="test")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        roi_sec = roi_models(ctx)
        mediation(ctx)
        api_roi = nis.group_compare(df, ["suvr_s1", "suvr_thalamus"], covariates=["protocol", "tspo_genotype"])
        api_grid = nis.mediation_grid(df, ["suvr_s1", "fss", "conn_s1__thalamus"], n_boot=300, seed=11)
    api = api_roi if isinstance(api_roi, pd.DataFrame) else api_roi.tidy()
    pd.testing.assert_frame_equal(ctx.results["roi"].tidy(), api)
    pd.testing.assert_frame_equal(ctx.results["mediation_grid"].tidy(), api_grid.tidy())
    html = "".join(str(b.content) for b in roi_sec.blocks if b.kind == "html")
    assert f"{api['F'].iloc[0]:.3f}" in html


def test_report_tables_print_df_and_counts_as_integers() -> None:
    from neuroimmune_stats.report.html import frame_html

    t = pd.DataFrame({"F": [5.4712], "df1": [1.0], "df2": [50.0], "df": [48.27], "n": [54.0], "estimate": [1.0]})
    html = frame_html(t)
    assert "<td>1</td><td>50</td><td>48.3</td><td>54</td>" in html
    assert "<td>5.471</td>" in html and "<td>1.000</td>" in html  # other numbers keep their digits
