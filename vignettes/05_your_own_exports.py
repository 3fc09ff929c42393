# ---
# jupyter:
#   jupytext:
#     formats: py:percent,ipynb
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # 5. Running all of it on your own exports
#
# Put your four exports in one folder, named `participants.csv` (or BIDS `participants.tsv`),
# `suvr.csv`, `connectivity.csv` and `questionnaires.csv`. Column naming:
#
# * participants: `subject_id` (or BIDS `participant_id`), `subtype` (axial/radicular), `protocol`,
#   `tspo_genotype` (HAB/MAB/LAB or Ala/Ala, Ala/Thr, Thr/Thr), optional `sex`, `age`, `bmi`, ...
# * suvr: `subject_id` + one column per region (`s1`, `thalamus`, ...), or long (`subject_id, region, suvr`);
# * connectivity: `subject_id` + `<seed>__<target>` columns, or long (`subject_id, seed, target, value`);
# * questionnaires: `paindetect`, `bpi_severity`, `wpi`, `sss`, `fss` (FSS derived when absent).
#
# A table you do not have is simply left out: the analyses that need it are skipped and say so.

# %%
import shutil
import tempfile
from pathlib import Path

import neuroimmune_stats as nis
from neuroimmune_stats.data.example import example_paths
from neuroimmune_stats.report.config import load_config

site = Path(tempfile.mkdtemp()) / "my_site"
site.mkdir()
for table, path in example_paths().items():
    if table != "connectivity":          # this site has no connectivity export
        shutil.copy(path, site / f"{table}.csv")
print(sorted(p.name for p in site.iterdir()))

# %% [markdown]
# ## A study file names the roles of your variables (every key optional; defaults follow the paper)

# %%
study = site / "study.toml"
study.write_text("""
[study]
title = "My site: TSPO PET in chronic low back pain"
seed = 7

[rois]
outcomes = ["suvr_s1", "suvr_thalamus"]
covariates = ["protocol", "tspo_genotype"]

[correlations]
pairs = [["suvr_s1", "fss"], ["suvr_s1", "paindetect"]]
followup = []
""")
print(load_config(study))

# %% [markdown]
# ## The same as `neuroimmune-stats report my_site/ --config my_site/study.toml -o my_site/report.html`

# %%
out = nis.build_report(directory=site, config=study, output=site / "report.html", progress=False)
print(out, out.stat().st_size, "bytes")

# %% [markdown]
# **What we learned:** one folder of exports plus an optional study file is all the report needs;
# missing tables skip their sections (the mediation and connectivity correlations here) instead of
# failing, and bad files stop with the validator's message.
