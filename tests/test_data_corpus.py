"""The bad-input corpus, second half of the checks (tests/test_bad_inputs.py runs the first half).

Every case in tests/bad_inputs/cases.json has one exact outcome: an error whose message names the file,
line, column and rule; accepted with the named warning; or accepted quietly (no DataWarning). This file
checks what test_bad_inputs.py does not: quiet acceptance, factor levels, dtypes, labels, unmatched IDs,
columns that must (not) exist, subject-ID spelling, and that the error names the file of the case.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.exceptions import DataWarning

HERE = Path(__file__).parent / "bad_inputs"
CASES = json.loads((HERE / "cases.json").read_text(encoding="utf-8"))
ACCEPT = sorted(n for n, c in CASES.items() if "accept" in c["expect"])
ERROR = sorted(n for n, c in CASES.items() if "error" in c["expect"])


def _read(name: str) -> pd.DataFrame:
    return nis.read_cohort(**{arg: HERE / name / f for arg, f in CASES[name]["files"].items()})


def test_corpus_size_and_every_case_has_one_outcome() -> None:
    assert len(CASES) >= 100
    assert len(ERROR) >= 60 and len(ACCEPT) >= 40
    for name, c in CASES.items():
        assert ("error" in c["expect"]) != ("accept" in c["expect"]), name
        assert (HERE / name).is_dir() and c["files"], name


@pytest.mark.parametrize("name", ERROR)
def test_error_names_the_file_of_the_problem(name: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        with pytest.raises(nis.DataValidationError) as info:
            _read(name)
    files = set(CASES[name]["files"].values())
    assert all(p.file in files for p in info.value.problems), (files, str(info.value))
    assert "Traceback" not in str(info.value) and "pandas" not in str(info.value)


@pytest.mark.parametrize("name", ACCEPT)
def test_accepted_case_details(name: str) -> None:
    exp = CASES[name]["expect"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        df = _read(name)
    data_warnings = [str(w.message) for w in caught if issubclass(w.category, DataWarning)]
    if exp.get("quiet"):
        assert data_warnings == [], data_warnings
    assert df["subject_id"].is_unique and len(df) > 0
    for col, cats in exp.get("categories", {}).items():
        assert isinstance(df[col].dtype, pd.CategoricalDtype), col
        assert list(df[col].cat.categories) == cats, (col, list(df[col].cat.categories))
    for col, dtype in exp.get("dtype", {}).items():
        assert str(df[col].dtype) == dtype, (col, df[col].dtype)
    for col, label in exp.get("labels", {}).items():
        assert df.attrs["labels"][col] == label
    for role, ids in exp.get("unmatched", {}).items():
        assert df.attrs["unmatched_ids"][role] == ids, df.attrs["unmatched_ids"]
    for col in exp.get("columns", []):
        assert col in df.columns, col
    if "columns" in exp:
        assert not [c for c in df.columns if str(c).startswith(("unnamed", "Unnamed")) or str(c) == ""]
    for col in exp.get("no_columns", []):
        assert not [c for c in df.columns if str(c) == col or (col.endswith("_") and str(c) == col)], col
    assert not [c for c in df.columns if str(c).endswith(("_x", "_y")) or ".1" in str(c)], list(df.columns)
    if "subject_ids" in exp:
        assert sorted(df["subject_id"]) == exp["subject_ids"]
    if "n_columns_at_least" in exp:
        assert df.shape[1] >= exp["n_columns_at_least"]
    if "log" in exp:
        assert any(exp["log"] in n for n in df.attrs["validation_log"]), df.attrs["validation_log"]


def test_protocol_codes_select_by_integer() -> None:
    """Issue 13: protocol coded 1/2 stays integer-coded, so df[df.protocol == 2] selects the protocol-2 rows."""
    df = _read("protocol_1_and_1_0_one_level")
    assert sorted(df.loc[df.protocol == 2, "subject_id"]) == ["sub-03", "sub-04"]
    assert list(df["protocol"].cat.categories) == [1, 2]
    ex = nis.load_example()
    assert len(ex[ex.protocol == 2]) == 29 and len(ex[ex.protocol == 1]) == 25
