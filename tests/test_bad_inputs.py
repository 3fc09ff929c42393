"""The malformed-input corpus (tests/bad_inputs, written by make_corpus.py): every case either raises
a DataValidationError whose message names file, line, column and rule, or reads correctly."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.data import merge_record

HERE = Path(__file__).parent / "bad_inputs"
CASES = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))


def test_corpus_is_large_enough() -> None:
    assert len(CASES) >= 30
    assert sum("error" in c["expect"] for c in CASES.values()) >= 25


def _read(name: str) -> pd.DataFrame:
    files = {arg: HERE / name / fname for arg, fname in CASES[name]["files"].items()}
    return nis.read_cohort(**files)


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if "error" in c["expect"]))
def test_error_case(name: str) -> None:
    exp = CASES[name]["expect"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(nis.DataValidationError) as info:
            _read(name)
    msg = str(info.value)
    assert "Traceback" not in msg
    for piece in exp["error"]:
        assert piece in msg, f"{piece!r} not in:\n{msg}"
    problems = info.value.problems
    if exp.get("count") is not None:
        assert len(problems) == exp["count"], msg
    first = problems[0]
    assert first.file.endswith((".csv", ".tsv")), "the message names the file"
    if exp.get("line") is not None:
        assert any(p.line == exp["line"] for p in problems), msg
        assert f"line {exp['line']}" in msg
    if exp.get("column") is not None:
        assert any(p.column == exp["column"] for p in problems), msg
        assert f"column {exp['column']}" in msg


@pytest.mark.parametrize("name", sorted(n for n, c in CASES.items() if "accept" in c["expect"]))
def test_accepted_variant(name: str) -> None:
    exp = CASES[name]["expect"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = _read(name)
    by_id = df.set_index("subject_id")
    for col, values in exp["accept"].items():
        for sid, want in values.items():
            got = by_id.loc[sid, col]
            if isinstance(want, float):
                assert got == pytest.approx(want), (col, sid)
            else:
                assert str(got) == want, (col, sid)
    for col, ids in exp.get("nan", {}).items():
        for sid in ids:
            assert pd.isna(by_id.loc[sid, col]), (col, sid)
    for col in exp.get("categorical", []):
        assert isinstance(df[col].dtype, pd.CategoricalDtype)
    if "warn" in exp:
        text = " ".join(str(w.message) for w in caught)
        for piece in exp["warn"]:
            assert piece in text, f"{piece!r} not in warnings: {text}"
    if "n_rows" in exp:
        assert len(df) == exp["n_rows"]
    if "log" in exp:
        assert any(exp["log"] in note for note in merge_record(df)["validation_log"])


def test_no_subject_dropped_without_being_named() -> None:
    with pytest.warns(nis.data.cohort.DataWarning, match="04"):
        df = _read("id_missing_from_questionnaires")
    rec = merge_record(df)
    assert rec["excluded_by_merge"] == ["sub-04"]  # IDs as the participants file writes them
    assert rec["missing_from"]["questionnaires"] == ["sub-04"]


def test_outer_merge_keeps_everyone() -> None:
    files = {arg: HERE / "id_only_in_suvr" / f for arg, f in CASES["id_only_in_suvr"]["files"].items()}
    with pytest.warns(nis.data.cohort.DataWarning):
        df = nis.read_cohort(**files, how="outer")
    assert sorted(df["subject_id"]) == ["sub-01", "sub-02", "sub-03", "sub-04", "sub-99"]
    assert pd.isna(df.set_index("subject_id").loc["sub-99", "subtype"])
