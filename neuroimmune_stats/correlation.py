"""``correlate``: Pearson/Spearman (partial) correlations with Fisher-z intervals, tidy output."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd
from scipy import stats

from .design import as_list, complete_cases, covariate_matrix, numeric_column, resolve_columns
from .exceptions import InsufficientDataError, SpecificationError
from .multiplicity import adjust_pvalues


def _rank(x: np.ndarray) -> np.ndarray:
    return stats.rankdata(x, method="average")


def _one(data: pd.DataFrame, x: str, y: str, covs: list[str], method: str, conf_level: float) -> dict:
    cols = list(dict.fromkeys([x, y, *covs]))
    frame, cc = complete_cases(data, cols, min_n=1, what=f"correlate({x!r}, {y!r})")
    k_needed = 4 + len(covs)
    if cc.n < k_needed:
        raise InsufficientDataError(
            f"correlate({x!r}, {y!r}): {cc.n} complete cases; at least {k_needed} are needed."
        )
    a = numeric_column(frame, x, what="correlate")
    b = numeric_column(frame, y, what="correlate")
    if method == "spearman":
        a, b = _rank(a), _rank(b)
    k = 0
    if covs:
        C, _ = covariate_matrix(frame, covs, what=f"correlate({x!r}, {y!r})")
        if method == "spearman":
            C = np.column_stack([_rank(c) for c in C.T])
        Z = np.column_stack([np.ones(cc.n), C])
        k = C.shape[1]
        Q, _ = np.linalg.qr(Z)
        a = a - Q @ (Q.T @ a)
        b = b - Q @ (Q.T @ b)
    else:
        a = a - a.mean()
        b = b - b.mean()
    den = np.sqrt((a @ a) * (b @ b))
    if den == 0:
        raise SpecificationError(f"correlate: {x!r} or {y!r} is constant among the complete cases.")
    r = float(np.clip((a @ b) / den, -1.0, 1.0))
    n = cc.n
    df = n - 2 - k
    with np.errstate(divide="ignore"):
        t = r * np.sqrt(df / (1 - r * r)) if abs(r) < 1 else np.sign(r) * np.inf
    p = float(2 * stats.t.sf(abs(t), df))
    z = np.arctanh(r) if abs(r) < 1 else np.sign(r) * np.inf
    se = 1 / np.sqrt(n - 3 - k)
    q = stats.norm.ppf(0.5 + conf_level / 2)
    return {"x": x, "y": y, "n": n, "r": r, "conf_low": float(np.tanh(z - q * se)),
            "conf_high": float(np.tanh(z + q * se)), "statistic": float(t), "df": float(df),
            "p_value": p, "method": method, "excluded_ids": cc.excluded_ids}


def correlate(
    data: pd.DataFrame,
    x: str | Iterable[str],
    y: str | Iterable[str],
    covariates: str | Iterable[str] = (),
    method: str = "pearson",
    correction: str | None = None,
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Pearson or Spearman correlations, partial on covariates, for every pair of ``x`` × ``y``.

    Parameters
    ----------
    data : pandas.DataFrame
        Not modified; complete cases are taken per pair.
    x, y : str or list of str
        Columns or globs; all pairs ``(xi, yj)`` are computed (pairs of a column with itself are
        skipped).
    covariates : str or list of str
        Partial correlation: ``x`` and ``y`` are residualised on an intercept plus the
        covariates (factors dummy-coded); with ``method="spearman"`` all variables are ranked
        first (as R ``ppcor``).
    method : {"pearson", "spearman"}, default="pearson"
    correction : str, optional
        :func:`~neuroimmune_stats.adjust_pvalues` method over all pairs; None gives
        ``p_adj = p_value``.
    conf_level : float, default=0.95

    Returns
    -------
    pandas.DataFrame
        ``x, y, n, r, conf_low, conf_high, p_value, p_adj, statistic, df, method`` with the
        excluded IDs per pair in ``.attrs["excluded_ids"]``.

    Notes
    -----
    With ``k`` covariate columns, the test is ``t = r sqrt((n-2-k)/(1-r^2))`` on ``n - 2 - k`` df
    (R ``ppcor::pcor.test``, and ``cor.test`` when ``k = 0``; Spearman uses the t approximation of
    ``cor.test(..., exact = FALSE)``). The CI is the Fisher-z interval
    ``tanh(atanh(r) ± z_{1-α/2} / sqrt(n - 3 - k))`` (``cor.test``'s interval when ``k = 0``).
    Validated against R (``tests/reference/correlation.R``).

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=1)
    >>> res = correlate(df, "suvr_s1", ["paindetect", "fss"], covariates="protocol")
    >>> res[["x", "y"]].values.tolist()
    [['suvr_s1', 'paindetect'], ['suvr_s1', 'fss']]
    """
    if not isinstance(data, pd.DataFrame):
        raise SpecificationError("correlate: data must be a pandas DataFrame.")
    m = str(method).lower()
    if m not in ("pearson", "spearman"):
        raise SpecificationError(f"method must be 'pearson' or 'spearman'; got {method!r}.")
    if not 0 < conf_level < 1:
        raise SpecificationError(f"conf_level must lie in (0, 1); got {conf_level!r}.")
    xs = resolve_columns(data, x, what="correlate x")
    ys = resolve_columns(data, y, what="correlate y")
    covs = resolve_columns(data, as_list(covariates), what="correlate covariates")
    rows = []
    for a in xs:
        for b in ys:
            if a == b:
                continue
            if a in covs or b in covs:
                raise SpecificationError(f"correlate: {a!r}/{b!r} cannot also be a covariate.")
            rows.append(_one(data, a, b, covs, m, conf_level))
    if not rows:
        raise SpecificationError("correlate: no pairs of distinct columns to correlate.")
    out = pd.DataFrame(rows)
    excluded = {(r["x"], r["y"]): list(r["excluded_ids"]) for r in rows}
    p = out["p_value"].to_numpy(dtype=float)
    out["p_adj"] = out["p_value"] if correction is None else adjust_pvalues(p, correction)
    out = out[["x", "y", "n", "r", "conf_low", "conf_high", "p_value", "p_adj", "statistic", "df", "method"]]
    out.attrs["excluded_ids"] = excluded
    out.attrs["covariates"] = covs
    return out


__all__ = ["correlate"]
