"""Table 1: participant characteristics by group (and by protocol stratum), as in the reference study.

Continuous variables are shown as mean ± SD and compared with Student's t-test (``test="welch"`` for
Welch's); categorical variables are shown as counts per level and compared with Pearson's χ² test
**without** continuity correction (R's ``chisq.test(correct = FALSE)``). Each variable uses its own
complete cases, and the n is shown wherever it is smaller than the group size.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ._dist import chi2_sf, t_sf
from .design import ID_COLUMN, as_list, is_factor, resolve_columns, subject_ids
from .exceptions import SpecificationError
from .format import VARIABLE_LABELS
from .results import Result, format_p, signif_stars

#: default variables in display order (only those present in the data are used)
DEFAULT_ORDER = (
    "age",
    "sex",
    "tspo_genotype",
    "bmi",
    "injected_dose_mbq",
    "specific_activity_gbq_umol",
    "injected_mass_ug",
    "paindetect",
    "bpi_severity",
    "bpi_interference",
    "fss",
    "wpi",
    "sss",
)

#: display labels of the known columns (anything else is shown by its column name): the one formatter's
DEFAULT_LABELS = VARIABLE_LABELS

#: imaging outcomes are not participant characteristics: left out of the default variables
_OUTCOME_PREFIXES = ("suvr_", "conn_")

#: label of the all-subjects column block
COMBINED = "combined"

TIDY_ORDER = [
    "variable", "label", "level", "stratum", "group", "n", "mean", "sd", "count",
    "test", "statistic", "df", "p_value",
]


def _levels(s: pd.Series) -> list:
    """Levels in categorical order (unused ones dropped), else sorted observed values."""
    s = s.dropna()
    if isinstance(s.dtype, pd.CategoricalDtype):
        return [lev for lev in s.cat.categories if (s == lev).any()]
    vals = pd.unique(s)
    try:
        return sorted(vals)
    except TypeError:
        return sorted(vals, key=str)


def _ttest(x: np.ndarray, g: np.ndarray, groups: Sequence, welch: bool) -> tuple[float, float, float]:
    """t (second group minus first), df and two-sided p; NaN when a group has fewer than 2 values."""
    a, b = x[g == groups[0]], x[g == groups[1]]
    if len(a) < 2 or len(b) < 2:
        return np.nan, np.nan, np.nan
    va, vb = np.var(a, ddof=1), np.var(b, ddof=1)
    diff = b.mean() - a.mean()
    if welch:
        sa, sb = va / len(a), vb / len(b)
        se2 = sa + sb
        df = se2**2 / (sa**2 / (len(a) - 1) + sb**2 / (len(b) - 1)) if se2 > 0 else np.nan
    else:
        df = len(a) + len(b) - 2
        se2 = ((len(a) - 1) * va + (len(b) - 1) * vb) / df * (1 / len(a) + 1 / len(b))
    if not se2 > 0:
        return np.nan, float(df), np.nan
    t = diff / np.sqrt(se2)
    return float(t), float(df), float(2 * t_sf(abs(t), df))


def _chisq(table: np.ndarray) -> tuple[float, float, float]:
    """Pearson χ² without continuity correction on levels/groups observed in the table; NaN if < 2×2."""
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return np.nan, np.nan, np.nan
    # scipy.stats.chi2_contingency(table, correction=False), without importing scipy.stats
    table = table.astype(float)
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    stat = float(((table - expected) ** 2 / expected).sum())
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    return stat, float(dof), float(chi2_sf(stat, dof))


@dataclass(frozen=True, repr=False, eq=False)
class TableOne(Result):
    """The result of :func:`table_one`: tidy per-group summaries plus display renderings.

    Attributes
    ----------
    by, strata : str, str or None
        Grouping column and (optional) stratum column.
    groups, strata_levels : list of str
        Group levels in display order; stratum levels (``["combined"]`` without strata).
    variables : list of str
        The data columns summarised, in order.
    labels : dict
        Display label per variable.
    test : str
        ``"student"`` or ``"welch"`` for continuous variables.
    excluded_ids : tuple of str
        Subjects left out because their group (or stratum) is missing.
    """

    #: tidy columns beyond the broom vocabulary (declared for the result contract)
    extra_columns = ("mean", "sd", "count", "p_equivalence", "value")

    table: pd.DataFrame
    by: str
    strata: str | None
    groups: list[str]
    strata_levels: list[str]
    variables: list[str]
    labels: dict[str, str]
    kinds: dict[str, str]
    levels: dict[str, list[str]]
    group_n: dict[tuple[str, str], int]
    test: str
    digits: int = 1
    excluded_ids: tuple[str, ...] = field(default_factory=tuple)
    n: int = 0

    def tidy(self) -> pd.DataFrame:
        """One row per variable [× level] × stratum × group.

        Columns: ``variable`` (data column), ``label``, ``level`` (categoricals), ``stratum``
        (``"combined"`` or a stratum level), ``group``, ``n`` (non-missing in the cell), ``mean``,
        ``sd`` (continuous), ``count`` (categoricals), and the test of the variable in that stratum:
        ``test`` (``"student"``, ``"welch"`` or ``"chisq"``), ``statistic`` (t, second group minus
        first, or χ²), ``df``, ``p_value``.
        """
        return self.table.copy()

    # ---------------------------------------------------------------- display
    def _order(self) -> list[str]:
        """Display order of the column blocks: strata first, the combined block last (as the paper)."""
        return [s for s in self.strata_levels if s != COMBINED] + [COMBINED]

    def _cells(self) -> dict[tuple[str, str, str], pd.DataFrame]:
        """Rows of the tidy table keyed by (variable, stratum, group)."""
        return {
            (str(k[0]), str(k[1]), str(k[2])): g
            for k, g in self.table.groupby(["variable", "stratum", "group"], sort=False)
        }

    def _cell(self, cells: dict[tuple[str, str, str], pd.DataFrame], var: str, stratum: str, group: str) -> str:
        rows = cells.get((var, stratum, group), self.table.iloc[:0])
        n_total = self.group_n[(stratum, group)]
        n = int(rows["n"].iloc[0]) if len(rows) else 0
        if n == 0:
            return "–"
        d = self.digits
        if self.kinds[var] == "continuous":
            r = rows.iloc[0]
            sd = "NA" if not np.isfinite(r["sd"]) else f"{r['sd']:.{d}f}"
            text = f"{r['mean']:.{d}f} ± {sd}"
        else:
            counts = dict(zip(rows["level"], rows["count"].astype(int), strict=True))
            levels = self.levels[var]
            if len(levels) == 2:
                text = ":".join(str(counts.get(lev, 0)) for lev in levels)
            else:
                text = "; ".join(f"{counts.get(lev, 0)} {lev}" for lev in levels)
        if n < n_total:
            text += f" (n = {n})"
        return text

    def _p(self, cells: dict[tuple[str, str, str], pd.DataFrame], var: str, stratum: str) -> float:
        rows = cells.get((var, stratum, self.groups[0]))
        return float(rows["p_value"].iloc[0]) if rows is not None and len(rows) else np.nan

    def _row_label(self, var: str) -> str:
        label = self.labels[var]
        if self.kinds[var] == "categorical" and len(self.levels[var]) == 2:
            return f"{label}, {':'.join(self.levels[var])}, n"
        if self.kinds[var] == "categorical":
            return f"{label}, n"
        return label

    def _p_text(self, p: float) -> str:
        if not np.isfinite(p):
            return ""
        stars = signif_stars(p).rstrip(".")
        return f"{format_p(p)}{stars}"

    def to_frame(self) -> pd.DataFrame:
        """The display table as strings: one row per variable, one column per stratum × group and p."""
        rows = []
        cells = self._cells()
        order = self._order()
        for var in self.variables:
            row = {"characteristic": self._row_label(var)}
            for s in order:
                for g in self.groups:
                    row[self._header(s, g)] = self._cell(cells, var, s, g)
                row[self._p_header(s)] = self._p_text(self._p(cells, var, s))
            rows.append(row)
        return pd.DataFrame(rows)

    def _header(self, stratum: str, group: str) -> str:
        n = self.group_n[(stratum, group)]
        if self.strata is None:
            return f"{group} (n = {n})"
        name = "Combined" if stratum == COMBINED else f"{self.strata} {stratum}"
        return f"{name}: {group} (n = {n})"

    def _p_header(self, stratum: str) -> str:
        if self.strata is None:
            return "p"
        return "p (combined)" if stratum == COMBINED else f"p ({self.strata} {stratum})"

    def _footnote(self) -> str:
        cont = "Welch's t-test" if self.test == "welch" else "Student's t-test"
        return (f"Mean ± SD or counts; n shown where a variable is incomplete. P-values: {cont} "
                "(continuous), Pearson's χ² without continuity correction (categorical). "
                "*p < .05, **p < .01, ***p < .001.")

    def summary(self) -> str:
        """Plain-text table laid out like the paper's Table 1 (APA p-values with stars)."""
        from .export import export_table

        t = export_table(self)
        frame = pd.DataFrame(t.rows(), columns=t.flat_headers())
        head = f"Table 1 by {self.by}" + (f", stratified by {self.strata}" if self.strata else "")
        first = frame.columns[0]
        width = max(len(str(c)) for c in frame[first])
        body = frame.to_string(index=False, justify="left", formatters={first: lambda v: str(v).ljust(width)})
        lines = [head, body, self._footnote()]
        if self.excluded_ids:
            lines.append(f"Excluded (missing {self.by}"
                         + (f" or {self.strata}" if self.strata else "")
                         + f"): {', '.join(self.excluded_ids)}")
        return "\n".join(lines)

    # --- manuscript exports (issue 18): Result.to_markdown/to_latex/to_html/to_docx render this
    def _export_table(self, labels: Mapping[str, str] | None = None) -> Any:
        """Display table: one row per variable; per stratum block the groups, p (APA, stars) and
        the equivalence p when computed; a two-level header (stratum, group) when stratified."""
        from .export import ExportTable
        from .format import format_p, label_for

        lab = {**self.labels, **dict(labels or {})}
        cells = self._cells()
        order = self._order()
        has_eq = "p_equivalence" in self.table and bool(self.table["p_equivalence"].notna().any())
        block = {s: ("Combined" if s == COMBINED else f"{lab.get(str(self.strata), self.strata)} {s}")
                 for s in order}
        cols: list[tuple[str, str]] = [("", label_for("characteristic", labels))]
        for s in order:
            cols += [(block[s], f"{g} (n = {self.group_n[(s, g)]})") for g in self.groups]
            cols.append((block[s], "p"))
            if has_eq:
                cols.append((block[s], "p (equivalence)"))
        rows = []
        for var in self.variables:
            row = [self._row_label(var).replace(self.labels[var], lab.get(var, self.labels[var]), 1)]
            for s in order:
                row += [self._cell(cells, var, s, g) for g in self.groups]
                p = self._p(cells, var, s)
                row.append(f"{format_p(p)}{signif_stars(p).rstrip('.')}" if np.isfinite(p) else "")
                if has_eq:
                    r = cells.get((var, s, self.groups[0]))
                    row.append(format_p(r["p_equivalence"].iloc[0]) if r is not None and len(r) else "")
            rows.append(row)
        if self.strata is None:
            frame = pd.DataFrame(rows, columns=[c[1] for c in cols])
        else:
            frame = pd.DataFrame(rows, columns=pd.MultiIndex.from_tuples(cols))
        caption = (f"Participant characteristics by {lab.get(self.by, self.by)}"
                   + (f" and {lab.get(str(self.strata), self.strata)}" if self.strata else ""))
        notes = self._footnote()
        if has_eq:
            notes += " p (equivalence): two one-sided tests (TOST) against the stated bounds."
        return ExportTable(frame, caption=caption, notes=notes)

    def to_html(self, labels: Mapping[str, str] | None = None) -> str:
        """A self-contained ``<table>`` (two header rows when stratified); all text is escaped."""
        from .export import to_html

        return to_html(self, labels, css_class="table-one")
    # --- end manuscript exports (issue 18)

    def _repr_html_(self) -> str:
        return self.to_html()


def _default_variables(data: pd.DataFrame, exclude: set[str], strata: str | None) -> list[str]:
    known = [c for c in DEFAULT_ORDER if c in data.columns and c not in exclude]
    rest = [
        c for c in data.columns
        if c not in exclude and c not in known and c != ID_COLUMN
        and not str(c).startswith(_OUTCOME_PREFIXES)
    ]
    if strata is not None:
        # a factor constant within every stratum (e.g. scanner within protocol) only restates it
        def restates(c: str) -> bool:
            if not is_factor(data[c]):
                return False
            return bool((data.groupby(strata, observed=True)[c].nunique(dropna=False) <= 1).all())

        rest = [c for c in rest if not restates(c)]
    return known + rest


def table_one(
    data: pd.DataFrame,
    by: str = "subtype",
    strata: str | None = None,
    variables: str | Sequence[str] | None = None,
    *,
    test: str = "student",
    labels: Mapping[str, str] | None = None,
    digits: int = 1,
    equivalence: Mapping[str, object] | None = None,
) -> TableOne:
    """Participant characteristics per group (the reference study's Table 1).

    Parameters
    ----------
    data : DataFrame
        One row per subject; not modified.
    by : str, default "subtype"
        Two-level grouping column. Groups are shown in its categorical order (sorted otherwise);
        make it a pandas categorical to choose the order.
    strata : str, optional
        Stratum column (e.g. ``"protocol"``): every variable is then summarised and tested per
        stratum too, and the combined columns come last.
    variables : str or list of str, optional
        Columns (or globs) to summarise. Default: the known characteristics present (age, sex,
        tspo_genotype, bmi, injected dose/activity/mass, paindetect, bpi_severity, fss, ...) then
        every other column except ``subject_id``, ``by``, ``strata``, the imaging outcomes
        (``suvr_*``, ``conn_*``) and, with ``strata``, factors constant within every stratum (e.g.
        ``scanner`` within ``protocol``). Pass them explicitly to include them.
    test : {"student", "welch"}, default "student"
        t-test for continuous variables (R ``t.test(var.equal = TRUE)`` or Welch's).
    labels : mapping, optional
        Display labels by column name, overriding the built-in ones.
    digits : int, default 1
        Decimals of mean and SD in the displays (the tidy table keeps full precision).
    equivalence : mapping, optional
        ``{variable: (low, high)}`` (or ``{variable: delta}``) for continuous variables: adds a
        ``p_equivalence`` column to the tidy table, the TOST p of the difference (second group minus
        first) against those bounds, with the same t test as ``test``
        (:func:`~neuroimmune_stats.equivalence_test` without covariates).

    Returns
    -------
    TableOne
        ``.tidy()`` (see :meth:`TableOne.tidy` for the columns), ``.summary()``, ``.to_html()``,
        ``.to_markdown()``, ``.to_frame()`` (display strings).

    Raises
    ------
    SpecificationError
        ``by``/``strata``/a variable is not a column, ``by`` does not have exactly two levels,
        ``by`` equals ``strata``, or ``test`` is unknown.

    Notes
    -----
    Categorical = strings, categoricals, booleans and the always-factor columns (``protocol``,
    ``sex``, ``tspo_genotype``, ...). χ² uses the levels observed in the tested subset; p is NaN when
    fewer than two levels or groups remain, and a t-test p is NaN when a group has fewer than two
    values. Validated against R 4.2.2 ``t.test`` and ``chisq.test(correct = FALSE)``
    (``tests/reference/table1.R``).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"subtype": ["axial"] * 3 + ["radicular"] * 3,
    ...                    "age": [40.0, 50, 45, 52, 58, None], "sex": list("FMFFMM")})
    >>> t1 = table_one(df)
    >>> print(t1.to_frame().iloc[:, :3].to_string(index=False))
    characteristic axial (n = 3)  radicular (n = 3)
        Age, years    45.0 ± 5.0 55.0 ± 4.2 (n = 2)
       Sex, F:M, n           2:1                1:2
    >>> round(float(t1.tidy().query("variable == 'age'")["p_value"].iloc[0]), 4)
    0.1049
    """
    from .missing import is_imputed

    if is_imputed(data):  # multiply imputed data: pooled cells and tests (neuroimmune_stats.missing)
        from .missing.pool import pool_table_one

        return pool_table_one(data, by=by, strata=strata, variables=variables, test=test,  # type: ignore[arg-type, no-any-return]
                              labels=labels, digits=digits, equivalence=equivalence)
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"table_one: `data` must be a pandas DataFrame; got {type(data).__name__}.")
    if test not in ("student", "welch"):
        raise SpecificationError(f"table_one: `test` must be 'student' or 'welch'; got {test!r}.")
    if not isinstance(by, str):
        raise SpecificationError(f"table_one: `by` must be a column name; got {by!r}.")
    by = resolve_columns(data, by, what="table_one `by`")[0]
    if strata is not None:
        if not isinstance(strata, str):
            raise SpecificationError(f"table_one: `strata` must be a column name; got {strata!r}.")
        strata = resolve_columns(data, strata, what="table_one `strata`")[0]
        if strata == by:
            raise SpecificationError(f"table_one: `strata` and `by` are the same column ({by!r}).")
    if labels is not None and not isinstance(labels, Mapping):
        raise SpecificationError("table_one: `labels` must be a mapping {column: label}.")
    design_cols = {by} | ({strata} if strata else set())
    if variables is None:
        variables = _default_variables(data, design_cols, strata)
    else:
        variables = resolve_columns(data, as_list(variables), what="table_one `variables`")
        clash = [v for v in variables if v in design_cols]
        if clash:
            raise SpecificationError(
                f"table_one: {clash} cannot be a summarised variable and the `by`/`strata` column."
            )
    if not variables:
        raise SpecificationError("table_one: no variables to summarise.")

    keep = data[by].notna() & (data[strata].notna() if strata else True)
    ids = subject_ids(data)
    excluded = tuple(ids[~keep].tolist())
    frame = data.loc[keep]
    groups = _levels(frame[by])
    if len(groups) != 2:
        raise SpecificationError(
            f"table_one: `by` column {by!r} must have exactly two groups to compare; it has "
            f"{len(groups)} ({', '.join(map(str, groups)) or 'none'})."
        )
    gvals = frame[by].astype(object).to_numpy()
    subsets: list[tuple[str, np.ndarray]] = [(COMBINED, np.ones(len(frame), dtype=bool))]
    if strata:
        svals = frame[strata].astype(object).to_numpy()
        subsets = [(str(s), svals == s) for s in _levels(frame[strata])] + subsets

    lab = {**DEFAULT_LABELS, **dict(labels or {})}
    out_labels = {v: str(lab.get(v, v)) for v in variables}
    kinds: dict[str, str] = {}
    levels: dict[str, list[str]] = {}
    rows: list[dict] = []
    for var in variables:
        s = frame[var]
        factor = is_factor(s)
        kinds[var] = "categorical" if factor else "continuous"
        if factor:
            levs = _levels(s)
            levels[var] = [str(v) for v in levs]
            vals = s.astype(object).to_numpy()
            present = s.notna().to_numpy()
        else:
            try:
                x = pd.to_numeric(s, errors="raise").to_numpy(dtype=float)
            except (TypeError, ValueError) as exc:
                raise SpecificationError(f"table_one: column {var!r} is neither numeric nor a factor.") from exc
            present = np.isfinite(x)
        for sname, smask in subsets:
            m = smask & present
            g = gvals[m]
            if factor:
                v = vals[m]
                tab = np.array([[np.sum((v == lev) & (g == grp)) for grp in groups] for lev in levs], dtype=float)
                stat, df, p = _chisq(tab.reshape(len(levs), len(groups)))
                tname = "chisq"
                for j, grp in enumerate(groups):
                    n = int(np.sum(g == grp))
                    for i, lev in enumerate(levs):
                        rows.append(dict(variable=var, level=str(lev), stratum=sname, group=str(grp), n=n,
                                         mean=np.nan, sd=np.nan, count=float(tab[i, j]), test=tname,
                                         statistic=stat, df=df, p_value=p))
                    if not levs:
                        rows.append(dict(variable=var, level=None, stratum=sname, group=str(grp), n=0,
                                         mean=np.nan, sd=np.nan, count=0.0, test=tname,
                                         statistic=stat, df=df, p_value=p))
            else:
                xv = x[m]
                stat, df, p = _ttest(xv, g, groups, welch=test == "welch")
                for grp in groups:
                    xg = xv[g == grp]
                    rows.append(dict(variable=var, level=None, stratum=sname, group=str(grp), n=len(xg),
                                     mean=float(xg.mean()) if len(xg) else np.nan,
                                     sd=float(xg.std(ddof=1)) if len(xg) > 1 else np.nan,
                                     count=np.nan, test=test, statistic=stat, df=df, p_value=p))
    table = pd.DataFrame(rows)
    table.insert(1, "label", table["variable"].map(out_labels))
    table = table[TIDY_ORDER]
    if equivalence:
        from .planning.equivalence import equivalence_column

        table["p_equivalence"] = equivalence_column(table, equivalence, kinds, [str(g) for g in groups],
                                                    welch=test == "welch")
    group_n = {(sname, str(grp)): int(np.sum(smask & (gvals == grp))) for sname, smask in subsets for grp in groups}
    return TableOne(
        table=table, by=by, strata=strata, groups=[str(g) for g in groups],
        strata_levels=[s for s, _ in subsets], variables=list(variables), labels=out_labels,
        kinds=kinds, levels=levels, group_n=group_n, test=test, digits=int(digits), excluded_ids=excluded,
        n=int(len(data) - len(excluded)),
    )


__all__ = ["DEFAULT_LABELS", "DEFAULT_ORDER", "TableOne", "table_one"]
