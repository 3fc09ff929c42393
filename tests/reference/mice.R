# Reference values for pooling multiply imputed data (tests/test_missing_pool.py).
# R 4.2.2, mice 3.15.0, mitml 0.4-4, jsonlite. Imputations are made HERE by mice (PMM, m = 20) and
# written out (mice_imputations.csv, long format with .imp); the Python tests wrap them with
# ImputedData.from_frames and compare the pooled results with mice's:
#   lm:            summary(pool(with(imp, lm(...))), conf.int = TRUE) + pool()$pooled (df, riv, fmi)
#   group_compare: the subtype row of pool(with(imp, lm(y ~ protocol + tspo_genotype + subtype))) and
#                  D1(full, reduced) (mitml testModels D1 with dfcom = residual df)
#   table_one:     pooled lm(v ~ subtype) coefficient (t, df, p, fmi), mean of per-imputation means/SDs
#   correlate:     pool.scalar(atanh(r_i), 1 / (n - 3 - k)) (Fisher z), r_i from cor() of the
#                  completed data (partial: cor of the residuals on the covariates' model matrix)
# Run: cd tests/reference && Rscript mice.R  -> mice.json, mice_imputations.csv
suppressPackageStartupMessages({library(mice); library(jsonlite)})
d <- read.csv("mice_input.csv", stringsAsFactors = FALSE, colClasses = c(subject_id = "character"))
d$subtype <- factor(d$subtype); d$protocol <- factor(d$protocol); d$tspo_genotype <- factor(d$tspo_genotype)
meth <- make.method(d); meth["subject_id"] <- ""
pred <- make.predictorMatrix(d); pred[, "subject_id"] <- 0
imp <- mice(d, m = 20, method = meth, predictorMatrix = pred, maxit = 10, seed = 20261201, printFlag = FALSE)
long <- complete(imp, "long")
write.csv(long[, c(".imp", names(d))], "mice_imputations.csv", row.names = FALSE)

pooled_lm <- function(fit) {
  s <- summary(pool(fit), conf.int = TRUE)
  p <- pool(fit)$pooled
  list(term = as.character(s$term), estimate = s$estimate, std_error = s$std.error, statistic = s$statistic,
       df = s$df, p_value = s$p.value, conf_low = s[["2.5 %"]], conf_high = s[["97.5 %"]],
       fmi = p$fmi, riv = p$riv, ubar = p$ubar, b = p$b, dfcom = p$dfcom[1])
}
out <- list()
f1 <- with(imp, lm(fss ~ subtype + suvr_s1 + protocol))
out$lm_fss <- pooled_lm(f1)
f2 <- with(imp, lm(conn_s1__thalamus ~ fss + paindetect + age + tspo_genotype))
out$lm_conn <- pooled_lm(f2)
gc <- list()
for (y in c("fss", "paindetect", "bpi_severity", "suvr_s1")) {
  full <- with(imp, lm(as.formula(paste(y, "~ protocol + tspo_genotype + subtype"))))
  red <- with(imp, lm(as.formula(paste(y, "~ protocol + tspo_genotype"))))
  pl <- pooled_lm(full)
  i <- which(pl$term == "subtyperadicular")
  t <- D1(full, red)$result
  gc[[y]] <- list(estimate = pl$estimate[i], std_error = pl$std_error[i], df = pl$df[i], p_value = pl$p_value[i],
                  conf_low = pl$conf_low[i], conf_high = pl$conf_high[i], fmi = pl$fmi[i],
                  F = unname(t[1, "F.value"]), df1 = unname(t[1, "df1"]), df2 = unname(t[1, "df2"]),
                  d1_p = unname(t[1, "P(>F)"]))
}
out$group_compare <- gc
# table_one: Student t of each incomplete variable by subtype = the pooled lm coefficient (D1, F = t^2)
t1 <- list()
for (v in c("fss", "paindetect", "bpi_severity")) {
  pl <- pooled_lm(with(imp, lm(as.formula(paste(v, "~ subtype")))))
  means <- sapply(levels(d$subtype), function(g) mean(sapply(1:imp$m, function(i) { cd <- complete(imp, i); mean(cd[[v]][cd$subtype == g]) })))
  sds <- sapply(levels(d$subtype), function(g) mean(sapply(1:imp$m, function(i) { cd <- complete(imp, i); sd(cd[[v]][cd$subtype == g]) })))
  t1[[v]] <- list(statistic = pl$statistic[2], df = pl$df[2], p_value = pl$p_value[2], fmi = pl$fmi[2],
                  mean = unname(means), sd = unname(sds), levels = levels(d$subtype))
}
out$table_one <- t1
cors <- list()
pairs <- list(c("suvr_s1", "fss", ""), c("conn_s1__thalamus", "fss", ""), c("suvr_s1", "paindetect", "protocol"),
              c("conn_s1__thalamus", "bpi_severity", "protocol+age"))
for (pr in pairs) {
  rs <- c(); k <- 0; n <- nrow(d)
  for (i in 1:imp$m) {
    cd <- complete(imp, i)
    if (pr[3] == "") { r <- cor(cd[[pr[1]]], cd[[pr[2]]]) } else {
      M <- model.matrix(as.formula(paste("~", pr[3])), cd); k <- ncol(M) - 1
      r <- cor(resid(lm(cd[[pr[1]]] ~ M - 1)), resid(lm(cd[[pr[2]]] ~ M - 1)))
    }
    rs <- c(rs, r)
  }
  ps <- pool.scalar(atanh(rs), rep(1 / (n - 3 - k), imp$m))
  se <- sqrt(ps$t); q <- qt(0.975, ps$df)
  cors[[paste(pr, collapse = "|")]] <- list(x = pr[1], y = pr[2], covariates = pr[3], k = k,
      r = tanh(ps$qbar), z = ps$qbar, t = ps$t, df = ps$df, fmi = ps$fmi,
      conf_low = tanh(ps$qbar - q * se), conf_high = tanh(ps$qbar + q * se),
      p_value = 2 * pt(-abs(ps$qbar / se), ps$df))
}
out$correlate <- cors
out$versions <- list(R = R.version.string, mice = as.character(packageVersion("mice")),
                     mitml = as.character(packageVersion("mitml")))
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), "mice.json")
