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


def plot_conditional_comparison(comparison: Any, ax: Any = None, mediator: str | None = None,
                                labels: Mapping[str, str] | None = None) -> Any:
    """Bootstrap and Bayesian conditional indirect effects side by side at each value of W.

    ``comparison`` is a :func:`~neuroimmune_stats.compare_mediation` of two moderated results; at
    each value of W (one group of the x axis) the bootstrap estimate with its interval and the
    posterior estimate with its HDI, one series per method (and per mediator, or ``mediator``).
    Returns the Axes.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from neuroimmune_stats.mediation import mediate
    >>> from neuroimmune_stats.bayes import bayes_mediate, compare_mediation
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=80), "w": np.repeat(["lo", "hi"], 40)})
    >>> df["m"] = (0.3 + 0.5 * (df.w == "hi")) * df.x + rng.normal(size=80)
    >>> df["y"] = 0.6 * df.m + rng.normal(size=80)
    >>> freq = mediate(df, "x", "m", "y", moderator="w", n_boot=200, seed=1)
    >>> bayes = bayes_mediate(df, "x", "m", "y", moderator="w", method="exact", draws=500, seed=1)
    >>> ax = plot_conditional_comparison(compare_mediation(freq, bayes))
    >>> len(ax.containers), [t.get_text() for t in ax.get_xticklabels()]
    (2, ['hi', 'lo'])
    """
    from ..mediation.conditional_result import _same

    freq, bayes = comparison.frequentist, comparison.bayesian
    ax = get_ax(ax, figsize=(5.0, 3.6))
    lab = result_labels(freq, labels)
    tab = comparison.tidy()
    ind = tab[tab.term == "indirect"]
    meds = [mediator] if mediator is not None else list(bayes.mediators)
    w_values = list(freq.w_values)
    pos = np.arange(len(w_values), dtype=float)
    series = [(med, kind) for med in meds for kind in ("freq", "bayes")]
    width = 0.6 / len(series)
    names = {"freq": f"bootstrap ({ind.interval_freq.iloc[0]})" if len(ind) else "bootstrap",
             "bayes": f"posterior ({ind.interval_bayes.iloc[0]})" if len(ind) else "posterior"}
    for j, (med, kind) in enumerate(series):
        rows = ind[ind.mediator == med] if len(bayes.mediators) > 1 else ind
        est, lo, hi = np.full(len(w_values), np.nan), np.full(len(w_values), np.nan), np.full(len(w_values), np.nan)
        for i, v in enumerate(w_values):
            hit = rows[[_same(w, v) for w in rows.w_value]]
            if len(hit):
                r = hit.iloc[0]
                est[i], lo[i], hi[i] = r[f"estimate_{kind}"], r[f"conf_low_{kind}"], r[f"conf_high_{kind}"]
        off = (j - (len(series) - 1) / 2) * width
        colour = PALETTE[((0 if kind == "freq" else 1) + 2 * meds.index(med)) % len(PALETTE)]
        name = names[kind] if len(meds) == 1 else f"via {label_for(med, lab)}: {names[kind]}"
        ax.errorbar(pos + off, est, yerr=np.vstack([est - lo, hi - est]), fmt="o" if kind == "freq" else "s",
                    capsize=4, color=colour, label=name)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(pos, [_w_text(v) for v in w_values])
    ax.set_xlim(-0.6, len(pos) - 0.4)
    ax.set_xlabel(label_for(freq.w, lab))
    ax.set_ylabel(f"indirect effect of {label_for(freq.x, lab)}")
    ax.set_title(f"Bootstrap vs posterior (PROCESS model {freq.process_model})", fontsize=10)
    ax.legend(frameon=False, fontsize=7)
    return ax


__all__ = ["plot_conditional_comparison", "plot_conditional_distribution", "plot_conditional_indirect",
           "plot_johnson_neyman", "plot_simple_slopes"]
