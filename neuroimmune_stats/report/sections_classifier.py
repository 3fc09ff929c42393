"""Report section of the subtype classifier: does imaging tell the subtypes apart beyond the confounds?

Three models side by side, on the same folds:

* **imaging features after confound regression** — the confounds are regressed out of the features
  inside each training fold; the permutation p asks whether imaging predicts subtype *beyond* the
  confounds (labels permuted within confound blocks);
* **confounds only** — how well protocol, genotype and BMI alone predict subtype (BMI differed between
  groups, so this can exceed chance, and can exceed the first model: it is not a failure of imaging);
* **imaging features + confounds** — both as features (confounds one-hot coded), what a naive
  classifier given everything would reach.

The default features are imaging only (regional SUVR without the whole-brain normaliser, and
connectivity): questionnaires are excluded because the subtype is defined clinically from the pain
presentation, so predicting it from pain questionnaires would be circular.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np
import pandas as pd

from .config import WHOLE_BRAIN
from .html import Section

#: one sentence per model on what its AUC means
MODEL_MEANING = {
    "features": "AUC of the imaging features after regressing the confounds out within each training fold: "
                "what imaging tells about subtype beyond the confounds (0.5 = nothing).",
    "confounds_only": "AUC of the confounds alone: how far subtype is predictable from protocol, genotype and "
                      "BMI without any imaging (BMI differed between groups, so this may be well above 0.5).",
    "features_plus_confounds": "AUC of imaging features and confounds together as features: what a classifier "
                               "given everything reaches; compare with the confounds-only AUC to see what imaging "
                               "adds on top.",
}
MODEL_TITLES = {"features": "imaging after confound regression", "confounds_only": "confounds only",
                "features_plus_confounds": "imaging + confounds"}


def _resolve(ctx: Any, sec: Section, name: str, spec: tuple[str, ...]) -> tuple[list[str], list[str]]:
    """The feature columns of one configured set and a description of what they are."""
    from ..design import resolve_columns
    from ..exceptions import SpecificationError
    from . import table_of

    cfg = ctx.config
    feats: list[str] = []
    for item in spec:
        try:
            cols = resolve_columns(ctx.data, item, what="classifier features")
        except SpecificationError:
            table = table_of(item)
            if table not in ctx.tables:
                reason, kind = f"no {table} table was given", "missing table"
            else:
                reason, kind = f"no column of the {table} table matches {item!r}", "missing column"
            ctx.skip(sec, f"classifier features {item} ({name})", reason, kind)
            continue
        feats += [c for c in cols if c not in feats and c != cfg.group and c not in cfg.classifier_covariates
                  and str(c).lower() not in WHOLE_BRAIN]
    regions_ = [c.removeprefix("suvr_") for c in feats if c.startswith("suvr_")]
    edges_ = [c.removeprefix("conn_") for c in feats if c.startswith("conn_")]
    other = [c for c in feats if not c.startswith(("suvr_", "conn_"))]
    desc = []
    if regions_:
        wb = [c for c in ctx.data.columns if str(c).lower() in WHOLE_BRAIN]
        desc.append(f"regional SUVR ({', '.join(regions_)})" + (f"; {', '.join(wb)} (the normaliser) left out"
                                                               if wb else ""))
    if edges_:
        desc.append(f"connectivity ({', '.join(edges_)})")
    if other:
        desc.append(", ".join(other))
    return feats, desc


def _one_hot(frame: pd.DataFrame, covs: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """The confounds as feature columns: factors one-hot (first level dropped), numbers as they are."""
    from ..design import is_factor

    out = frame.copy()
    names: list[str] = []
    for c in covs:
        col = frame[c]
        if is_factor(col):
            cats = pd.Categorical(col).categories
            levels = [lev for lev in cats if (col.astype(object) == lev).any()]  # observed levels only
            for i, lev in enumerate(levels[1:], start=1):
                name = f"confound_{len(names)}_{i}"
                out[name] = np.where(col.isna(), np.nan, (col.astype(object) == lev).astype(float))
                names.append(name)
        else:
            name = f"confound_{len(names)}"
            out[name] = pd.to_numeric(col, errors="coerce")
            names.append(name)
    return out, names


def classifier(ctx) -> Section:  # type: ignore[no-untyped-def]
    """Subtype classifier on imaging features: adjusted, confounds only, and imaging + confounds."""
    from ..classify import evaluate_classifier

    cfg = ctx.config
    sec = Section("classifier", "Subtype classifier")
    if not ctx.require(sec, "subtype classifier", cfg.group):
        return sec
    tables = []
    ran = []
    for i, (name, spec) in enumerate(cfg.classifier_feature_sets.items()):
        feats, desc = _resolve(ctx, sec, name, spec)
        if not feats:
            ctx.skip(sec, f"classifier ({name})", "none of its features is in the data", "missing column")
            continue
        title = f"{name}: " + "; ".join(desc)
        covs = ctx.usable_covariates(sec, cfg.classifier_covariates, f"classifier ({name})", [cfg.group, *feats])
        strat = "protocol" if "protocol" in covs else None
        seed = cfg.seed + i
        stop = {"early_stop": cfg.stop_after()} if "early_stop" in inspect.signature(evaluate_classifier).parameters \
            else {}
        res = ctx.attempt(sec, f"classifier ({name})", evaluate_classifier, ctx.data, features=feats,
                          target=cfg.group, covariates=covs, n_splits=cfg.n_splits, n_repeats=cfg.n_repeats,
                          n_permutations=cfg.n_permutations, stratify_by=strat, seed=seed, n_jobs=cfg.n_jobs,
                          **stop)
        if res is None:
            continue
        ctx.results[f"classifier_{name}"] = res
        t = res.tidy().copy()
        if covs:
            frame, names = _one_hot(ctx.data, covs)
            both = ctx.attempt(sec, f"classifier imaging + confounds ({name})", evaluate_classifier, frame,
                               features=[*feats, *names], target=cfg.group, covariates=(), n_splits=cfg.n_splits,
                               n_repeats=cfg.n_repeats, n_permutations=0, stratify_by=strat, seed=seed)
            if both is not None:
                ctx.results[f"classifier_{name}_with_confounds"] = both
                tb = both.tidy()
                tb = tb[tb["model"] == "features"].copy()
                tb["model"] = "features_plus_confounds"
                t = pd.concat([t, tb], ignore_index=True)
        tables.append(_side_by_side(t, name))
        ran.append((name, title, covs, res))
        sec.subhead(title)
        if res.p_value is not None:
            drawn = getattr(res, "n_permutations_drawn", 0) or cfg.n_permutations
            sec.p(f"Permutation p of the mean AUC after confound regression = {res.p_value:.3g} "
                  f"({drawn} label permutations within {res.permuted_within or 'the whole sample'}"
                  + (f", Besag–Clifford stop at {stop['early_stop']} exceedances, at most {cfg.n_permutations}"
                     if stop.get("early_stop") else "") + ").")
            rule = str(getattr(res, "permutation_rule", None) or "").strip()
            if rule:
                ctx.methods.append(rule if rule.endswith(".") else rule + ".")
        sec.figure(res.plot().figure, f"{title}: ROC curves over folds (mean in bold).")
        sec.figure(res.plot_signature().figure, f"{title}: feature weights and fold-to-fold stability.")
    if not tables:
        return sec
    table = pd.concat(tables, ignore_index=True)
    sec.table(table, caption=f"The three models side by side: estimate [95% CI] over {cfg.n_repeats}×{cfg.n_splits} "
                             "repeated stratified cross-validation, the same folds for every model")
    for model in ("features", "confounds_only", "features_plus_confounds"):
        if MODEL_TITLES[model] in table.columns:
            sec.p(f"{MODEL_TITLES[model].capitalize()}: {MODEL_MEANING[model]}")
    covs_all = sorted({c for _, _, cs, _ in ran for c in cs})
    blocks = "; ".join(f"{n}: within {r.permuted_within or 'the whole sample'}" for n, _, _, r in ran)
    ctx.methods.append(
        "Subtype classification from imaging features ("
        + "; ".join(t for _, t, _, _ in ran)
        + f"): L2 logistic regression, {cfg.n_repeats}×{cfg.n_splits} repeated stratified cross-validation; "
        f"confounds ({_fmt(covs_all)}) regressed out of the features within training folds, {cfg.n_permutations} "
        f"label permutations ({blocks}), compared with a confounds-only model and a model given imaging and "
        "confounds together. Questionnaires were not used as features (the subtype is defined clinically)."
    )
    return sec


def _side_by_side(t: pd.DataFrame, name: str) -> pd.DataFrame:
    """One row per metric, one column per model: "estimate [conf_low, conf_high]"."""
    cells = t.assign(cell=[f"{e:.3f} [{lo:.3f}, {hi:.3f}]" if pd.notna(lo) else f"{e:.3f}"
                           for e, lo, hi in zip(t["estimate"], t["conf_low"], t["conf_high"], strict=True)])
    wide = cells.pivot_table(index="term", columns="model", values="cell", aggfunc="first", sort=False)
    wide = wide[[m for m in MODEL_TITLES if m in wide.columns]].rename(columns=MODEL_TITLES)
    wide = wide.reindex([term for term in dict.fromkeys(t["term"])]).reset_index()
    wide.insert(0, "feature_set", name)
    wide.columns.name = None
    return wide.rename(columns={"term": "metric"})


def _fmt(names: list[str]) -> str:
    return ", ".join(names) if names else "none"
