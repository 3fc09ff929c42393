"""``group_compare``: one covariate-adjusted group model per outcome, vectorised over outcomes."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import special

from ..design import ALWAYS_FACTORS, as_list, is_factor, numeric_column, numeric_series, resolve_columns, subject_ids
from ..exceptions import InsufficientDataError, RankDeficiencyError, SpecificationError
from ..multiplicity import adjust_pvalues
from .formula import aliased_columns


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


def _notna(s: pd.Series) -> np.ndarray:
    """Non-missing mask of a column without building an intermediate Series."""
    arr = s.array
    if isinstance(arr, pd.Categorical):
        return arr.codes >= 0
    return ~np.asarray(pd.isna(arr), dtype=bool)


def _codes(s: pd.Series) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a factor over its used levels (categorical order, else sorted)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        raw = s.array.codes
        used = np.unique(raw)
        cats = s.array.categories
        return np.searchsorted(used, raw), [str(cats[i]) for i in used]
    codes, uniques = pd.factorize(s, sort=True)
    return codes, [str(u) for u in uniques]


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
    frame: Columns, group: str, covariates: Sequence[str], *, what: str
) -> tuple[np.ndarray, np.ndarray, list[str], list[str]]:
    """Group dummies (treatment, first level reference) and nuisance design (intercept first).

    ``frame`` is a DataFrame or a mapping of column name to Series (complete cases only).
    """
    s = frame[group]
    n = len(s)
    if not is_factor(s) and s.nunique() > 2:
        raise SpecificationError(f"{what}: group {group!r} must be a factor (two or more levels).")
    codes, levels = _codes(s)
    if len(levels) < 2:
        raise SpecificationError(f"{what}: group {group!r} has a single level {levels} among the complete cases.")
    G = (codes[:, None] == np.arange(1, len(levels))[None, :]).astype(float)
    C, cnames = _nuisance(frame, covariates, n, what=what)
    Z = np.column_stack([np.ones(n), C])
    X = np.column_stack([Z, G])
    if X.shape[1] >= n:
        raise RankDeficiencyError(f"{what}: {X.shape[1]} parameters but only {n} complete cases.")
    if np.linalg.matrix_rank(X) < X.shape[1]:
        bad = aliased_columns(X)
        names = (["(Intercept)", *cnames, *[f"{group}[T.{lv}]" for lv in levels[1:]]])
        raise RankDeficiencyError(f"{what}: the design is rank deficient; {[names[j] for j in bad]} "
                                  "are constant or collinear with other terms among the complete cases.")
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
        "std_error": se,
    }


def group_compare(
    data: pd.DataFrame,
    outcomes: str | Iterable[str],
    group: str = "subtype",
    covariates: str | Iterable[str] = (),
    correction: str | None = "bonferroni",
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Covariate-adjusted group comparison for each outcome (one OLS model per outcome).

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified.
    outcomes : str or list of str
        Outcome columns or globs (``"suvr_*"``).
    group : str, default="subtype"
        Factor whose effect is tested (first level = reference).
    covariates : str or list of str
        Nuisance covariates (factors dummy-coded, e.g. ``["protocol", "tspo_genotype"]``).
    correction : str or None, default="bonferroni"
        :func:`~neuroimmune_stats.adjust_pvalues` method over the outcomes (None: ``p_adj = p_value``).
    conf_level : float, default=0.95

    Returns
    -------
    pandas.DataFrame
        ``outcome, F, df1, df2, p_value, p_adj, partial_eta_sq, estimate, conf_low, conf_high, n``:
        the F test of the group term (type II = type III here, no interactions), the adjusted
        difference second level minus first (NaN with more than two levels), its CI, and the
        number of complete cases per outcome. ``excluded_ids`` per outcome is in ``.attrs``.

    Notes
    -----
    Outcomes sharing the same complete cases are solved together with one QR of the design and
    matrix products over all outcomes; differing missingness patterns are handled pattern by
    pattern. Each row equals ``lm(f"{y} ~ {group} + covariates").anova(2)`` (tested against R).

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=1)
    >>> res = group_compare(df, ["suvr_s1", "suvr_thalamus"], covariates=["protocol", "tspo_genotype"])
    >>> list(res.columns)[:5]
    ['outcome', 'F', 'df1', 'df2', 'p_value']
    >>> res["n"].tolist()
    [54, 54]
    """
    what = "group_compare"
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError(f"{what}: data must be a pandas DataFrame.")
    ys, positions = outcome_columns(data, outcomes, what=f"{what} outcomes")
    if not ys:
        raise SpecificationError(f"{what}: no outcomes given.")
    (g,) = resolve_columns(data, group, what=f"{what} group")
    covs = resolve_columns(data, as_list(covariates), what=f"{what} covariates")
    overlap = set(ys) & ({g} | set(covs))
    if overlap:
        raise SpecificationError(f"{what}: {sorted(overlap)} cannot be both outcome and predictor.")
    preds = {c: data[c] for c in (g, *covs)}
    base_ok = np.logical_and.reduce([_notna(s) for s in preds.values()])
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
    for key, js in patterns.items():
        mask = np.frombuffer(key, dtype=bool)
        if mask.sum() < 3:
            raise InsufficientDataError(f"{what}: {[ys[j] for j in js]} have {int(mask.sum())} complete cases.")
        frame = preds if mask.all() else {c: s[mask] for c, s in preds.items()}
        G, Z, _, _ = group_design(frame, g, covs, what=f"{what}({ys[js[0]]})")
        sub = Yall if len(js) == len(ys) and mask.all() else Yall[np.ix_(mask, js)]
        res = fit_many(sub, G, Z, conf_level)
        for k, v in res.items():
            cols.setdefault(k, np.full(len(ys), np.nan))[js] = v
        n_arr[js] = int(mask.sum())
        gone = [str(i) for i in ids[~mask]] if ids.size else []
        excluded.update(dict.fromkeys(ys if len(js) == len(ys) else [ys[j] for j in js.tolist()], gone))
    p_adj = cols["p_value"] if correction is None else adjust_pvalues(cols["p_value"], correction)
    out = pd.DataFrame({
        "outcome": ys, "F": cols["F"], "df1": cols["df1"], "df2": cols["df2"],
        "p_value": cols["p_value"], "p_adj": p_adj, "partial_eta_sq": cols["partial_eta_sq"],
        "estimate": cols["estimate"], "conf_low": cols["conf_low"], "conf_high": cols["conf_high"],
        "n": n_arr,
    })
    out.attrs["excluded_ids"] = excluded
    out.attrs["group"] = g
    out.attrs["covariates"] = covs
    out.attrs["correction"] = correction
    return out


__all__ = ["fit_many", "group_compare", "group_design", "outcome_columns", "outcome_matrix"]
