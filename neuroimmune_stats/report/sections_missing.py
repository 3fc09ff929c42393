"""Report part on missing data: Model 1 on complete cases beside multiple imputation (and FIML).

Wired into the mediation section by :func:`add_mediation_missing` (called with the section and the
complete-case Model 1 result). The imputation model is stated in the text and the methods.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from .html import Section

#: auxiliary variables used by the imputation model when present (they predict the questionnaires)
AUXILIARY = ("subtype", "protocol", "paindetect", "bpi_severity", "wpi", "sss", "fss")
TERMS = ("a", "b", "c_prime", "c", "indirect")


def _rows(td: pd.DataFrame) -> pd.DataFrame:
    td = td[td["term"].isin(TERMS)].drop_duplicates("term").set_index("term")
    return td.reindex(list(TERMS))


def side_by_side(complete: Any, imputed: Any, fiml: Any = None) -> pd.DataFrame:
    """One row per path/effect: complete cases, multiple imputation (and FIML) estimates with SE and CI."""
    parts = [("complete cases", complete), ("multiple imputation", imputed)]
    if fiml is not None:
        parts.append(("FIML", fiml))
    out = pd.DataFrame({"term": list(TERMS)})
    for name, res in parts:
        td = _rows(res.tidy())
        out[f"{name}: estimate"] = td["estimate"].to_numpy()
        out[f"{name}: SE"] = td["std_error"].to_numpy()
        out[f"{name}: 95% CI"] = [f"[{lo:.3g}, {hi:.3g}]" for lo, hi in zip(td["conf_low"], td["conf_high"],
                                                                             strict=True)]
        if "fmi" in td:
            out[f"{name}: fmi"] = td["fmi"].to_numpy()
        out[f"{name}: n"] = int(res.n)
    return out


def add_mediation_missing(ctx: Any, sec: Section, complete: Any, *, m: int = 20, fiml: bool = True) -> None:
    """Add Model 1 on multiply imputed data (and by FIML) beside the complete-case result ``complete``.

    ``ctx`` is the report context (``config``: ``mediation_variables``, ``n_boot``, ``mediation_ci``,
    ``seed``; ``data``; ``attempt``; ``results``; ``methods``). Nothing is added when the complete
    cases are all subjects (no missing values in the model).
    """
    from ..missing import impute
    from ..missing.fiml import mediate_fiml
    from ..missing.pool_mediation import mediate_imputed

    cfg = ctx.config
    x, med, y = cfg.mediation_variables
    data = ctx.data
    if complete.n >= len(data):
        return
    cols = list(dict.fromkeys([x, med, y, *[c for c in AUXILIARY if c in data.columns]]))
    imp = ctx.attempt(sec, "multiple imputation", impute, data, columns=cols, m=m, seed=cfg.seed)
    if imp is None:
        return
    res = ctx.attempt(sec, "mediation on imputed data", mediate_imputed, imp, x, med, y, n_boot=cfg.n_boot,
                      ci=cfg.mediation_ci, seed=cfg.seed)
    if res is None:
        return
    fres = ctx.attempt(sec, "mediation by FIML", mediate_fiml, data, x, med, y, n_boot=cfg.n_boot,
                       ci=cfg.mediation_ci, seed=cfg.seed) if fiml else None
    ctx.results["mediation_imputed"] = res
    ctx.results["imputation"] = imp
    if fres is not None:
        ctx.results["mediation_fiml"] = fres
    sec.subhead("Missing data: complete cases and multiple imputation")
    sec.p(f"Model 1 used the {complete.n} of {len(data)} patients with all three variables. With multiple "
          f"imputation all {res.n} patients contribute: {imp.model_description()} Paths are pooled by Rubin's "
          f"rules (Barnard–Rubin df); the indirect effect is the mean of the {m} per-imputation estimates with the "
          f"{cfg.mediation_ci.upper()} interval of the {m} × {cfg.n_boot} pooled bootstrap draws (Wu & Jia 2013; "
          "Schomaker & Heumann 2018)."
          + (" FIML: full-information maximum likelihood (lavaan missing = 'ml.x' equivalent), bootstrap with "
             "FIML in every resample." if fres is not None else ""))
    sec.table(side_by_side(complete, res, fres), caption=f"Model 1 (X = {x}, M = {med}, Y = {y}): complete cases "
              f"(n = {complete.n}) vs multiple imputation (n = {res.n})")
    missing_cols = [c for c in (med, x, y) if c in imp.imputed_columns]
    if missing_cols:
        sec.figure(imp.plot(columns=missing_cols[0]).figure,
                   f"Observed (blue) and imputed (red, one line per imputed data set) values of {missing_cols[0]}.")
    ctx.methods.append(
        f"Missing questionnaire scores were multiply imputed (m = {m}, predictive mean matching with 5 donors as "
        f"R mice; imputation model: {', '.join(cols)}; FSS passively as WPI + SSS where both are modelled) and "
        "Model 1 was re-estimated on all patients, bootstrapping within each imputed data set and pooling the "
        "draws" + ("; it was also estimated by full-information maximum likelihood." if fres is not None else ".")
    )


__all__ = ["AUXILIARY", "add_mediation_missing", "side_by_side"]
