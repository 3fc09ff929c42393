# Reference values for neuroimmune_stats.planning.equivalence_test (tests/test_equivalence.py).
# TOST on the lm group contrast with the residual-df t distribution, by emmeans:
#   contrast (radicular - axial), confint(level = conf_level),
#   test(null = low, side = ">") and test(null = high, side = "<") for the two one-sided tests,
#   test(delta = d, side = "equivalence") for symmetric bounds.
# Run: Rscript tests/reference/equivalence.R  (reads equivalence_input.csv, writes equivalence.json)
suppressPackageStartupMessages({
  library(emmeans)
  library(jsonlite)
})
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
d <- read.csv(file.path(here, "equivalence_input.csv"))
d$subtype <- factor(d$subtype)              # axial, radicular
d$protocol <- factor(d$protocol)
d$tspo_genotype <- factor(d$tspo_genotype)

cases <- list(
  list(id = "age_raw", outcome = "age", covariates = character(0), low = -5, high = 5, type = "raw", level = 0.90),
  list(id = "suvr_adj", outcome = "suvr_s1", covariates = c("protocol", "tspo_genotype"), low = -0.05,
       high = 0.08, type = "raw", level = 0.90),
  list(id = "bmi_d", outcome = "bmi", covariates = c("age", "protocol"), low = -0.5, high = 0.5, type = "d",
       level = 0.90),
  list(id = "fss_missing", outcome = "fss", covariates = c("protocol"), low = -3, high = 2, type = "raw",
       level = 0.95)
)
out <- list()
for (cs in cases) {
  rhs <- paste(c("subtype", cs$covariates), collapse = " + ")
  fit <- lm(as.formula(paste(cs$outcome, "~", rhs)), data = d)
  em <- emmeans(fit, ~ subtype)
  ct <- contrast(em, method = list("radicular - axial" = c(-1, 1)))
  scale <- if (cs$type == "d") sigma(fit) else 1
  low <- cs$low * scale
  high <- cs$high * scale
  s <- as.data.frame(ct)
  ci <- as.data.frame(confint(ct, level = cs$level))
  lo <- as.data.frame(test(ct, null = low, side = ">"))
  hi <- as.data.frame(test(ct, null = high, side = "<"))
  row <- list(id = cs$id, outcome = cs$outcome, covariates = cs$covariates, low = cs$low, high = cs$high,
              bounds_type = cs$type, conf_level = cs$level, contrast = as.character(s$contrast),
              estimate = s$estimate, std_error = s$SE, df = s$df, conf_low = ci$lower.CL,
              conf_high = ci$upper.CL, bound_low = low, bound_high = high, statistic_lower = lo$t.ratio,
              p_lower = lo$p.value, statistic_upper = hi$t.ratio, p_upper = hi$p.value,
              p_value = max(lo$p.value, hi$p.value), n = nobs(fit), sigma = sigma(fit))
  if (isTRUE(all.equal(-cs$low, cs$high))) {
    row$p_equivalence_emmeans <- as.data.frame(test(ct, delta = high, side = "equivalence"))$p.value
  }
  out[[cs$id]] <- row
}
write_json(list(meta = list(R = R.version.string, emmeans = as.character(packageVersion("emmeans"))),
                cases = out), file.path(here, "equivalence.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote equivalence.json\n")
