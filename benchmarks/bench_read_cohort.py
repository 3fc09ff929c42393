"""Benchmark of the readers (issue 14): ``read_cohort`` against plain pandas on the same files, one run.

Jobs:

1. Four exports of 10 000 subjects (26 columns after merging): ``read_cohort`` (reading, the schema's
   rules, ID matching, units, factor coding, merge) against ``pandas.read_csv`` x 4 + ``merge`` on
   ``subject_id`` (no validation at all: the floor any validating reader pays on top of). The first
   version of ``read_cohort`` took 28 s here (quadratic in subjects); target: linear, within 20x of pandas.
2. 54 subjects x 10 000 connectivity edges (a wide table), the same two implementations.

Agreement is checked before timing (every numeric column equal to what pandas reads; a fast wrong answer
fails). Run ``python benchmarks/bench_read_cohort.py`` for a markdown table; ``main()`` returns its rows.
"""

from __future__ import annotations

import os
import sys
import tempfile
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _timing import Timing, print_rows, ratio_rows, time_call

import neuroimmune_stats as nis
from neuroimmune_stats.data import simulate_tables

QUICK = bool(os.environ.get("NIS_BENCH_QUICK"))
N_SUBJECTS = 2_000 if QUICK else 10_000
N_EDGES = 2_000 if QUICK else 10_000


def _write_cohort(d: Path) -> dict[str, Path]:
    tables = simulate_tables(n_axial=N_SUBJECTS // 2, n_radicular=N_SUBJECTS - N_SUBJECTS // 2, seed=14)
    out = {}
    for name, frame in tables.items():
        out[name] = d / f"{name}.csv"
        frame.to_csv(out[name], index=False, float_format="%.6g")
    return out


def _write_wide(d: Path) -> dict[str, Path]:
    rng = np.random.default_rng(14)
    n = 54
    ids = [f"sub-{i:03d}" for i in range(1, n + 1)]
    part = pd.DataFrame({"subject_id": ids, "subtype": np.where(np.arange(n) % 2, "axial", "radicular"),
                         "protocol": 1 + np.arange(n) % 2, "tspo_genotype": "HAB"})
    names = [f"r{i // 100}__t{i % 100}" for i in range(N_EDGES)]
    conn = pd.DataFrame(np.round(rng.normal(0, 0.4, (n, N_EDGES)), 4), columns=names).assign(subject_id=ids)
    paths = {"participants": d / "participants.csv", "connectivity": d / "connectivity.csv"}
    part.to_csv(paths["participants"], index=False)
    conn[["subject_id", *names]].to_csv(paths["connectivity"], index=False)
    return paths


def _pandas(paths: dict[str, Path]) -> pd.DataFrame:
    frames = [pd.read_csv(p) for p in paths.values()]
    out = frames[0]
    for f in frames[1:]:
        out = out.merge(f, on="subject_id", how="inner", suffixes=("", "_dup"))
    return out


def _ours(paths: dict[str, Path]) -> pd.DataFrame:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return nis.read_cohort(**paths)  # type: ignore[arg-type]


def _check(ours: pd.DataFrame, theirs: pd.DataFrame, prefix: dict[str, str]) -> None:
    """Every numeric column we return equals pandas' (same subjects, same order after sorting)."""
    a = ours.sort_values("subject_id").reset_index(drop=True)
    b = theirs.sort_values("subject_id").reset_index(drop=True)
    assert len(a) == len(b), (len(a), len(b))
    checked = 0
    for col in a.columns:
        src = col
        for table_prefix in prefix.values():
            if col.startswith(table_prefix):
                src = col[len(table_prefix):]
        if src in b.columns and pd.api.types.is_float_dtype(a[col]):
            np.testing.assert_allclose(a[col].to_numpy(), b[src].to_numpy(dtype=float), rtol=1e-12, equal_nan=True)
            checked += 1
    assert checked >= 10, checked


def _rows(job: str, paths: dict[str, Path], repeats: int) -> list[dict[str, Any]]:
    _check(_ours(paths), _pandas(paths), {"suvr": "suvr_", "connectivity": "conn_"})
    ours = Timing(job, "neuroimmune_stats.read_cohort", time_call(lambda: _ours(paths), repeats=repeats), repeats,
                  "reads, validates every cell, matches IDs, codes factors, merges")
    peer = Timing(job, "pandas read_csv + merge", time_call(lambda: _pandas(paths), repeats=repeats), repeats,
                  "no validation (the floor)")
    return ratio_rows(job, ours, [peer])


def main() -> list[dict[str, Any]]:
    repeats = 2 if QUICK else 3
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "cohort").mkdir()
        (d / "wide").mkdir()
        rows = _rows(f"read 4 exports, {N_SUBJECTS} subjects", _write_cohort(d / "cohort"), repeats)
        rows += _rows(f"read 54 subjects x {N_EDGES} connectivity edges", _write_wide(d / "wide"), repeats)
    return rows


if __name__ == "__main__":
    print_rows(main())
