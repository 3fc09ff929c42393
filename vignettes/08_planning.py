# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 8. Planning the next study: "no difference", and how many patients a replication needs
#
# The reference study says the two subtypes did not differ in age, sex or genotype, on the strength
# of non-significant tests, and asks for replication in a larger cohort. This vignette answers both
# in the study's own terms:
#
# * **Equivalence** (two one-sided tests, TOST): a non-significant difference is not evidence of
#   *no* difference; equivalence needs the whole 90% CI inside bounds that you declare in advance.
# * **Power**: the sample size for 80% power to see the S1 SUVR group difference (exact noncentral
#   F, as R `pwr::pwr.f2.test`) and Model 1's indirect effect (Monte Carlo simulation of the
#   bootstrap test, the design of Fritz & MacKinnon 2007), at the effect sizes observed here.

# %%
import os
import warnings

import matplotlib

matplotlib.use("Agg")

import neuroimmune_stats as nis

QUICK = bool(os.environ.get("NIS_QUICK"))
N_SIMS, N_BOOT = (100, 300) if QUICK else (1000, 1000)
df = nis.load_example()

# %% [markdown]
# ## "The subtypes did not differ in age": not different, or equivalent?
# `table_one(..., equivalence=)` adds the TOST p of the difference (second group minus first) against
# bounds per variable: here ±5 years of age and ±2 kg/m² of BMI.

# %%
t1 = nis.table_one(df, strata="protocol", equivalence={"age": 5, "bmi": 2})
cols = ["variable", "stratum", "p_value", "p_equivalence"]
print(t1.tidy().query("variable in ['age', 'bmi']").drop_duplicates(["variable", "stratum"])[cols])

# %% [markdown]
# The same test on the covariate-adjusted difference (an `lm` contrast with its residual df), with
# the bounds in standard deviations: `bounds_type="d"` turns d = ±0.5 into raw years with the
# residual SD of the model.

# %%
eq = nis.equivalence_test(df, "age", bounds=0.5, bounds_type="d", covariates=["protocol"])
print(eq.summary())
eq.plot().figure.savefig("age_equivalence.png", dpi=100)

# %% [markdown]
# ## How many patients to replicate the S1 SUVR difference?
# The group model's partial η² gives Cohen's f² = η²/(1 − η²); `power_ancova` is the exact power of
# the group F with the same covariates (two dummy columns: protocol and genotype).

# %%
roi = nis.group_compare(df, ["suvr_s1"], covariates=["protocol", "tspo_genotype"])
row = (roi if hasattr(roi, "columns") else roi.tidy()).iloc[0]
f = (row["partial_eta_sq"] / (1 - row["partial_eta_sq"])) ** 0.5
s1 = nis.power_ancova(f, covariates=2, target=0.8)
print(f"observed f = {f:.3f}; n for 80% power: {s1.n} (the study had {int(row['n'])})")
print(nis.power_ancova(f, n=[40, 60, 80, 100], covariates=2).tidy())
s1.plot().figure.savefig("s1_power.png", dpi=100)

# %% [markdown]
# Correlations work the same way (`pwr::pwr.r.test`, or `method="exact"` for the exact power of the
# t test of a correlation):

# %%
print(nis.power_correlation(0.4, target=0.8).n, nis.power_correlation(0.4, target=0.8, method="exact").n)

# %% [markdown]
# ## Mediation: power of the bootstrap test of a×b, by simulation
# First a check against the published table: Fritz & MacKinnon (2007, Table 3) need n = 78 for 80%
# power of the percentile bootstrap when a = b = 0.39 (a "medium" path each). Every simulated data set
# is analysed exactly as `mediate` analyses data, through the same resampling engine.

# %%
fm = nis.power_mediation(0.39, 0.39, n=78, n_sims=N_SIMS, n_boot=N_BOOT, seed=2007)
print(fm.tidy())

# %% [markdown]
# Now Model 1 (S1 SUVR → FSS → S1–thalamus connectivity) at its own standardised paths. This is
# **planning from pilot estimates**, not post-hoc power: the estimates of a 35-patient study are
# noisy, and the n they suggest is optimistic when the pilot effects were overestimated.

# %%
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the total effect c is not significant here (see vignette 3)
    m1 = nis.mediate(df, x="suvr_s1", m="fss", y="conn_s1__thalamus", n_boot=N_BOOT, ci="bc", seed=2022)
plan = nis.power_mediation.from_result(m1, target=0.8, n_sims=N_SIMS, n_boot=N_BOOT, seed=2022)
print(plan.summary())
plan.plot().figure.savefig("model1_power.png", dpi=100)

# %% [markdown]
# **What we learned:** "not significantly different" in age is not "equivalent": with 54 patients
# the 90% CI of the age difference is wider than ±5 years, so the data cannot show the groups are
# alike within that margin. Replicating the S1 SUVR difference at the size observed here needs the
# total n printed above, and the indirect effect of Model 1 needs the n found by simulation; both are
# estimates from a small pilot, so a replication should plan for more.
