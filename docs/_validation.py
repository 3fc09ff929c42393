"""Agreement with R for the methods pages: the comparisons of the test suite, drawn.

Each function recomputes, with the package, what one committed R fixture (``tests/reference/*.json``,
written by the R script beside it) holds, and returns a tidy frame of the absolute differences per
quantity; :func:`plot_agreement` draws them on a log scale with the test tolerance (1e-6). The tests
assert the same numbers; these pages show them.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import neuroimmune_stats as nis

REF = Path(__file__).resolve().parents[1] / "tests" / "reference"
TOL = 1e-6


def _fixture(name: str):
    return json.loads((REF / f"{name}.json").read_text())


def _rows(family: str, quantity: str, ours, theirs) -> list[dict]:
    a = np.asarray(ours, dtype=float).ravel()
    b = np.asarray(theirs, dtype=float).ravel()
    ok = np.isfinite(a) & np.isfinite(b)
    return [{"family": family, "quantity": quantity, "ours": x, "r": y, "abs_diff": abs(x - y)}
            for x, y in zip(a[ok], b[ok], strict=True)]


def models() -> pd.DataFrame:
    """lm coefficients (R ``lm``/``broom::tidy``) and type II ANOVA (``car::Anova``)."""
    ref = _fixture("models")
    df = pd.read_csv(REF / "models_input.csv", dtype={"subject_id": str})
    fit = nis.lm("suvr_s1 ~ subtype + protocol + tspo_genotype + bmi", df)
    got, want = fit.tidy(), pd.DataFrame(ref["tidy_bmi"])
    rows = []
    for col in ("estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"):
        rows += _rows("lm (R lm)", col, got[col], want[col])
    an = nis.lm("suvr_s1 ~ subtype + protocol + tspo_genotype", df).anova(2).set_index("term")
    ref2 = pd.DataFrame(ref["type2"]).replace({None: np.nan}).set_index("term")
    for col in ("sum_sq", "F", "p_value", "partial_eta_sq"):
        rows += _rows("ANOVA type II (car::Anova)", col, an.loc[ref2.index, col], ref2[col])
    return pd.DataFrame(rows)


def correlation() -> pd.DataFrame:
    """Pearson/Spearman and partial correlations (R ``cor.test`` on residuals)."""
    df = pd.read_csv(REF / "models_input.csv")
    rows = []
    for rec in _fixture("correlation"):
        covs = [c for c in rec["covariates"].split("+") if c]
        got = nis.correlate(df, rec["x"], rec["y"], covariates=covs, method=rec["method"]).tidy().iloc[0]
        for col in ("r", "conf_low", "conf_high", "p_value"):
            rows += _rows(f"{rec['method']} (R cor.test)", col, [got[col]], [rec[col]])
    return pd.DataFrame(rows)


def multiplicity() -> pd.DataFrame:
    """Adjusted p-values (R ``p.adjust``), every method on every fixture case."""
    rows = []
    for case in _fixture("padjust").values():
        p = np.array([np.nan if v is None else v for v in np.atleast_1d(case["p"])], dtype=float)
        for method in ("bonferroni", "holm", "hochberg", "hommel", "BH", "BY"):
            want = np.array([np.nan if v is None else v for v in np.atleast_1d(case[method])], dtype=float)
            rows += _rows("R p.adjust", method, nis.adjust_pvalues(p, method), want)
    return pd.DataFrame(rows)


def table_one() -> pd.DataFrame:
    """Table 1: means, SDs, Student and Welch t, df and p (R ``t.test``), χ² (``chisq.test``)."""
    df = pd.read_csv(REF / "table1_input.csv", dtype={"subject_id": str})
    variables = ["age", "bmi", "paindetect", "sex", "tspo_genotype", "handedness"]
    res = {"student": nis.table_one(df, strata="protocol", variables=variables).tidy(),
           "welch": nis.table_one(df, strata="protocol", variables=variables[:3], test="welch").tidy()}
    rows = []
    for rec in _fixture("table1"):
        for key, tidy in res.items():
            sel = tidy[(tidy.variable == rec["variable"]) & (tidy.stratum == rec["stratum"])]
            if rec["kind"] == "continuous":
                for g in rec["groups"]:
                    row = sel[sel.group == g["group"]].iloc[0]
                    rows += _rows("mean, SD", "mean", [row["mean"]], [g["mean"]])
                    rows += _rows("mean, SD", "sd", [row["sd"]], [g["sd"]])
                for col in ("statistic", "df", "p_value"):
                    rows += _rows(f"{key} t-test (R t.test)", col, [sel[col].iloc[0]], [rec[key][col]])
            elif key == "student" and "chisq" in rec:
                for col in ("statistic", "df", "p_value"):
                    rows += _rows("χ² (R chisq.test)", col, [sel[col].iloc[0]], [rec["chisq"][col]])
    return pd.DataFrame(rows)


def mediation() -> pd.DataFrame:
    """Mediation paths a, b, c′, c and their SEs (R ``lm`` on the same equations)."""
    fix = _fixture("mediation_lavaan")
    df = pd.read_csv(REF / "mediation_lavaan_input.csv", dtype={"subject_id": str, "protocol": str})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = nis.mediate(df, "suvr_s1", "fss", "conn_s1__thalamus", ["age", "protocol"], n_boot=200, seed=1)
    td = res.tidy().set_index("term")
    rows = []
    for term, (eq, name) in {"a": ("m", "X"), "b": ("y", "M"), "c_prime": ("y", "X"),
                             "c": ("total", "X")}.items():
        e = fix["lm"]["simple"][eq]
        j = e["names"].index(name)
        rows += _rows("paths (R lm)", "estimate", [td.loc[term, "estimate"]], [e["estimate"][j]])
        rows += _rows("paths (R lm)", "std_error", [td.loc[term, "std_error"]], [e["std_error"][j]])
    return pd.DataFrame(rows)


def harmonize() -> pd.DataFrame:
    """ComBat (R ``sva::ComBat(dat, batch, mod, par.prior)``) on sva's bladder data, every value."""
    fix = _fixture("combat")["bladder"]
    df = pd.read_csv(REF / "combat_bladder_input.csv")
    rows = []
    for key, parametric in (("parametric", True), ("nonparametric", False)):
        out = nis.harmonize(df, fix["genes"], batch="batch", covariates=["cancer"], parametric=parametric)
        rows += _rows(f"ComBat {key} (sva)", "harmonised value", out[fix["genes"]].to_numpy(), np.array(fix[key]))
    return pd.DataFrame(rows)


def missing() -> pd.DataFrame:
    """Rubin's rules with Barnard–Rubin df (R ``mice::pool``) on R's own 20 imputations."""
    from neuroimmune_stats.missing import ImputedData
    from neuroimmune_stats.missing.pool import pool_lm

    ref = _fixture("mice")
    long = pd.read_csv(REF / "mice_imputations.csv", dtype={"subject_id": str})
    inp = pd.read_csv(REF / "mice_input.csv", dtype={"subject_id": str})

    def prep(d: pd.DataFrame) -> pd.DataFrame:
        d = d.copy()
        d["protocol"] = pd.Categorical(d["protocol"])
        return d

    imp = ImputedData.from_frames([prep(g.drop(columns=".imp").reset_index(drop=True))
                                   for _, g in long.groupby(".imp")], data=prep(inp))
    rows = []
    for key, formula in (("lm_fss", "fss ~ subtype + suvr_s1 + protocol"),
                         ("lm_conn", "conn_s1__thalamus ~ fss + paindetect + age + tspo_genotype")):
        td = pool_lm(formula, imp).tidy()
        for col in ("estimate", "std_error", "df", "p_value", "fmi"):
            rows += _rows("pooled lm (mice::pool)", col, td[col], ref[key][col])
    return pd.DataFrame(rows)


def planning() -> pd.DataFrame:
    """Exact power (R ``pwr::pwr.f2.test``, ``pwr::pwr.r.test``) on the fixture grids."""
    from neuroimmune_stats.planning import power_ancova, power_correlation

    ref = _fixture("power_pwr")
    rows = []
    f2 = pd.DataFrame(ref["f2"])
    got = [power_ancova(r.f, n=int(r.n), groups=int(r.groups), covariates=int(r.covariates),
                        covariate_r2=r.covariate_r2, alpha=r.alpha).power for r in f2.itertuples()]
    rows += _rows("ANCOVA (pwr.f2.test)", "power", got, f2["power"])
    rg = pd.DataFrame(ref["r"])
    alt = {"two.sided": "two-sided"}
    got = [power_correlation(r.r, n=int(r.n), alpha=r.alpha, alternative=alt.get(r.alternative, r.alternative)).power
           for r in rg.itertuples()]
    rows += _rows("correlation (pwr.r.test)", "power", got, rg["power"])
    return pd.DataFrame(rows)


def summarise(diffs: pd.DataFrame) -> pd.DataFrame:
    """Per family and quantity: values compared and the largest absolute difference."""
    out = diffs.groupby(["family", "quantity"], sort=False)["abs_diff"].agg(compared="size", max_abs_diff="max")
    out["max_abs_diff"] = out["max_abs_diff"].map(lambda v: f"{v:.1e}")
    return out.reset_index()


def plot_agreement(diffs: pd.DataFrame, ax=None):
    """|ours − R| per compared value (log scale; exact agreement drawn at 1e-17) with the 1e-6 tolerance."""
    import matplotlib.pyplot as plt

    from neuroimmune_stats.plots._style import PALETTE

    if ax is None:
        _, ax = plt.subplots(figsize=(7, 0.35 * diffs.groupby(["family", "quantity"]).ngroups + 1.2),
                             layout="constrained")
    groups = list(diffs.groupby(["family", "quantity"], sort=False))
    rng = np.random.default_rng(0)
    families = list(dict.fromkeys(diffs["family"]))
    for i, ((fam, _q), g) in enumerate(groups):
        y = len(groups) - 1 - i
        v = np.maximum(g["abs_diff"].to_numpy(float), 1e-17)
        ax.scatter(v, y + rng.uniform(-0.15, 0.15, len(v)), s=14, alpha=0.8,
                   color=PALETTE[families.index(fam) % len(PALETTE)])
    ax.axvline(TOL, color="black", ls="--", lw=1)
    ax.text(TOL, len(groups) - 0.4, " test tolerance 1e-6", fontsize=8, va="bottom")
    ax.set_xscale("log")
    ax.set_xlim(1e-18, 1e-3)
    ax.set_yticks(range(len(groups))[::-1], [f"{fam}: {q}" for (fam, q), _ in groups], fontsize=8)
    ax.set_xlabel("|neuroimmune_stats − R| (exact agreement drawn at 1e-17)")
    return ax
