# Reference values for mediate(..., missing = "fiml") (tests/test_missing_fiml.py).
# R 4.2.2, lavaan 0.6-14: sem(model, data, missing = "ml.x") with defined parameters
# ind := a*b and total := cp + a*b; estimates and observed-information SEs (lavaan's default
# information for missing = "ml"; ml.x keeps fixed.x = TRUE, so the exogenous moments are fixed at their
# estimates); factor covariate protocol as a treatment dummy (protocol2). Parallel mediators get
# their residual covariance (m2 ~~ m1) so the model is saturated like the OLS equations of PROCESS.
# Input: mice_input.csv (all 54 subjects; fss, paindetect, bpi_severity incomplete).
# Run: cd tests/reference && Rscript fiml.R  -> fiml.json
suppressPackageStartupMessages({library(lavaan); library(jsonlite)})
d <- read.csv("mice_input.csv", stringsAsFactors = FALSE, colClasses = c(subject_id = "character"))
d$protocol2 <- as.numeric(d$protocol == 2)
fit_one <- function(x, ms, y, covs) {
  cv <- if (length(covs)) paste("+", paste(covs, collapse = " + ")) else ""
  lines <- c()
  for (j in seq_along(ms)) lines <- c(lines, sprintf("%s ~ a%d*%s %s", ms[j], j, x, cv))
  lines <- c(lines, sprintf("%s ~ cp*%s + %s %s", y, x, paste(sprintf("b%d*%s", seq_along(ms), ms), collapse = " + "), cv))
  # parallel mediators: residual covariance free, so the model is saturated (as PROCESS's OLS)
  if (length(ms) > 1) for (i in 2:length(ms)) for (j in 1:(i - 1)) lines <- c(lines, sprintf("%s ~~ %s", ms[i], ms[j]))
  inds <- sprintf("a%d*b%d", seq_along(ms), seq_along(ms))
  for (j in seq_along(ms)) lines <- c(lines, sprintf("ind%d := %s", j, inds[j]))
  lines <- c(lines, sprintf("total := cp + %s", paste(inds, collapse = " + ")))
  if (length(ms) > 1) lines <- c(lines, sprintf("tind := %s", paste(inds, collapse = " + ")))
  fit <- sem(paste(lines, collapse = "\n"), data = d, missing = "ml.x")
  pe <- parameterEstimates(fit)
  lab <- pe[pe$label != "", ]
  list(x = x, m = ms, y = y, covariates = covs, label = lab$label, estimate = lab$est, std_error = lab$se,
       ntotal = lavInspect(fit, "ntotal"), fixed_x = lavInspect(fit, "options")$fixed.x,
       information = lavInspect(fit, "options")$information[1])
}
out <- list(
  simple = fit_one("suvr_s1", "fss", "conn_s1__thalamus", character(0)),
  covariates = fit_one("suvr_s1", "fss", "conn_s1__thalamus", c("protocol2", "paindetect")),
  parallel = fit_one("suvr_s1", c("fss", "bpi_severity"), "conn_s1__thalamus", c("age"))
)
out$versions <- list(R = R.version.string, lavaan = as.character(packageVersion("lavaan")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "fiml.json")
