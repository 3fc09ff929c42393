"""Moderation figures: simple slopes, Johnson–Neyman, conditional indirect effects across W.

The figures draw what the results hold (their coefficients, conditional effects and bootstrap
intervals); nothing is refitted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..format import label_for, result_labels
from ._axes import get_ax
from ._style import PALETTE


def _w_text(v: Any) -> str:
    return f"{v:.3g}" if isinstance(v, float | np.floating) else str(v)


def plot_simple_slopes(result: Any, ax: Any = None, labels: Mapping[str, str] | None = None) -> Any:
    """Predicted Y across the observed X at each value of W (covariates at their means); returns the Axes.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from neuroimmune_stats.mediation.moderation import moderation
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=60), "w": rng.normal(size=60)})
    >>> df["y"] = df.x * (1 + df.w) + rng.normal(size=60)
    >>> ax = plot_simple_slopes(moderation(df, "x", "w", "y"))
    >>> len(ax.lines)
    3
    """
    ax = get_ax(ax)
    lab = result_labels(result, labels)
    lines = result.simple_slopes()
    ce = result.conditional_effects()
    for i, (v, sub) in enumerate(lines.groupby("w_value", sort=False)):
        eff = ce.estimate.iloc[i]
        ax.plot(sub.x, sub.predicted, color=PALETTE[i % len(PALETTE)], lw=2,
                label=f"{label_for(result.w, lab)} = {_w_text(v)} (slope {eff:.2f})")
    ax.set_xlabel(label_for(result.x, lab))
    ax.set_ylabel(f"predicted {label_for(result.y, lab)}")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("Simple slopes", fontsize=10)
    return ax


def plot_johnson_neyman(result: Any, ax: Any = None, labels: Mapping[str, str] | None = None,
                        n_points: int = 200) -> Any:
    """Conditional effect of X across the observed W with its confidence band and the
    Johnson–Neyman boundaries (dashed); returns the Axes."""
    ax = get_ax(ax)
    lab = result_labels(result, labels)
    lo, hi = result.w_range
    grid = np.linspace(lo, hi, n_points)
    ce = result.conditional_effects(grid)
    sig = (ce.conf_low > 0) | (ce.conf_high < 0)
    ax.fill_between(grid, ce.conf_low, ce.conf_high, color=PALETTE[0], alpha=0.2, lw=0,
                    label=f"{100 * result.conf_level:g}% CI")
    ax.plot(grid, ce.estimate, color=PALETTE[0], lw=2, label="conditional effect")
    ax.plot(grid[sig], np.where(sig, ce.estimate, np.nan)[sig], ".", color=PALETTE[1], ms=2,
            label="CI excludes 0")
    ax.axhline(0, color="black", lw=0.8)
    for b in result.johnson_neyman(1 - result.conf_level).w_value:
        ax.axvline(b, color=PALETTE[1], ls="--", lw=1)
        ax.annotate(f"{b:.3g}", (b, ax.get_ylim()[1]), ha="center", va="bottom", fontsize=8, color=PALETTE[1])
    ax.set_xlabel(label_for(result.w, lab))
    ax.set_ylabel(f"effect of {label_for(result.x, lab)}")
    ax.legend(frameon=False, fontsize=8)
    ax.set_title("Johnson–Neyman", fontsize=10, pad=14)
    return ax


def plot_conditional_indirect(result: Any, ax: Any = None, mediator: str | None = None,
                              labels: Mapping[str, str] | None = None) -> Any:
    """Conditional indirect effects with their bootstrap CIs at each value of W (one series per
    mediator, or ``mediator``); the index of moderated mediation in the title. Returns the Axes."""
    ax = get_ax(ax, figsize=(5.0, 3.6))
    lab = result_labels(result, labels)
    td = result.tidy()
    ind = td[td.term == "indirect"]
    meds = [mediator] if mediator is not None else list(result.mediators)
    pos = np.arange(len(result.w_values), dtype=float)
    width = 0.5 / max(len(meds), 1)
    for j, med in enumerate(meds):
        s = ind[ind.mediator == med]
        off = (j - (len(meds) - 1) / 2) * width
        err = np.vstack([s.estimate - s.conf_low, s.conf_high - s.estimate])
        ax.errorbar(pos + off, s.estimate, yerr=err, fmt="o", capsize=4, color=PALETTE[j % len(PALETTE)],
                    label=f"via {label_for(med, lab)}")
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(pos, [_w_text(v) for v in result.w_values])
    ax.set_xlim(-0.6, len(pos) - 0.4)
    ax.set_xlabel(label_for(result.w, lab))
    ax.set_ylabel(f"indirect effect of {label_for(result.x, lab)}")
    idx = td[(td.term == "index_moderated_mediation") & td.mediator.isin(meds)]
    title = f"PROCESS model {result.process_model}"
    if len(idx) == 1:
        r = idx.iloc[0]
        title += f": index {r.estimate:.2f} [{r.conf_low:.2f}, {r.conf_high:.2f}]"
    ax.set_title(title, fontsize=10)
    if len(meds) > 1:
        ax.legend(frameon=False, fontsize=8)
    return ax


def plot_conditional_distribution(result: Any, ax: Any = None, term: str = "indirect", mediator: str | None = None,
                                  w_value: Any = None, labels: Mapping[str, str] | None = None) -> Any:
    """Histogram of one conditional effect's bootstrap draws with its estimate and interval; returns the Axes."""
    ax = get_ax(ax)
    i = result._find(term, mediator, w_value)
    draws = result.draws[:, i]
    row = result.tidy().iloc[i]
    ax.hist(draws[np.isfinite(draws)], bins=60, color=PALETTE[0], alpha=0.6)
    ax.axvline(row.estimate, color="black", lw=1.5, label=f"estimate {row.estimate:.3g}")
    for v in (row.boot_conf_low, row.boot_conf_high):
        ax.axvline(v, color=PALETTE[1], lw=1.2, ls="--")
    ax.plot([], [], color=PALETTE[1], ls="--", label=f"{100 * result.conf_level:g}% {result.ci} CI "
                                                      f"[{row.boot_conf_low:.3g}, {row.boot_conf_high:.3g}]")
    ax.axvline(0.0, color="0.5", lw=0.8, ls=":")
    lab = result_labels(result, labels)
    wv = row.w_value
    at = "" if wv is None or wv != wv else f" at {label_for(result.w, lab)} = {_w_text(wv)}"
    ax.set_xlabel(f"{label_for(term, lab)}{at}")
    ax.set_ylabel(f"count ({result.n_boot} resamples)")
    ax.legend(fontsize=7, frameon=False)
    return ax


__all__ = ["plot_conditional_distribution", "plot_conditional_indirect", "plot_johnson_neyman", "plot_simple_slopes"]
