"""``group_compare``: one covariate-adjusted group model per outcome, vectorised over outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from .._params import check_conf_level
from ..design import (
    ALWAYS_FACTORS,
    as_list,
    check_frame,
    check_rank,
    clean_level,
    excluded_message,
    is_factor,
    numeric_column,
    numeric_series,
    present,
    resolve_columns,
    subject_ids,
    warn_excluded,
)
from ..exceptions import InsufficientDataError, SpecificationError
from ..missing import is_imputed
from ..multiplicity import adjust_pvalues, check_method
from ..results import Result, format_p, format_table


def _exact_positions(data: pd.DataFrame, items: list) -> list[int] | None:
    """Column positions when ``items`` are unique existing string names without glob characters, else None."""
    if not items or set(map(type, items)) != {str} or len(set(items)) != len(items):
        return None
    if any(ch in "\x00".join(items) for ch in "*?["):
        return None
    cols = data.columns.tolist()
    pos = {c: i for i, c in enumerate(cols)}
    if len(pos) != len(cols):
        return None
    try:
        return [pos[c] for c in items]
    except (KeyError, TypeError):
        return None


def outcome_columns(
    data: pd.DataFrame, outcomes: str | Iterable[str], *, what: str
) -> tuple[list[str], list[int] | None]:
    """Resolve outcome names/globs; also their column positions when given as a plain list of columns.

    The positions (None after glob expansion) let :func:`outcome_matrix` skip a second lookup.
    """
    items = as_list(outcomes)
    positions = _exact_positions(data, items)
    if positions is not None:
        return list(items), positions
    return resolve_columns(data, items, what=what), None


def outcome_matrix(data: pd.DataFrame, ys: list[str], *, what: str, positions: list[int] | None = None) -> np.ndarray:
    """The outcome columns as a float (n, m) array (one conversion when all are numeric)."""
    if not ALWAYS_FACTORS.intersection(ys):
        pos = positions if positions is not None else _exact_positions(data, ys)
        if pos is not None:
            raw = data.take(pos, axis=1).to_numpy()
            # int/float columns only (bool, categorical, string or nullable columns give other dtypes)
            if raw.dtype.kind in "fiu":
                return raw.astype(float, copy=False)
    return np.column_stack([numeric_column(data, y, what=what) for y in ys])


def _codes(s: pd.Series, reference: Any = None) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a factor over its used levels (the design layer's order; ``reference`` first)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        raw = s.array.codes
        used = np.unique(raw)
        cats = s.array.categories
        codes, levels = np.searchsorted(used, raw), [str(cats[i]) for i in used]
    else:
        # as the design layer's as_factor (sorted levels, whole floats as integers), without a Categorical
        codes, uniques = pd.factorize(s, sort=True)
        levels = [str(clean_level(u)) for u in uniques]
    if reference is not None:
        hit = [i for i, lv in enumerate(levels) if lv == str(reference)]
        if not hit:
            raise SpecificationError(f"reference: {reference!r} is not a level of {s.name!r} (levels: {levels}).")
        order = [hit[0], *[i for i in range(len(levels)) if i != hit[0]]]
        remap = np.empty(len(levels), dtype=int)
        remap[order] = np.arange(len(levels))
        codes, levels = remap[codes], [levels[i] for i in order]
    return codes, levels


Columns = pd.DataFrame | Mapping[str, pd.Series]


def _nuisance(frame: Columns, covariates: Sequence[str], n: int, *, what: str) -> tuple[np.ndarray, list[str]]:
    """Treatment dummies / numeric columns, as :func:`~neuroimmune_stats.design.covariate_matrix`."""
    cols: list[np.ndarray] = []
    names: list[str] = []
    for cov in covariates:
        s = frame[cov]
        if is_factor(s):
            codes, levels = _codes(s)
            if len(levels) < 2:
                raise SpecificationError(
                    f"{what}: covariate {cov!r} has a single level ({levels[0] if levels else 'none'}) "
                    "among the complete cases, so it cannot be adjusted for; remove it.")
            cols.append(codes[:, None] == np.arange(1, len(levels))[None, :])
            names += [f"{cov}[T.{lv}]" for lv in levels[1:]]
        else:
            x = numeric_series(s, cov, what=what)
            if np.ptp(x) == 0:
                raise SpecificationError(f"{what}: covariate {cov!r} is constant ({x[0]:g}) among the "
                                         "complete cases; remove it.")
            cols.append(x[:, None])
            names.append(cov)
    if not cols:
        return np.empty((n, 0)), []
    return np.column_stack(cols).astype(float), names


def group_design(
    frame: Columns, group: str, covariates: Sequence[str], *, what: str, reference: Any = None
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Group dummies (treatment, ``reference`` or the first level as reference) and nuisance design.

    ``frame`` is a DataFrame or a mapping of column name to Series (complete cases only). The rank
    rule is the design layer's (:func:`~neuroimmune_stats.design.check_rank`), as in ``lm``.
    """
    s = frame[group]
    n = len(s)
    if not is_factor(s) and s.nunique() > 2:
        raise SpecificationError(f"{what}: group {group!r} must be a factor (two or more levels).")
    codes, levels = _codes(s, reference)
    if len(levels) < 2:
        raise SpecificationError(f"{what}: group {group!r} has a single level {levels} among the complete cases.")
    G = (codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float)
    C, cnames = _nuisance(frame, covariates, n, what=what)
    Z = np.column_stack([np.ones(n), C])
    X = np.column_stack([Z, G])
    check_rank(X, ["(Intercept)", *cnames, *[f"{group}[T.{lv}]" for lv in levels[1:]]], what=what)
    return G, Z, levels, cnames


def fit_many(Y: np.ndarray, G: np.ndarray, Z: np.ndarray, conf_level: float = 0.95) -> dict[str, np.ndarray]:
    """F test of ``G`` given ``Z`` and the first group coefficient for every column of ``Y``.

    One QR of the design serves all outcomes: ``Y`` is (n, m); returns arrays of length m.
    """
    X = np.column_stack([Z, G])
    n, p = X.shape
    df1, df2 = G.shape[1], n - p
    q0 = Z.shape[1]
    # Householder QR without pivoting: the first q0 columns of Q span Z, so one QR serves both models
    Q, R = np.linalg.qr(X)
    QtY = Q.T @ Y
    ss = np.einsum("ij,ij->j", Y, Y)
    rss_full = ss - np.einsum("ij,ij->j", QtY, QtY)
    # where the fit explains almost all of sum(y^2) (large means), the difference above cancels:
    # recompute those residuals directly
    lossy = rss_full <= 1e-6 * ss
    if lossy.any():
        E = Y[:, lossy] - Q @ QtY[:, lossy]
        rss_full[lossy] = np.einsum("ij,ij->j", E, E)
    rss_red = rss_full + np.sum(QtY[q0:] ** 2, axis=0)
    # constant outcomes or exact fits: statistics would be rounding noise (checked only where the
    # residuals are tiny relative to sum(y^2), so the common case costs nothing)
    degenerate = np.zeros(Y.shape[1], dtype=bool)
    cand = np.flatnonzero(rss_full <= 1e-20 * ss)
    if cand.size:
        Yc = Y[:, cand]
        tss = np.sum((Yc - Yc.mean(axis=0)) ** 2, axis=0)
        degenerate[cand] = (np.ptp(Yc, axis=0) == 0) | (rss_full[cand] <= 1e-24 * n * tss)
    F = ((rss_red - rss_full) / df1) / (rss_full / df2)
    Rinv = np.linalg.inv(R)
    j = q0
    se = np.sqrt(rss_full / df2 * np.sum(Rinv[j] ** 2))
    q = special.stdtrit(df2, 0.5 + conf_level / 2)
    est = Rinv[j] @ QtY if df1 == 1 else np.full(Y.shape[1], np.nan)
    se = se if df1 == 1 else np.full(Y.shape[1], np.nan)
    return {
        "F": F, "df1": np.full(Y.shape[1], float(df1)), "df2": np.full(Y.shape[1], float(df2)),
        "p_value": special.fdtrc(df1, df2, F), "partial_eta_sq": (rss_red - rss_full) / rss_red,
        "estimate": est, "conf_low": est - q * se, "conf_high": est + q * se,
        "std_error": se, "degenerate": degenerate.astype(float),
    }


class GroupCompareResult(Result):
    """Covariate-adjusted group comparison of many outcomes (see :func:`group_compare`).

    ``.tidy()`` has one row per outcome; ``contrast`` names the direction of ``estimate``
    (e.g. ``"radicular - axial"``). ``excluded`` maps each outcome to the IDs it left out;
    ``excluded_ids`` is their union.
    """

    extra_columns = ("F", "df1", "df2", "partial_eta_sq")

    def __init__(self, table: pd.DataFrame, *, group: str, covariates: list[str], correction: str | None,
                 levels: list[str], excluded: dict[str, list[str]], n_total: int, conf_level: float,
                 call: str, notes: list[str]) -> None:
        self._table = table
        self.group = group
        self.covariates = list(covariates)
        self.correction = correction
        self.levels = list(levels)
        self.reference = levels[0]
        self.excluded = excluded
        self.excluded_ids = tuple(dict.fromkeys(i for ids in excluded.values() for i in ids))
        self.n = n_total - len(self.excluded_ids)
        self.conf_level = conf_level
        self.call = call
        self.notes = list(notes)

    def tidy(self) -> pd.DataFrame:
        """``outcome, contrast, F, df1, df2, p_value, p_adj, partial_eta_sq, estimate, std_error, conf_low,
        conf_high, n`` (a copy)."""
        return self._table.copy()

    def plot(self, ax: Any = None, alpha: float = 0.05, labels: Mapping[str, str] | None = None) -> Any:
        """Forest plot of the adjusted differences with their CIs (filled where ``p_adj < alpha``)."""
        from ..plots.groups import plot_forest

        return plot_forest(self, ax=ax, alpha=alpha, **({"labels": labels} if labels else {}))

    def summary(self) -> str:
        t = self._table
        covs = " + ".join(self.covariates)
        lines = [f"Call: {self.call}", "",
                 f"Group: {self.group} ({', '.join(self.levels)}); estimate = {t['contrast'].iloc[0]}, "
                 f"adjusted for {covs or 'nothing'}",
                 f"Correction over {len(t)} outcome(s): {self.correction or 'none'}", ""]
        shown = t.drop(columns=["contrast"]).copy()
        shown["p_value"] = [format_p(p) for p in shown["p_value"]]
        shown["p_adj"] = [format_p(p) for p in shown["p_adj"]]
        lines.append(format_table(shown))
        if self.excluded_ids:
            lines += ["", excluded_message("group_compare", list(self.excluded_ids), self.n)]
        lines += [f"Note: {note}" for note in self.notes]
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self._table)


def group_compare(
    data: pd.DataFrame,
    outcomes: str | Iterable[str],
    group: str = "subtype",
    covariates: str | Iterable[str] = (),
    correction: str | None = "bonferroni",
    *,
    reference: Any = None,
    conf_level: float = 0.95,
) -> GroupCompareResult:
    """Covariate-adjusted group comparison for each outcome (one OLS model per outcome).

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified, and not read after the call returns.
    outcomes : str or list of str
        Outcome columns or globs (``"suvr_*"``).
    group : str, default="subtype"
        Factor whose effect is tested.
    covariates : str or list of str
        Nuisance covariates (factors dummy-coded, e.g. ``["protocol", "tspo_genotype"]``).
    correction : str or None, default="bonferroni"
        :func:`~neuroimmune_stats.adjust_pvalues` method over the outcomes (None: ``p_adj = p_value``).
    reference : level, optional
        The level subtracted in ``estimate`` (default: the group's first level), so the default
        ``contrast`` is ``"radicular - axial"``.
    conf_level : float, default=0.95

    Returns
    -------
    GroupCompareResult
        ``.tidy()``: ``outcome, contrast, F, df1, df2, p_value, p_adj, partial_eta_sq, estimate,
        std_error, conf_low, conf_high, n``: the F test of the group term (type II = type III here,
        no interactions), the adjusted difference in the ``contrast`` direction (NaN with more than
        two levels), its CI, and the number of complete cases per outcome.

    Notes
    -----
    Missing values (NaN, ±inf) are excluded per outcome, with one ``DataWarning`` naming the
    subjects. Outcomes sharing the same complete cases are solved together with one QR of the design
    and matrix products over all outcomes. The rank rule is the design layer's, so each row equals
    ``lm(f"{y} ~ {group} + covariates").anova(2)`` (tested against R). An outcome that is constant,
    or fitted exactly, gets NaN statistics and a warning instead of numbers made of rounding noise.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=1)
    >>> res = group_compare(df, ["suvr_s1", "suvr_thalamus"], covariates=["protocol", "tspo_genotype"])
    >>> list(res.tidy().columns)[:5]
    ['outcome', 'contrast', 'F', 'df1', 'df2']
    >>> res.tidy()["contrast"].iloc[0], res.n
    ('radicular - axial', 54)
    """
    what = "group_compare"
    if is_imputed(data):
        from ..missing.pool import pool_group_compare

        return pool_group_compare(data, outcomes, group, covariates, correction, conf_level=conf_level,  # type: ignore[arg-type, no-any-return]
                                  reference=reference)
    check_frame(data, what=what)
    conf_level = check_conf_level(conf_level, where=what)
    method = None if correction is None else check_method(correction, name="correction", where=what)
    ys, positions = outcome_columns(data, outcomes, what=f"{what} outcomes")
    if not ys:
        raise SpecificationError(f"{what}: no outcomes given.")
    (g,) = resolve_columns(data, group, what=f"{what} group")
    covs = resolve_columns(data, as_list(covariates), what=f"{what} covariates")
    overlap = set(ys) & ({g} | set(covs))
    if overlap:
        raise SpecificationError(f"{what}: {sorted(overlap)} cannot be both outcome and predictor.")
    preds = {c: data[c] for c in (g, *covs)}
    base_ok = np.logical_and.reduce([present(s) for s in preds.values()])
    Yall = outcome_matrix(data, ys, what=what, positions=positions)
    ok = np.isfinite(Yall) & base_ok[:, None]
    ids = subject_ids(data).to_numpy() if not ok.all() else np.empty(0, dtype=object)
    if ok.all():
        patterns = {ok[:, 0].tobytes(): np.arange(len(ys))}
    else:
        uniq, inv = np.unique(ok.T, axis=0, return_inverse=True)
        patterns = {uniq[u].tobytes(): np.flatnonzero(inv.ravel() == u) for u in range(len(uniq))}
    cols: dict[str, np.ndarray] = {}
    n_arr = np.zeros(len(ys), dtype=int)
    excluded: dict[str, list[str]] = {}
    levels: list[str] = []
    for key, js in patterns.items():
        mask = np.frombuffer(key, dtype=bool)
        if mask.sum() < 3:
            raise InsufficientDataError(f"{what}: {[ys[j] for j in js]} have {int(mask.sum())} complete cases.")
        frame = preds if mask.all() else {c: s[mask] for c, s in preds.items()}
        G, Z, levels, _ = group_design(frame, g, covs, what=f"{what}({ys[js[0]]})", reference=reference)
        sub = Yall if len(js) == len(ys) and mask.all() else Yall[np.ix_(mask, js)]
        res = fit_many(sub, G, Z, conf_level)
        for k, v in res.items():
            cols.setdefault(k, np.full(len(ys), np.nan))[js] = v
        n_arr[js] = int(mask.sum())
        gone = [str(i) for i in ids[~mask]] if ids.size else []
        excluded.update(dict.fromkeys(ys if len(js) == len(ys) else [ys[j] for j in js.tolist()], gone))
    notes: list[str] = []
    degenerate = cols.pop("degenerate").astype(bool)
    if degenerate.any():
        bad = [ys[j] for j in np.flatnonzero(degenerate)]
        for k in ("F", "p_value", "partial_eta_sq", "estimate", "conf_low", "conf_high", "std_error"):
            cols[k][degenerate] = np.nan
        notes.append(f"outcome(s) {bad[:10]} are constant or fitted exactly among the complete cases; "
                     "their statistics are NaN.")
        import warnings

        from ..exceptions import DataWarning

        warnings.warn(f"{what}: {notes[-1]}", DataWarning, stacklevel=2)
    p_adj = cols["p_value"] if method is None else adjust_pvalues(cols["p_value"], method)
    union = list(dict.fromkeys(i for v in excluded.values() for i in v))
    warn_excluded(what, union, len(data) - len(union), stacklevel=2)
    contrast = f"{levels[1]} - {levels[0]}" if len(levels) == 2 else f"{g} ({len(levels)} levels, F test)"
    out = pd.DataFrame({
        # a broadcast scalar string costs ~3 ms over 1000 rows with arrow strings; an array does not
        "outcome": ys, "contrast": pd.array([contrast] * len(ys), dtype="str"),
        "F": cols["F"], "df1": cols["df1"], "df2": cols["df2"],
        "p_value": cols["p_value"], "p_adj": p_adj, "partial_eta_sq": cols["partial_eta_sq"],
        "estimate": cols["estimate"], "std_error": cols["std_error"], "conf_low": cols["conf_low"],
        "conf_high": cols["conf_high"], "n": n_arr,
    })
    call = (f"group_compare({len(ys)} outcome(s), group={g!r}, covariates={covs}, "
            f"correction={method!r}{'' if reference is None else f', reference={reference!r}'})")
    return GroupCompareResult(out, group=g, covariates=covs, correction=method, levels=levels,
                              excluded=excluded, n_total=len(data), conf_level=conf_level, call=call, notes=notes)


__all__ = ["GroupCompareResult", "fit_many", "group_compare", "group_design", "outcome_columns", "outcome_matrix"]
