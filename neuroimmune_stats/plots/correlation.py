"""Correlation figures as the reference paper draws them (Alshelh et al. 2022, Figures 4–5).

Both variables are shown adjusted for the correlation's covariates (residuals plus the variable's mean,
computed when the correlation was fitted), points are marked by protocol (triangle = Protocol 1,
circle = Protocol 2), with the least-squares line, and the annotation quotes the r and p that the
correlation's table reports — the corrected ``p_adj`` when a correction was applied, labelled so.

The figure draws from the result only (``result.tidy()`` and ``result.pair_data(x, y)``); it computes
no statistic. User strings (column names, levels, labels) are drawn as plain text, never as mathtext.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..exceptions import SpecificationError
from ._axes import GROUP_COLOURS, PROTOCOL_MARKERS, get_ax


def _row(table: pd.DataFrame, x: str | None, y: str | None) -> tuple[pd.Series, bool]:
    """The table row of the pair (x, y) in either orientation, and whether it is stored as (y, x)."""
    if x is None and y is None:
        if len(table) != 1:
            pairs = ", ".join(f"({a}, {b})" for a, b in zip(table["x"], table["y"], strict=True))
            raise SpecificationError(f"plot_correlation: the result holds {len(table)} pairs ({pairs}); "
                                     "name one with x= and y=.")
        return table.iloc[0], False
    for flipped, (a, b) in ((False, (x, y)), (True, (y, x))):
        sel = table["x"].astype(str).eq(str(a)) if a is not None else pd.Series(True, index=table.index)
        if b is not None:
            sel &= table["y"].astype(str).eq(str(b))
        if sel.any():
            return table[sel].iloc[0], flipped
    raise SpecificationError(f"plot_correlation: the result has no pair ({x}, {y}); it has "
                             + ", ".join(f"({a}, {b})" for a, b in zip(table["x"], table["y"], strict=True)) + ".")


def _p_text(row: pd.Series, correction: str | None) -> str:
    p = float(row["p_value"])
    p_adj = float(row["p_adj"]) if "p_adj" in row and pd.notna(row["p_adj"]) else p
    corrected = (correction is not None and str(correction).lower() != "none") or not np.isclose(p_adj, p)
    val = p_adj if corrected else p
    shown = "< 0.001" if val < 0.001 else f"= {val:.3f}"
    if corrected:
        return f"p {shown} ({correction}-corrected)" if correction else f"p {shown} (corrected)"
    return f"p {shown}"


def plot_correlation(
    result: Any,
    x: str | None = None,
    y: str | None = None,
    ax: Any = None,
    adjusted: bool = True,
    marker_by: str | None = None,
    labels: Mapping[str, str] | None = None,
) -> Any:
    """Scatter of one correlation of a :func:`~neuroimmune_stats.correlate` result (paper Figures 4–5).

    Parameters
    ----------
    result : CorrelationResult
        Provides ``.tidy()`` (one row per pair: ``x, y, n, r, p_value, p_adj``) and
        ``.pair_data(x, y)`` (``subject_id, x, y, x_adjusted, y_adjusted`` and marker columns).
    x, y : str, optional
        The pair to draw, ``x`` on the horizontal axis; either orientation of a stored pair works.
        May be omitted when the result holds one pair.
    ax : matplotlib Axes, optional
    adjusted : bool, default=True
        Plot the covariate-adjusted values (residuals plus mean) the correlation was computed on;
        ``False`` plots the raw values (the annotation still quotes the table).
    marker_by : str, optional
        A column of ``pair_data`` (e.g. ``"protocol"``): one marker per level, triangle for the first
        level and circle for the second, as in the paper.
    labels : mapping, optional
        Display labels by column name, over those stored on the result (sidecar ``LongName``) and the
        package's readable names (``suvr_s1`` → "S1 SUVR").

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> res = nis.correlate(nis.simulate_cohort(seed=1), "suvr_s1", "fss", covariates="protocol")
    >>> ax = plot_correlation(res, x="fss", y="suvr_s1", marker_by="protocol")
    >>> ax.get_xlabel(), ax.get_ylabel()
    ('Fibromyalgia Survey Score (0–31) (adjusted)', 'S1 SUVR (adjusted)')
    """
    table = result.tidy()
    row, flipped = _row(table, x, y)
    sx, sy = str(row["x"]), str(row["y"])
    data = result.pair_data(sx, sy)
    hx, hy = (sy, sx) if flipped else (sx, sy)
    col = {"x": "x", "y": "y"}
    if adjusted:
        col = {"x": "x_adjusted", "y": "y_adjusted"}
    xs = data[col["y"] if flipped else col["x"]].to_numpy(dtype=float)
    ys = data[col["x"] if flipped else col["y"]].to_numpy(dtype=float)
    ok = np.isfinite(xs) & np.isfinite(ys)
    from ..format import label_for, result_labels

    merged = result_labels(result, labels)  # stored on the result (sidecar LongName), then labels=
    ax = get_ax(ax)
    marks = None
    if marker_by is not None:
        if marker_by not in data.columns:
            raise SpecificationError(f"plot_correlation: marker_by {marker_by!r} is not a column of the pair's data "
                                     f"(pass it to correlate(marker_by=...)); columns: {list(data.columns)}.")
        marks = data[marker_by]
    if marks is None:
        ax.scatter(xs[ok], ys[ok], color=GROUP_COLOURS[0], s=26, alpha=0.85, edgecolors="none")
    else:
        cats = marks.astype("category").cat.categories if not isinstance(marks.dtype, pd.CategoricalDtype) \
            else marks.cat.categories
        for j, level in enumerate(cats):
            sel = ok & marks.eq(level).to_numpy()
            if not sel.any():
                continue
            ax.scatter(xs[sel], ys[sel], marker=PROTOCOL_MARKERS[j % len(PROTOCOL_MARKERS)],
                       color=GROUP_COLOURS[j % len(GROUP_COLOURS)], s=30, alpha=0.85, edgecolors="none",
                       label=f"{label_for(marker_by, merged)} {level}")
        legend = ax.legend(frameon=False, fontsize="small", loc="lower right")
        for t in legend.get_texts():
            t.set_parse_math(False)
    if ok.sum() >= 2 and np.ptp(xs[ok]) > 0:
        slope, intercept = np.polyfit(xs[ok], ys[ok], 1)
        grid = np.linspace(xs[ok].min(), xs[ok].max(), 50)
        ax.plot(grid, intercept + slope * grid, color="black", lw=1.2)
    correction = getattr(result, "correction", None)
    covs = list(getattr(result, "covariates", None) or table.attrs.get("covariates", []) or [])
    r_name = "partial r" if covs else "r"
    ax.set_title(f"{r_name} = {float(row['r']):.2f}, n = {int(row['n'])}\n{_p_text(row, correction)}",
                 loc="left", fontsize="small", parse_math=False)
    suffix = " (adjusted)" if adjusted and covs else ""
    ax.set_xlabel(f"{label_for(hx, merged)}{suffix}", parse_math=False)
    ax.set_ylabel(f"{label_for(hy, merged)}{suffix}", parse_math=False)
    return ax


__all__ = ["plot_correlation"]
