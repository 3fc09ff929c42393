"""Plots of :func:`~neuroimmune_stats.classify.evaluate_classifier` results: ROC curves and signature."""

from __future__ import annotations

from typing import Any

import numpy as np

from ._axes import GROUP_COLOURS, get_ax


def roc_curves(
    result: Any, model: str = "features"
) -> tuple[list[tuple[np.ndarray, np.ndarray]], np.ndarray, np.ndarray]:
    """The plotted numbers: per-fold (fpr, tpr), a fpr grid and the vertically averaged tpr."""
    from ..classify.metrics import roc_points

    if model not in result.oof:
        from ..exceptions import SpecificationError

        raise SpecificationError(f"model must be one of {list(result.oof)}; got {model!r}.")
    curves = [roc_points(score, result.y01[te]) for te, score, _ in result.oof[model]]
    grid = np.linspace(0.0, 1.0, 101)
    mean = np.mean([np.interp(grid, fpr, tpr) for fpr, tpr in curves], axis=0)
    mean[0] = 0.0
    return curves, grid, mean


def plot_roc(result: Any, ax: Any = None, model: str = "features") -> Any:
    """ROC curve of every test fold (thin, transparent) and their vertical mean (thick).

    Parameters
    ----------
    result : ClassifierResult
    ax : matplotlib Axes, optional
        Drawn on when given; a new figure otherwise.
    model : {"features", "confounds_only"}, default="features"

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> res = nis.evaluate_classifier(nis.simulate_cohort(seed=1), "suvr_*", n_repeats=1,
    ...                               n_permutations=0, seed=1)
    >>> ax = plot_roc(res)
    >>> ax.get_xlabel()
    'False positive rate'
    """
    ax = get_ax(ax, figsize=(4.0, 4.0))
    curves, grid, mean = roc_curves(result, model)
    colour = GROUP_COLOURS[0] if model == "features" else GROUP_COLOURS[2]
    for fpr, tpr in curves:
        ax.step(fpr, tpr, where="post", color=colour, alpha=0.12, linewidth=0.8)
    auc = float(result.per_fold[model]["auc"].mean())
    ax.plot(grid, mean, color=colour, linewidth=2.2, label=f"mean of {len(curves)} folds (AUC {auc:.2f})")
    if "confounds_only" in result.oof and model == "features":
        _, g2, m2 = roc_curves(result, "confounds_only")
        auc2 = float(result.per_fold["confounds_only"]["auc"].mean())
        ax.plot(g2, m2, color=GROUP_COLOURS[2], linewidth=1.5, linestyle="--",
                label=f"confounds only (AUC {auc2:.2f})")
    ax.plot([0, 1], [0, 1], color="0.6", linestyle=":", linewidth=1)
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.01)
    ax.set_aspect("equal")
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    ax.set_title(f"{result.classes[1]} vs {result.classes[0]}")
    ax.legend(loc="lower right", fontsize="small", frameon=False)
    return ax


def plot_signature(result: Any, ax: Any = None) -> Any:
    """Mean standardised weight per feature, ±1 SD over folds; faded bars have unstable signs.

    Bars are opaque when at least 90% of folds agree on the sign and faded otherwise.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> res = nis.evaluate_classifier(nis.simulate_cohort(seed=1), "suvr_*", n_repeats=1,
    ...                               n_permutations=0, seed=1)
    >>> ax = plot_signature(res)
    >>> len(ax.patches) == len(res.features)
    True
    """
    sig = result.signature().iloc[::-1]
    ax = get_ax(ax, figsize=(4.5, 0.35 * len(sig) + 1.2))
    pos = np.arange(len(sig))
    colours = [GROUP_COLOURS[1] if m > 0 else GROUP_COLOURS[0] for m in sig["mean"]]
    alphas = np.where(sig["sign_consistency"] >= 0.9, 0.9, 0.35)
    bars = ax.barh(pos, sig["mean"], xerr=sig["sd"], color=colours, error_kw={"elinewidth": 0.8})
    for bar, a in zip(bars, alphas, strict=True):
        bar.set_alpha(float(a))
    ax.axvline(0, color="0.4", linewidth=0.8)
    ax.set_yticks(pos, list(sig["feature"]))
    ax.set_xlabel(f"weight towards {result.classes[1]}\n(standardised, mean ± SD over folds)")
    return ax


__all__ = ["plot_roc", "plot_signature", "roc_curves"]
