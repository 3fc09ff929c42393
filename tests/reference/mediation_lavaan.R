# Reference values for neuroimmune_stats.mediate (tests/test_mediation.py).
# R 4.2.2 (2022-11-10 r83330), lavaan 0.6-14, jsonlite (Debian r-cran-* packages).
#
# Input: mediation_lavaan_input.csv, written once from the package's simulated cohort:
#   df = neuroimmune_stats.simulate_cohort(seed=2)
#   df[["subject_id", "suvr_s1", "fss", "conn_s1__thalamus", "conn_s1__pcc", "age",
#       "protocol"]].dropna().to_csv("mediation_lavaan_input.csv", index=False, float_format="%.10g")
# (n = 35: the subjects with a Fibromyalgia Survey Score, as the paper's mediation models.)
#
# Output: mediation_lavaan.json with
#   lm:      OLS coefficients and SEs (R lm) of the paths of the simple mediation model
#            X = suvr_s1, M = fss, Y = conn_s1__thalamus, covariates age + protocol (dummy),
#            and of the parallel (M = fss, conn_s1__pcc) and serial (fss -> conn_s1__pcc) models;
#   lavaan:  sem(se = "bootstrap", bootstrap = B) of the simple model, parameterEstimates with
#            boot.ci.type = "perc", "bca.simple" and "bca" for a, b, cp, ab, total
#            (B resamples; the Monte Carlo tolerance is derived in the Python test).
# Run: Rscript tests/reference/mediation_lavaan.R   (from the repository root; about 2 minutes)
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
here <- "tests/reference"
d <- read.csv(file.path(here, "mediation_lavaan_input.csv"), colClasses = c(subject_id = "character",
              protocol = "character"))
d$protocol2 <- as.numeric(d$protocol == "2")
d$X <- d$suvr_s1; d$M <- d$fss; d$Y <- d$conn_s1__thalamus; d$M2 <- d$conn_s1__pcc

coefs <- function(fit) {
  s <- summary(fit)$coefficients
  list(names = rownames(s), estimate = unname(s[, 1]), std_error = unname(s[, 2]),
       df = fit$df.residual)
}
lm_out <- list(
  simple = list(
    m = coefs(lm(M ~ X + age + protocol2, data = d)),
    y = coefs(lm(Y ~ X + M + age + protocol2, data = d)),
    total = coefs(lm(Y ~ X + age + protocol2, data = d))),
  parallel = list(
    m1 = coefs(lm(M ~ X + age + protocol2, data = d)),
    m2 = coefs(lm(M2 ~ X + age + protocol2, data = d)),
    y = coefs(lm(Y ~ X + M + M2 + age + protocol2, data = d)),
    total = coefs(lm(Y ~ X + age + protocol2, data = d))),
  serial = list(
    m1 = coefs(lm(M ~ X + age + protocol2, data = d)),
    m2 = coefs(lm(M2 ~ X + M + age + protocol2, data = d)),
    y = coefs(lm(Y ~ X + M + M2 + age + protocol2, data = d)),
    total = coefs(lm(Y ~ X + age + protocol2, data = d)))
)

model <- '
  M ~ a*X + age + protocol2
  Y ~ b*M + cp*X + age + protocol2
  ab := a*b
  total := cp + a*b
'
B <- 20000L
set.seed(20221123)
fit <- sem(model, data = d, se = "bootstrap", bootstrap = B, iseed = 20221123)
keep <- c("a", "b", "cp", "ab", "total")
pe <- function(type) {
  p <- parameterEstimates(fit, boot.ci.type = type, level = 0.95)
  p <- p[p$label %in% keep, ]
  p <- p[match(keep, p$label), ]
  list(label = p$label, est = p$est, se = p$se, lower = p$ci.lower, upper = p$ci.upper)
}
boot <- lavInspect(fit, "boot")
lav_out <- list(
  B = nrow(boot),
  perc = pe("perc"), bca_simple = pe("bca.simple"), bca = pe("bca"),
  boot_sd_ab = sd(boot[, "a"] * boot[, "b"])
)
out <- list(
  generated_by = "tests/reference/mediation_lavaan.R",
  r_version = R.version.string, lavaan_version = as.character(packageVersion("lavaan")),
  n = nrow(d), lm = lm_out, lavaan = lav_out
)
write_json(out, file.path(here, "mediation_lavaan.json"), digits = NA, auto_unbox = TRUE,
           pretty = TRUE)
