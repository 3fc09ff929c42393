"""Fuzzing the readers: whatever bytes, text or DataFrame arrives, only the package's own exceptions escape.

Bounded for CI (a few hundred examples in total, no deadline); a frame that is returned must be sane: one
row per subject, IDs kept as written, nothing but the package's DataWarning emitted.
"""

from __future__ import annotations

import string
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, example, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import neuroimmune_stats as nis  # noqa: E402
from neuroimmune_stats.exceptions import DataWarning, NeuroimmuneStatsError  # noqa: E402

SETTINGS = settings(max_examples=80, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HEADERS = ["subject_id", "participant_id", "subtype", "protocol", "tspo_genotype", "sex", "age", "Age (years)",
           "bmi", "injected_dose_mbq", "Injected dose (mCi)", "scanner", "fss", "extra", "", "s1", "S1",
           "<b>x</b>", "a,b", 'q"uote', "sub-", "Ünïcode"]
CELLS = ["sub-01", "sub-02", "01", "1", "SUB-001", "sub-", "", " ", "axial", "radicular", "AX", "HAB", "MAB",
         "Thr/Thr", "F", "m", "40", "1.0", "2", "2_5", "1,5", "1e308", "-1e308", "1e999", "nan", "NA", "n/a",
         "#DIV/0!", "#N/A", "−3", "１２", "0x10", "inf", "-0", "25", "<script>", "$\\foo$", "=1+1", '"', '""',
         "a\nb", "\r", "\x00", "\ufeff", "\u00a0", "é", "𝟙", "٣", ";", "\t", ",", "|"]
SEPS = [",", ";", "\t", "|"]


def _call(**tables: object) -> pd.DataFrame | None:
    """read_cohort, with DataWarning allowed and every other warning an error."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", DataWarning)
        try:
            df = nis.read_cohort(**tables)  # type: ignore[arg-type]
        except NeuroimmuneStatsError as err:
            assert str(err)  # a message, never empty
            return None
    assert len(df) > 0 and df["subject_id"].is_unique
    assert not [c for c in df.columns if str(c).endswith(("_x", "_y"))]
    return df


def _write(d: Path, name: str, data: bytes) -> Path:
    p = d / name
    p.write_bytes(data)
    return p


@SETTINGS
@example(b",,,,\n,,,\n")
@example(b'"')
@example(b"\xff\xfe")
@example(b"\x1f\x8b\x08\x00")
@example(b"PK\x03\x04")
@example(b"subject_id,subtype,protocol,tspo_genotype\nsub-,axial,1,HAB\n")
@given(st.binary(max_size=400))
def test_arbitrary_bytes_as_participants(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as d:
        _call(participants=_write(Path(d), "participants.csv", data))


POOLS = {"subtype": ["axial", "radicular", "Axial ", "rad"], "protocol": ["1", "2", "1.0", "A"],
         "tspo_genotype": ["HAB", "MAB", "Ala/Thr", "Thr/Thr"], "sex": ["F", "M", "female"],
         "age": ["40", "51.5", "33"], "bmi": ["22.1", "30"], "s1": ["1.05", "0.98", "1.2"], "fss": ["3", "12"]}


@st.composite
def tables(draw: st.DrawFn, base: tuple[str, ...]) -> str:
    """A table that is mostly valid (so the accepting paths run too), with hostile cells, headers and layout."""
    sep = draw(st.sampled_from(SEPS))
    extra = draw(st.lists(st.sampled_from(HEADERS), max_size=2))
    head = [*base, *extra]
    nrow = draw(st.integers(0, 6))
    hostile = draw(st.sampled_from([0.0, 0.0, 0.05, 0.2]))
    rows = []
    for i in range(nrow):
        width = draw(st.sampled_from([len(head)] * 12 + [len(head) - 1, len(head) + 1]))
        cells = []
        for j in range(max(width, 0)):
            name = head[j] if j < len(head) else "?"
            if name == "subject_id":
                good = draw(st.sampled_from([f"sub-0{i + 1}", f"{i + 1:03d}", f"SUB-{i + 1}"]))
            else:
                good = draw(st.sampled_from(POOLS.get(name, ["1", "1.1", ""])))
            bad = draw(st.one_of(st.sampled_from(CELLS), st.text(string.printable, max_size=6)))
            cells.append(bad if draw(st.floats(0, 1)) < hostile else good)
        rows.append(sep.join(_quote(c, sep, draw(st.integers(0, 9))) for c in cells))
    lead = draw(st.sampled_from(["", "", "\n", "\n\n", f"sep={sep}\n"]))
    end = draw(st.sampled_from(["\n", "\r\n", "\r", ""]))
    trail = draw(st.sampled_from(["", "", sep]))
    return lead + end.join(r + trail for r in [sep.join(head), *rows]) + end


def _quote(cell: str, sep: str, dice: int) -> str:
    """Quote as a CSV writer would (mostly), sometimes not at all, sometimes needlessly."""
    special = any(ch in cell for ch in (sep, '"', "\n", "\r"))
    if (special and dice > 0) or dice == 9:
        return '"' + cell.replace('"', '""') + '"'
    return cell


PART = ("subject_id", "subtype", "protocol", "tspo_genotype")


@settings(SETTINGS, max_examples=60)
@given(tables(PART), tables(("subject_id", "s1")), tables(("subject_id", "fss")),
       st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
def test_structured_text_tables(part: str, suvr: str, quest: str, encoding: str) -> None:
    with tempfile.TemporaryDirectory() as d:
        p = _write(Path(d), "participants.csv", part.encode(encoding, errors="replace"))
        s = _write(Path(d), "suvr.csv", suvr.encode("utf-8"))
        q = _write(Path(d), "questionnaires.csv", quest.encode("utf-8"))
        _call(participants=p)
        _call(participants=p, suvr=s, questionnaires=q)


VALID = pd.DataFrame({"subject_id": ["sub-01", "sub-02", "sub-03"], "subtype": ["axial", "radicular", "axial"],
                      "protocol": [1, 2, 1], "tspo_genotype": ["HAB", "MAB", "HAB"]})
OBJECTS = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
                    st.sampled_from(CELLS), st.text(max_size=5), st.just(np.nan), st.just(pd.NA),
                    st.just(np.inf), st.just(pd.Timestamp("2020-01-01")), st.just(b"x"), st.just(1 + 2j))


@SETTINGS
@given(st.sampled_from(["subject_id", "subtype", "protocol", "tspo_genotype", "age", "fss", "s1"]),
       st.lists(OBJECTS, min_size=3, max_size=3), st.sampled_from(["participants", "suvr", "questionnaires"]))
def test_dataframe_cells(column: str, values: list[object], role: str) -> None:
    frame = VALID.copy()
    frame[column] = pd.Series(values, dtype=object)
    if role == "participants":
        _call(participants=frame)
    else:
        other = frame[["subject_id", column]] if column != "subject_id" else frame[["subject_id", "protocol"]]
        _call(participants=VALID, **{role: other})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataWarning)
        try:
            nis.validate(frame, "participants")
        except NeuroimmuneStatsError:
            pass
