"""Report section: planning a replication from the study's own estimates (issue 17).

The sample size for 80% power to replicate (a) the group difference in the first ROI (S1) at the
observed partial effect size, by the exact noncentral F of :func:`~neuroimmune_stats.power_ancova`,
and (b) Model 1's indirect effect at its observed standardised paths, by Monte Carlo
(:func:`~neuroimmune_stats.power_mediation` ``.from_result``). Both are planning from pilot
estimates, said so in the section. Reads ``ctx.results["roi"]`` and ``ctx.results["mediation_model1"]``
(set by the ROI and mediation sections, which run first) and skips, naming why, what they lack.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from .html import Section

TARGET = 0.8
ALPHA = 0.05


def _frame(obj: Any) -> pd.DataFrame:
    return obj if isinstance(obj, pd.DataFrame) else obj.tidy()


def _sims(cfg: Any) -> tuple[int, int]:
    """(n_sims, n_boot) of the Monte Carlo: ``power_n_sims`` / ``power_n_boot`` of the config when set;
    otherwise 500 x min(n_boot, 1000), and 100 x n_boot in quick mode (n_boot < 1000)."""
    quick = cfg.n_boot < 1000
    n_sims = int(getattr(cfg, "power_n_sims", 100 if quick else 500))
    n_boot = int(getattr(cfg, "power_n_boot", min(cfg.n_boot, 1000)))
    return n_sims, n_boot


def group_effect_power(row: pd.Series, target: float = TARGET, alpha: float = ALPHA) -> Any:
    """n for ``target`` power for one ``group_compare`` row at its observed partial f² = η²p / (1 − η²p).

    groups = df1 + 1; covariate columns = n − df2 − groups (the row's model).
    """
    from ..planning import power_ancova

    eta = float(row["partial_eta_sq"])
    groups = round(float(row["df1"])) + 1
    covariates = int(row["n"]) - round(float(row["df2"])) - groups
    return power_ancova(math.sqrt(eta / (1 - eta)), groups=groups, covariates=covariates, alpha=alpha,
                        target=target)


def planning(ctx: Any) -> Section:
    """Planning section: n for 80% power to replicate the S1 difference and Model 1's indirect effect."""
    from ..planning.mediation_power import from_result
    from ..planning.result import PILOT_NOTE

    cfg = ctx.config
    sec = Section("planning", "Planning a replication")
    sec.p(f"Sample sizes for {TARGET:.0%} power (two-sided α = {ALPHA}) to replicate the study's two central "
          "findings if the true effects were the ones observed here.")
    rows: list[dict[str, Any]] = []
    curves: list[Any] = []
    roi = ctx.results.get("roi")
    outcome = cfg.roi_outcomes[0] if cfg.roi_outcomes else None
    if roi is None or outcome is None:
        ctx.skip(sec, "power for the ROI group difference", "the ROI group models did not run", "not run")
    else:
        tab = _frame(roi)
        hit = tab[tab["outcome"] == outcome]
        if hit.empty:
            ctx.skip(sec, "power for the ROI group difference", f"no ROI model of {outcome}", "not run")
        else:
            row = hit.iloc[0]
            res = ctx.attempt(sec, f"power for the {outcome} group difference", group_effect_power, row)
            if res is not None:
                ctx.results["planning_roi"] = res
                curves.append((res, f"{cfg.label(outcome)}: group F test"))
                rows.append({
                    "analysis": f"{outcome} ~ {cfg.group} (+ covariates)",
                    "observed effect": f"partial η² = {float(row['partial_eta_sq']):.3f} "
                                       f"(f = {res.settings['f']:.3f})",
                    "n for 80% power": res.n, "power at n": round(res.power, 3),
                    "method": "exact noncentral F (R pwr::pwr.f2.test)",
                })
    m1 = ctx.results.get("mediation_model1")
    if m1 is None:
        ctx.skip(sec, "power for Model 1's indirect effect", "the mediation models did not run", "not run")
    else:
        n_sims, n_boot = _sims(cfg)
        res = ctx.attempt(sec, "power for Model 1's indirect effect", from_result, m1,
                          target=TARGET, n_sims=n_sims, n_boot=n_boot, alpha=ALPHA, seed=cfg.seed, progress=False)
        if res is not None:
            ctx.results["planning_mediation"] = res
            curves.append((res, "Model 1: indirect effect a×b"))
            p = res.pilot or {}
            se = float(res.tidy().set_index("n").loc[res.n, "mc_se"])
            rows.append({
                "analysis": f"Model 1: {m1.x} → {m1.mediators[0]} → {m1.y}",
                "observed effect": f"standardised a = {p['a']:.3f}, b = {p['b']:.3f}",
                "n for 80% power": res.n, "power at n": f"{res.power:.3f} (MC SE {se:.3f})",
                "method": f"Monte Carlo, {n_sims} data sets × {n_boot} resamples, {res.settings['ci']} bootstrap",
            })
    if not rows:
        return sec
    sec.table(pd.DataFrame(rows), caption="Total sample size for 80% power at the observed effect sizes")
    sec.note(PILOT_NOTE)
    from .._optional import pyplot

    plt = pyplot()
    fig, axes = plt.subplots(1, len(curves), figsize=(4.2 * len(curves), 3.2), layout="constrained", squeeze=False)
    for ax, (res, title) in zip(axes[0], curves, strict=True):
        res.plot(ax=ax)
        ax.set_title(title, fontsize=10)
    sec.figure(fig, "Power against total sample size; dashed: 80%; shaded: 95% Monte Carlo band.")
    ctx.methods.append(
        "Replication planning: the total n for 80% power at the observed effects, by the exact noncentral F "
        "of the group test (as R pwr::pwr.f2.test, partial f from the adjusted model) and by Monte Carlo "
        "simulation of the bootstrap test of the indirect effect at Model 1's standardised paths (Fritz & "
        "MacKinnon 2007 design); both are planning from pilot estimates, not post-hoc power."
    )
    return sec


__all__ = ["group_effect_power", "planning"]
