"""``correlate``: Pearson/Spearman (partial) correlations with Fisher-z intervals, as a result object."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ._dist import average_ranks, norm_ppf, t_sf
from ._params import check_choice, check_conf_level
from .design import as_list, check_frame, check_rank, excluded_message, model_frame, resolve_columns, warn_excluded
from .exceptions import InsufficientDataError, SpecificationError
from .missing import is_imputed
from .multiplicity import adjust_pvalues, check_method
from .results import Result, format_p, format_table


def _rank(x: np.ndarray) -> np.ndarray:
    return average_ranks(x)


def _one(data: pd.DataFrame, x: str, y: str, covs: list[str], method: str, conf_level: float
         ) -> tuple[dict, pd.DataFrame]:
    what = f"correlate({x!r}, {y!r})"
    fr = model_frame(data, what=what, roles={"x": x, "y": y, "covariates": covs}, numeric=("x", "y"),
                     min_n=1, warn=False)
    k_needed = 4 + len(covs)
    if fr.n < k_needed:
        raise InsufficientDataError(f"{what}: {fr.n} complete cases; at least {k_needed} are needed.")
    a0, b0 = fr.numeric(x), fr.numeric(y)
    a, b = (_rank(a0), _rank(b0)) if method == "spearman" else (a0, b0)
    k = 0
    if covs:
        Z, names = fr.design("covariates")
        for col, v in ((x, a0), (y, b0)):  # the same rank rule as lm(y ~ x + covariates)
            check_rank(np.column_stack([Z, v]), [*names, col], what=what)
        if method == "spearman":
            Z = np.column_stack([Z[:, 0], *[_rank(c) for c in Z[:, 1:].T]])
        k = Z.shape[1] - 1
        Q, _ = np.linalg.qr(Z)
        ra = a - Q @ (Q.T @ a)
        rb = b - Q @ (Q.T @ b)
    else:
        ra, rb = a - a.mean(), b - b.mean()
    den = np.sqrt((ra @ ra) * (rb @ rb))
    if not den > 1e-12 * np.sqrt((a @ a) * (b @ b)):
        raise SpecificationError(f"{what}: {x!r} or {y!r} is constant among the complete cases"
                                 + (" (after adjusting for the covariates)." if covs else "."))
    r = float(np.clip((ra @ rb) / den, -1.0, 1.0))
    n = fr.n
    df = n - 2 - k
    with np.errstate(divide="ignore"):
        t = r * np.sqrt(df / (1 - r * r)) if abs(r) < 1 else np.sign(r) * np.inf
    p = float(2 * t_sf(abs(t), df))
    z = np.arctanh(r) if abs(r) < 1 else np.sign(r) * np.inf
    se = 1 / np.sqrt(n - 3 - k)
    q = norm_ppf(0.5 + conf_level / 2)
    pair = pd.DataFrame({"subject_id": list(fr.ids), "x": a0, "y": b0,
                         "x_adjusted": ra + a.mean(), "y_adjusted": rb + b.mean()})
    for c in covs:
        pair[c] = fr.column(c).to_numpy()
    row = {"x": x, "y": y, "n": n, "r": r, "conf_low": float(np.tanh(z - q * se)),
           "conf_high": float(np.tanh(z + q * se)), "statistic": float(t), "df": float(df),
           "p_value": p, "method": method, "excluded_ids": fr.excluded_ids}
    return row, pair


class CorrelationResult(Result):
    """Correlations of every ``x`` × ``y`` pair (see :func:`correlate`).

    ``.tidy()`` has one row per pair; :meth:`pair_data` gives the values behind a pair (raw and
    adjusted for the covariates, computed at fit time) for figures.
    """

    extra_columns = ("r",)
    statistic_label = "t"

    def __init__(self, table: pd.DataFrame, pairs: dict[tuple[str, str], pd.DataFrame], *, covariates: list[str],
                 method: str, correction: str | None, excluded: dict[tuple[str, str], list[str]], n_total: int,
                 conf_level: float, call: str, labels: Mapping[str, str]) -> None:
        self._table = table
        self._pairs = pairs
        self.covariates = list(covariates)
        self.method = method
        self.correction = correction
        self.excluded = excluded
        self.excluded_ids = tuple(dict.fromkeys(i for ids in excluded.values() for i in ids))
        self.n = n_total - len(self.excluded_ids)
        self.conf_level = conf_level
        self.call = call
        self.labels = dict(labels)

    def tidy(self) -> pd.DataFrame:
        """``x, y, n, r, conf_low, conf_high, p_value, p_adj, statistic, df, method`` (a copy)."""
        return self._table.copy()

    def pair_data(self, x: str | None = None, y: str | None = None) -> pd.DataFrame:
        """Values of one pair (default: the first): ``subject_id, x, y, x_adjusted, y_adjusted`` and the
        covariates' values; adjusted = residual on the covariates plus the variable's mean."""
        if x is None and y is None:
            key = next(iter(self._pairs))
        else:
            hits = [k for k in self._pairs if (x is None or k[0] == x) and (y is None or k[1] == y)]
            if not hits:
                raise SpecificationError(f"pair_data: no pair ({x!r}, {y!r}); pairs: {list(self._pairs)}.")
            key = hits[0]
        return self._pairs[key].copy()

    def plot(self, ax: Any = None, x: str | None = None, y: str | None = None, adjusted: bool = True,
             marker_by: str | None = None, labels: Mapping[str, str] | None = None) -> Any:
        """Scatter of one pair (adjusted for the covariates by default) with the tabled r and p."""
        from .plots.correlation import plot_correlation

        return plot_correlation(self, x=x, y=y, ax=ax, adjusted=adjusted, marker_by=marker_by,
                                labels=labels if labels is not None else (self.labels or None))

    def summary(self) -> str:
        t = self._table.copy()
        kind = "Partial " if self.covariates else ""
        lines = [f"Call: {self.call}", "",
                 f"{kind}{self.method.capitalize()} correlation"
                 + (f", adjusted for {' + '.join(self.covariates)}" if self.covariates else "")
                 + f"; {int(self.conf_level * 100)}% Fisher-z CI; correction: {self.correction or 'none'}", ""]
        t["p_value"] = [format_p(p) for p in t["p_value"]]
        t["p_adj"] = [format_p(p) for p in t["p_adj"]]
        lines.append(format_table(t.drop(columns=["method"])))
        if self.excluded_ids:
            lines += ["", excluded_message("correlate", list(self.excluded_ids), self.n)]
        return "\n".join(lines)

    def __len__(self) -> int:
        return len(self._table)


def correlate(
    data: pd.DataFrame,
    x: str | Iterable[str],
    y: str | Iterable[str],
    covariates: str | Iterable[str] = (),
    method: str = "pearson",
    correction: str | None = None,
    *,
    conf_level: float = 0.95,
) -> CorrelationResult:
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
    CorrelationResult
        ``.tidy()``: ``x, y, n, r, conf_low, conf_high, p_value, p_adj, statistic, df, method``;
        ``.excluded`` maps each pair to the IDs it left out (NaN and ±inf are missing; one
        ``DataWarning`` per call names them); ``.pair_data(x, y)`` and ``.plot()`` for figures.

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
    >>> res.tidy()[["x", "y"]].values.tolist()
    [['suvr_s1', 'paindetect'], ['suvr_s1', 'fss']]
    """
    what = "correlate"
    if is_imputed(data):
        from .missing.pool import pool_correlate

        return pool_correlate(data, x, y, covariates, method, correction, conf_level=conf_level)  # type: ignore[arg-type, no-any-return]
    check_frame(data, what=what)
    m = check_choice(method, ("pearson", "spearman"), where=what, name="method")
    conf_level = check_conf_level(conf_level, where=what)
    corr = None if correction is None else check_method(correction, name="correction", where=what)
    xs = resolve_columns(data, x, what="correlate x")
    ys = resolve_columns(data, y, what="correlate y")
    covs = resolve_columns(data, as_list(covariates), what="correlate covariates")
    rows = []
    pairs: dict[tuple[str, str], pd.DataFrame] = {}
    for a in xs:
        for b in ys:
            if a == b:
                continue
            if a in covs or b in covs:
                raise SpecificationError(f"correlate: {a!r}/{b!r} cannot also be a covariate.")
            row, pair = _one(data, a, b, covs, m, conf_level)
            rows.append(row)
            pairs[(a, b)] = pair
    if not rows:
        raise SpecificationError("correlate: no pairs of distinct columns to correlate.")
    out = pd.DataFrame(rows)
    excluded = {(r["x"], r["y"]): list(r["excluded_ids"]) for r in rows}
    union = list(dict.fromkeys(i for v in excluded.values() for i in v))
    warn_excluded(what, union, len(data) - len(union), stacklevel=2)
    p = out["p_value"].to_numpy(dtype=float)
    out["p_adj"] = out["p_value"] if corr is None else adjust_pvalues(p, corr)
    out = out[["x", "y", "n", "r", "conf_low", "conf_high", "p_value", "p_adj", "statistic", "df", "method"]]
    call = (f"correlate(x={xs}, y={ys}, covariates={covs}, method={m!r}, correction={corr!r})")
    return CorrelationResult(out, pairs, covariates=covs, method=m, correction=corr, excluded=excluded,
                             n_total=len(data), conf_level=conf_level, call=call,
                             labels=dict(data.attrs.get("labels", {}) or {}))


__all__ = ["CorrelationResult", "correlate"]
