# R mice beside our imputation in the missing-at-random simulation of tests/test_missing_mar.py.
# Same design: x ~ N(0,1), m = 0.39 x + e, y = 0.39 m + 0.2 x + e, n = 100; m missing with
# P = plogis(-0.85 + x + y) (about 35%). Per data set: mice (PMM, m = 10, maxit = 10), then the same
# pooled bootstrap as neuroimmune_stats.mediate(ImputedData): 500 resamples of whole rows in each
# imputed data set, a*b from the OLS paths of each resample, the percentile interval of the pooled
# 10 x 500 draws, point estimate the mean of the per-imputation a*b. Complete cases: 500 resamples.
# Run: cd tests/reference && Rscript mice_simulation.R [n_sets]  -> mice_simulation.json
suppressPackageStartupMessages({library(mice); library(jsonlite)})
args <- commandArgs(trailingOnly = TRUE)
n_sets <- if (length(args)) as.integer(args[1]) else 1000
true_ab <- 0.39 * 0.39
set.seed(20261202)
ab_of <- function(x, m, y) {
  a <- coef(lm.fit(cbind(1, x), m))[2]
  b <- coef(lm.fit(cbind(1, x, m), y))[3]
  unname(a * b)
}
boot_ab <- function(d, B) {
  n <- nrow(d)
  vapply(seq_len(B), function(i) { j <- sample.int(n, n, replace = TRUE); ab_of(d$x[j], d$m[j], d$y[j]) }, 0)
}
res <- data.frame()
t0 <- Sys.time()
for (s in seq_len(n_sets)) {
  n <- 100
  x <- rnorm(n); m <- 0.39 * x + rnorm(n); y <- 0.39 * m + 0.2 * x + rnorm(n)
  m[runif(n) < plogis(-0.85 + x + y)] <- NA
  d <- data.frame(x = x, m = m, y = y)
  imp <- mice(d, m = 10, method = "pmm", maxit = 10, printFlag = FALSE)
  est <- c(); draws <- c()
  for (i in 1:10) {
    cd <- complete(imp, i)
    est <- c(est, ab_of(cd$x, cd$m, cd$y))
    draws <- c(draws, boot_ab(cd, 500))
  }
  ci <- quantile(draws, c(0.025, 0.975), type = 7)
  cc <- d[complete.cases(d), ]
  ccd <- boot_ab(cc, 500)
  cci <- quantile(ccd, c(0.025, 0.975), type = 7)
  if (s %% 25 == 0) cat(s, format(Sys.time()), "\n")
  res <- rbind(res, data.frame(set = s, method = c("mice_pmm", "complete_cases"),
                               estimate = c(mean(est), ab_of(cc$x, cc$m, cc$y)),
                               conf_low = c(ci[1], cci[1]), conf_high = c(ci[2], cci[2]),
                               missing = mean(is.na(m))))
}
res$covered <- res$conf_low <= true_ab & true_ab <= res$conf_high
summ <- lapply(split(res, res$method), function(r) list(coverage = mean(r$covered), mean = mean(r$estimate),
                                                         bias = mean(r$estimate) - true_ab, sd = sd(r$estimate)))
out <- list(n_sets = n_sets, true_ab = true_ab, missing = mean(res$missing), summary = summ,
            seconds = as.numeric(difftime(Sys.time(), t0, units = "secs")),
            versions = list(R = R.version.string, mice = as.character(packageVersion("mice"))))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "mice_simulation.json")
