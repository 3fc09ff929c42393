# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 9. Missing data: multiple imputation pooled across analyses, and FIML mediation
#
# The reference study's mediation used the 35 of 54 patients who filled in the fibromyalgia survey.
# Complete cases are unbiased only when the missingness is unrelated to the variables (MCAR); when it
# depends on observed variables (MAR) a careful analyst imputes (R `mice` + `pool`) or uses
# full-information maximum likelihood (lavaan `missing = "ml"`). This vignette does both, on all 54.

# %%
import os
import warnings

import matplotlib

matplotlib.use("Agg")

import neuroimmune_stats as nis
from neuroimmune_stats.exceptions import DataWarning
from neuroimmune_stats.missing import impute
from neuroimmune_stats.missing.fiml import mediate_fiml
from neuroimmune_stats.missing.pool import pool_correlate, pool_group_compare, pool_lm, pool_table_one
from neuroimmune_stats.missing.pool_mediation import mediate_imputed
from neuroimmune_stats.report.sections_missing import side_by_side

QUICK = bool(os.environ.get("NIS_QUICK"))
M = 5 if QUICK else 20
N_BOOT = 300 if QUICK else 5000
warnings.simplefilter("ignore", DataWarning)  # the complete-case call names its 19 excluded patients
df = nis.load_example()
x, m, y = "suvr_s1", "fss", "conn_s1__thalamus"

# %% [markdown]
# ## What is missing
#
# One row per missing-data pattern (1 = observed), as `mice::md.pattern`. The survey scores (WPI,
# SSS and their sum FSS) are missing together for 19 patients.

# %%
model_columns = [x, y, "subtype", "protocol", "paindetect", "bpi_severity", "wpi", "sss", m]
imp = impute(df, columns=model_columns, m=M, seed=2022)
print(imp.missing_pattern())
print(imp)

# %% [markdown]
# ## The imputation
#
# `impute` is `mice`'s algorithm: chained equations with predictive mean matching (a Bayesian draw of the
# regression, then one of the 5 observed cases with the closest predicted means donates its value), so
# imputed scores are whole numbers inside each scale's range. FSS is imputed *passively* as WPI + SSS
# (the schema's rule), so the imputed data keep FSS = WPI + SSS. The same seed gives the same imputations
# at any `n_jobs`.

# %%
print(imp.model_description())
print(imp[0][[m, "wpi", "sss"]].describe().round(2))
axes = imp.plot(columns=["fss", "paindetect", "bpi_severity"])

# %% [markdown]
# ## Every analysis accepts the imputed data
#
# `lm`, `group_compare`, `correlate`, `mediate` and `table_one` accept an `ImputedData` as `data`:
# estimates are pooled by Rubin's rules with the Barnard–Rubin degrees of freedom, as `mice::pool`
# (checked against R to 1e-8 in `tests/test_missing_pool.py`), correlations on Fisher's z; the tidy
# tables gain `fmi` (fraction of missing information) and `m`, and `n` counts every subject.

# %%
fit = pool_lm("fss ~ subtype + protocol", imp)
print(fit.tidy().round(4))

# %%
gc = pool_group_compare(imp, ["fss", "paindetect", "bpi_severity"], covariates=["protocol"])
print((gc.tidy() if hasattr(gc, "tidy") else gc).round(4))

# %%
print(pool_correlate(imp, x, [m, "paindetect"]).tidy().round(4))

# %%
print(pool_table_one(imp, variables=["age", "fss", "paindetect", "bpi_severity"]).summary())

# %% [markdown]
# ## Mediation: complete cases, multiple imputation, FIML
#
# On imputed data the bootstrap runs within each of the m data sets and the m × 5000 draws are pooled
# ("MI Boot, pooled sample": Wu & Jia 2013; Schomaker & Heumann 2018); the point estimate is the mean of
# the per-imputation a×b. FIML fits the model to every observed value (lavaan `sem(..., missing =
# "ml.x")`: equal estimates and SEs, `tests/test_missing_fiml.py`), with FIML in every bootstrap resample.

# %%
cc = nis.mediate(df, x, m, y, n_boot=N_BOOT, seed=2022)
mi = mediate_imputed(imp, x, m, y, n_boot=N_BOOT, seed=2022)
fi = mediate_fiml(df, x, m, y, n_boot=N_BOOT, seed=2022)
print(side_by_side(cc, mi, fi).round(3).T)

# %% [markdown]
# ## How well does it work? A simulation with known truth
#
# `tests/test_missing_mar.py` simulates X → M → Y (a = b = 0.39, c′ = 0.2, n = 100) with the
# mediator 35% missing at random, the missingness depending on X *and* Y (so complete cases are biased),
# m = 20 imputations and 500 resamples per imputation. Measured on this package over 1000 data sets
# (true a×b = 0.152; coverage ± Monte Carlo SE; benchmarks/mar_coverage.md), beside R's mice with the
# same pooled bootstrap in the same design:
#
# | method | coverage of the 95% interval | mean a×b | R mice: coverage, mean a×b |
# |---|---:|---:|---:|
# | multiple imputation, Bayesian regression (`method="norm"`) | 0.943 ± 0.007 | 0.150 | 0.949, 0.149 |
# | multiple imputation, predictive mean matching (default) | 0.896 ± 0.010 | 0.132 | 0.891, 0.131 |
# | complete cases | 0.934 ± 0.008 | 0.136 | 0.915, 0.135 |
#
# Predictive mean matching shrinks a×b under MAR at this sample size (donors are scarce where most
# mediator values are missing) and its imputations vary less, so its interval is short and misplaced;
# R's mice does exactly the same (on 40 shared data sets our PMM's pooled a×b is mice's within 0.003).
# For mediation with a continuous, roughly normal mediator, `impute(..., method="norm")` is the better
# choice; PMM keeps integer scales on their scale (painDETECT, FSS) for tables and descriptive work.
