"""Group-model figures: adjusted values per group of a fitted ``lm`` (paper Figure 1) and a forest plot of
a :func:`~neuroimmune_stats.group_compare` result. The adjusted scatter of Figures 4/5 is
``correlate(...).plot()`` (:mod:`.correlation`).

Figures draw results and compute nothing: no model is fitted here. Every function accepts ``ax=None``
(a new figure is made) and returns the Axes it drew on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import SpecificationError
from ..format import format_p, label_for, result_labels
from ..results import signif_stars
from ._axes import GROUP_COLOURS, PROTOCOL_MARKERS, get_ax


def plot_adjusted_groups(model: Any, term: str | None = None, marker_by: str | None = "protocol",
                         ax: Any = None, labels: Mapping[str, str] | None = None, p_value: float | None = None,
                         annotate: bool = True) -> Any:
    """Adjusted response of a fitted :func:`~neuroimmune_stats.lm` per level of ``term`` (paper Figure 1).

    Points are the values adjusted for every other model term (held at their means), marked by
    ``marker_by`` (e.g. triangle = protocol 1, circle = protocol 2); bars are the group mean ± SD.
    With ``annotate`` a bracket over the groups carries the test of ``term`` (APA p with the
    paper's stars: ``*`` < .05, ``**`` < .01, ``***`` < .001): the model's type II F test, or
    ``p_value`` when given (e.g. the corrected p of :func:`~neuroimmune_stats.group_compare`).
    ``labels`` maps column names to display labels (default: those stored on the model).

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> fit = nis.lm("suvr_s1 ~ subtype + protocol + tspo_genotype", nis.simulate_cohort(seed=1))
    >>> ax = plot_adjusted_groups(fit)
    >>> ax.get_ylabel()
    'S1 SUVR (adjusted)'
    >>> [t.get_text() for t in ax.texts if t.get_text().startswith("p")]
    ['p = .020*']
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
    lab = result_labels(model, labels)
    ax.set_xticks(range(len(groups.cat.categories)), [str(c) for c in groups.cat.categories])
    ax.set_xlabel(label_for(term, lab))
    ax.set_ylabel(f"{label_for(model.response, lab)} (adjusted)")
    if marks is not None:
        ax.legend(frameon=False, fontsize="small",
                  labels=[f"{label_for(marker_by, lab)} {ml}" for ml in mark_levels])
    if annotate and len(groups.cat.categories) >= 2:
        if p_value is None:
            table = model.anova(2)
            hit = table[table["term"] == term]
            p_value = float(hit["p_value"].iloc[0]) if len(hit) else None
        if p_value is not None and np.isfinite(p_value):
            _significance_bracket(ax, 0, len(groups.cat.categories) - 1, adj.to_numpy(), p_value)
    return ax


def _significance_bracket(ax: Any, x0: float, x1: float, values: np.ndarray, p: float) -> None:
    """A bracket above the data from group ``x0`` to ``x1`` labelled with the APA p and stars."""
    finite = values[np.isfinite(values)]
    top, span = float(finite.max()), float(np.ptp(finite)) or 1.0
    y, h = top + 0.08 * span, 0.03 * span
    ax.plot([x0, x0, x1, x1], [y, y + h, y + h, y], color="black", lw=1.0)
    ax.text((x0 + x1) / 2, y + 1.5 * h, f"{format_p(p, prefix=True)}{signif_stars(p).rstrip('.')}",
            ha="center", va="bottom", fontsize="small")
    lo, hi = ax.get_ylim()
    ax.set_ylim(lo, max(hi, y + 0.2 * span))


def plot_forest(results: Any, ax: Any = None, alpha: float = 0.05, labels: Mapping[str, str] | None = None) -> Any:
    """Forest plot of a :func:`~neuroimmune_stats.group_compare` result (or its tidy frame): difference ± CI.

    Rows with ``p_adj < alpha`` are drawn filled, the others hollow; outcomes are shown by their
    display labels (``labels``, else those stored on the result).

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> res = nis.group_compare(nis.simulate_cohort(seed=1), "suvr_*", covariates=["protocol"])
    >>> ax = plot_forest(res)
    >>> len(ax.get_yticks()) == len(res.tidy())
    True
    """
    need = {"outcome", "estimate", "conf_low", "conf_high"}
    lab = result_labels(results, labels) if not isinstance(results, pd.DataFrame) else dict(labels or {})
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
    ax.set_yticks(ypos, [label_for(o, lab) for o in results["outcome"].astype(str)])
    ax.set_ylim(-0.6, len(results) - 0.4)  # rows stay compact on a tall Axes
    what = str(results["contrast"].iloc[0]) if "contrast" in results and len(results) else "adjusted difference"
    ax.set_xlabel(f"{what} (95% CI)")
    return ax


__all__ = ["plot_adjusted_groups", "plot_forest"]
