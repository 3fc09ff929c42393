"""The console command: exit codes 0/2 for every class of problem, --strict, never a traceback.

Each case runs ``neuroimmune_stats.cli.main`` in-process (stderr captured) on a copy of the bundled
exports changed in one way; resample counts are small (``NIS_QUICK=1`` plus a study file).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from neuroimmune_stats.cli import main
from neuroimmune_stats.data.example import example_paths

QUICK = "[classifier]\nn_permutations = 19\nn_repeats = 1\n[mediation]\nn_boot = 200\nbayes_draws = 100\n"


@pytest.fixture(autouse=True)
def _quick(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NIS_QUICK", "1")


def only(monkeypatch: pytest.MonkeyPatch, *names: str) -> None:
    """Run only the named report sections (the others are not part of the case being tested)."""
    import neuroimmune_stats.report as rep

    monkeypatch.setattr(rep, "SECTION_BUILDERS", tuple(s for s in rep.SECTION_BUILDERS
                                                       if s.rsplit(":", 1)[-1] in names))


def exports(tmp_path: Path, drop: tuple[str, ...] = (),
            change: dict[str, Callable[[pd.DataFrame], pd.DataFrame]] | None = None) -> Path:
    """A copy of the example exports in ``tmp_path/exports``, minus ``drop``, with ``change`` applied."""
    d = tmp_path / "exports"
    d.mkdir(exist_ok=True)
    for table, p in example_paths().items():
        if table in drop:
            continue
        if change and table in change:
            change[table](pd.read_csv(p, dtype=str, keep_default_na=False)).to_csv(d / p.name, index=False)
        else:
            shutil.copy(p, d / p.name)
    return d


def study(tmp_path: Path, extra: str = "") -> Path:
    p = tmp_path / "study.toml"
    p.write_text(QUICK + extra, encoding="utf-8")
    return p


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["report", *argv])
    out = capsys.readouterr()
    assert "Traceback" not in out.err and "Traceback" not in out.out
    return code, out.out, out.err


def report_args(tmp_path: Path, d: Path | None, *more: str) -> list[str]:
    args = [str(d)] if d is not None else []
    return [*args, "-o", str(tmp_path / "r.html"), "--config", str(study(tmp_path)), *more]


# ----------------------------------------------------------------------------- clean runs
def test_example_exit_0_and_strict_passes(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # every section on the example: tests/test_report.py (run.problems == []); here the command's side
    only(monkeypatch, "data_summary", "table1", "roi_models")
    code, out, err = run(capsys, *report_args(tmp_path, exports(tmp_path), "--strict", "--verbose"))
    assert code == 0, err
    assert "Report written to" in out
    assert "time per step (s, wall/CPU):" in err and "roi_models" in err and "render" in err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert html.index('id="inputs"') < html.index('id="data"')  # Inputs comes first
    assert "Every analysis of the report ran." in html


# ----------------------------------------------------------------------------- --strict cases
def test_unused_file_named_and_strict_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "data_summary")
    d = exports(tmp_path)
    (d / "notes.csv").write_text("comment,author\nre-scan planned,AB\n", encoding="utf-8")
    code, _, err = run(capsys, *report_args(tmp_path, d))
    assert code == 0 and "unused file: notes.csv" in err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "notes.csv" in html and "unused" in html
    code, _, err = run(capsys, *report_args(tmp_path, d, "--strict"))
    assert code == 2 and "--strict" in err and "notes.csv" in err


def test_missing_connectivity_names_every_skip(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "correlations", "mediation", "classifier")
    d = exports(tmp_path, drop=("connectivity",))
    code, _, err = run(capsys, *report_args(tmp_path, d))
    assert code == 0
    assert "follow-up correlation conn_s1__thalamus–suvr_s1" in err
    assert "no connectivity table was given" in err and "[missing table]" in err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Skipped follow-up correlation" in html
    assert "Skipped mediation models" in html
    # the classifier's title says what it used: regional SUVR, no connectivity
    assert "imaging: regional SUVR (s1, thalamus" in html and "connectivity (" not in html
    assert "suvr_whole_brain (the normaliser) left out" in html
    assert run(capsys, *report_args(tmp_path, d, "--strict"))[0] == 2


def test_unmatched_subject_quoted_as_written(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "data_summary")

    def extra(q: pd.DataFrame) -> pd.DataFrame:
        row = q.iloc[[0]].copy()
        row["subject_id"] = "sub-999"
        return pd.concat([q, row], ignore_index=True)

    d = exports(tmp_path, change={"questionnaires": extra})
    code, _, err = run(capsys, *report_args(tmp_path, d))
    assert code == 0 and "sub-999" in err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "sub-999" in html
    code, _, err = run(capsys, *report_args(tmp_path, d, "--strict"))
    assert code == 2 and "unmatched subjects in questionnaires: sub-999" in err


# ----------------------------------------------------------------------------- sections that cannot run
def test_single_protocol_site(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                              monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "table1", "roi_models", "roi_harmonized")
    keep: set[str] = set()

    def one_protocol(p: pd.DataFrame) -> pd.DataFrame:
        out = p[p["protocol"] == "2"]
        keep.update(out["subject_id"])
        return out

    def subset(t: pd.DataFrame) -> pd.DataFrame:
        return t[t["subject_id"].isin(keep)]

    d = exports(tmp_path, change={"participants": one_protocol, "suvr": subset, "connectivity": subset,
                                  "questionnaires": subset})
    code, _, err = run(capsys, *report_args(tmp_path, d))
    assert code == 0, err
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "not adjusted for protocol: it has a single value" in html
    assert 'id="roi"' in html and "radicular - axial" in html
    assert "Skipped ComBat harmonisation: a single protocol: there is nothing to harmonise" in html


def test_tiny_group_skips_and_names(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "table1", "classifier")
    keep: set[str] = set()

    def tiny(p: pd.DataFrame) -> pd.DataFrame:
        rad = p[p["subtype"] == "radicular"].head(3)
        out = pd.concat([p[p["subtype"] == "axial"], rad])
        keep.update(out["subject_id"])
        return out

    def subset(t: pd.DataFrame) -> pd.DataFrame:
        return t[t["subject_id"].isin(keep)]

    d = exports(tmp_path, change={"participants": tiny, "suvr": subset, "connectivity": subset,
                                  "questionnaires": subset})
    code, _, err = run(capsys, *report_args(tmp_path, d))
    assert code == 0, err
    assert "skipped: Subtype classifier" in err and "[too few subjects]" in err
    assert run(capsys, *report_args(tmp_path, d, "--strict"))[0] == 2


def test_failing_section_is_skipped_not_fatal(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    import neuroimmune_stats.report.sections_analyses as sa

    def boom(ctx: object) -> None:
        raise RuntimeError("simulated bug")

    monkeypatch.setattr(sa, "mediation", boom)
    only(monkeypatch, "data_summary", "mediation")
    code, _, err = run(capsys, *report_args(tmp_path, exports(tmp_path)))
    assert code == 0
    assert "Mediation — this section: RuntimeError: simulated bug" in err and "[unexpected error]" in err


def test_internal_error_exit_2_without_traceback(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import neuroimmune_stats.report as rep

    def boom(**kw: object) -> None:
        raise ZeroDivisionError("simulated")

    monkeypatch.setattr(rep, "run_report", boom)
    code, _, err = run(capsys, "-o", str(tmp_path / "r.html"))
    assert code == 2 and "ZeroDivisionError: simulated" in err


# ----------------------------------------------------------------------------- study file
@pytest.mark.parametrize(("text", "message"), [
    ('[study]\nseed = "abc"\n', "study.seed"),
    ("[mediation]\nn_boot = -5\n", "mediation.n_boot"),
    ('[rois]\noutcomes = "suvr_s1"\ncorrection = "bonferoni"\n', "rois.correction"),
    ("[correlations]\npairs = [[\"suvr_s1\"]]\n", "correlations.pairs[0]"),
    ('[mediation]\nvariables = ["a", "b"]\n', "mediation.variables"),
    ('[study]\ngroup = "protocol"\n', "also listed in rois.covariates"),
    ("[data]\nsuvr_range = [0.2]\n", "data.suvr_range"),
    ('[data]\nconnectivity_scale = "R2"\n', "data.connectivity_scale"),
    ("[classifier]\nfeature_sets = 3\n", "classifier.feature_sets"),
    ("study = 3\n", "[study] must be a table"),
    ('[report]\nsections = ["table_one"]\n', "report.sections names unknown section(s) ['table_one']"),
    ("[study\n", "not valid TOML"),
])
def test_bad_study_file_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str) -> None:
    cfg = tmp_path / "study.toml"
    cfg.write_text(text, encoding="utf-8")
    code, _, err = run(capsys, "-o", str(tmp_path / "r.html"), "--config", str(cfg))
    assert code == 2 and message in err, err
    assert not (tmp_path / "r.html").exists()


def test_study_file_wrong_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = tmp_path / "study.toml"
    cfg.write_bytes('[study]\ntitle = "Étude"\n'.encode("utf-16"))
    code, _, err = run(capsys, "-o", str(tmp_path / "r.html"), "--config", str(cfg))
    assert code == 2 and "not UTF-8" in err
    cfg.write_bytes('[study]\ntitle = "Étude"\n'.encode("latin-1"))
    code, _, err = run(capsys, "-o", str(tmp_path / "r.html"), "--config", str(cfg))
    assert code == 2 and "not UTF-8" in err
    cfg.write_bytes(b"\xef\xbb\xbf" + '[study]\ntitle = "Étude"\n'.encode())  # BOM is fine
    from neuroimmune_stats.report.config import load_config

    assert load_config(cfg).title == "Étude"


def test_bad_data_names_file_line_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def bad(q: pd.DataFrame) -> pd.DataFrame:
        q.loc[0, "fss"] = "34"
        return q

    code, _, err = run(capsys, *report_args(tmp_path, exports(tmp_path, change={"questionnaires": bad})))
    assert code == 2 and "questionnaires.csv line 2, column fss" in err


# ----------------------------------------------------------------------------- output path
def test_output_checked_before_analyses(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    import neuroimmune_stats.report as rep

    def never(*a: object, **k: object) -> None:
        raise AssertionError("the data were read before the output was checked")

    monkeypatch.setattr(rep, "_load", never)
    code, _, err = run(capsys, "-o", str(tmp_path / "missing" / "r.html"))
    assert code == 2 and "does not exist" in err
    code, _, err = run(capsys, "-o", str(tmp_path))
    assert code == 2 and "is a folder" in err
    (tmp_path / "file").write_text("x")
    code, _, err = run(capsys, "-o", str(tmp_path / "file" / "r.html"))
    assert code == 2 and "not a folder" in err


def test_jobs_give_the_same_numbers(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "classifier")
    tables = []
    for jobs in ("1", "2"):
        out = tmp_path / f"r{jobs}.html"
        code, _, err = run(capsys, "-o", str(out), "--config", str(study(tmp_path)), "--jobs", jobs)
        assert code == 0, err
        html = out.read_text(encoding="utf-8")
        tables.append(html[html.index('id="classifier"'):html.index("</section>", html.index('id="classifier"'))])
    assert tables[0] == tables[1]
    code, _, err = run(capsys, "-o", str(tmp_path / "r.html"), "--jobs", "0")
    assert code == 2 and "n_jobs must be an integer ≥ 1" in err


def test_output_to_dev_null_is_written_in_place(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    only(monkeypatch, "data_summary")
    code, _, err = run(capsys, "-o", os.devnull, "--config", str(study(tmp_path)))
    assert code == 0, err
    assert Path(os.devnull).is_char_device()


def test_symlinked_output_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "precious.txt"
    target.write_text("keep me", encoding="utf-8")
    link = tmp_path / "r.html"
    os.symlink(target, link)
    code, _, err = run(capsys, "-o", str(link))
    assert code == 2 and "symbolic link" in err
    assert target.read_text(encoding="utf-8") == "keep me" and link.is_symlink()


def test_as_a_process_no_traceback(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "neuroimmune_stats.cli", "report", str(tmp_path),
                           "-o", str(tmp_path / "r.html")], capture_output=True, text=True)
    assert proc.returncode == 2
    assert "no participants table" in proc.stderr and "Traceback" not in proc.stderr


def test_console_command_exits_with_mains_code_and_flushed_output(tmp_path: Path) -> None:
    code = ("import sys; from neuroimmune_stats.cli import run; "
            f"sys.argv = ['neuroimmune-stats', 'report', '-o', {str(tmp_path / 'no' / 'r.html')!r}]; run()")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "does not exist" in proc.stderr
