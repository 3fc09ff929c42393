"""The report's sections on two processes give the same report as on one (neuroimmune_stats.report.lanes)."""

from __future__ import annotations

import os
import re
from dataclasses import replace
from pathlib import Path

import pytest

from neuroimmune_stats.report import lanes, run_report
from neuroimmune_stats.report.config import load_config

pytestmark = pytest.mark.skipif(not lanes.can_fork(), reason="needs two CPUs and the fork start method")


def _html(path: Path) -> str:
    # the generation time is the one line allowed to differ
    return re.sub(r"generated [^·<]*", "generated", path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def serial(tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    mp = pytest.MonkeyPatch()
    mp.setenv("NIS_QUICK", "1")
    try:
        cfg = replace(load_config(None), processes=1)
        run = run_report(output=tmp_path_factory.mktemp("one") / "r.html", config=cfg, seed=11, progress=False)
    finally:
        mp.undo()
    return run, _html(run.path)


def _two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NIS_QUICK", "1")
    cfg = replace(load_config(None), processes=2)
    run = run_report(output=tmp_path / "r.html", config=cfg, seed=11, progress=False)
    return run, _html(run.path)


def test_two_processes_write_the_same_report(serial, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    mark = tmp_path / "child.pid"
    real = lanes._child

    def spy(*args):  # type: ignore[no-untyped-def]
        mark.write_text(str(os.getpid()), encoding="utf-8")
        real(*args)

    monkeypatch.setattr(lanes, "_child", spy)
    run1, html1 = serial
    run2, html2 = _two(tmp_path, monkeypatch)
    assert html2 == html1
    assert [str(s) for s in run2.skipped] == [str(s) for s in run1.skipped]
    assert set(run2.timings) == set(run1.timings)
    # the child really ran, in another process
    assert mark.exists() and int(mark.read_text(encoding="utf-8")) != os.getpid()
    # the planning section read the mediation result the child sent back
    assert "Model 1: indirect effect" in html2 or "Model 1:" in html2


def test_a_child_that_dies_costs_time_not_sections(serial, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def die(conn, *args):  # type: ignore[no-untyped-def]
        os._exit(3)

    monkeypatch.setattr(lanes, "_child", die)
    _, html2 = _two(tmp_path, monkeypatch)
    assert html2 == serial[1]


def test_processes_key_in_the_study_file(tmp_path: Path) -> None:
    f = tmp_path / "study.toml"
    f.write_text("[report]\nprocesses = 1\n", encoding="utf-8")
    cfg = load_config(f)
    assert cfg.processes == 1
    assert lanes.processes(type("Ctx", (), {"config": cfg})()) == 1
    f.write_text("[report]\nprocesses = 0\n", encoding="utf-8")
    with pytest.raises(Exception, match="processes"):
        load_config(f)


def test_sections_the_child_claimed_but_never_sent_are_run_here(serial, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def claim_then_die(conn, order, shared, runner):  # type: ignore[no-untyped-def]
        lanes._lane(order, shared, runner)  # runs its share (planning too, if it can), then dies before sending
        os._exit(4)

    monkeypatch.setattr(lanes, "_child", claim_then_die)
    _, html2 = _two(tmp_path, monkeypatch)
    assert html2 == serial[1]


def test_work_order_is_longest_first_without_the_dependent_sections() -> None:
    specs = ("m:data_summary", "m:table1", "m:classifier", "m:planning", "m:unknown", "m:mediation")
    order = lanes.work_order(specs)
    assert "m:planning" not in order and set(order) == set(specs) - {"m:planning"}
    costs = [lanes.EXPECTED_SECONDS.get(lanes.name_of(s), 0.0) for s in order]
    assert costs == sorted(costs, reverse=True)
