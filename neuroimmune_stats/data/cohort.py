"""Read, validate and merge a site's exports into one row per subject."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, DataWarning, SpecificationError
from ._attrs import NoteList, freeze
from .io import TableInput, read_raw
from .schema import load_schema
from .validate import ValidatedTable, check_table

#: attrs key holding the merge record and validation log on a cohort frame
ATTRS_KEY = "neuroimmune_stats"

def find_exports(directory: str | Path) -> dict[str, Path]:
    """The tables of a folder as ``read_cohort`` arguments (see :func:`~.discover.discover_inputs`).

    Raises :class:`SpecificationError` when no participants table is there.
    """
    from .discover import discover_inputs

    found = discover_inputs(directory)
    if "participants" not in found.tables:
        names = ", ".join(f.path.name for f in found.files[:10]) or "none"
        raise SpecificationError(
            f"no participants table in {str(directory)!r}: expected participants.csv or participants.tsv, or a "
            f"table with subtype, protocol and tspo_genotype columns (files there: {names})."
        )
    return found.tables


def _prefixed(vt: ValidatedTable) -> pd.DataFrame:
    schema = load_schema(vt.table)
    frame = vt.frame
    if schema.variable is None:
        return frame
    prefix = schema.variable.prefix
    return frame.rename(
        columns={c: c if c == "subject_id" or c.startswith(prefix) else prefix + c for c in frame.columns}
    )


def _warn_ids(what: str, ids: list[str]) -> None:
    if ids:
        shown = ", ".join(ids[:20]) + (f" and {len(ids) - 20} more" if len(ids) > 20 else "")
        warnings.warn(f"{what}: {shown}", DataWarning, stacklevel=3)


def read_cohort(
    participants: TableInput,
    suvr: TableInput | None = None,
    connectivity: TableInput | None = None,
    questionnaires: TableInput | None = None,
    how: Literal["inner", "outer"] = "inner",
    *,
    suvr_range: tuple[float, float] | None = None,
    connectivity_scale: Literal["z", "r"] | None = None,
) -> pd.DataFrame:
    """Read, validate and merge the four exports into one row per subject.

    Parameters
    ----------
    participants : path or DataFrame
        Participants sheet (CSV/TSV; BIDS ``participants.tsv`` with ``participant_id`` works).
    suvr, connectivity, questionnaires : path or DataFrame, optional
        Regional SUVR, seed–target connectivity and questionnaire tables, wide or long layout.
    how : {"inner", "outer"}, default="inner"
        ``"inner"`` keeps subjects present in every given table; ``"outer"`` keeps everyone, with
        missing values. Either way every subject left out or incomplete is named in a warning.
    suvr_range : (float, float), optional
        Plausible SUVR range (default 0.2–5 from the schema).
    connectivity_scale : {"z", "r"}, optional
        ``"r"`` requires connectivity in [−1, 1].

    Returns
    -------
    DataFrame
        One row per subject: participants columns, ``suvr_<region>``, ``conn_<seed>__<target>``
        and questionnaire columns. ``subtype``, ``protocol``, ``tspo_genotype`` and ``sex`` are
        categoricals. LAB subjects keep their row but their SUVR values are set to NaN.
        ``df.attrs["neuroimmune_stats"]`` holds the merge record (see :func:`merge_record`).

    Raises
    ------
    DataValidationError
        Every problem of every table, with file, line, column, value and rule.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> from neuroimmune_stats.data.example import example_paths
    >>> df = nis.read_cohort(**example_paths())
    >>> df.shape[0], regions(df)[:2]
    (54, ['suvr_s1', 'suvr_thalamus'])
    """
    if how not in ("inner", "outer"):
        raise SpecificationError(f"how must be 'inner' or 'outer'; got {how!r}.")
    inputs = {"participants": participants, "suvr": suvr, "connectivity": connectivity,
              "questionnaires": questionnaires}
    checked: dict[str, ValidatedTable] = {}
    problems = []
    for table, obj in inputs.items():
        if obj is None:
            continue
        raw = read_raw(obj, table, load_schema(table).missing_values)
        vt = check_table(raw, table, suvr_range=suvr_range, connectivity_scale=connectivity_scale)
        checked[table] = vt
        problems.extend(vt.problems)
    if problems:
        raise DataValidationError(problems)
    return merge_tables(checked, how=how)


def merge_tables(checked: Mapping[str, ValidatedTable], how: str = "inner") -> pd.DataFrame:
    """Merge validated tables on ``subject_id`` and record who is missing from which table."""
    base = checked["participants"]
    frame = base.frame.copy()
    part_ids = list(frame["subject_id"].astype(str))
    record: dict[str, Any] = {
        "how": how,
        "tables": {t: {"source": vt.source, "n_rows": len(vt.frame), "columns": list(vt.frame.columns)}
                   for t, vt in checked.items()},
        "missing_from": {},
        "not_in_participants": {},
        "excluded_by_merge": [],
        "lab_excluded_from_pet": [],
        "validation_log": [n for vt in checked.values() for n in vt.notes],
        "units": {t: vt.units for t, vt in checked.items() if vt.units},
    }
    keep = set(part_ids)
    for table, vt in checked.items():
        if table == "participants":
            continue
        other = _prefixed(vt)
        ids = list(other["subject_id"].astype(str))
        id_set, part_set = set(ids), set(part_ids)
        absent = [i for i in part_ids if i not in id_set]
        extra = [i for i in ids if i not in part_set]
        record["missing_from"][table] = absent
        record["not_in_participants"][table] = extra
        _warn_ids(f"{len(absent)} subject(s) in participants have no row in the {table} table "
                  f"({vt.source})", absent)
        _warn_ids(f"{len(extra)} subject(s) in the {table} table ({vt.source}) are not in the "
                  "participants table", extra)
        if how == "inner":
            keep &= set(ids)
        frame = frame.merge(other, on="subject_id", how="outer" if how == "outer" else "left")
    if how == "inner":
        dropped = [i for i in part_ids if i not in keep]
        record["excluded_by_merge"] = dropped
        _warn_ids(f"how='inner' leaves out {len(dropped)} subject(s) missing from a table", dropped)
        frame = frame[frame["subject_id"].astype(str).isin(keep)]
    frame = frame.reset_index(drop=True)
    if "tspo_genotype" in frame.columns:
        lab = frame["tspo_genotype"].astype(object) == "LAB"
        suvr_cols = regions(frame)
        if lab.any():
            ids = frame.loc[lab, "subject_id"].astype(str).tolist()
            record["lab_excluded_from_pet"] = ids
            if suvr_cols:
                frame.loc[lab.to_numpy(), suvr_cols] = np.nan
            _warn_ids(f"{len(ids)} low-affinity binder(s) (LAB, Thr/Thr) excluded from PET analyses "
                      "(PBR28 binding is not quantifiable)", ids)
    for col in ("protocol", "scanner"):
        if col in frame.columns and not isinstance(frame[col].dtype, pd.CategoricalDtype):
            frame[col] = frame[col].astype(str).astype("category")
    unmatched = {t: list(ids) for t, ids in record["not_in_participants"].items()}
    absent_any = {i for ids in record["missing_from"].values() for i in ids}
    missing = [i for i in part_ids if i in absent_any]
    if missing:
        unmatched["participants"] = missing
    frame.attrs[ATTRS_KEY] = freeze(record)
    frame.attrs["validation_log"] = NoteList(record["validation_log"])
    frame.attrs["unmatched_ids"] = freeze(unmatched)
    return frame


def merge_record(df: pd.DataFrame) -> dict[str, Any]:
    """The merge record of a frame from :func:`read_cohort` (empty dict for other frames)."""
    rec = df.attrs.get(ATTRS_KEY, {})
    return dict(rec) if isinstance(rec, Mapping) else {}


def regions(df: pd.DataFrame) -> list[str]:
    """The SUVR columns (``suvr_*``) of a cohort frame, in order.

    Examples
    --------
    >>> regions(pd.DataFrame(columns=["subject_id", "suvr_s1", "conn_s1__thalamus"]))
    ['suvr_s1']
    """
    return [c for c in df.columns if str(c).startswith("suvr_")]


def edges(df: pd.DataFrame) -> list[str]:
    """The connectivity columns (``conn_<seed>__<target>``) of a cohort frame.

    Examples
    --------
    >>> edges(pd.DataFrame(columns=["subject_id", "suvr_s1", "conn_s1__thalamus"]))
    ['conn_s1__thalamus']
    """
    return [c for c in df.columns if str(c).startswith("conn_") and "__" in str(c)]


def questionnaires(df: pd.DataFrame) -> list[str]:
    """The questionnaire columns of a cohort frame (schema fields and pass-through instruments).

    Examples
    --------
    >>> questionnaires(pd.DataFrame(columns=["subject_id", "age", "paindetect", "fss"]))
    ['paindetect', 'fss']
    """
    known = [f.name for f in load_schema("questionnaires").fields if f.name != "subject_id"]
    rec = merge_record(df).get("tables", {}).get("questionnaires", {})
    extra = [c for c in rec.get("columns", []) if c != "subject_id"]
    wanted = set(known) | set(extra)
    return [c for c in df.columns if c in wanted]
