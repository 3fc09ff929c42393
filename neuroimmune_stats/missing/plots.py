"""Figures of multiple imputation: observed vs imputed densities, pooled estimates with intervals."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..exceptions import SpecificationError
from ..plots._density import kde_on_grid

if TYPE_CHECKING:  # pragma: no cover
    from .imputed import ImputedData


def plot_densities(imp: ImputedData, ax: Any = None, columns: str | Sequence[str] | None = None,
                   labels: dict[str, str] | None = None) -> Any:
    """Observed (thick blue) and imputed (thin red, one per imputation) densities per column (``mice::densityplot``)."""
    from ..plots._axes import get_ax
    from ..plots._style import OKABE_ITO

    cols = list(imp.imputed_columns) if columns is None else ([columns] if isinstance(columns, str) else list(columns))
    cols = [c for c in cols if pd.api.types.is_numeric_dtype(imp._frames[0][c])]
    if not cols:
        raise SpecificationError("ImputedData.plot: no numeric imputed column to show.")
    bad = [c for c in cols if c not in imp.where.columns]
    if bad:
        raise SpecificationError(f"ImputedData.plot: unknown columns {bad}.")
    if ax is None:
        from .._optional import pyplot

        plt = pyplot()
        ncol = min(3, len(cols))
        nrow = int(np.ceil(len(cols) / ncol))
        _, axes = plt.subplots(nrow, ncol, figsize=(3.3 * ncol, 2.7 * nrow), layout="constrained", squeeze=False)
        flat = list(axes.ravel())
        for extra in flat[len(cols):]:
            extra.set_visible(False)
    else:
        flat = list(np.atleast_1d(ax).ravel()) if not hasattr(ax, "plot") else [get_ax(ax)]
        if len(flat) < len(cols):
            raise SpecificationError(f"ImputedData.plot: {len(cols)} columns but {len(flat)} Axes given.")
    labels = labels or dict(imp.data.attrs.get("labels", {}) or {})
    for a, c in zip(flat, cols, strict=False):
        miss = imp.where[c].to_numpy()
        obs = pd.to_numeric(imp.data[c], errors="coerce").to_numpy(dtype=float)[~miss]
        imputed = [f[c].to_numpy(dtype=float)[miss] for f in imp._frames]
        allv = np.concatenate([obs, *imputed])
        pad = 0.15 * (np.ptp(allv) or 1.0)
        grid = np.linspace(allv.min() - pad, allv.max() + pad, 200)
        for k, v in enumerate(imputed):
            a.plot(grid, kde_on_grid(v, grid), color=OKABE_ITO["vermillion"], lw=0.7, alpha=0.6,
                   label="imputed (each data set)" if k == 0 else None)
        a.plot(grid, kde_on_grid(obs, grid), color=OKABE_ITO["blue"], lw=2.2, label=f"observed (n = {obs.size})")
        a.set_xlabel(labels.get(c, c))
        a.set_ylabel("density")
        a.set_title(f"{labels.get(c, c)}: {int(miss.sum())} imputed × m = {imp.m}", fontsize=9)
    flat[0].legend(fontsize=7, frameon=False)
    return flat[0] if len(cols) == 1 else np.array(flat[: len(cols)], dtype=object)


def plot_pooled_coefficients(tidy: pd.DataFrame, ax: Any = None, title: str = "") -> Any:
    """Pooled estimates with their intervals (one row per term; the intercept left out)."""
    from ..plots._axes import get_ax
    from ..plots._style import OKABE_ITO

    td = tidy[tidy["term"] != "(Intercept)"].reset_index(drop=True)
    ax = get_ax(ax, figsize=(5.5, 1.4 + 0.5 * max(len(td), 1)))
    y = np.arange(len(td))[::-1]
    ax.errorbar(td["estimate"], y, xerr=[td["estimate"] - td["conf_low"], td["conf_high"] - td["estimate"]],
                fmt="o", color=OKABE_ITO["blue"], capsize=3)
    ax.axvline(0.0, color="0.5", lw=0.8, ls="--")
    ax.margins(x=0.18, y=0.25)
    ax.set_yticks(y, [str(t) for t in td["term"]])
    ax.set_xlabel("pooled estimate (95% CI)")
    if "fmi" in td:
        for yi, (hi, f) in enumerate(zip(td["conf_high"], td["fmi"], strict=True)):
            if np.isfinite(f):
                ax.annotate(f"fmi {f:.2f}", (hi, y[yi]), xytext=(4, 0), textcoords="offset points",
                            va="center", fontsize=7, color="0.35")
    if title:
        ax.set_title(title, fontsize=9)
    return ax


__all__ = ["plot_densities", "plot_pooled_coefficients"]
