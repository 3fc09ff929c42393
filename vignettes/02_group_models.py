# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 2. ROI group models, Bonferroni over two ROIs, correlations, Figures 1, 4 and 5
#
# The paper compared radicular with axial patients in two a priori regions (S1 and thalamus) with a
# general linear model adjusted for protocol and TSPO genotype, at alpha 0.05/2; BMI differed between
# groups, so we also show the models with BMI. Then S1 SUVR is correlated with the two questionnaires
# that differed between groups, and S1–thalamus connectivity with S1 SUVR and the Fibromyalgia
# Survey Score (each family Bonferroni-corrected for two tests).

# %%
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import neuroimmune_stats as nis

df = nis.load_example()

# %% [markdown]
# ## One model, R style
# `lm` takes a Wilkinson formula; `protocol` and `tspo_genotype` are factors. `.anova(type=2)` is
# `car::Anova(type = 2)`; `.emmeans` and `.contrast` follow R's emmeans defaults.

# %%
fit = nis.lm("suvr_s1 ~ subtype + protocol + tspo_genotype", df)
print(fit.summary())
print(fit.anova(type=2))
print(fit.emmeans("subtype"))
print(fit.contrast("subtype"))

# %% [markdown]
# ## Both ROIs, corrected together (the paper: S1 F(1,50) = 5.7, P = 0.04; thalamus P = 0.57)

# %%
roi = nis.group_compare(df, ["suvr_s1", "suvr_thalamus"], group="subtype",
                        covariates=["protocol", "tspo_genotype"], correction="bonferroni")
print(roi)
with_bmi = nis.group_compare(df, ["suvr_s1", "suvr_thalamus"], covariates=["protocol", "tspo_genotype", "bmi"])
print(with_bmi)

# %% [markdown]
# ## Correlations (Bonferroni over two tests each)

# %%
print(nis.correlate(df, "suvr_s1", ["fss", "paindetect"], correction="bonferroni"))
print(nis.correlate(df, "conn_s1__thalamus", ["suvr_s1", "fss"], correction="bonferroni"))

# %% [markdown]
# ## Figures 1, 4 and 5

# %%

fig, axes = plt.subplots(1, 3, figsize=(12, 3.8), layout="constrained")
nis.lm("suvr_s1 ~ subtype + protocol + tspo_genotype", df).plot(term="subtype", ax=axes[0])   # Figure 1
nis.correlate(df, "suvr_s1", "conn_s1__thalamus").plot(ax=axes[1])                          # Figures 4-5
nis.correlate(df, "fss", "conn_s1__thalamus").plot(ax=axes[2])
fig.savefig("figures_1_4_5.png", dpi=100)

# %% [markdown]
# **What we learned:** radicular patients have higher S1 SUVR after adjusting for protocol and
# genotype and correcting for two ROIs, while the thalamus shows no difference; S1 SUVR, S1–thalamus
# connectivity and the Fibromyalgia Survey Score are positively correlated — the paper's story.
