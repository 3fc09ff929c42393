"""Figures a paper can use. Every function takes ``ax=None`` and returns the Axes it drew on.

matplotlib is imported on first use; nothing here sets rcParams or calls ``plt.show()``.
One module per analysis family: ``groups`` (Figures 1, 4, 5, forest), ``mediation`` (six-model
forest plot, path diagram, bootstrap distribution, sensitivity), ``bayes`` and ``classify``.
Every figure accepts ``labels={column: label}`` for display names (default: the labels stored on
the result or in ``data.attrs["labels"]``, then :func:`neuroimmune_stats.format.label_for`), uses
the Okabe–Ito palette of ``_style`` and is saved at print resolution with
``_style.save_figure(ax, path, dpi=300)``.
"""

from ._style import OKABE_ITO, PALETTE, PRINT_DPI, save_figure

__all__ = ["OKABE_ITO", "PALETTE", "PRINT_DPI", "save_figure"]
