# Reference values for neuroimmune_stats.correlate (tests/test_correlation.py).
# R 4.2.2 Patched (2022-11-10 r83330), jsonlite 1.8.4; base stats::cor.test.
# Input: models_input.csv (see models.R); complete cases per pair (paindetect, fss, bmi have NAs).
# Partial correlations: residuals of x and y on intercept + covariates (factors treatment-coded,
# numeric covariates ranked too for Spearman, as ppcor), r of the residuals, t on n-2-k df (ppcor
# pcor.test convention), Fisher-z CI with SE 1/sqrt(n-3-k). Spearman p: cor.test(exact = FALSE).
# Run: cd tests/reference && Rscript correlation.R  -> correlation.json
library(jsonlite)
d <- read.csv("models_input.csv", stringsAsFactors = FALSE)
d$protocol <- factor(d$protocol); d$tspo_genotype <- factor(d$tspo_genotype)
fz <- function(r, n, k, level = 0.95) { z <- atanh(r); se <- 1 / sqrt(n - 3 - k); q <- qnorm(0.5 + level / 2); c(tanh(z - q * se), tanh(z + q * se)) }
one <- function(x, y, covs, method) {
  cc <- d[complete.cases(d[, c(x, y, covs)]), c(x, y, covs), drop = FALSE]
  n <- nrow(cc)
  if (length(covs) == 0) {
    ct <- cor.test(cc[[x]], cc[[y]], method = method, exact = if (method == "spearman") FALSE else NULL)
    r <- unname(ct$estimate); p <- ct$p.value
    ci <- if (method == "pearson") as.numeric(ct$conf.int) else fz(r, n, 0)
    k <- 0
  } else {
    a <- cc[[x]]; b <- cc[[y]]
    if (method == "spearman") { a <- rank(a); b <- rank(b)
      for (v in covs) if (is.numeric(cc[[v]])) cc[[v]] <- rank(cc[[v]]) }
    M <- model.matrix(as.formula(paste("~", paste(covs, collapse = "+"))), cc)
    k <- ncol(M) - 1
    ra <- resid(lm(a ~ M - 1)); rb <- resid(lm(b ~ M - 1))
    r <- cor(ra, rb); df <- n - 2 - k
    p <- 2 * pt(abs(r * sqrt(df / (1 - r^2))), df, lower.tail = FALSE)
    ci <- fz(r, n, k)
  }
  data.frame(x = x, y = y, covariates = paste(covs, collapse = "+"), method = method, n = n, r = r,
             conf_low = ci[1], conf_high = ci[2], p_value = p)
}
rows <- list()
for (method in c("pearson", "spearman")) for (covs in list(character(0), c("protocol"), c("protocol", "tspo_genotype", "bmi")))
  for (pair in list(c("suvr_s1", "paindetect"), c("suvr_thalamus", "fss"), c("suvr_s1", "suvr_thalamus")))
    rows[[length(rows) + 1]] <- one(pair[1], pair[2], covs, method)
writeLines(toJSON(do.call(rbind, rows), digits = NA, na = "null", pretty = TRUE), "correlation.json")
