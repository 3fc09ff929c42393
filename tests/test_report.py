"""The one-command report: CLI, exit codes, escaping, content."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from neuroimmune_stats.cli import main
from neuroimmune_stats.data.example import example_paths
from neuroimmune_stats.report.config import load_config


@pytest.fixture(scope="module")
def example_report(tmp_path_factory) -> str:
    out = tmp_path_factory.mktemp("rep") / "report.html"
    assert main(["report", "-o", str(out), "--quiet", "--seed", "7"]) == 0
    return out.read_text(encoding="utf-8")


def test_report_has_the_issue_sections(example_report: str) -> None:
    for heading in ("Inputs", "Data summary", "Validation log", "Analyses not run", "Unmatched subjects",
                    "Table 1", "Methods (as run)"):
        assert heading in example_report
    assert "seed 7" in example_report
    assert "<script" not in example_report.lower()
    assert "http://" not in example_report and "https://" not in example_report  # self-contained


def test_cli_bad_input_exit_code_2(tmp_path: Path, capsys) -> None:
    for p in example_paths().values():
        shutil.copy(p, tmp_path / p.name)
    q = tmp_path / "questionnaires.csv"
    lines = q.read_text().splitlines()
    lines[1] = lines[1].rsplit(",", 1)[0] + ",34"
    q.write_text("\n".join(lines) + "\n")
    code = main(["report", str(tmp_path), "-o", str(tmp_path / "r.html"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2
    assert "questionnaires.csv line 2, column fss" in err and "Traceback" not in err


def test_cli_as_a_process_bad_input(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "neuroimmune_stats.cli", "report", str(tmp_path)],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no participants table" in proc.stderr and "Traceback" not in proc.stderr


def test_user_strings_are_escaped(tmp_path: Path) -> None:
    paths = example_paths()
    part = pd.read_csv(paths["participants"])
    part["<script>alert(1)</script>"] = "x<b>bold</b>"
    part.loc[0, "scanner"] = "<img src=x onerror=alert(2)>"
    part.to_csv(tmp_path / "participants.csv", index=False)
    for t in ("suvr", "connectivity", "questionnaires"):
        shutil.copy(paths[t], tmp_path / f"{t}.csv")
    out = tmp_path / "r.html"
    assert main(["report", str(tmp_path), "-o", str(out), "--quiet"]) == 0
    html = out.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;" in html or "script_alert" in html


def test_config_file(tmp_path: Path) -> None:
    cfg = tmp_path / "study.toml"
    cfg.write_text('[study]\nseed = 5\n[mediation]\nn_boot = 999\n', encoding="utf-8")
    c = load_config(cfg)
    assert c.seed == 5 and c.n_boot == 999
    cfg.write_text('[study]\nsede = 5\n', encoding="utf-8")
    with pytest.raises(ValueError, match=r"unknown key study\.sede"):
        load_config(cfg)
    assert main(["report", "--config", str(cfg), "-o", str(tmp_path / "r.html"), "--quiet"]) == 2


def test_report_numbers_equal_the_api(tmp_path: Path) -> None:
    """The report shows exactly what the Python API gives for the same seed and resample counts."""
    import warnings

    import neuroimmune_stats as nis
    from neuroimmune_stats.report import ReportContext
    from neuroimmune_stats.report.sections_analyses import mediation, roi_models

    df = nis.load_example()
    cfg = load_config(None, seed=11)
    from dataclasses import replace

    cfg = replace(cfg, n_boot=300, bayes_draws=200)
    ctx = ReportContext(data=df, config=cfg, source="test")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        roi_sec = roi_models(ctx)
        mediation(ctx)
        api_roi = nis.group_compare(df, ["suvr_s1", "suvr_thalamus"], covariates=["protocol", "tspo_genotype"])
        api_grid = nis.mediation_grid(df, ["suvr_s1", "fss", "conn_s1__thalamus"], n_boot=300, seed=11)
    pd.testing.assert_frame_equal(ctx.results["roi"].tidy(), api_roi.tidy())
    pd.testing.assert_frame_equal(ctx.results["mediation_grid"].tidy(), api_grid.tidy())
    html = "".join(str(b.content) for b in roi_sec.blocks if b.kind == "html")
    assert f"{api_roi['F'].iloc[0]:.3f}" in html
