"""Diagnostic figure of :func:`~neuroimmune_stats.harmonization.harmonize`: per-batch distributions before/after."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..exceptions import SpecificationError
from ..plots._axes import get_ax
from ..plots._style import PALETTE


def standardised_values(result: Any, features: Sequence[str] | None = None) -> dict[str, Any]:
    """The plotted numbers: per feature and batch, values before and after, z-scored by the pooled before."""
    feats = list(result.features if features is None else features)
    unknown = [f for f in feats if f not in result.features]
    if unknown:
        raise SpecificationError(f"plot: features {unknown} were not harmonised (have {result.features}).")
    from .api import batch_labels

    batch = batch_labels(result.original[result.batch])
    out: dict[str, Any] = {}
    for f in feats:
        before = result.original[f].to_numpy(dtype=float)
        after = result.data[f].to_numpy(dtype=float)
        mu, sd = before.mean(), before.std(ddof=1) or 1.0
        out[f] = {str(lev): ((before[batch == str(lev)] - mu) / sd, (after[batch == str(lev)] - mu) / sd)
                  for lev in result.levels}
    return out


def plot_harmonisation(result: Any, ax: Any = None, features: Sequence[str] | None = None) -> Any:
    """Box plots per feature: each batch before (light, hatched) and after (solid) ComBat.

    Values are standardised per feature by the mean and SD of all subjects before harmonisation,
    so the features share one axis and a batch effect shows as boxes at different heights.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> res = nis.harmonize(nis.load_example(), "suvr_*", covariates=["subtype"], result=True)
    >>> ax = res.plot()
    >>> ax.get_ylabel()
    'SUVR standardised (pooled, before)'
    """
    vals = standardised_values(result, features)
    levels = [str(v) for v in result.levels]
    nb = len(levels)
    ax = get_ax(ax, figsize=(max(4.5, 1.1 * len(vals) * nb / 2 + 1.5), 3.8))
    width = 0.8 / (2 * nb)
    for i, (_, per) in enumerate(vals.items()):
        for b, lev in enumerate(levels):
            colour = PALETTE[b % len(PALETTE)]
            for phase, data in enumerate(per[lev]):
                pos = i + (phase * nb + b - (2 * nb - 1) / 2) * width
                bp = ax.boxplot([data], positions=[pos], widths=width * 0.9, patch_artist=True,
                                showfliers=False, manage_ticks=False)
                box = bp["boxes"][0]
                box.set_facecolor(colour)
                box.set_alpha(0.35 if phase == 0 else 0.9)
                if phase == 0:
                    box.set_hatch("///")
                for part in ("medians",):
                    for line in bp[part]:
                        line.set_color("black")
    ax.set_xticks(np.arange(len(vals)), [f.removeprefix("suvr_") for f in vals], rotation=30, ha="right")
    ax.axhline(0, color="0.6", linewidth=0.8, linestyle=":")
    unit = "SUVR" if all(str(f).startswith("suvr_") for f in vals) else "value"
    ax.set_ylabel(f"{unit} standardised (pooled, before)")
    from matplotlib.patches import Patch

    handles = [Patch(facecolor=PALETTE[b % len(PALETTE)], alpha=0.9, label=f"{result.batch} {lev}")
               for b, lev in enumerate(levels)]
    handles += [Patch(facecolor="white", edgecolor="0.3", hatch="///", label="before"),
                Patch(facecolor="0.5", edgecolor="0.3", label="after")]
    ax.legend(handles=handles, fontsize="small", frameon=False, ncols=2, loc="upper left",
              bbox_to_anchor=(0, 1.22))
    ax.set_title(f"ComBat ({result.method})", fontsize="medium", pad=34)
    return ax


__all__ = ["plot_harmonisation", "standardised_values"]
