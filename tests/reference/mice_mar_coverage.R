# R mice in the MAR mediation simulation of tests/test_missing_mar.py (the "moderate" design of
# test_mar_simulation_coverage), with the same pooled bootstrap as neuroimmune_stats.mediate(ImputedData).
# Design: x ~ N(0,1), m = 0.39 x + e, y = 0.39 m + 0.2 x + e, n = 100; m missing with
# P = plogis(-0.7 + 0.5 (x + y)) (about 35%, MAR on x and y). Per data set and method (mice "pmm",
# donors = 5, and "norm"): mice(m = 20), then 500 resamples of whole rows in each completed data set,
# a*b from the OLS paths of each resample, the percentile interval of the pooled 20 x 500 draws, point
# estimate the mean of the per-imputation a*b. Complete cases: 500 resamples, percentile interval.
# maxit = 1: m is the only incomplete variable and its predictors (x, y) are complete, so every
# iteration draws from the same posterior predictive distribution (the starting values never enter).
#
# Two modes:
#   Rscript mice_mar_coverage.R coverage [n_sets]  -> mice_mar_coverage.json (R's own data sets)
#   Rscript mice_mar_coverage.R paired             -> mice_mar_paired.json: per-set pooled a*b and
#       between-imputation variance of mice pmm / norm on the 40 data sets of mice_mar_sets.csv
#       (written by tests/test_missing_mar.py: write_paired_sets), for the paired CI test of our
#       PMM and norm against mice's.
suppressPackageStartupMessages({library(mice); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
mode <- if (length(args)) args[1] else "coverage"
true_ab <- 0.39 * 0.39
m_imp <- 20
n_boot <- 500

ab_of <- function(x, m, y) {
  sxx <- mean(x * x) - mean(x)^2; sxm <- mean(x * m) - mean(x) * mean(m); smm <- mean(m * m) - mean(m)^2
  sxy <- mean(x * y) - mean(x) * mean(y); smy <- mean(m * y) - mean(m) * mean(y)
  (sxm / sxx) * (sxx * smy - sxm * sxy) / (sxx * smm - sxm^2)
}
# the same OLS a*b for B resamples at once (closed form of lm's slopes from the resampled moments)
boot_ab <- function(x, m, y, B) {
  n <- length(x)
  idx <- matrix(sample.int(n, n * B, replace = TRUE), nrow = B)
  X <- matrix(x[idx], B); M <- matrix(m[idx], B); Y <- matrix(y[idx], B)
  mx <- rowMeans(X); mm <- rowMeans(M); my <- rowMeans(Y)
  sxx <- rowMeans(X * X) - mx^2; sxm <- rowMeans(X * M) - mx * mm; smm <- rowMeans(M * M) - mm^2
  sxy <- rowMeans(X * Y) - mx * my; smy <- rowMeans(M * Y) - mm * my
  (sxm / sxx) * (sxx * smy - sxm * sxy) / (sxx * smm - sxm^2)
}
impute_ab <- function(d, method, boot = TRUE) {
  imp <- mice(d, m = m_imp, method = method, maxit = 1, printFlag = FALSE)
  est <- numeric(m_imp); draws <- c()
  for (i in seq_len(m_imp)) {
    cd <- complete(imp, i)
    est[i] <- ab_of(cd$x, cd$m, cd$y)
    if (boot) draws <- c(draws, boot_ab(cd$x, cd$m, cd$y, n_boot))
  }
  if (!boot) return(c(mean(est), var(est)))
  ci <- quantile(draws, c(0.025, 0.975), type = 7)
  c(mean(est), ci[1], ci[2])
}
versions <- list(R = R.version.string, mice = as.character(packageVersion("mice")))

if (mode == "coverage") {
  n_sets <- if (length(args) > 1) as.integer(args[2]) else 1000
  set.seed(20261203)
  rows <- list()
  t0 <- Sys.time()
  summarise <- function(res, done) {
    res$covered <- res$conf_low <= true_ab & true_ab <= res$conf_high
    summ <- lapply(split(res, res$method), function(r) {
      cv <- mean(r$covered)
      list(coverage = cv, coverage_mc_se = sqrt(cv * (1 - cv) / nrow(r)), mean = mean(r$estimate),
           bias = mean(r$estimate) - true_ab, bias_mc_se = sd(r$estimate) / sqrt(nrow(r)), sd = sd(r$estimate),
           n_sets = nrow(r))
    })
    list(design = "moderate: P(m missing) = plogis(-0.7 + 0.5 (x + y)), n = 100", m = m_imp, n_boot = n_boot,
         maxit = 1, n_sets = done, true_ab = true_ab, missing = mean(res$missing[res$method == "complete_cases"]),
         summary = summ, seconds = as.numeric(difftime(Sys.time(), t0, units = "secs")), versions = versions)
  }
  for (s in seq_len(n_sets)) {
    n <- 100
    x <- rnorm(n); m <- 0.39 * x + rnorm(n); y <- 0.39 * m + 0.2 * x + rnorm(n)
    m[runif(n) < plogis(-0.7 + 0.5 * (x + y))] <- NA
    d <- data.frame(x = x, m = m, y = y)
    pmm <- impute_ab(d, "pmm"); nrm <- impute_ab(d, "norm")
    cc <- d[complete.cases(d), ]
    ccd <- boot_ab(cc$x, cc$m, cc$y, n_boot)
    cci <- quantile(ccd, c(0.025, 0.975), type = 7)
    rows[[s]] <- data.frame(set = s, method = c("mice_pmm", "mice_norm", "complete_cases"),
                            estimate = c(pmm[1], nrm[1], ab_of(cc$x, cc$m, cc$y)),
                            conf_low = c(pmm[2], nrm[2], cci[1]), conf_high = c(pmm[3], nrm[3], cci[2]),
                            missing = mean(is.na(m)))
    if (s %% 50 == 0 || s == n_sets) {
      out <- summarise(do.call(rbind, rows), s)
      writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "mice_mar_coverage.json")
      cat(s, format(Sys.time()), "\n")
    }
  }
} else if (mode == "paired") {
  sets <- read.csv("mice_mar_sets.csv")
  set.seed(20261204)
  ids <- sort(unique(sets$set))
  pmm <- matrix(NA, length(ids), 2); nrm <- matrix(NA, length(ids), 2)
  for (k in seq_along(ids)) {
    d <- sets[sets$set == ids[k], c("x", "m", "y")]
    pmm[k, ] <- impute_ab(d, "pmm", boot = FALSE)
    nrm[k, ] <- impute_ab(d, "norm", boot = FALSE)
  }
  # per set: the pooled a*b (mean over imputations) and the between-imputation variance of a*b
  out <- list(set = ids, m = m_imp, maxit = 1, mice_pmm = pmm[, 1], mice_norm = nrm[, 1],
              mice_pmm_between = pmm[, 2], mice_norm_between = nrm[, 2], versions = versions)
  writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "mice_mar_paired.json")
} else stop("mode must be 'coverage' or 'paired'")
