# Reference values for lm(..., hc=), emmeans/contrast with by= and C() factors (tests/test_lm_extras.py).
# R 4.2.2, emmeans 1.8.4.1, sandwich 3.0-2, lmtest 0.9-40, car 3.1.1 (Debian r-cran-*).
# Input: models_input.csv (see models.R). Run: cd tests/reference && Rscript lm_extras.R -> lm_extras.json
library(emmeans); library(sandwich); library(lmtest); library(car); library(jsonlite)
d <- read.csv("models_input.csv", stringsAsFactors = FALSE)
d$subtype <- factor(d$subtype); d$protocol <- factor(d$protocol); d$tspo_genotype <- factor(d$tspo_genotype)
out <- list()
# sandwich::vcovHC HC0-HC4 and coeftest on the residual df
fit <- lm(suvr_s1 ~ subtype + protocol + tspo_genotype + bmi, data = d)
for (type in c("HC0", "HC1", "HC2", "HC3", "HC4")) {
  V <- vcovHC(fit, type = type)
  ct <- coeftest(fit, vcov. = V)
  ci <- coefci(fit, vcov. = V)
  out[[paste0("tidy_", tolower(type))]] <- data.frame(term = rownames(ct), estimate = ct[, 1], std_error = ct[, 2],
    statistic = ct[, 3], p_value = ct[, 4], conf_low = ci[, 1], conf_high = ci[, 2])
  out[[paste0("vcov_", tolower(type))]] <- unname(V)
  pr <- as.data.frame(summary(pairs(emmeans(fit, ~ subtype, vcov. = V)), infer = c(TRUE, TRUE)))
  out[[paste0("contrast_", tolower(type))]] <- data.frame(contrast = as.character(pr$contrast),
    estimate = pr$estimate, std_error = pr$SE, df = pr$df, p_value = pr$p.value)
}
# simple effects with an interaction: emmeans(~ subtype | protocol) and pairs within protocol
fi <- lm(suvr_s1 ~ subtype * protocol + tspo_genotype, data = d)
em <- as.data.frame(summary(emmeans(fi, ~ subtype | protocol)))
out$emmeans_by <- data.frame(subtype = as.character(em$subtype), protocol = as.character(em$protocol),
  emmean = em$emmean, std_error = em$SE, df = em$df, conf_low = em$lower.CL, conf_high = em$upper.CL)
pr <- as.data.frame(summary(pairs(emmeans(fi, ~ subtype | protocol)), infer = c(TRUE, TRUE)))
out$contrast_by <- data.frame(contrast = as.character(pr$contrast), protocol = as.character(pr$protocol),
  estimate = pr$estimate, std_error = pr$SE, df = pr$df, statistic = pr$t.ratio, p_value = pr$p.value,
  conf_low = pr$lower.CL, conf_high = pr$upper.CL)
# three-level factor by two-level factor, Tukey within each by group
f3 <- lm(suvr_s1 ~ tspo_genotype * subtype + protocol, data = d)
pr3 <- as.data.frame(summary(pairs(emmeans(f3, ~ protocol | subtype))))
out$contrast_by_protocol <- data.frame(contrast = as.character(pr3$contrast), subtype = as.character(pr3$subtype),
  estimate = pr3$estimate, std_error = pr3$SE, p_value = pr3$p.value)
# an integer-coded factor through factor(): type III with contr.sum (car)
d$site <- ifelse(d$protocol == "1", 3L, 7L)
op <- options(contrasts = c("contr.sum", "contr.poly"))
fs <- lm(suvr_s1 ~ subtype * factor(site), data = d)
a <- Anova(fs, type = 3)
out$type3_factor_site <- data.frame(term = rownames(a), sum_sq = a[["Sum Sq"]], df = a$Df, F = a[["F value"]])
options(op)
writeLines(toJSON(out, digits = NA, na = "null", auto_unbox = TRUE, pretty = TRUE), "lm_extras.json")
