# ComBat fixtures (issue 16): R sva::ComBat(dat, batch, mod) on
#  (1) Bioconductor's bladderbatch data (bladderEset; the sva vignette's example): 200 genes x 57 samples,
#      5 batches, mod = model.matrix(~ as.factor(cancer)) -- parametric and non-parametric priors;
#  (2) the package's example cohort (tests/reference/combat_cohort_input.csv, written from
#      neuroimmune_stats.load_example()): 7 regional SUVR x 54 subjects, batch = protocol,
#      mod = model.matrix(~ subtype + tspo_genotype + bmi) and mod = NULL.
# Run from the repository root: Rscript tests/reference/combat.R  (writes tests/reference/combat.json
# and tests/reference/combat_bladder_input.csv).
suppressPackageStartupMessages({library(sva); library(bladderbatch); library(jsonlite); library(Biobase)})

data(bladderdata)
pheno <- pData(bladderEset)
edata <- exprs(bladderEset)
set.seed(16)
genes <- sort(sample(nrow(edata), 200))
dat <- edata[genes, ]
batch <- pheno$batch
mod <- model.matrix(~ as.factor(cancer), data = pheno)
run <- function(dat, batch, mod, par) {
  out <- NULL
  suppressMessages(capture.output(out <- ComBat(dat = dat, batch = batch, mod = mod, par.prior = par)))
  out
}
b_par <- run(dat, batch, mod, TRUE)
b_np <- run(dat, batch, mod, FALSE)
bladder_input <- data.frame(sample = colnames(dat), batch = batch, cancer = as.character(pheno$cancer),
                            t(dat), check.names = FALSE)
write.csv(bladder_input, "tests/reference/combat_bladder_input.csv", row.names = FALSE)

coh <- read.csv("tests/reference/combat_cohort_input.csv", colClasses = c(subject_id = "character"))
feats <- grep("^suvr_", names(coh), value = TRUE)
cdat <- t(as.matrix(coh[, feats]))
coh$protocol <- factor(coh$protocol)
cmod <- model.matrix(~ subtype + tspo_genotype + bmi, data = coh)
c_par <- run(cdat, coh$protocol, cmod, TRUE)
c_np <- run(cdat, coh$protocol, cmod, FALSE)
c_nomod <- run(cdat, coh$protocol, NULL, TRUE)

out <- list(
  r_version = R.version.string, sva_version = as.character(packageVersion("sva")),
  bladderbatch_version = as.character(packageVersion("bladderbatch")),
  bladder = list(genes = rownames(dat), samples = colnames(dat),
                 parametric = unname(t(b_par)), nonparametric = unname(t(b_np))),
  cohort = list(features = feats, subject_id = coh$subject_id,
                parametric = unname(t(c_par)), nonparametric = unname(t(c_np)),
                parametric_nomod = unname(t(c_nomod)))
)
writeLines(toJSON(out, digits = NA, matrix = "rowmajor"), "tests/reference/combat.json")
