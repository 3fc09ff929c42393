"""Report sections of the analyses: ROI models, correlations, mediation (bootstrap + Bayesian),
subtype classifier. Each skips itself, saying why, when the data lack its variables."""

from __future__ import annotations

from typing import Any

import pandas as pd

from .html import Section


def _frame(obj: Any) -> pd.DataFrame:
    return obj if isinstance(obj, pd.DataFrame) else obj.tidy()


def _skip(sec: Section, missing: list[str]) -> Section:
    return sec.note(f"Skipped: the data have no column {', '.join(missing)}.")


def roi_models(ctx) -> Section:  # type: ignore[no-untyped-def]
    """Group GLMs of the a priori ROIs, adjusted for protocol and genotype (and BMI), corrected."""
    from ..models import group_compare
    from ..plots import groups as gplots

    cfg = ctx.config
    sec = Section("roi", "ROI group models")
    missing = ctx.has(cfg.group, *cfg.roi_outcomes, *cfg.roi_covariates)
    if missing:
        return _skip(sec, missing)
    res = group_compare(ctx.data, list(cfg.roi_outcomes), group=cfg.group, covariates=list(cfg.roi_covariates),
                        correction=cfg.roi_correction)
    ctx.results["roi"] = res
    covs = " + ".join(cfg.roi_covariates)
    sec.p(f"One general linear model per ROI: outcome ~ {cfg.group} + {covs}; the {cfg.group} effect is "
          f"tested with F, corrected ({cfg.roi_correction}) over {len(cfg.roi_outcomes)} ROIs. "
          "estimate = adjusted difference (second level minus first) with its 95% CI.")
    sec.table(_frame(res), caption=f"Adjusted for {', '.join(cfg.roi_covariates)}")
    extra = [c for c in cfg.roi_sensitivity_covariates if c in ctx.data.columns]
    if extra:
        res2 = group_compare(ctx.data, list(cfg.roi_outcomes), group=cfg.group,
                             covariates=[*cfg.roi_covariates, *extra], correction=cfg.roi_correction)
        ctx.results["roi_sensitivity"] = res2
        sec.table(_frame(res2), caption=f"Sensitivity: also adjusted for {', '.join(extra)} "
                  "(which differed between groups)")
    from .._optional import pyplot

    plt = pyplot()
    fig, axes = plt.subplots(1, len(cfg.roi_outcomes), figsize=(4 * len(cfg.roi_outcomes), 3.6),
                             layout="constrained", squeeze=False)
    for ax, outcome in zip(axes[0], cfg.roi_outcomes, strict=True):
        gplots.plot_group_values(ctx.data, outcome, group=cfg.group, covariates=list(cfg.roi_covariates), ax=ax)
    sec.figure(fig, f"Figure 1 style: SUVR adjusted for {', '.join(cfg.roi_covariates)}, mean ± SD per group; "
                    "triangles Protocol 1, circles Protocol 2.")
    fig2, ax2 = plt.subplots(figsize=(5.5, 2.8), layout="constrained")
    gplots.plot_forest(_frame(res), ax=ax2)
    sec.figure(fig2, "Adjusted group differences with 95% CIs.")
    ctx.methods.append(
        f"ROI SUVR ({', '.join(cfg.roi_outcomes)}) was compared between groups with general linear models "
        f"adjusted for {', '.join(cfg.roi_covariates)} (F tests, {cfg.roi_correction} correction over "
        f"{len(cfg.roi_outcomes)} ROIs)" + (f", repeated with {', '.join(extra)} added." if extra else ".")
    )
    return sec


def correlations(ctx) -> Section:  # type: ignore[no-untyped-def]
    """Pearson correlations of the paper, each family corrected."""
    from ..correlation import correlate
    from ..plots import groups as gplots

    cfg = ctx.config
    sec = Section("correlations", "Correlations")
    families = [("primary", cfg.correlation_pairs), ("follow-up", cfg.correlation_followup)]
    shown = 0
    for name, pairs in families:
        pairs = [p for p in pairs if not ctx.has(*p)]
        if not pairs:
            continue
        rows = []
        for x, y in pairs:
            rows.append(correlate(ctx.data, x, y))
        tab = pd.concat([_frame(r) for r in rows], ignore_index=True)
        from ..multiplicity import adjust_pvalues

        tab["p_adj"] = adjust_pvalues(tab["p_value"].to_numpy(), method=cfg.correlation_correction)
        ctx.results[f"correlations_{name}"] = tab
        sec.table(tab, caption=f"{name.capitalize()} family: Pearson r with Fisher-z 95% CI, "
                               f"{cfg.correlation_correction} over {len(pairs)} tests; complete cases per pair")
        shown += len(pairs)
        from .._optional import pyplot

        plt = pyplot()
        fig, axes = plt.subplots(1, len(pairs), figsize=(4.2 * len(pairs), 3.6), layout="constrained",
                                 squeeze=False)
        for ax, (x, y) in zip(axes[0], pairs, strict=True):
            gplots.plot_adjusted_scatter(ctx.data, x=y, y=x, ax=ax)
        sec.figure(fig, f"{name.capitalize()} correlations (Figures 4/5 style).")
    if not shown:
        return sec.note("Skipped: none of the configured variable pairs is in the data.")
    ctx.methods.append(f"Associations were tested with Pearson's correlation, {cfg.correlation_correction}-"
                       "corrected within each family of tests.")
    return sec


def mediation(ctx) -> Section:  # type: ignore[no-untyped-def]
    """The six-model grid, Model 1's path diagram and sensitivity, and the Bayesian comparison."""
    from ..mediation import mediation_grid, mediation_sensitivity

    cfg = ctx.config
    sec = Section("mediation", "Mediation")
    missing = ctx.has(*cfg.mediation_variables)
    if missing:
        return _skip(sec, missing)
    x, m, y = cfg.mediation_variables
    grid = mediation_grid(ctx.data, list(cfg.mediation_variables), n_boot=cfg.n_boot, ci=cfg.mediation_ci,
                          seed=cfg.seed)
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
    sens = mediation_sensitivity(m1)
    ctx.results["mediation_sensitivity"] = sens
    sec.figure(sens.plot().figure, "Sensitivity of the indirect effect to the correlation ρ between the "
                                   "mediator's and the outcome's errors (Imai, Keele & Yamamoto 2010).")
    sec.pre(sens.summary())
    ctx.methods.append(
        f"Mediation: six simple mediation models (every ordering of {x}, {m}, {y}) with OLS paths and "
        f"{cfg.n_boot} nonparametric bootstrap resamples ({cfg.mediation_ci} 95% CIs; seed {cfg.seed}); "
        "sensitivity to mediator–outcome confounding by Imai, Keele & Yamamoto's ρ."
    )
    try:
        from ..bayes import bayes_mediate, compare_mediation
    except ImportError as exc:  # pragma: no cover - bayes extra missing
        return sec.note(f"Bayesian comparison skipped: {exc}")
    bm = bayes_mediate(ctx.data, x=x, m=m, y=y, method="exact", draws=cfg.bayes_draws * 4, seed=cfg.seed)
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


def classifier(ctx) -> Section:  # type: ignore[no-untyped-def]
    """Subtype classifiers on SUVR and on all features, with confound control."""
    from ..classify import evaluate_classifier
    from ..design import resolve_columns
    from ..exceptions import SpecificationError

    cfg = ctx.config
    sec = Section("classifier", "Subtype classifier")
    covs = [c for c in cfg.classifier_covariates if c in ctx.data.columns]
    tables = []
    blocks = "protocol"
    for i, (name, spec) in enumerate(cfg.classifier_feature_sets.items()):
        feats = []
        for item in spec:
            try:
                feats += [f for f in resolve_columns(ctx.data, item, what="features") if f != "suvr_whole_brain"]
            except SpecificationError:
                continue
        if not feats:
            continue
        res = evaluate_classifier(ctx.data, features=feats, target=cfg.group, covariates=covs,
                                  n_splits=cfg.n_splits, n_repeats=cfg.n_repeats, n_permutations=cfg.n_permutations,
                                  stratify_by="protocol" if "protocol" in ctx.data.columns else None,
                                  seed=cfg.seed + i)
        ctx.results[f"classifier_{name}"] = res
        blocks = res.permuted_within or "the whole sample"
        t = _frame(res)
        t.insert(0, "feature_set", name)
        tables.append(t)
        sec.figure(res.plot().figure, f"{name}: ROC curves over folds (mean in bold).")
        sec.figure(res.plot_signature().figure, f"{name}: feature weights and fold-to-fold stability.")
    if not tables:
        return sec.note("Skipped: no configured feature is in the data.")
    sec.table(pd.concat(tables, ignore_index=True),
              caption=f"Repeated stratified CV ({cfg.n_repeats}×{cfg.n_splits}); confounds ({', '.join(covs)}) "
                      f"regressed out within training folds; p from label permutations within {blocks}")
    ctx.methods.append(
        f"Subtype classification: L2 logistic regression with confound regression ({', '.join(covs)}) fitted "
        f"within training folds, {cfg.n_repeats}×{cfg.n_splits} repeated stratified cross-validation, "
        f"{cfg.n_permutations} label permutations within {blocks} (so that the test asks whether the "
        "features predict subtype beyond the confounds), and a confounds-only baseline."
    )
    return sec
