# Reference values for neuroimmune_stats.adjust_pvalues (tests/test_multiplicity.py).
# R 4.2.2 Patched (2022-11-10 r83330), jsonlite 1.8.4; base stats::p.adjust.
# Inputs are generated here with set.seed (no input CSV); NA entries and ties included.
# Run: cd tests/reference && Rscript padjust.R  -> padjust.json
library(jsonlite)
set.seed(20261123)
vecs <- list(
  small = c(0.01, 0.04, 0.03, 0.005),
  ties = c(0.02, 0.02, 0.5, 0.001, 0.02, 0.9, 1),
  with_na = c(0.03, NA, 0.2, 0.0004, NA, 0.049, 0.7, 0.01),
  uniform = runif(40),
  mixture = c(runif(25)^4, runif(25)),
  single = c(0.03)
)
methods <- c("bonferroni", "holm", "hochberg", "hommel", "BH", "BY")
out <- lapply(vecs, function(p) c(list(p = p), setNames(lapply(methods, function(m) p.adjust(p, m)), methods)))
writeLines(toJSON(out, digits = NA, na = "null", pretty = TRUE), "padjust.json")
