"""Readers: the strict number grammar, factor coding, IDs, units, options, attrs, and linear scaling."""

from __future__ import annotations

import copy
import re
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import neuroimmune_stats as nis
from neuroimmune_stats.data.cells import code_factor, parse_numbers
from neuroimmune_stats.data.ids import id_key
from neuroimmune_stats.data.units import conversion
from neuroimmune_stats.exceptions import DataValidationError, SpecificationError

P_HEAD = "subject_id,subtype,protocol,tspo_genotype,sex,age,bmi\n"


def test_number_grammar_fast_path_agrees_with_the_grammar() -> None:
    """pandas' C parser is the fast path: it must read exactly the grammar's numbers (pinned here)."""
    cells = ["1_0", "0x10", "1e5", "1.", ".5", "+1", "1d5", "١", "１", "1,5", "∞", "1e", "e5", "--1", "Inf",
             "-infinity", "True", "1 000", "1.5.6", "0b1", "1j", "1E+05", "0001", "-0", "1e-400", "9" * 400,
             "\u00a01", "+-1", ".", "1e+", "#N/A", "1.5e3.2", "−3", "12345678901234567890123"]
    p = parse_numbers(pd.Series(cells, dtype=object))
    read = {c: v for c, v in zip(cells, p.values.tolist(), strict=True) if i_not_refused(p, cells, c)}
    assert read["1e5"] == 1e5 and read[".5"] == 0.5 and read["1."] == 1.0 and read["+1"] == 1.0
    assert read["１"] == 1.0 and read["−3"] == -3.0                    # variants, with a note
    assert np.isinf(read["Inf"]) and np.isinf(read["9" * 400])         # refused later by the finite rule
    assert read["12345678901234567890123"] == pytest.approx(1.2345678901234568e22)
    refused = {cells[i] for i in p.refused}
    assert refused == {"1_0", "0x10", "1d5", "١", "1,5", "∞", "1e", "e5", "--1", "True", "1 000", "1.5.6", "0b1",
                       "1j", "\u00a01", "+-1", ".", "1e+", "#N/A", "1.5e3.2"}
    assert "full-width" in p.notes[0]
    assert "spreadsheet error" in p.refused[cells.index("#N/A")]
    assert parse_numbers(pd.Series(["1,5"], dtype=object), decimal_comma=True).values[0] == 1.5


def i_not_refused(p, cells, c) -> bool:  # type: ignore[no-untyped-def]
    return cells.index(c) not in p.refused


def test_factor_coder_keeps_codes() -> None:
    f = code_factor(pd.Series(["2", "1.0", "1", "02", None], dtype=object))
    assert list(f.categories) == [1, 2] and f.categories.dtype == np.int64
    assert f.tolist()[:4] == [2, 1, 1, 2]
    g = code_factor(pd.Series(["0.5", "1"], dtype=object))
    assert list(g.categories) == [0.5, 1.0]
    h = code_factor(pd.Series(["b", "A", "a"], dtype=object))
    assert list(h.categories) == ["A", "a", "b"]   # text keeps its spelling


def test_id_key_and_spelling() -> None:
    assert {id_key(v) for v in ("sub-054", "054", "54", "SUB-054", "sub_54", " sub-054 ")} == {"54"}
    assert id_key("sub-") == "" and id_key("S001a") == "s1a" and id_key("10") == "10"
    df = nis.validate(pd.DataFrame({"participant_id": ["sub-01"], "subtype": ["axial"], "protocol": [1],
                                    "tspo_genotype": ["HAB"]}), "participants")
    assert df["subject_id"].tolist() == ["sub-01"]


def test_unit_conversions() -> None:
    assert conversion("mCi", "MBq") == (37.0, "mCi")
    assert conversion("µg", "ug")[0] == 1.0 and conversion("mg", "ug")[0] == 1000.0
    assert conversion("Ci/mmol", "GBq/umol")[0] == pytest.approx(0.037)
    assert conversion("months", "years")[0] == pytest.approx(1 / 12)
    assert conversion("kg/m2", "kg/m^2")[0] == 1.0
    assert conversion("MBq", "kg/m^2")[0] is None and conversion("furlongs", "MBq")[0] is None


def test_bad_read_options_are_refused() -> None:
    t = nis.simulate_cohort  # noqa: F841 - keep the namespace warm
    from neuroimmune_stats.data.example import example_paths

    paths = example_paths()
    for bad in ((0.2,), (5, 0.2), ("a", 1), (0.2, float("inf")), 3):
        with pytest.raises(SpecificationError, match="suvr_range must be two finite numbers"):
            nis.read_cohort(**paths, suvr_range=bad)  # type: ignore[arg-type]
    with pytest.raises(SpecificationError, match="connectivity_scale must be one of 'z', 'r'"):
        nis.read_cohort(**paths, connectivity_scale="pearson")  # type: ignore[arg-type]
    df = nis.read_cohort(**paths, connectivity_scale="R")  # type: ignore[arg-type]  # case-insensitive
    assert len(df) == 54
    with pytest.raises(SpecificationError, match="how must be one of"):
        nis.read_cohort(**paths, how="left")  # type: ignore[arg-type]


def test_suvr_range_widens_the_rule(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(P_HEAD + "a,axial,1,HAB,F,40,22\nb,radicular,2,MAB,M,50,25\n")
    (tmp_path / "s.csv").write_text("subject_id,s1\na,7.5\nb,1.1\n")
    with pytest.raises(DataValidationError, match="outside the plausible range"):
        nis.read_cohort(tmp_path / "p.csv", tmp_path / "s.csv")
    df = nis.read_cohort(tmp_path / "p.csv", tmp_path / "s.csv", suvr_range=(0.1, 10))
    assert df["suvr_s1"].tolist() == [7.5, 1.1]


def test_attrs_are_cheap_to_copy() -> None:
    """pandas deep-copies attrs on every operation: the record must not make column access O(n)."""
    n = 20_000
    df = pd.DataFrame({"subject_id": [f"sub-{i}" for i in range(n)], "subtype": ["axial"] * n, "protocol": [1] * n,
                       "tspo_genotype": ["HAB"] * n})
    q = pd.DataFrame({"subject_id": [f"sub-{i}" for i in range(0, n, 2)] + [f"x{i}" for i in range(100)],
                      "fss": [5] * (n // 2 + 100)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        out = nis.read_cohort(df, questionnaires=q)
    assert len(out.attrs["neuroimmune_stats"]["missing_from"]["questionnaires"]) == n // 2
    attrs = copy.deepcopy(out.attrs)
    assert attrs["unmatched_ids"] == out.attrs["unmatched_ids"]
    assert attrs["unmatched_ids"]["questionnaires"] is not out.attrs["unmatched_ids"]["questionnaires"]
    t0 = time.perf_counter()
    for _ in range(20):
        out["fss"] + 1
    assert time.perf_counter() - t0 < 5.0  # a plain deepcopy of 10 000 IDs x 20 would take several seconds


def _files(tmp_path: Path, n: int, n_regions: int = 3) -> tuple[Path, Path]:
    rng = np.random.default_rng(n)
    ids = [f"sub-{i:06d}" for i in range(n)]
    sub = np.where(rng.random(n) < 0.5, "axial", "radicular")
    lines = [f"{i},{s},{1 + k % 2},{'HAB' if k % 3 else 'MAB'},F,{20 + k % 60},{18 + k % 20}"
             for k, (i, s) in enumerate(zip(ids, sub, strict=True))]
    p = tmp_path / f"p{n}_{n_regions}.csv"
    p.write_text(P_HEAD + "\n".join(lines) + "\n")
    vals = np.round(rng.uniform(0.5, 2, size=(n, n_regions)), 3).astype(str)
    s = tmp_path / f"s{n}_{n_regions}.csv"
    s.write_text("subject_id," + ",".join(f"r{j}" for j in range(n_regions)) + "\n"
                 + "\n".join(f"{i:06d}," + ",".join(v) for i, v in zip(range(n), vals, strict=True)) + "\n")
    return p, s


def _best(fn, reps: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def test_read_cohort_is_linear_in_subjects(tmp_path: Path) -> None:
    """8x the subjects costs < 20x the time (linear: ~8x; the quadratic merge of the first version: 64x).

    Best of several runs and a wide margin, so a loaded machine does not make it flaky."""
    small, big = _files(tmp_path, 1_000), _files(tmp_path, 8_000)
    nis.read_cohort(*small)
    t_small = _best(lambda: nis.read_cohort(*small), 3)
    t_big = _best(lambda: nis.read_cohort(*big), 2)
    assert t_big / t_small < 20, (t_small, t_big)


def test_read_cohort_is_linear_in_columns(tmp_path: Path) -> None:
    small, big = _files(tmp_path, 20, 200), _files(tmp_path, 20, 1_600)
    nis.read_cohort(*small)
    t_small = _best(lambda: nis.read_cohort(*small), 3)
    t_big = _best(lambda: nis.read_cohort(*big), 2)
    assert t_big / t_small < 20, (t_small, t_big)


def test_long_layout_lines_are_physical(tmp_path: Path) -> None:
    (tmp_path / "p.csv").write_text(P_HEAD + 'a,axial,1,HAB,F,40,22\nb,radicular,2,MAB,M,50,25\n')
    (tmp_path / "s.csv").write_text('subject_id,region,suvr\n"a\n",s1,1.0\nb,s1,0\n')
    with pytest.raises(DataValidationError) as info:
        nis.read_cohort(tmp_path / "p.csv", tmp_path / "s.csv")
    assert [p.line for p in info.value.problems] == [4]  # the record of 'b' starts on physical line 4


def test_dataframe_inputs_with_missing_and_numbers() -> None:
    p = pd.DataFrame({"subject_id": ["a", "b", "c"], "subtype": ["axial", None, "radicular"],
                      "protocol": [1.0, 2.0, 1.0], "tspo_genotype": ["HAB", "MAB", "HAB"], "age": [40, np.nan, 50],
                      "score_extra": [1.5, 2.5, None]})
    df = nis.read_cohort(p)
    assert list(df["protocol"].cat.categories) == [1, 2]
    assert df["score_extra"].dtype == np.float64
    assert pd.isna(df.loc[1, "age"]) and pd.isna(df.loc[1, "subtype"])


@pytest.mark.parametrize("frame, message", [
    (pd.DataFrame(), "has no columns"),
    (pd.DataFrame({0: ["a"], 1: ["axial"]}), "required column is missing"),
    (pd.DataFrame(np.zeros((2, 2)), columns=pd.MultiIndex.from_tuples([("a", "b"), ("c", "d")])),
     "required column is missing"),
    (pd.DataFrame([["a", "axial", "1", "HAB", "x"]],
                  columns=["subject_id", "subtype", "protocol", "tspo_genotype", "subtype"]),
     "columns 2 ('subtype') and 5 ('subtype')"),
    (pd.DataFrame(columns=["subject_id", "subtype", "protocol", "tspo_genotype"]), "has a header but no data rows"),
])
def test_odd_dataframes_are_refused_with_a_message(frame: pd.DataFrame, message: str) -> None:
    with pytest.raises(DataValidationError, match=re.escape(message)):
        nis.read_cohort(frame)


def test_subject_id_index_is_read() -> None:
    p = pd.DataFrame({"subject_id": ["a", "b"], "subtype": ["axial", "radicular"], "protocol": [1, 2],
                      "tspo_genotype": ["HAB", "MAB"]}).set_index("subject_id")
    assert nis.read_cohort(p)["subject_id"].tolist() == ["a", "b"]


def test_huge_files_and_gzip_bombs_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The size limit (1 GiB by default) holds for plain files and for what a gzip file expands to."""
    import gzip

    from neuroimmune_stats.data import io as nio

    monkeypatch.setattr(nio, "MAX_BYTES", 2_000)
    big = tmp_path / "participants.csv"
    big.write_text(P_HEAD + "a,axial,1,HAB,F,40,22\n" * 200)
    with pytest.raises(DataValidationError, match="read into memory; split the table"):
        nis.read_cohort(big)
    bomb = tmp_path / "bomb.csv"
    bomb.write_bytes(gzip.compress(P_HEAD.encode() + b"0" * 100_000))
    with pytest.raises(DataValidationError, match="decompresses to more than"):
        nis.read_cohort(bomb)
