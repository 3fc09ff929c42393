"""Report sections of the analyses: ROI models, correlations, mediation (bootstrap + Bayesian).

Each part checks what it needs and, when the data cannot support it, is skipped and named with the
reason (missing table, missing column, too few subjects, single-level factor) through the context.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .html import Section


def _frame(obj: Any) -> pd.DataFrame:
    return obj if isinstance(obj, pd.DataFrame) else obj.tidy()


def _join(names: list[str] | tuple[str, ...]) -> str:
    return ", ".join(names) if names else "nothing"


def roi_models(ctx) -> Section:  # type: ignore[no-untyped-def]
    """Group GLMs of the a priori ROIs, adjusted for protocol and genotype (and BMI), corrected."""
    from ..models import group_compare
    from ..plots import groups as gplots

    cfg = ctx.config
    sec = Section("roi", "ROI group models")
    if not ctx.require(sec, "ROI group models", cfg.group, *cfg.roi_outcomes):
        return sec
    outcomes = list(cfg.roi_outcomes)
    covs = ctx.usable_covariates(sec, cfg.roi_covariates, "ROI models", [cfg.group, *outcomes])
    res = ctx.attempt(sec, "ROI group models", group_compare, ctx.data, outcomes, group=cfg.group,
                      covariates=covs, correction=cfg.roi_correction)
    if res is None:
        return sec
    ctx.results["roi"] = res
    rhs = " + ".join([cfg.group, *covs])
    sec.p(f"One general linear model per ROI: outcome ~ {rhs}; the {cfg.group} effect is tested with F, "
          f"corrected ({cfg.roi_correction}) over {len(outcomes)} ROIs. estimate = adjusted difference "
          "(named in the contrast column) with its 95% CI.")
    sec.table(_frame(res), caption=f"Adjusted for {_join(covs)}")
    extra = [c for c in ctx.usable_covariates(sec, cfg.roi_sensitivity_covariates, "ROI sensitivity models",
                                              [cfg.group, *outcomes]) if c not in covs]
    if extra:
        res2 = ctx.attempt(sec, f"ROI sensitivity models (adding {_join(extra)})", group_compare, ctx.data,
                           outcomes, group=cfg.group, covariates=[*covs, *extra], correction=cfg.roi_correction)
        if res2 is not None:
            ctx.results["roi_sensitivity"] = res2
            sec.table(_frame(res2), caption=f"Sensitivity: also adjusted for {_join(extra)}")
    from .._optional import pyplot

    plt = pyplot()
    fig, axes = plt.subplots(1, len(outcomes), figsize=(3.6 * len(outcomes), 3.2), layout="constrained",
                             squeeze=False)
    marker = "protocol" if "protocol" in covs else None
    # Figure 1 draws fitted models (the figures compute nothing); the bracket shows the corrected p of the table
    from ..models import lm

    p_adj = dict(zip(res.tidy()["outcome"], res.tidy()["p_adj"], strict=True))
    for ax, outcome in zip(axes[0], outcomes, strict=True):
        fit = lm(f"{outcome} ~ {rhs}", ctx.data)
        ctx.results[f"roi_lm_{outcome}"] = fit
        gplots.plot_adjusted_groups(fit, term=cfg.group, marker_by=marker, ax=ax, labels=cfg.labels or None,
                                    p_value=p_adj.get(outcome))
    marks = "; triangles Protocol 1, circles Protocol 2" if marker else ""
    sec.figure(fig, f"Figure 1 style: SUVR adjusted for {_join(covs)}, mean ± SD per group{marks}.")
    fig2, ax2 = plt.subplots(figsize=(5.2, 2.6), layout="constrained")
    gplots.plot_forest(_frame(res), ax=ax2)
    sec.figure(fig2, f"Adjusted group differences with 95% CIs (adjusted for {_join(covs)}).")
    ctx.methods.append(
        f"ROI SUVR ({', '.join(outcomes)}) was compared between groups with general linear models "
        f"adjusted for {_join(covs)} (F tests, {cfg.roi_correction} correction over {len(outcomes)} ROIs)"
        + (f", repeated with {_join(extra)} added." if extra and "roi_sensitivity" in ctx.results else ".")
    )
    return sec


class _FamilyPair:
    """One pair of a correlation family: the pair's result with the family's corrected p (what the
    table shows), so that its figure quotes the table."""

    def __init__(self, result: Any, row: pd.Series, correction: str) -> None:
        self._result, self._row, self.correction = result, row, correction
        self.covariates = list(getattr(result, "covariates", None) or _frame(result).attrs.get("covariates", []))
        self.labels = dict(getattr(result, "labels", None) or {})

    def tidy(self) -> pd.DataFrame:
        return pd.DataFrame([self._row])

    def pair_data(self, x: str, y: str) -> pd.DataFrame:
        return self._result.pair_data(x, y)  # type: ignore[no-any-return]


def _pair_covariates(ctx, sec: Section, pair: tuple[str, str]) -> list[str]:  # type: ignore[no-untyped-def]
    cfg = ctx.config
    pet = any(str(v).startswith("suvr_") for v in pair)
    wanted = [*cfg.correlation_covariates, *(cfg.correlation_pet_covariates if pet else ())]
    return ctx.usable_covariates(sec, [c for c in wanted if c not in pair], f"correlation {pair[0]}–{pair[1]}",
                                 list(pair))


def correlations(ctx) -> Section:  # type: ignore[no-untyped-def]
    """Pearson (partial) correlations of the paper, each family corrected; Figures 4–5 adjusted."""
    from .._optional import pyplot
    from ..correlation import correlate
    from ..multiplicity import adjust_pvalues

    cfg = ctx.config
    sec = Section("correlations", "Correlations")
    families = [("primary", cfg.correlation_pairs), ("follow-up", cfg.correlation_followup)]
    shown = 0
    covs_used: set[str] = set()
    for name, pairs in families:
        results = []
        for x, y in pairs:
            if not ctx.require(sec, f"{name} correlation {x}–{y}", x, y):
                continue
            covs = _pair_covariates(ctx, sec, (x, y))
            res = ctx.attempt(sec, f"{name} correlation {x}–{y}", correlate, ctx.data, x, y, covariates=covs)
            if res is not None:
                results.append(((x, y), res, covs))
                covs_used.update(covs)
        if not results:
            continue
        tab = pd.concat([_frame(r) for _, r, _ in results], ignore_index=True)
        tab["p_adj"] = adjust_pvalues(tab["p_value"].to_numpy(), method=cfg.correlation_correction)
        tab.insert(2, "adjusted_for", [_join(c) for _, _, c in results])
        ctx.results[f"correlations_{name}"] = tab
        sec.table(tab, caption=f"{name.capitalize()} family: Pearson r partial on the listed covariates, Fisher-z "
                               f"95% CI, p_adj = {cfg.correlation_correction} over the {len(results)} tests of the "
                               "family; complete cases per pair")
        shown += len(results)
        plt = pyplot()
        fig, axes = plt.subplots(1, len(results), figsize=(3.9 * len(results), 3.4), layout="constrained",
                                 squeeze=False)
        for ax, ((x, y), res, covs), (_, row) in zip(axes[0], results, tab.iterrows(), strict=True):
            from ..plots.correlation import plot_correlation

            # the figure puts the pair's second variable on the horizontal axis (as the paper's Figs 4-5)
            plot_correlation(_FamilyPair(res, row, cfg.correlation_correction), x=y, y=x, ax=ax,
                             adjusted=True, marker_by="protocol" if "protocol" in covs else None,
                             labels=cfg.labels)
        adj = "; ".join(f"{x}–{y}: adjusted for {_join(c)}" for (x, y), _, c in results)
        sec.figure(fig, f"{name.capitalize()} correlations (Figures 4–5 style): values adjusted for the "
                        f"covariates ({adj}), annotated with the table's r and {cfg.correlation_correction}-"
                        "corrected p; triangles Protocol 1, circles Protocol 2.")
    if not shown:
        return sec
    ctx.methods.append(
        f"Associations were tested with Pearson's correlation, partial on {_join(sorted(covs_used))} "
        f"(genotype only for pairs with a PET variable), {cfg.correlation_correction}-corrected within each "
        "family of tests.")
    return sec


def mediation(ctx) -> Section:  # type: ignore[no-untyped-def]
    """The six-model grid, Model 1's path diagram and sensitivity, and the Bayesian comparison."""
    from ..mediation import mediation_grid, mediation_sensitivity

    cfg = ctx.config
    sec = Section("mediation", "Mediation")
    if not ctx.require(sec, "mediation models", *cfg.mediation_variables):
        return sec
    x, m, y = cfg.mediation_variables
    grid = ctx.attempt(sec, "mediation models", mediation_grid, ctx.data, list(cfg.mediation_variables),
                       n_boot=cfg.n_boot, ci=cfg.mediation_ci, seed=cfg.seed)
    if grid is None:
        return sec
    ctx.results["mediation_grid"] = grid
    sec.p(f"Every ordering of {x}, {m} and {y} as (X, M, Y); OLS paths, {cfg.n_boot} bootstrap resamples of "
          f"whole rows, {cfg.mediation_ci.upper()} 95% CIs for the indirect effect a×b.")
    gt = _frame(grid)
    sec.table(gt[[c for c in ("model", "x", "m", "y", "estimate", "std_error", "conf_low", "conf_high",
                              "significant", "n") if c in gt.columns]], caption="Six-model grid")
    m1 = grid.results[1]  # Model 1, the same resamples as its row of the grid
    ctx.results["mediation_model1"] = m1
    mt = _frame(m1)
    sec.table(mt[[c for c in ("term", "mediator", "estimate", "std_error", "statistic", "df", "p_value", "conf_low",
                              "conf_high") if c in mt.columns]], caption=f"Model 1 (X = {x}, M = {m}, Y = {y})")
    sec.figure(m1.plot().figure, "Model 1 path diagram (unstandardised coefficients ± SE).")
    _missing_data(ctx, sec, m1)
    sens = ctx.attempt(sec, "mediation sensitivity analysis", mediation_sensitivity, m1)
    if sens is not None:
        ctx.results["mediation_sensitivity"] = sens
        sec.figure(sens.plot().figure, "Sensitivity of the indirect effect to the correlation ρ between the "
                                       "mediator's and the outcome's errors (Imai, Keele & Yamamoto 2010).")
        sec.pre(sens.summary())
    ctx.methods.append(
        f"Mediation: six simple mediation models (every ordering of {x}, {m}, {y}) with OLS paths and "
        f"{cfg.n_boot} nonparametric bootstrap resamples ({cfg.mediation_ci} 95% CIs; seed {cfg.seed})"
        + ("; sensitivity to mediator–outcome confounding by Imai, Keele & Yamamoto's ρ." if sens is not None else ".")
    )
    try:
        from ..bayes import bayes_mediate, compare_mediation
    except ImportError as exc:  # pragma: no cover - bayes extra missing
        ctx.skip(sec, "Bayesian comparison", str(exc), "missing package")
        return sec
    bm = ctx.attempt(sec, "Bayesian comparison", bayes_mediate, ctx.data, x=x, m=m, y=y, method="exact",
                     draws=cfg.bayes_draws * 4, seed=cfg.seed)
    if bm is None:
        return sec
    cmp = compare_mediation(m1, bm)
    ctx.results["mediation_bayes"] = bm
    ctx.results["mediation_compare"] = cmp
    sec.table(_frame(cmp), caption="Model 1: bootstrap vs Bayesian (conjugate posterior, weakly informative priors)")
    sec.figure(cmp.plot().figure, "Bootstrap distribution and posterior of the indirect effect.")
    ctx.methods.append(
        f"The Model 1 indirect effect was re-estimated with a Bayesian model (conjugate normal–inverse-gamma "
        f"posterior, {cfg.bayes_draws * 4} draws, weakly informative data-scaled priors) and compared with the "
        "bootstrap."
    )
    return sec


def _missing_data(ctx, sec: Section, m1: Any) -> None:  # type: ignore[no-untyped-def]
    """Model 1 on multiply imputed data (and FIML) beside the complete cases (sections_missing)."""
    try:
        from .sections_missing import add_mediation_missing
    except ImportError:  # pragma: no cover - module not shipped
        return
    ctx.attempt(sec, "Model 1 with missing data handled (imputation, FIML)", add_mediation_missing, ctx, sec, m1)


def roi_harmonized(ctx) -> Section | None:  # type: ignore[no-untyped-def]
    """The ROI models after ComBat across protocols (sections_harmonize), its skip recorded like any other."""
    try:
        from .sections_harmonize import harmonized_roi_models
    except ImportError:  # pragma: no cover - module not shipped
        return None
    cfg = ctx.config
    sec = Section("roi_harmonized", "ROI group models after ComBat harmonisation (sensitivity)")
    if not ctx.require(sec, "ComBat harmonisation", cfg.group, *cfg.roi_outcomes, "protocol"):
        return sec
    if ctx.data["protocol"].nunique() < 2:
        return ctx.skip(sec, "ComBat harmonisation", "a single protocol: there is nothing to harmonise",
                        "cannot run on these data")
    sec = harmonized_roi_models(ctx.data, cfg, results=ctx.results, methods=ctx.methods)
    notes = [b for b in sec.blocks if b.kind == "note" and str(b.content).startswith("Skipped")]
    if notes and "roi_harmonized" not in ctx.results:
        reason = str(notes[0].content).removeprefix("Skipped:").strip().rstrip(".")
        sec.blocks.remove(notes[0])
        ctx.skip(sec, "ComBat harmonisation", reason,
                 "missing column" if "no column" in reason else "cannot run on these data")
    return sec  # type: ignore[no-any-return]


def moderation(ctx) -> Section | None:  # type: ignore[no-untyped-def]
    """Does the pathway differ by group? (sections_moderation: PROCESS models 7 and 14)."""
    try:
        from .sections_moderation import pathway_by_group
    except ImportError:  # pragma: no cover - module not shipped
        return None
    return pathway_by_group(ctx)  # type: ignore[no-any-return]
