# Reference values for neuroimmune_stats.planning.power (tests/test_power.py).
# Calls R pwr::pwr.f2.test and pwr::pwr.r.test on a grid of settings, and SuppDists::pPearson
# (the exact distribution of Pearson's r) for power_correlation(method="exact").
# Run: Rscript tests/reference/power_pwr.R  (writes tests/reference/power_pwr.json)
suppressPackageStartupMessages({
  library(pwr)
  library(jsonlite)
})
has_supp <- requireNamespace("SuppDists", quietly = TRUE)

f2_grid <- expand.grid(f = c(0.1, 0.25, 0.4), groups = c(2, 3, 4), covariates = c(0, 2, 5),
                       n = c(20, 54, 150), alpha = c(0.05, 0.01), covariate_r2 = c(0, 0.3))
f2_grid$power <- mapply(function(f, groups, covariates, n, alpha, r2) {
  pwr.f2.test(u = groups - 1, v = n - groups - covariates, f2 = f^2 / (1 - r2), sig.level = alpha)$power
}, f2_grid$f, f2_grid$groups, f2_grid$covariates, f2_grid$n, f2_grid$alpha, f2_grid$covariate_r2)

# n for a target power: pwr solves for a continuous v; the smallest integer n is
# ceiling(v) + groups + covariates
f2_target <- expand.grid(f = c(0.1, 0.25, 0.4), groups = c(2, 3), covariates = c(0, 3),
                         target = c(0.8, 0.9), alpha = 0.05)
f2_target$v <- mapply(function(f, groups, covariates, target, alpha) {
  pwr.f2.test(u = groups - 1, f2 = f^2, sig.level = alpha, power = target)$v
}, f2_target$f, f2_target$groups, f2_target$covariates, f2_target$target, f2_target$alpha)
f2_target$n <- ceiling(f2_target$v) + f2_target$groups + f2_target$covariates

r_grid <- expand.grid(r = c(-0.3, 0.1, 0.3, 0.5, 0.7), n = c(10, 35, 54, 200), alpha = c(0.05, 0.01),
                      alternative = c("two.sided", "greater", "less"), stringsAsFactors = FALSE)
r_grid$power <- mapply(function(r, n, alpha, alt) {
  pwr.r.test(n = n, r = r, sig.level = alpha, alternative = alt)$power
}, r_grid$r, r_grid$n, r_grid$alpha, r_grid$alternative)

r_target <- expand.grid(r = c(0.1, 0.3, 0.5), target = c(0.8, 0.9), alpha = 0.05,
                        alternative = c("two.sided", "greater"), stringsAsFactors = FALSE)
r_target$n_continuous <- mapply(function(r, target, alpha, alt) {
  pwr.r.test(r = r, power = target, sig.level = alpha, alternative = alt)$n
}, r_target$r, r_target$target, r_target$alpha, r_target$alternative)
r_target$n <- ceiling(r_target$n_continuous)

exact <- NULL
if (has_supp) {
  # exact power of the test of rho = 0: P(|r| > r_crit) under rho, r_crit from the t test
  exact <- expand.grid(r = c(0.1, 0.3, 0.5, -0.4), n = c(10, 35, 54, 120), alpha = c(0.05, 0.01),
                       stringsAsFactors = FALSE)
  exact$power <- mapply(function(r, n, alpha) {
    t <- qt(alpha / 2, n - 2, lower.tail = FALSE)
    rc <- sqrt(t^2 / (t^2 + n - 2))
    SuppDists::pPearson(rc, N = n, rho = r, lower.tail = FALSE) + SuppDists::pPearson(-rc, N = n, rho = r)
  }, exact$r, exact$n, exact$alpha)
}

out <- list(
  meta = list(R = R.version.string, pwr = as.character(packageVersion("pwr")),
              SuppDists = if (has_supp) as.character(packageVersion("SuppDists")) else NULL),
  f2 = f2_grid, f2_target = f2_target, r = r_grid, r_target = r_target, r_exact = exact
)
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
write_json(out, file.path(here, "power_pwr.json"), digits = NA, auto_unbox = TRUE, pretty = TRUE)
cat("wrote power_pwr.json\n")
