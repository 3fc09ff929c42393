"""Group-model figures: adjusted values per group (paper Figure 1), adjusted scatter (Figures 4/5)
and a forest plot of :func:`~neuroimmune_stats.group_compare` results.

Every function accepts ``ax=None`` (a new figure is made) and returns the Axes it drew on.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..design import as_list, complete_cases, covariate_matrix, numeric_column
from ..exceptions import SpecificationError
from ._axes import GROUP_COLOURS, PROTOCOL_MARKERS, get_ax


def plot_adjusted_groups(model: Any, term: str | None = None, marker_by: str | None = "protocol",
                         ax: Any = None) -> Any:
    """Adjusted response of a fitted :func:`~neuroimmune_stats.lm` per level of ``term``.

    Points are the values adjusted for every other model term (held at their means), marked by
    ``marker_by`` (e.g. triangle = protocol 1, circle = protocol 2); bars are the group mean ± SD.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> fit = nis.lm("suvr_s1 ~ subtype + protocol + tspo_genotype", nis.simulate_cohort(seed=1))
    >>> ax = plot_adjusted_groups(fit)
    >>> ax.get_ylabel()
    'suvr_s1 (adjusted)'
    """
    terms = [t for t in model._mf.terms if t != "(Intercept)"]
    term = terms[0] if term is None else term
    if term not in model.frame.columns or not isinstance(model.frame[term].dtype, pd.CategoricalDtype):
        raise SpecificationError(f"plot: term {term!r} must be a factor of the model.")
    adj = model.adjusted_values(keep=term)
    ax = get_ax(ax)
    groups = model.frame[term]
    marks = model.frame[marker_by].astype(str) if marker_by and marker_by in model.frame else None
    mark_levels = sorted(marks.unique()) if marks is not None else []
    rng = np.random.default_rng(0)  # fixed jitter, purely cosmetic
    for i, lev in enumerate(groups.cat.categories):
        sel = (groups == lev).to_numpy()
        vals = adj.to_numpy()[sel]
        colour = GROUP_COLOURS[i % len(GROUP_COLOURS)]
        x = i + rng.uniform(-0.12, 0.12, size=vals.size)
        if marks is None:
            ax.scatter(x, vals, color=colour, alpha=0.7, s=22)
        else:
            m = marks.to_numpy()[sel]
            for j, ml in enumerate(mark_levels):
                ax.scatter(x[m == ml], vals[m == ml], color=colour, alpha=0.7, s=22,
                           marker=PROTOCOL_MARKERS[j % len(PROTOCOL_MARKERS)],
                           label=f"{marker_by} {ml}" if i == 0 else None)
        ax.errorbar(i + 0.3, vals.mean(), yerr=vals.std(ddof=1), fmt="o", color="black", capsize=4)
    ax.set_xticks(range(len(groups.cat.categories)), [str(c) for c in groups.cat.categories])
    ax.set_xlabel(term)
    ax.set_ylabel(f"{model.response} (adjusted)")
    if marks is not None:
        ax.legend(frameon=False, fontsize="small")
    return ax


def plot_group_values(data: pd.DataFrame, outcome: str, group: str = "subtype",
                      covariates: str | Iterable[str] = (), marker_by: str | None = "protocol",
                      ax: Any = None) -> Any:
    """Paper Figure 1: ``outcome`` adjusted for ``covariates`` per group, mean ± SD, points by protocol.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> ax = plot_group_values(nis.simulate_cohort(seed=1), "suvr_s1", covariates=["protocol", "tspo_genotype"])
    >>> len(ax.get_xticks())
    2
    """
    from ..models import lm

    rhs = " + ".join([group, *as_list(covariates)])
    return plot_adjusted_groups(lm(f"{outcome} ~ {rhs}", data), term=group, marker_by=marker_by, ax=ax)


def _residualise(v: np.ndarray, Z: np.ndarray) -> np.ndarray:
    Q, _ = np.linalg.qr(Z)
    return v - Q @ (Q.T @ v) + v.mean()


def plot_adjusted_scatter(data: pd.DataFrame, x: str, y: str, covariates: str | Iterable[str] = (),
                          group: str | None = "subtype", ax: Any = None) -> Any:
    """Paper Figures 4/5: ``y`` against ``x``, both adjusted for ``covariates``, fit line and r.

    The annotated r is the (partial) Pearson correlation of :func:`~neuroimmune_stats.correlate`.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> ax = plot_adjusted_scatter(nis.simulate_cohort(seed=1), "suvr_s1", "paindetect", covariates="protocol")
    >>> ax.get_xlabel()
    'suvr_s1 (adjusted)'
    """
    from ..correlation import correlate

    covs = as_list(covariates)
    cols = list(dict.fromkeys([x, y, *covs, *([group] if group and group in data else [])]))
    frame, _ = complete_cases(data, cols, min_n=4, what="plot_adjusted_scatter")
    a = numeric_column(frame, x, what="plot")
    b = numeric_column(frame, y, what="plot")
    if covs:
        C, _ = covariate_matrix(frame, covs, what="plot_adjusted_scatter")
        Z = np.column_stack([np.ones(len(frame)), C])
        a, b = _residualise(a, Z), _residualise(b, Z)
    res = correlate(data, x, y, covariates=covs).tidy().iloc[0]
    ax = get_ax(ax)
    if group and group in frame:
        g = frame[group].astype("category")
        for i, lev in enumerate(g.cat.categories):
            sel = (g == lev).to_numpy()
            ax.scatter(a[sel], b[sel], color=GROUP_COLOURS[i % len(GROUP_COLOURS)], s=22, alpha=0.8,
                       label=str(lev))
        ax.legend(frameon=False, fontsize="small")
    else:
        ax.scatter(a, b, color=GROUP_COLOURS[0], s=22, alpha=0.8)
    slope, intercept = np.polyfit(a, b, 1)
    xs = np.linspace(a.min(), a.max(), 50)
    ax.plot(xs, intercept + slope * xs, color="black", lw=1.2)
    ax.text(0.02, 0.97, f"r = {res['r']:.2f}, p = {res['p_value']:.3g}, n = {res['n']}",
            transform=ax.transAxes, va="top", fontsize="small")
    ax.set_xlabel(f"{x} (adjusted)" if covs else x)
    ax.set_ylabel(f"{y} (adjusted)" if covs else y)
    return ax


def plot_forest(results: Any, ax: Any = None, alpha: float = 0.05) -> Any:
    """Forest plot of a :func:`~neuroimmune_stats.group_compare` table: adjusted difference ± CI.

    Rows with ``p_adj < alpha`` are drawn filled, the others hollow.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> res = nis.group_compare(nis.simulate_cohort(seed=1), "suvr_*", covariates=["protocol"])
    >>> ax = plot_forest(res)
    >>> len(ax.get_yticks()) == len(res.tidy())
    True
    """
    need = {"outcome", "estimate", "conf_low", "conf_high"}
    if hasattr(results, "tidy") and not isinstance(results, pd.DataFrame):
        results = results.tidy()
    if not isinstance(results, pd.DataFrame) or not need <= set(results.columns):
        raise SpecificationError(f"plot_forest: results must be a group_compare table with {sorted(need)}.")
    ax = get_ax(ax, figsize=(4.5, 0.35 * len(results) + 1.2))
    ypos = np.arange(len(results))[::-1]
    sig = results["p_adj"].to_numpy() < alpha if "p_adj" in results else np.zeros(len(results), bool)
    est = results["estimate"].to_numpy(float)
    ax.hlines(ypos, results["conf_low"], results["conf_high"], color="black", lw=1.2)
    ax.scatter(est[sig], ypos[sig], color=GROUP_COLOURS[1], zorder=3, s=30)
    ax.scatter(est[~sig], ypos[~sig], facecolor="white", edgecolor="black", zorder=3, s=30)
    ax.axvline(0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ypos, results["outcome"].astype(str).tolist())
    ax.set_xlabel("adjusted difference (95% CI)")
    return ax


__all__ = ["plot_adjusted_groups", "plot_adjusted_scatter", "plot_forest", "plot_group_values"]
