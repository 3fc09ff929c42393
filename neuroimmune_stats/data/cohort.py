"""Read, validate and merge a site's exports into one row per subject."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..exceptions import DataValidationError, DataWarning, Problem, SpecificationError
from ._attrs import NoteList, freeze
from .ids import describe_respelling, id_key, show_ids
from .io import TableInput, gc_paused, read_raw
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


def _prefixed(vt: ValidatedTable) -> tuple[pd.DataFrame, dict[str, str]]:
    """The table with its variable columns prefixed (``suvr_``, ``conn_``) and the renaming applied."""
    schema = load_schema(vt.table)
    if schema.variable is None:
        return vt.frame, {}
    prefix = schema.variable.prefix
    named = {f.name for f in schema.fields} | {f.name for f in load_schema("participants").fields}
    ren = {c: prefix + c for c in vt.frame.columns if c not in named and not c.startswith(prefix)}
    return vt.frame.rename(columns=ren), ren


def _warn_ids(what: str, ids: list[str]) -> None:
    if ids:
        warnings.warn(f"{what}: {show_ids(ids)}", DataWarning, stacklevel=4)


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
        Participants sheet (CSV/TSV, also gzipped; BIDS ``participants.tsv`` with ``participant_id`` works).
    suvr, connectivity, questionnaires : path or DataFrame, optional
        Regional SUVR, seed–target connectivity and questionnaire tables, wide or long layout.
    how : {"inner", "outer"}, default="inner"
        ``"inner"`` keeps subjects present in every given table; ``"outer"`` keeps everyone, with
        missing values. Either way every subject left out or incomplete is named in a warning.
    suvr_range : (float, float), optional
        Plausible SUVR range (default 0.2–5 from the schema).
    connectivity_scale : {"z", "r"}, optional
        ``"r"`` requires connectivity in [−1, 1]; by default Fisher z, plausible within ±5.

    Returns
    -------
    DataFrame
        One row per subject: participants columns, ``suvr_<region>``, ``conn_<seed>__<target>``
        and questionnaire columns. ``subject_id`` keeps the participants file's spelling; the other
        tables are matched to it ignoring a ``sub-`` prefix, zero padding and case. ``subtype``,
        ``tspo_genotype`` and ``sex`` are categoricals with the schema's levels; ``protocol``, ``scanner``
        and columns with sidecar ``Levels`` are categoricals that keep the file's codes (``1``/``2`` stay
        integers, so ``df[df.protocol == 2]`` works). Only levels present after merging are kept. LAB
        subjects keep their row but their SUVR values are set to NaN. ``df.attrs``:
        ``"validation_log"`` (list of notes: ID matching, unit conversions, renamed columns, skipped
        lines), ``"unmatched_ids"`` (table → IDs of that table, as written, without a match in
        participants; ``"participants"`` → participants missing from at least one table), ``"labels"``
        (column → sidecar ``LongName``) and ``"neuroimmune_stats"`` (the merge record, see
        :func:`merge_record`).

    Raises
    ------
    DataValidationError
        Every problem of every table, with file, line, column, value and rule; also when fewer than half
        of a table's IDs match the participants, when a column in two tables disagrees, or when no
        subject is left after merging.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> from neuroimmune_stats.data.example import example_paths
    >>> df = nis.read_cohort(**example_paths())
    >>> df.shape[0], regions(df)[:2], list(df["protocol"].cat.categories)
    (54, ['suvr_s1', 'suvr_thalamus'], [1, 2])
    """
    from .._params import check_choice
    from .validate import check_read_options

    how = check_choice(how, ("inner", "outer"), where="read_cohort", name="how")
    suvr_range, scale = check_read_options("read_cohort", suvr_range, connectivity_scale)
    inputs = {"participants": participants, "suvr": suvr, "connectivity": connectivity,
              "questionnaires": questionnaires}
    checked: dict[str, ValidatedTable] = {}
    problems = []
    with gc_paused():
        for table, obj in inputs.items():
            if obj is None:
                continue
            raw = read_raw(obj, table, load_schema(table).missing_values)
            vt = check_table(raw, table, suvr_range=suvr_range, connectivity_scale=scale)
            checked[table] = vt
            problems.extend(vt.problems)
        if problems:
            raise DataValidationError(problems)
        return merge_tables(checked, how=how)


def _same(a: pd.Series, b: pd.Series) -> np.ndarray:
    """Elementwise agreement of two aligned columns where both are present."""
    both = (a.notna() & b.notna()).to_numpy()
    if pd.api.types.is_numeric_dtype(a.dtype) and pd.api.types.is_numeric_dtype(b.dtype):
        x, y = a.to_numpy(dtype=float), b.to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            eq = np.isclose(x, y, rtol=1e-9, atol=1e-12)
    else:
        eq = (a.astype(object).astype(str).to_numpy() == b.astype(object).astype(str).to_numpy())
    return ~both | eq


def _coalesce(a: pd.Series, b: pd.Series) -> pd.Series:
    if isinstance(a.dtype, pd.CategoricalDtype) or isinstance(b.dtype, pd.CategoricalDtype):
        ca = list(a.cat.categories) if isinstance(a.dtype, pd.CategoricalDtype) else []
        cb = list(b.cat.categories) if isinstance(b.dtype, pd.CategoricalDtype) else []
        cats = ca + [c for c in cb if c not in set(ca)]
        vals = a.astype(object).where(a.notna(), b.astype(object))
        return pd.Series(pd.Categorical(vals.tolist(), categories=cats), index=a.index)
    return a.where(a.notna(), b)


def merge_tables(checked: Mapping[str, ValidatedTable], how: str = "inner") -> pd.DataFrame:
    """Merge validated tables on the subject-ID key and record who is missing from which table."""
    base = checked["participants"]
    part_ids = base.frame["subject_id"].astype(str).tolist()
    part_keys = base.keys or [id_key(v) for v in part_ids]
    spelling = dict(zip(part_keys, part_ids, strict=True))
    frame = base.frame.copy()
    frame.index = pd.Index(part_keys, dtype=object)
    log = list(base.notes)
    labels = dict(base.labels)
    units = {"participants": base.units} if base.units else {}
    problems: list[Problem] = []
    col_source = {c: base.source for c in frame.columns}
    record: dict[str, Any] = {
        "how": how,
        "tables": {t: {"source": vt.source, "n_rows": len(vt.frame), "columns": list(vt.frame.columns)}
                   for t, vt in checked.items()},
        "missing_from": {}, "not_in_participants": {}, "excluded_by_merge": [], "lab_excluded_from_pet": [],
    }
    unmatched: dict[str, list[str]] = {}
    present_in_all = set(part_keys)
    absent_any: set[str] = set()
    for table, vt in checked.items():
        if table == "participants":
            continue
        other, ren = _prefixed(vt)
        record["tables"][table]["columns"] = list(other.columns)
        log.extend(vt.notes)
        labels.update({ren.get(c, c): lab for c, lab in vt.labels.items()})
        if vt.units:
            units[table] = {ren.get(c, c): u for c, u in vt.units.items()}
        okeys = vt.keys or [id_key(str(v)) for v in other["subject_id"]]
        owritten = other["subject_id"].astype(str).tolist()
        hit = [k in spelling for k in okeys]
        n_hit = sum(hit)
        if len(okeys) and 2 * n_hit < len(okeys):
            ex_o = ", ".join(repr(w) for w, h in zip(owritten, hit, strict=True) if not h)
            ex_o = ", ".join(ex_o.split(", ")[:3])
            ex_p = ", ".join(repr(w) for w in part_ids[:3])
            problems.append(Problem(vt.source, None, "subject_id", "", (
                f"only {n_hit} of the {len(okeys)} subject IDs match {base.source} (IDs are matched ignoring a "
                f"'sub-' prefix, zero padding and case): {vt.source} has {ex_o}; {base.source} has {ex_p}. Check that "
                "both files use the same subject IDs")))
            continue
        log.append(f"{vt.source}: {n_hit} of {len(okeys)} subject IDs matched to {base.source} (ignoring a 'sub-' "
                   "prefix, zero padding and case)")
        respelled = [(w, spelling[k]) for w, k, h in zip(owritten, okeys, hit, strict=True) if h and spelling[k] != w]
        if respelled:
            log.append(f"{vt.source}: {len(respelled)} subject ID(s) matched to {base.source} under another spelling "
                       f"({describe_respelling(respelled)}); the participants spelling is kept")
        okey_set = set(okeys)
        absent = [spelling[k] for k in part_keys if k not in okey_set]
        extra = [w for w, h in zip(owritten, hit, strict=True) if not h]
        record["missing_from"][table] = absent
        record["not_in_participants"][table] = extra
        unmatched[table] = extra
        absent_any.update(absent)
        _warn_ids(f"{len(absent)} subject(s) in participants have no row in the {table} table ({vt.source})", absent)
        _warn_ids(f"{len(extra)} subject(s) in the {table} table ({vt.source}) are not in the participants table",
                  extra)
        if how == "inner":
            present_in_all &= okey_set
        values = other.drop(columns=["subject_id"])
        values.index = pd.Index(okeys, dtype=object)
        if how == "outer":
            new = [k for k, h in zip(okeys, hit, strict=True) if not h]
            if new:
                frame = frame.reindex(frame.index.append(pd.Index(new, dtype=object)))
                frame.loc[new, "subject_id"] = [w for w, h in zip(owritten, hit, strict=True) if not h]
        for c in [c for c in values.columns if c in frame.columns]:
            src = col_source[c]
            mine = values[c].reindex(frame.index)
            agree = _same(frame[c], mine)
            if agree.all():
                frame[c] = _coalesce(frame[c], mine)
                log.append(f"column {c!r} is in both {src} and {vt.source} with the same values; kept once")
            else:
                line_of = dict(zip(okeys, vt.row_lines.tolist(), strict=True))
                for k in frame.index[~agree][:3]:
                    sid = str(frame.at[k, "subject_id"])
                    line = line_of.get(k)
                    problems.append(Problem(vt.source, line, c, _show(mine[k]), (
                        f"differs from {src} ({_show(frame.at[k, c])}) for subject {sid}; a column present in two "
                        "tables must agree — remove it from one of them")))
            values = values.drop(columns=[c])
        for c in values.columns:
            col_source[c] = vt.source
        frame = frame.join(values, how="left")
    if problems:
        raise DataValidationError(problems)
    if absent_any:
        unmatched["participants"] = [spelling[k] for k in part_keys if spelling[k] in absent_any]
    if how == "inner":
        dropped = [spelling[k] for k in part_keys if k not in present_in_all]
        record["excluded_by_merge"] = dropped
        _warn_ids(f"how='inner' leaves out {len(dropped)} subject(s) missing from a table", dropped)
        if dropped:
            log.append(f"how='inner' left out {len(dropped)} subject(s) missing from a table: {show_ids(dropped)}")
        frame = frame[frame.index.isin(present_in_all)]
    if len(frame) == 0:
        raise DataValidationError([Problem(base.source, None, "subject_id", "", (
            "no subject is in every table, so the merge (how='inner') is empty; IDs are matched ignoring a 'sub-' "
            "prefix, zero padding and case — check the subject IDs of the tables, or use how='outer'"))])
    frame = frame.reset_index(drop=True)
    if "tspo_genotype" in frame.columns:
        lab = (frame["tspo_genotype"].astype(object) == "LAB").to_numpy()
        suvr_cols = regions(frame)
        if lab.any():
            ids = frame.loc[lab, "subject_id"].astype(str).tolist()
            record["lab_excluded_from_pet"] = ids
            if suvr_cols:
                frame.loc[lab, suvr_cols] = np.nan
            _warn_ids(f"{len(ids)} low-affinity binder(s) (LAB, Thr/Thr) excluded from PET analyses "
                      "(PBR28 binding is not quantifiable)", ids)
            log.append(f"SUVR set to missing for {len(ids)} low-affinity binder(s) (LAB): {show_ids(ids)}")
    for name, dtype in frame.dtypes.items():
        if isinstance(dtype, pd.CategoricalDtype):
            frame[name] = frame[name].cat.remove_unused_categories()
            cats = list(frame[name].cat.categories)
            if len(cats) == 1:
                log.append(f"column {name!r} has a single level ({cats[0]}) after merging: analyses that compare "
                           "or adjust for it cannot use it")
    record["validation_log"] = log
    record["units"] = units
    frame.attrs[ATTRS_KEY] = freeze(record)
    frame.attrs["validation_log"] = NoteList(log)
    frame.attrs["unmatched_ids"] = freeze(unmatched)
    frame.attrs["labels"] = freeze(labels)
    return frame


def _show(v: object) -> str:
    if v is None or (isinstance(v, float) and np.isnan(v)):
        return "empty"
    return format(v, "g") if isinstance(v, float) else str(v)


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
