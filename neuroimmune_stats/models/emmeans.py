"""Estimated marginal means and their pairwise contrasts (R ``emmeans`` defaults)."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy import stats

from ..exceptions import SpecificationError

if TYPE_CHECKING:
    from .lm import LinearModel


def _grid_L(model: LinearModel, term: str) -> tuple[pd.DataFrame, np.ndarray]:
    """Levels of ``term`` (a factor or ``a:b``) and the rows ``L`` with emmean = ``L @ beta``."""
    frame = model.frame
    variables = model.variables
    wanted = [v.strip() for v in term.split(":")]
    factors = [v for v in variables if isinstance(frame[v].dtype, pd.CategoricalDtype)]
    for w in wanted:
        if w not in factors:
            raise SpecificationError(
                f"emmeans: {w!r} is not a factor of the model (factors: {factors})."
            )
    levels = {v: list(frame[v].cat.categories) for v in factors}
    grid = pd.DataFrame(list(itertools.product(*[levels[v] for v in factors])), columns=factors)
    for v in factors:
        grid[v] = pd.Categorical(grid[v], categories=levels[v])
    for v in variables:
        if v not in factors:
            grid[v] = float(np.mean(frame[v].to_numpy(dtype=float)))
    Xg = np.asarray(model.spec.get_model_matrix(grid), dtype=float)
    Xg = Xg[:, model.kept_columns]
    # R order: the first factor varies fastest
    keys = [k[::-1] for k in itertools.product(*[levels[w] for w in reversed(wanted)])]
    L = np.empty((len(keys), Xg.shape[1]))
    for i, key in enumerate(keys):
        mask = np.ones(len(grid), dtype=bool)
        for w, lev in zip(wanted, key, strict=True):
            mask &= (grid[w] == lev).to_numpy()
        L[i] = Xg[mask].mean(axis=0)
    labels = pd.DataFrame(keys, columns=wanted)
    return labels, L


def emmeans_table(model: LinearModel, term: str, conf_level: float = 0.95) -> pd.DataFrame:
    """Estimated marginal means of ``term`` with SE, df and CI."""
    labels, L = _grid_L(model, term)
    est = L @ model.coef
    se = np.sqrt(np.einsum("ij,jk,ik->i", L, model.vcov, L))
    df = model.df_residual
    q = stats.t.ppf(0.5 + conf_level / 2, df)
    out = labels.astype(object).copy()
    out["emmean"] = est
    out["std_error"] = se
    out["df"] = float(df)
    out["conf_low"] = est - q * se
    out["conf_high"] = est + q * se
    return out


def contrast_table(
    model: LinearModel, term: str, adjust: str = "tukey", conf_level: float = 0.95
) -> pd.DataFrame:
    """Pairwise differences of emmeans (``level_i - level_j`` for i < j, emmeans order)."""
    labels, L = _grid_L(model, term)
    names = [" ".join(str(v) for v in row) for row in labels.itertuples(index=False)]
    pairs = list(itertools.combinations(range(len(names)), 2))
    C = np.array([L[i] - L[j] for i, j in pairs])
    est = C @ model.coef
    se = np.sqrt(np.einsum("ij,jk,ik->i", C, model.vcov, C))
    df = model.df_residual
    t = est / se
    k = len(names)
    method = adjust.lower()
    if method == "tukey" and k > 2:
        p = stats.studentized_range.sf(np.abs(t) * np.sqrt(2), k, df)
        q = stats.studentized_range.ppf(conf_level, k, df) / np.sqrt(2)
    else:
        p = 2 * stats.t.sf(np.abs(t), df)
        q = stats.t.ppf(0.5 + conf_level / 2, df)
        if method not in ("tukey", "none"):
            from ..multiplicity import adjust_pvalues

            p = adjust_pvalues(p, method)
            if method == "bonferroni":
                q = stats.t.ppf(1 - (1 - conf_level) / (2 * len(pairs)), df)
    sigma = model.sigma
    return pd.DataFrame(
        {
            "contrast": [f"{names[i]} - {names[j]}" for i, j in pairs],
            "estimate": est,
            "std_error": se,
            "df": float(df),
            "statistic": t,
            "p_value": p,
            "conf_low": est - q * se,
            "conf_high": est + q * se,
            "cohens_d": est / sigma,
        }
    )


__all__ = ["contrast_table", "emmeans_table"]
