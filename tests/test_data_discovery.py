"""discover_inputs: every file of a folder is used (by name or by content) or listed as unused, with a reason."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.data import FileUse, discover_inputs, find_exports
from neuroimmune_stats.data.example import example_dir


def _site(tmp_path: Path, names: dict[str, str]) -> Path:
    for table, name in names.items():
        shutil.copy(example_dir() / f"{table}.csv", tmp_path / name)
    return tmp_path


def test_example_folder_exact_names() -> None:
    found = discover_inputs(example_dir())
    assert set(found.tables) == {"participants", "suvr", "connectivity", "questionnaires"}
    assert found.unused == [] and found.missing == []
    assert all(isinstance(f, FileUse) and f.rows == 54 and f.subjects == 54 for f in found.files)


def test_site_names_found_by_pattern_and_content(tmp_path: Path) -> None:
    d = _site(tmp_path, {"participants": "demographics_site3.csv", "suvr": "pbr28_suvr.csv",
                         "connectivity": "fc_values.csv", "questionnaires": "painDETECT_export.csv"})
    shutil.copy(example_dir() / "suvr.csv", d / "regional_values_v2.csv")   # a second SUVR-like table
    (d / "README.md").write_text("notes\n")
    (d / ".DS_Store").write_bytes(b"\0\0")
    found = discover_inputs(d)
    assert {t: p.name for t, p in found.tables.items()} == {
        "participants": "demographics_site3.csv", "suvr": "pbr28_suvr.csv", "connectivity": "fc_values.csv",
        "questionnaires": "painDETECT_export.csv"}
    by_name = {f.path.name: f for f in found.files}
    assert len(found.files) == 7                        # every file listed
    assert by_name[".DS_Store"].system and by_name[".DS_Store"] not in found.unused
    assert [f.path.name for f in found.unused] == ["README.md", "regional_values_v2.csv"]
    assert "pbr28_suvr.csv was used" in by_name["regional_values_v2.csv"].reason
    assert by_name["pbr28_suvr.csv"].rows == 54
    assert "pbr28_suvr.csv: suvr table, 54 rows, 54 subjects" in found.summary()
    df = nis.read_cohort(**found.tables)
    assert df.shape[0] == 54 and nis.regions(df)[0] == "suvr_s1"
    assert find_exports(d) == found.tables


def test_content_wins_over_a_misleading_name(tmp_path: Path) -> None:
    d = _site(tmp_path, {"participants": "participants.csv", "suvr": "values.csv", "connectivity": "pet_export.csv"})
    found = discover_inputs(d)
    assert found.tables["suvr"].name == "values.csv"
    assert found.tables["connectivity"].name == "pet_export.csv"
    assert "the columns win" in next(f for f in found.files if f.path.name == "pet_export.csv").reason
    assert found.missing == ["questionnaires"]


def test_sidecar_listed_with_its_table_and_unreadable_files_named(tmp_path: Path) -> None:
    d = _site(tmp_path, {"participants": "participants.csv"})
    (d / "participants.json").write_text('{"age": {"Units": "years"}}')
    (d / "other.json").write_text("{}")
    (d / "scan_log.csv").write_bytes(b"PK\x03\x04binary")
    (d / "sub").mkdir()
    found = discover_inputs(d)
    by_name = {f.path.name: f for f in found.files}
    assert by_name["participants.json"].role == "participants"
    assert "sidecar" in by_name["participants.json"].reason
    assert by_name["other.json"].role is None
    assert by_name["scan_log.csv"].role is None and "Excel" in by_name["scan_log.csv"].reason
    assert "sub-folders" in by_name["sub"].reason


def test_no_participants_table(tmp_path: Path) -> None:
    d = _site(tmp_path, {"suvr": "suvr.csv"})
    assert discover_inputs(d).missing == ["participants", "connectivity", "questionnaires"]
    with pytest.raises(nis.SpecificationError if hasattr(nis, "SpecificationError") else ValueError,
                       match="no participants table"):
        find_exports(d)
    with pytest.raises(ValueError, match="is not a folder"):
        discover_inputs(d / "suvr.csv")


def test_read_cohort_attrs_log_and_unmatched(tmp_path: Path) -> None:
    d = _site(tmp_path, {"participants": "participants.csv"})
    (d / "suvr.csv").write_text((example_dir() / "suvr.csv").read_text() + "sub-999,1,1,1,1,1,1,1\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df = nis.read_cohort(**discover_inputs(d).tables)
    assert isinstance(df.attrs["validation_log"], list)
    assert all(isinstance(n, str) for n in df.attrs["validation_log"])
    assert df.attrs["unmatched_ids"]["suvr"] == ["sub-999"]          # as the file wrote it
    assert any("54 of 55 subject IDs matched" in n for n in df.attrs["validation_log"])


def test_gzipped_table_and_its_sidecar(tmp_path: Path) -> None:
    import gzip

    d = _site(tmp_path, {"participants": "participants.csv"})
    (d / "pbr28_suvr.csv.gz").write_bytes(gzip.compress((example_dir() / "suvr.csv").read_bytes()))
    (d / "pbr28_suvr.json").write_text('{"s1": {"LongName": "S1 cortex"}}')
    found = discover_inputs(d)
    assert found.tables["suvr"].name == "pbr28_suvr.csv.gz"
    assert next(f for f in found.files if f.path.name == "pbr28_suvr.json").role == "suvr"
    df = nis.read_cohort(**found.tables)
    assert df.attrs["labels"]["suvr_s1"] == "S1 cortex"
