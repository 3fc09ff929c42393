# Reference values for neuroimmune_stats.lm / group_compare (tests/test_models.py).
# R 4.2.2 Patched (2022-11-10 r83330), car 3.1.1, emmeans 1.8.4.1, effectsize 0.8.3, jsonlite 1.8.4 (Debian r-cran-*).
#
# Input: models_input.csv (54 rows, missing suvr_s1 and bmi), written once by this Python snippet:
#   d = nis.simulate_cohort(seed=2026); rng = np.random.default_rng(44)
#   d = d[["subject_id","subtype","protocol","tspo_genotype","sex","age","bmi","suvr_s1",
#          "suvr_thalamus","paindetect","fss"]]
#   d.loc[rng.choice(54, 3, replace=False), "suvr_s1"] = nan; same with 2 for "bmi"
# Run: cd tests/reference && Rscript models.R  -> models.json
library(car); library(emmeans); library(jsonlite); library(effectsize)
d <- read.csv("models_input.csv", stringsAsFactors = FALSE)
d$subtype <- factor(d$subtype); d$protocol <- factor(d$protocol); d$tspo_genotype <- factor(d$tspo_genotype)

# partial eta squared 90% CI: the R function the docstring claims to follow (effectsize, two-sided).
# effectsize finds the noncentrality bounds with optim (Nelder-Mead), which sometimes stops short; the
# fixture records, per bound, whether effectsize's bound solves pf(F; df1, df2, ncp) = (1 -/+ level)/2
# to 1e-6 (ok_low / ok_high), and the test compares where it does.
eta_ci <- function(F, df1, df2, level = 0.90) {
  e <- effectsize::F_to_eta2(F, df1, df2, ci = level, alternative = "two.sided")
  a <- (1 - level) / 2
  ncp <- function(eta) eta * df2 / (1 - eta)
  ok <- function(eta, target) eta == 0 && pf(F, df1, df2) <= target || abs(pf(F, df1, df2, ncp = ncp(eta)) - target) < 1e-6
  c(e$CI_low, e$CI_high, ok(e$CI_low, 1 - a), ok(e$CI_high, a))
}
anova_df <- function(fit, type) {
  a <- Anova(fit, type = type)
  res <- a["Residuals", "Sum Sq"]; dfr <- a["Residuals", "Df"]
  terms <- rownames(a)
  out <- data.frame(term = terms, sum_sq = a[["Sum Sq"]], df = a[["Df"]], F = a[["F value"]],
                    p_value = a[["Pr(>F)"]])
  out$partial_eta_sq <- ifelse(terms == "Residuals", NA, out$sum_sq / (out$sum_sq + res))
  ci <- t(sapply(seq_along(terms), function(i) if (terms[i] == "Residuals") c(NA, NA, NA, NA) else eta_ci(out$F[i], out$df[i], dfr)))
  out$partial_eta_sq_low <- ci[, 1]; out$partial_eta_sq_high <- ci[, 2]
  out$ok_low <- as.logical(ci[, 3]); out$ok_high <- as.logical(ci[, 4])
  out
}
tidy_lm <- function(fit) {
  s <- summary(fit)$coefficients; ci <- confint(fit)
  data.frame(term = rownames(s), estimate = s[, 1], std_error = s[, 2], statistic = s[, 3],
             p_value = s[, 4], conf_low = ci[, 1], conf_high = ci[, 2])
}
glance_lm <- function(fit) {
  s <- summary(fit); f <- s$fstatistic
  list(r_squared = s$r.squared, adj_r_squared = s$adj.r.squared, sigma = s$sigma, statistic = unname(f[1]),
       p_value = unname(pf(f[1], f[2], f[3], lower.tail = FALSE)), df = unname(f[2]),
       df_residual = fit$df.residual, nobs = nobs(fit), loglik = as.numeric(logLik(fit)),
       aic = AIC(fit), bic = BIC(fit))
}
out <- list()
f2 <- lm(suvr_s1 ~ subtype + protocol + tspo_genotype, data = d)
f2b <- lm(suvr_s1 ~ subtype + protocol + tspo_genotype + bmi, data = d)
out$type2 <- anova_df(f2, 2)
out$type2_bmi <- anova_df(f2b, 2)
out$type1_bmi <- {a <- anova(f2b); data.frame(term = trimws(rownames(a)), sum_sq = a[["Sum Sq"]], df = a$Df, F = a[["F value"]], p_value = a[["Pr(>F)"]])}
out$tidy_bmi <- tidy_lm(f2b)
out$glance_bmi <- glance_lm(f2b)
out$excluded_bmi <- d$subject_id[!complete.cases(d[, c("suvr_s1", "subtype", "protocol", "tspo_genotype", "bmi")])]
emm <- emmeans(f2b, "subtype")
es <- as.data.frame(summary(emm))
out$emmeans_bmi <- data.frame(subtype = as.character(es$subtype), emmean = es$emmean, std_error = es$SE,
                              df = es$df, conf_low = es$lower.CL, conf_high = es$upper.CL)
pr <- as.data.frame(summary(pairs(emm), infer = c(TRUE, TRUE)))
out$contrast_bmi <- data.frame(contrast = as.character(pr$contrast), estimate = pr$estimate, std_error = pr$SE,
                               df = pr$df, statistic = pr$t.ratio, p_value = pr$p.value,
                               conf_low = pr$lower.CL, conf_high = pr$upper.CL,
                               cohens_d = pr$estimate / sigma(f2b))
# unbalanced interaction: type II vs type III (type III on contr.sum)
fi2 <- lm(suvr_s1 ~ subtype * protocol + tspo_genotype, data = d)
out$interaction_type2 <- anova_df(fi2, 2)
op <- options(contrasts = c("contr.sum", "contr.poly"))
fi3 <- lm(suvr_s1 ~ subtype * protocol + tspo_genotype, data = d)
out$interaction_type3 <- anova_df(fi3, 3)
emi <- as.data.frame(summary(emmeans(fi3, ~ subtype)))
out$interaction_emmeans <- data.frame(subtype = as.character(emi$subtype), emmean = emi$emmean, std_error = emi$SE)
emc <- as.data.frame(summary(emmeans(fi3, ~ subtype:protocol)))
out$interaction_cells <- data.frame(subtype = as.character(emc$subtype), protocol = as.character(emc$protocol),
                                    emmean = emc$emmean, std_error = emc$SE)
options(op)
# group_compare equivalents: thalamus and s1 ~ subtype + protocol + genotype, bonferroni over the two
gc <- lapply(c("suvr_s1", "suvr_thalamus"), function(y) {
  fit <- lm(as.formula(paste(y, "~ subtype + protocol + tspo_genotype")), data = d)
  a <- Anova(fit, type = 2); ci <- confint(fit)["subtyperadicular", ]
  data.frame(outcome = y, F = a["subtype", "F value"], df1 = 1, df2 = fit$df.residual,
             p_value = a["subtype", "Pr(>F)"], partial_eta_sq = a["subtype", "Sum Sq"] / (a["subtype", "Sum Sq"] + a["Residuals", "Sum Sq"]),
             estimate = coef(fit)[["subtyperadicular"]], conf_low = ci[1], conf_high = ci[2], n = nobs(fit))
})
gc <- do.call(rbind, gc); gc$p_adj <- p.adjust(gc$p_value, "bonferroni")
out$group_compare <- gc
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE), "models.json")
