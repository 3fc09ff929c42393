"""Plots of Bayesian mediation: posterior of the indirect effect, bootstrap vs posterior overlay."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._axes import GROUP_COLOURS, get_ax
from ._density import kde_on_grid


def _density_line(ax: Any, draws: np.ndarray, colour: str, label: str) -> None:
    d = draws[np.isfinite(draws)]
    if d.size < 2 or np.ptp(d) == 0:
        return
    lo, hi = np.quantile(d, [0.001, 0.999])
    grid = np.linspace(float(lo), float(hi), 256)
    ax.plot(grid, kde_on_grid(d, grid), color=colour, lw=1.8, label=label)


def plot_posterior_indirect(result: Any, ax: Any = None, mediator: str | None = None, hdi_prob: float = 0.95) -> Any:
    """Posterior of the indirect effect ``a·b`` with its HDI and the posterior mean; returns the Axes.

    Uses ArviZ's ``plot_posterior`` (posterior mean, HDI bar, probability of direction against
    zero) when ArviZ is installed, otherwise a matplotlib histogram with the same marks.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> from neuroimmune_stats.bayes import bayes_mediate
    >>> rng = np.random.default_rng(0)
    >>> df = pd.DataFrame({"x": rng.normal(size=50)})
    >>> df["m"] = 0.5 * df["x"] + rng.normal(size=50)
    >>> df["y"] = 0.5 * df["m"] + rng.normal(size=50)
    >>> ax = plot_posterior_indirect(bayes_mediate(df, "x", "m", "y", method="exact", seed=0))
    >>> ax.get_xlabel()
    'indirect effect a·b (x → m → y)'
    """
    draws = result.draws_of("indirect", mediator)
    med = mediator or result.mediators[0]
    ax = get_ax(ax)
    import importlib.util

    if importlib.util.find_spec("arviz") is not None:
        import arviz as az

        az.plot_posterior(
            {"indirect": draws}, hdi_prob=hdi_prob, point_estimate="mean", ref_val=0.0, ax=ax,
            color=GROUP_COLOURS[0], textsize=9,
        )
    else:
        from ..bayes.diagnostics import hdi

        flat = draws.ravel()
        ax.hist(flat, bins=60, density=True, color=GROUP_COLOURS[0], alpha=0.6)
        lo, hi = hdi(flat, hdi_prob)
        ax.plot([lo, hi], [0, 0], color="black", lw=4, solid_capstyle="butt", label=f"{hdi_prob:.0%} HDI")
        ax.axvline(float(np.mean(flat)), color="black", lw=1, label="posterior mean")
        ax.axvline(0.0, color="grey", lw=0.8, ls=":")
        ax.legend(frameon=False, fontsize=8)
    ax.set_title(f"Posterior of the indirect effect ({result.method})", fontsize=10)
    ax.set_xlabel(f"indirect effect a·b ({result.x} → {med} → {result.y})")
    return ax


def plot_comparison(comparison: Any, ax: Any = None, mediator: str | None = None) -> Any:
    """Bootstrap distribution (histogram) and posterior (density) of the indirect effect, with both intervals.

    Returns the Axes.
    """
    freq, bayes = comparison.frequentist, comparison.bayesian
    if mediator is None and len(bayes.mediators) > 1:
        mediator = bayes.mediators[0]
    boot = np.asarray(freq.bootstrap_distribution("indirect", mediator), dtype=float)
    post = bayes.draws_of("indirect", mediator).ravel()
    tab = comparison.tidy()
    row = tab[tab["term"] == "indirect"]
    if mediator is not None and len(bayes.mediators) > 1:
        row = row[row["mediator"] == mediator]
    row = row.iloc[0]
    ax = get_ax(ax)
    fin = boot[np.isfinite(boot)]
    ax.hist(fin, bins=60, density=True, color=GROUP_COLOURS[0], alpha=0.45,
            label=f"bootstrap ({freq.n_boot if hasattr(freq, 'n_boot') else len(fin)} resamples)")
    _density_line(ax, post, GROUP_COLOURS[1], f"posterior ({bayes.method})")
    y0 = ax.get_ylim()[1]
    ax.plot([row["conf_low_freq"], row["conf_high_freq"]], [-0.04 * y0] * 2, color=GROUP_COLOURS[0], lw=4,
            solid_capstyle="butt", label=row["interval_freq"])
    ax.plot([row["conf_low_bayes"], row["conf_high_bayes"]], [-0.09 * y0] * 2, color=GROUP_COLOURS[1], lw=4,
            solid_capstyle="butt", label=row["interval_bayes"])
    ax.axvline(0.0, color="grey", lw=0.8, ls=":")
    ax.set_ylim(-0.13 * y0, y0)
    med = mediator or bayes.mediators[0]
    ax.set_xlabel(f"indirect effect a·b ({bayes.x} → {med} → {bayes.y})")
    ax.set_ylabel("density")
    ax.set_title("Bootstrap vs posterior", fontsize=10)
    ax.legend(frameon=False, fontsize=7)
    return ax


__all__ = ["plot_comparison", "plot_posterior_indirect"]
