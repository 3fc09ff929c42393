"""Result objects of the planning functions: :class:`PowerResult` and :class:`EquivalenceResult`."""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .._rng import SeedLike
from ..results import Result, format_p, format_table

#: tidy columns of a power analysis
POWER_COLUMNS = ("n", "power", "mc_se")

#: tidy columns of an equivalence test, in order
EQUIVALENCE_COLUMNS = (
    "outcome", "contrast", "estimate", "std_error", "df", "conf_low", "conf_high", "bound_low",
    "bound_high", "statistic_lower", "statistic_upper", "p_lower", "p_upper", "p_value", "equivalent", "n",
)

PILOT_NOTE = (
    "Planning from pilot estimates: the fitted model's standardised paths are taken as the true effects "
    "of a new study of size n. This is not post-hoc ('observed') power of the study that was run, which "
    "adds nothing to its p-value; pilot estimates are noisy, so treat the n as optimistic when the "
    "pilot was small."
)


class PowerResult(Result):
    """Power of one analysis at one or several sample sizes (closed form or Monte Carlo).

    Attributes
    ----------
    analysis : str
        ``"ancova"``, ``"correlation"`` or ``"mediation"``.
    n : int
        With ``target``: the smallest n whose power reaches it (when no evaluated n does, the
        largest evaluated n, with ``target_reached`` False and a warning); without: the largest n
        evaluated (the n, when one is given).
    power : float
        Power at ``n``.
    target : float or None
    target_reached : bool
    settings : dict
        The arguments that define the design (effect sizes, alpha, test, ...).
    method : str
        One line saying how power was computed.
    pilot : dict or None
        For planning from a fitted result: where the effect sizes came from (see ``note``).
    note : str
        Caveats printed by :meth:`summary` (e.g. planning from pilot estimates).
    seed : int, Generator, SeedSequence or None
        Seed of a Monte Carlo analysis (None for closed-form power).
    excluded_ids : tuple
        Always empty (no data are analysed); present for the result protocol.
    """

    extra_columns = ("power", "mc_se")

    def __init__(
        self,
        analysis: str,
        table: pd.DataFrame,
        *,
        settings: Mapping[str, Any],
        method: str,
        target: float | None = None,
        curve: pd.DataFrame | None = None,
        seed: SeedLike = None,
        pilot: Mapping[str, Any] | None = None,
        note: str = "",
    ) -> None:
        self.analysis = analysis
        tab = table.sort_values("n", kind="stable").drop_duplicates("n", keep="last").reset_index(drop=True)
        tab["n"] = tab["n"].astype(int)
        self._table = tab
        self._curve = curve
        self.settings = dict(settings)
        self.method = method
        self.target = target
        self.seed = seed
        self.pilot = dict(pilot) if pilot is not None else None
        self.note = note
        self.excluded_ids: tuple[str, ...] = ()
        args = ", ".join(f"{k}={_fmt(v)}" for k, v in self.settings.items())
        self.call = f"power_{analysis}({args}" + (f", target={target:g})" if target is not None else ")")
        hit = tab.loc[tab["power"] >= target, "n"] if target is not None else tab["n"].iloc[:0]
        #: whether some evaluated n reaches ``target`` (True without a target)
        self.target_reached = target is None or len(hit) > 0
        self.n = int(hit.iloc[0]) if len(hit) else int(tab["n"].iloc[-1])
        self.power = float(tab.loc[tab["n"] == self.n, "power"].iloc[0])
        if not self.target_reached:
            warnings.warn(f"no evaluated n reaches power {target:g}; the largest, n = {self.n}, has power "
                          f"{self.power:.3f}. Evaluate larger n or pass target without n to search.",
                          UserWarning, stacklevel=3)

    def tidy(self) -> pd.DataFrame:
        """One row per evaluated n: ``n``, ``power``, ``mc_se`` (Monte Carlo SE; 0 for closed form)."""
        return self._table.loc[:, list(POWER_COLUMNS)].copy()

    def curve(self) -> pd.DataFrame:
        """The points the power curve is drawn through (the tidy rows, or a fine grid for closed form)."""
        return (self._curve if self._curve is not None else self._table).loc[:, list(POWER_COLUMNS)].copy()

    def summary(self) -> str:
        """Text summary: the design, the method, the table and (with ``target``) the n needed."""
        title = {"ancova": "Power of the group F test (ANCOVA)", "correlation": "Power of the test of a correlation",
                 "mediation": "Power of the bootstrap test of the indirect effect a×b"}.get(self.analysis, "Power")
        design = ", ".join(f"{k} = {_fmt(v)}" for k, v in self.settings.items())
        lines = [title, "", f"Design: {design}", f"Method: {self.method}"]
        if self.seed is not None:
            lines.append(f"Seed: {self.seed}")
        lines += ["", format_table(self.tidy())]
        if self.target is not None:
            if not self.target_reached:
                lines.append(f"\nNo evaluated n reaches power {self.target:g}.")
            else:
                lines.append(f"\nSmallest n with power >= {self.target:g}: n = {self.n} (power {self.power:.3f}).")
        if self.note:
            lines += ["", self.note]
        return "\n".join(lines)

    def plot(self, ax: Any = None, labels: Mapping[str, str] | None = None) -> Any:
        """Power curve against n, with 95% Monte Carlo bands (± 1.96 MC SE) when simulated.

        Draws only what the result holds; the target (dashed) and the n reaching it are marked.
        """
        from ..plots._axes import get_ax

        ax = get_ax(ax)
        cur = self.curve()
        x, p, se = cur["n"].to_numpy(float), cur["power"].to_numpy(float), cur["mc_se"].to_numpy(float)
        simulated = bool(np.any(se > 0))
        ax.plot(x, p, marker="o" if simulated else None, ms=4, color="C0", label="power")
        if simulated:
            ax.fill_between(x, np.clip(p - 1.96 * se, 0, 1), np.clip(p + 1.96 * se, 0, 1), color="C0",
                            alpha=0.2, lw=0, label="95% Monte Carlo band")
        if self.target is not None:
            ax.axhline(self.target, ls="--", color="0.4", lw=1)
            if self.target_reached:
                ax.axvline(self.n, ls=":", color="C3", lw=1)
                ax.annotate(f"n = {self.n}", (self.n, self.target), xytext=(4, -14), textcoords="offset points",
                            color="C3", fontsize=9)
        lab = dict(labels or {})
        ax.set_xlabel(lab.get("n", "total sample size n"))
        ax.set_ylabel(lab.get("power", "power"))
        ax.set_ylim(0, 1.02)
        ax.set_title({"ancova": "Group F test (ANCOVA)", "correlation": "Correlation test",
                      "mediation": "Indirect effect a×b (bootstrap)"}.get(self.analysis, ""), fontsize=10)
        if simulated:
            ax.legend(loc="lower right", fontsize=8, frameon=False)
        return ax


class EquivalenceResult(Result):
    """Two one-sided tests (TOST) of an adjusted group difference (see :func:`equivalence_test`).

    Attributes
    ----------
    outcome, group : str
    contrast : str
        Direction of the difference, e.g. ``"radicular - axial"``.
    covariates : list of str
    bounds : tuple of float
        Raw equivalence bounds (low, high) on the difference.
    bounds_type : {"raw", "d"}
    bounds_given : tuple of float
        The bounds as given (standardised when ``bounds_type="d"``).
    conf_level : float
    n : int
    excluded_ids : tuple of str
    model : LinearModel
        The fitted ``lm`` whose contrast is tested.
    """

    extra_columns = ("bound_low", "bound_high", "statistic_lower", "statistic_upper", "p_lower", "p_upper",
                     "equivalent")

    def __init__(self, row: Mapping[str, Any], *, outcome: str, group: str, covariates: list[str],
                 bounds_given: tuple[float, float], bounds_type: str, conf_level: float, model: Any) -> None:
        self._row = dict(row)
        self.outcome = outcome
        self.group = group
        self.contrast = str(row["contrast"])
        self.covariates = covariates
        self.bounds = (float(row["bound_low"]), float(row["bound_high"]))
        self.bounds_given = bounds_given
        self.bounds_type = bounds_type
        self.conf_level = conf_level
        self.model = model
        self.n = int(row["n"])
        self.excluded_ids = tuple(model.excluded_ids)
        adj = f", covariates={covariates!r}" if covariates else ""
        self.call = (f"equivalence_test(data, {outcome!r}, group={group!r}, bounds={bounds_given!r}{adj}, "
                     f"bounds_type={bounds_type!r}, conf_level={conf_level:g})")

    def tidy(self) -> pd.DataFrame:
        """One row: the difference, its CI at ``conf_level``, the bounds, both one-sided tests and the TOST p.

        ``statistic_lower`` = (estimate − bound_low) / SE (H0: difference ≤ bound_low, p = ``p_lower``),
        ``statistic_upper`` = (estimate − bound_high) / SE (H0: difference ≥ bound_high, ``p_upper``);
        ``p_value`` = max of the two; ``equivalent`` = p_value < (1 − conf_level) / 2, i.e. the CI lies
        inside the bounds.
        """
        return pd.DataFrame([{c: self._row[c] for c in EQUIVALENCE_COLUMNS}])

    def summary(self) -> str:
        r = self._row
        alpha = (1 - self.conf_level) / 2
        adj = f" adjusted for {', '.join(self.covariates)}" if self.covariates else ""
        given = "" if self.bounds_type == "raw" else (
            f" (d = {self.bounds_given[0]:g}, {self.bounds_given[1]:g} x residual SD {self.model.sigma:.4g})")
        verdict = "equivalent" if r["equivalent"] else "equivalence not shown"
        lines = [
            "Equivalence test (two one-sided t tests, TOST)", "",
            f"Outcome: {self.outcome}; difference {self.contrast}{adj}; n = {self.n}",
            f"Bounds: [{self.bounds[0]:.4g}, {self.bounds[1]:.4g}]{given}", "",
            f"Difference = {r['estimate']:.4g} (SE {r['std_error']:.4g}, df {r['df']:g}), "
            f"{100 * self.conf_level:g}% CI [{r['conf_low']:.4g}, {r['conf_high']:.4g}]",
            f"Lower test (H0: diff <= {self.bounds[0]:.4g}): t = {r['statistic_lower']:.4g}, "
            f"p = {format_p(r['p_lower'])}",
            f"Upper test (H0: diff >= {self.bounds[1]:.4g}): t = {r['statistic_upper']:.4g}, "
            f"p = {format_p(r['p_upper'])}",
            f"TOST p = {format_p(r['p_value'])} -> {verdict} at alpha = {alpha:g}",
        ]
        if self.excluded_ids:
            lines.append(f"Excluded (missing values): {', '.join(self.excluded_ids)}")
        return "\n".join(lines)

    def plot(self, ax: Any = None, labels: Mapping[str, str] | None = None) -> Any:
        """The difference with its CI against the shaded equivalence region."""
        from ..plots._axes import get_ax

        ax = get_ax(ax)
        r = self._row
        lo, hi = self.bounds
        ax.axvspan(lo, hi, color="C2", alpha=0.15, lw=0, label="equivalence bounds")
        ax.axvline(0, color="0.5", lw=0.8)
        ax.errorbar([r["estimate"]], [0], xerr=[[r["estimate"] - r["conf_low"]], [r["conf_high"] - r["estimate"]]],
                    fmt="o", color="C0", capsize=4, label=f"{100 * self.conf_level:g}% CI")
        lab = dict(labels or {})
        ax.set_yticks([0], [lab.get(self.outcome, self.outcome)])
        ax.set_xlabel(f"difference ({self.contrast})")
        ax.set_title(f"TOST p = {format_p(r['p_value'])}", fontsize=10)
        ax.legend(loc="upper right", fontsize=8, frameon=False)
        return ax


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


__all__ = ["EQUIVALENCE_COLUMNS", "PILOT_NOTE", "POWER_COLUMNS", "EquivalenceResult", "PowerResult"]
