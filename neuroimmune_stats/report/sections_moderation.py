"""Report section "Does the pathway differ by subtype?": Model 1's mediation moderated by the group.

PROCESS model 7 (the group moderates X → M, path a) and model 14 (the group moderates M → Y, path b)
on the reference study's Model 1 variables (``config.mediation_variables``), with W = ``config.group``
(the subtype). For a two-level group the index of moderated mediation equals the difference of the
two conditional indirect effects (second level minus first), named in the ``contrast`` column.
Like every section, it is skipped with its reason when the data cannot support it.
"""

from __future__ import annotations

from typing import Any

from .html import Section

#: the two conditional process models of the section: PROCESS number -> moderated path
MODELS = ((7, ("a",), "X → M (path a)"), (14, ("b",), "M → Y (path b)"))

COLUMNS = ("term", "mediator", "w_value", "contrast", "estimate", "std_error", "conf_low", "conf_high", "significant",
           "n")


def pathway_by_group(ctx: Any) -> Section:
    """Section ``moderation``: conditional indirect effects of Model 1 per group (models 7 and 14).

    Results go to ``ctx.results["moderation_model7"]`` and ``["moderation_model14"]``; the methods
    sentence to ``ctx.methods``.
    """
    from ..mediation import mediate

    cfg = ctx.config
    sec = Section("moderation", f"Does the pathway differ by {cfg.group}?")
    if not ctx.require(sec, "moderated mediation", cfg.group, *cfg.mediation_variables):
        return sec
    x, m, y = cfg.mediation_variables
    sec.p(f"Model 1 ({x} → {m} → {y}) with {cfg.group} as moderator W: PROCESS model 7 lets {cfg.group} change "
          f"the X → M path, model 14 the M → Y path. Conditional indirect effects per {cfg.group} with "
          f"{cfg.n_boot} bootstrap resamples ({cfg.mediation_ci.upper()} 95% CIs); the index of moderated "
          "mediation is the difference between the groups' indirect effects (its CI excluding 0 says the "
          "pathway differs).")
    done = []
    for number, paths, what in MODELS:
        res = ctx.attempt(sec, f"moderated mediation (PROCESS model {number})", mediate, ctx.data, x, m, y,
                          moderator=cfg.group, moderate=paths, n_boot=cfg.n_boot, ci=cfg.mediation_ci, seed=cfg.seed)
        if res is None:
            continue
        ctx.results[f"moderation_model{number}"] = res
        td = res.tidy()
        rows = td[td.term.isin(["indirect", "index_moderated_mediation"])]
        sec.table(rows[[c for c in COLUMNS if c in rows.columns]],
                  caption=f"PROCESS model {number}: {cfg.group} moderates {what}")
        sec.figure(res.plot().figure, f"Model {number}: conditional indirect effect of {x} on {y} through {m} "
                                      f"per {cfg.group}, with bootstrap 95% CIs.")
        idx = rows[rows.term == "index_moderated_mediation"].iloc[0]
        verdict = "differs" if bool(idx.significant) else "does not clearly differ"
        sec.p(f"Model {number}: index {idx.estimate:.3g} [{idx.conf_low:.3g}, {idx.conf_high:.3g}] "
              f"({idx.contrast}); the pathway {verdict} between groups at the 95% level.")
        done.append(number)
    if done:
        ctx.methods.append(
            f"Moderation of the Model 1 pathway by {cfg.group} was tested with conditional process models "
            f"(PROCESS models {' and '.join(map(str, done))}; OLS paths, {cfg.n_boot} bootstrap resamples, "
            f"{cfg.mediation_ci} 95% CIs of the conditional indirect effects and of the index of moderated "
            "mediation).")
    return sec


__all__ = ["pathway_by_group"]
