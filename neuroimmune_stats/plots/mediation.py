"""Mediation figures: path diagram (the paper's Figure 6), bootstrap distribution, sensitivity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from ..format import digits_for, format_ci, format_number, label_for, result_labels
from ..results import signif_stars
from ._axes import GROUP_COLOURS, get_ax


def _box(ax: Any, xy: tuple[float, float], text: str) -> Any:
    return ax.text(*xy, text, ha="center", va="center", fontsize=9, zorder=3,
            bbox={"boxstyle": "round,pad=0.4", "fc": "white", "ec": "black", "lw": 1.0})


def _arrow(ax: Any, start: Any, end: Any, frac_a: tuple[float, float] = (0.5, 0.5),
           frac_b: tuple[float, float] = (0.5, 0.5)) -> None:
    """Arrow from the box ``start`` to the box ``end`` (anchors as fractions of each box)."""
    ax.annotate("", xy=frac_b, xycoords=end, xytext=frac_a, textcoords=start, zorder=2,
                arrowprops={"arrowstyle": "-|>", "lw": 1.2, "color": "black",
                            "shrinkA": 4, "shrinkB": 4})


def _wrap(text: str, width: int = 22) -> str:
    """Break a long box label on spaces so boxes stay inside the diagram."""
    import textwrap

    return "\n".join(textwrap.wrap(text, width)) or text


def _fmt(est: float, se: float, p: float) -> str:
    """``estimate stars (SE)`` with the decimals that give the SE two significant digits."""
    d = digits_for(se)
    return f"{format_number(est, d)}{signif_stars(p).rstrip('.')} ({format_number(se, d)})"


#: path labels sit on a white patch so an arrow never runs through their text
_LABEL_BOX = {"boxstyle": "square,pad=0.15", "fc": "white", "ec": "none"}


def plot_path_diagram(result: Any, ax: Any = None, se: str = "ols", labels: Mapping[str, str] | None = None) -> Any:
    """Path diagram of a mediation result: X, mediator(s) and Y with a, b, c and c′.

    Labels read ``estimate stars (SE)``; stars from the OLS p-values (``*`` < .05, ``**`` < .01,
    ``***`` < .001). ``se="bootstrap"`` shows bootstrap SEs in the parentheses instead (as the
    reference paper's Figure 6). The indirect effect and its interval are written under the
    diagram. Boxes show display labels (``labels``, else those stored on the result, else
    :func:`~neuroimmune_stats.format.label_for`). Returns the Axes.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=2).dropna(subset=["fss"])
    >>> res = nis.mediate(df, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=200, seed=1)
    >>> ax = plot_path_diagram(res)
    >>> any(t.get_text().startswith("a = ") for t in ax.texts)
    True
    """
    if se not in ("ols", "bootstrap"):
        raise ValueError(f"se must be 'ols' or 'bootstrap'; got {se!r}.")
    ax = get_ax(ax, figsize=(6.0, 3.8))
    lab_map = result_labels(result, labels)
    td = result.tidy()
    col = "std_error" if se == "ols" else "boot_std_error"

    def lab(term: str, mediator: str | None = None) -> str:
        r = td[(td.term == term) & ((td.mediator == mediator) if mediator else td.mediator.isna())]
        r = r.iloc[0]
        return _fmt(r.estimate, r[col], r.p_value)

    meds = result.mediators
    px, py = (0.1, 0.2), (0.9, 0.2)
    bx = _box(ax, px, _wrap(label_for(result.x, lab_map)))
    by = _box(ax, py, _wrap(label_for(result.y, lab_map)))
    k = len(meds)
    xs = np.linspace(0.5, 0.5, k) if not result.serial else np.array([0.3, 0.7])
    ys = np.linspace(0.75, 0.95, k) if not result.serial else np.array([0.8, 0.8])
    if k > 1 and not result.serial:
        ys = np.linspace(0.6, 0.95, k)
    boxes = []
    for i, m in enumerate(meds):
        pm = (float(xs[i]), float(ys[i]))
        bm = _box(ax, pm, _wrap(label_for(m, lab_map)))
        boxes.append(bm)
        _arrow(ax, bx, bm, (0.7, 1.0), (0.0, 0.5))
        _arrow(ax, bm, by, (1.0, 0.5), (0.3, 1.0))
        ax.text((px[0] + pm[0]) / 2 - 0.03, (px[1] + pm[1]) / 2 + 0.02, f"a = {lab('a', m)}",
                ha="right", va="bottom", fontsize=8, bbox=_LABEL_BOX)
        ax.text((py[0] + pm[0]) / 2 + 0.03, (py[1] + pm[1]) / 2 + 0.02, f"b = {lab('b', m)}",
                ha="left", va="bottom", fontsize=8, bbox=_LABEL_BOX)
    if result.serial:
        d_med = f"{meds[0]} -> {meds[1]}"
        _arrow(ax, boxes[0], boxes[1], (1.0, 0.5), (0.0, 0.5))
        ax.text(0.5, float(ys[0]) + 0.06, f"d = {lab('d', d_med)}", ha="center", fontsize=8)
    _arrow(ax, bx, by, (1.0, 0.5), (0.0, 0.5))
    ax.text(0.5, 0.23, f"c = {lab('c')}\nc′ = {lab('c_prime')}", ha="center", va="bottom",
            fontsize=8)
    ind = td[td.term.isin(["indirect", "total_indirect"])]
    level = f"{100 * result.conf_level:g}%"
    lines = []
    for r in ind.itertuples():
        what = ("" if k == 1 or r.mediator is None or r.mediator != r.mediator
                else f" [{label_for(r.mediator, lab_map)}]")
        what += " total" if r.term == "total_indirect" else ""
        name = "percentile" if result.ci == "percentile" else result.ci.upper()
        d = digits_for(r.std_error)
        lines.append(f"a×b{what} = {format_number(r.estimate, d)} ({format_number(r.std_error, d)}), "
                     f"{level} {name} CI {format_ci(r.conf_low, r.conf_high, d)}")
    ax.text(0.5, 0.1, "\n".join(lines), ha="center", va="top", fontsize=8)
    bottom = 0.1 - 0.075 * len(lines)
    ax.text(0.5, bottom - 0.02, f"n = {result.n}; ({'OLS' if se == 'ols' else 'bootstrap'} SE); "
            "* p<.05, ** p<.01, *** p<.001", ha="center", va="top", fontsize=7, color="0.3")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(bottom - 0.1, 1.05)
    ax.set_axis_off()
    return ax


def plot_mediation_grid(grid: Any, ax: Any = None, labels: Mapping[str, str] | None = None) -> Any:
    """Forest plot of the six-model grid: each model's indirect effect a×b with its bootstrap CI.

    One row per model, ``Model k: X → M → Y`` (display labels from ``labels`` or the result),
    filled where the interval excludes zero. The models put different variables in Y, so their
    a×b are on different scales: each row is drawn in units of its own bootstrap SE (zero, and
    so the test, is unchanged) and the raw estimate with its interval is printed on the right.
    Returns the Axes.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=3).dropna(subset=["fss"])
    >>> grid = nis.mediation_grid(df, ["suvr_s1", "fss", "conn_s1__thalamus"], n_boot=200, seed=1)
    >>> ax = plot_mediation_grid(grid, labels={"fss": "FSS"})
    >>> print(ax.get_yticklabels()[0].get_text())
    Model 1: S1 SUVR → FSS → S1–thalamus
    connectivity
    """
    td = grid.tidy()
    lab = result_labels(grid, labels)
    k = len(td)
    ax = get_ax(ax, figsize=(7.5, 0.55 * k + 1.4))
    ypos = np.arange(k)[::-1].astype(float)
    # the six models put different variables in Y, so the raw a×b are on different scales: each
    # row is drawn in units of its own bootstrap SE (zero stays zero), the raw values are printed
    se = td["std_error"].to_numpy(float)
    scale = np.where(np.isfinite(se) & (se > 0), se, 1.0)
    est = td["estimate"].to_numpy(float)
    lo, hi = td["conf_low"].to_numpy(float), td["conf_high"].to_numpy(float)
    sig = td["significant"].to_numpy(bool)
    ax.hlines(ypos, lo / scale, hi / scale, color="black", lw=1.2, zorder=2)
    ax.scatter((est / scale)[sig], ypos[sig], color=GROUP_COLOURS[1], edgecolor="black", s=36, zorder=3,
               label="CI excludes 0")
    ax.scatter((est / scale)[~sig], ypos[~sig], facecolor="white", edgecolor="black", s=36, zorder=3,
               label="CI includes 0")
    ax.axvline(0.0, color="0.5", lw=0.8, ls="--", zorder=1)
    names = [_wrap(f"Model {int(r.model)}: {label_for(r.x, lab)} → {label_for(r.m, lab)} → {label_for(r.y, lab)}",
                   44) for r in td.itertuples()]
    ax.set_yticks(ypos, names, fontsize=7.5)
    ax.set_ylim(-0.7, k - 0.3)
    level = f"{100 * grid.conf_level:g}%"
    ax.annotate(f"a×b [{level} CI]", xy=(1.03, k - 0.45), xycoords=("axes fraction", "data"), va="center",
                ha="left", fontsize=7.5, fontweight="bold")
    for y, e, a, b in zip(ypos, est, lo, hi, strict=True):
        d = digits_for(e, a, b)
        ax.annotate(f"{format_number(e, d)} {format_ci(a, b, d)}", xy=(1.03, y), xycoords=("axes fraction", "data"),
                    va="center", ha="left", fontsize=7.5)
    name = "percentile" if grid.ci == "percentile" else grid.ci.upper()
    ax.set_xlabel(f"indirect effect a×b / its bootstrap SE\n({level} {name} CI, {grid.n_boot} resamples; "
                  f"n = {grid.n})", fontsize=8)
    ax.tick_params(axis="x", labelsize=8)
    ax.legend(fontsize=7, frameon=False, loc="lower left", bbox_to_anchor=(0.0, 1.0), ncol=2)
    return ax


def plot_bootstrap_distribution(result: Any, ax: Any = None, term: str = "indirect",
                                mediator: str | None = None, labels: Mapping[str, str] | None = None) -> Any:
    """Histogram of an effect's bootstrap draws with the estimate and the interval; returns Axes.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=2).dropna(subset=["fss"])
    >>> res = nis.mediate(df, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=200, seed=1)
    >>> len(plot_bootstrap_distribution(res).patches)
    60
    """
    ax = get_ax(ax)
    draws = result.bootstrap_distribution(term, mediator)
    td = result.tidy()
    row = td[(td.term == term) & ((td.mediator == mediator) if mediator else True)].iloc[0]
    ax.hist(draws[np.isfinite(draws)], bins=60, color=GROUP_COLOURS[0], alpha=0.6)
    ax.axvline(row.estimate, color="black", lw=1.5, label=f"estimate {row.estimate:.3g}")
    for v in (row.boot_conf_low, row.boot_conf_high):
        ax.axvline(v, color=GROUP_COLOURS[1], lw=1.2, ls="--")
    ax.axvline(0.0, color="0.5", lw=0.8, ls=":")
    ax.plot([], [], color=GROUP_COLOURS[1], ls="--",
            label=f"{100 * result.conf_level:g}% {result.ci} CI "
                  f"[{row.boot_conf_low:.3g}, {row.boot_conf_high:.3g}]")
    lab = result_labels(result, labels)
    ax.set_xlabel(f"{label_for(term, lab)}{'' if mediator is None else ' (' + label_for(mediator, lab) + ')'}")
    ax.set_ylabel(f"count ({result.n_boot} resamples)")
    ax.legend(fontsize=7, frameon=False)
    return ax


def plot_sensitivity(sens: Any, ax: Any = None) -> Any:
    """Indirect effect δ(ρ) against ρ, with the zero line and the crossing marked; returns Axes.

    Examples
    --------
    >>> import neuroimmune_stats as nis
    >>> df = nis.simulate_cohort(seed=2).dropna(subset=["fss"])
    >>> res = nis.mediate(df, "suvr_s1", "fss", "conn_s1__thalamus", n_boot=200, seed=1)
    >>> ax = plot_sensitivity(nis.mediation_sensitivity(res))
    >>> ax.get_xlabel().startswith("ρ")
    True
    """
    ax = get_ax(ax)
    ax.plot(sens.rho, sens.acme, color=GROUP_COLOURS[0], lw=1.5)
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.axvline(0.0, color="0.5", lw=0.8, ls=":")
    if np.isfinite(sens.rho_zero):
        ax.axvline(sens.rho_zero, color=GROUP_COLOURS[1], lw=1.0, ls="--",
                   label=f"δ = 0 at ρ = {sens.rho_zero:.2f}")
        ax.legend(fontsize=7, frameon=False)
    ax.set_xlabel("ρ (corr. of mediator and outcome errors)")
    ax.set_ylabel("indirect effect δ(ρ)")
    return ax


__all__ = ["plot_bootstrap_distribution", "plot_mediation_grid", "plot_path_diagram", "plot_sensitivity"]
