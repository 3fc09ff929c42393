# Reference values for moderation() and moderated mediate() (tests/test_moderation*.py).
#
#   Rscript tests/reference/moderation.R   (from the repository root; writes moderation.json)
#
# Every number comes from the R function our result claims to follow:
#   * lm() for every equation of PROCESS models 1, 7, 8, 14, 15, 58, 59 (paths and interactions),
#   * sandwich::vcovHC(fit, type = "HC0".."HC4") and lmtest::coeftest() for HC inference,
#   * emmeans::emtrends() for the conditional effect of X at values of W (classical and HC3),
#   * the Johnson-Neyman boundaries as the roots (uniroot) of emtrends' t statistic = critical t,
#   * boot::boot() case resampling (R = 20000) of the conditional indirect effects and the index.
suppressPackageStartupMessages({
  library(jsonlite); library(sandwich); library(lmtest); library(emmeans); library(boot)
})
emm_options(msg.interaction = FALSE, msg.nesting = FALSE)

d <- read.csv("tests/reference/moderation_input.csv", stringsAsFactors = FALSE)
d$subtype <- factor(d$subtype, levels = c("axial", "radicular"))
d$protocol <- factor(d$protocol)
X <- "suvr_s1"; M <- "fss"; Y <- "conn_s1__thalamus"; COV <- c("age", "protocol")
cc <- d[complete.cases(d[, c(X, M, Y, "bmi", "subtype", COV)]), ]

fit_info <- function(fit) {
  out <- list(coef = as.list(coef(fit)), names = names(coef(fit)), df = fit$df.residual,
              vcov = unname(vcov(fit)))
  for (h in c("HC0", "HC1", "HC2", "HC3", "HC4")) {
    V <- vcovHC(fit, type = h)
    ct <- coeftest(fit, vcov. = V)
    out[[tolower(h)]] <- list(vcov = unname(V), se = unname(ct[, 2]), t = unname(ct[, 3]), p = unname(ct[, 4]))
  }
  out
}

rhs <- function(terms) paste(c(terms, COV), collapse = " + ")

equations <- function(w, moderate) {
  mt <- if ("a" %in% moderate) c(X, w, paste0(X, ":", w)) else X
  yt <- c(X, M)
  if (any(c("b", "c_prime") %in% moderate)) yt <- c(yt, w)
  if ("c_prime" %in% moderate) yt <- c(yt, paste0(X, ":", w))
  if ("b" %in% moderate) yt <- c(yt, paste0(M, ":", w))
  list(m = as.formula(paste(M, "~", rhs(mt))), y = as.formula(paste(Y, "~", rhs(yt))))
}

wvalues <- function(data, w) {
  if (w == "subtype") return(levels(data$subtype))
  v <- data[[w]]; c(mean(v) - sd(v), mean(v), mean(v) + sd(v))
}

coef_at <- function(cf, base, inter, w, wv) {
  # coefficient of `base` at W = wv: base + inter * wv (numeric) or + inter (factor level != ref)
  b <- cf[[base]]
  if (w == "subtype") {
    nm <- paste0(inter, "subtyperadicular")
    if (!is.null(cf[[nm]]) && !is.na(cf[[nm]]) && wv == "radicular") b <- b + cf[[nm]]
  } else {
    nm <- paste0(inter, w)
    if (!is.null(cf[[nm]]) && !is.na(cf[[nm]])) b <- b + cf[[nm]] * wv
  }
  b
}

effects <- function(fm, fy, w, moderate, wv) {
  cm <- as.list(coef(fm)); cy <- as.list(coef(fy))
  a <- sapply(wv, function(v) coef_at(cm, X, paste0(X, ":"), w, v))
  b <- sapply(wv, function(v) coef_at(cy, M, paste0(M, ":"), w, v))
  direct <- sapply(wv, function(v) coef_at(cy, X, paste0(X, ":"), w, v))
  out <- list(indirect = a * b, direct = direct)
  wn <- if (w == "subtype") "subtyperadicular" else w
  if (xor("a" %in% moderate, "b" %in% moderate)) {
    out$index <- if ("a" %in% moderate) cm[[paste0(X, ":", wn)]] * cy[[M]] else cm[[X]] * cy[[paste0(M, ":", wn)]]
  }
  if (w == "subtype") out$difference <- out$indirect[2] - out$indirect[1]
  out
}

models <- list("7" = c("a"), "8" = c("a", "c_prime"), "14" = c("b"), "15" = c("b", "c_prime"),
               "58" = c("a", "b"), "59" = c("a", "b", "c_prime"))
res <- list(n = nrow(cc), x = X, m = M, y = Y, covariates = COV, mediation = list(), moderation = list(),
            bootstrap = list())
for (w in c("bmi", "subtype")) {
  wv <- wvalues(cc, w)
  for (mod in names(models)) {
    eqs <- equations(w, models[[mod]])
    fm <- lm(eqs$m, data = cc); fy <- lm(eqs$y, data = cc)
    res$mediation[[paste0(mod, "_", w)]] <- list(
      model = as.integer(mod), w = w, moderate = models[[mod]], w_values = wv,
      m = fit_info(fm), y = fit_info(fy), effects = effects(fm, fy, w, models[[mod]], wv))
  }
  # PROCESS model 1: Y ~ X * W + covariates
  f1 <- lm(as.formula(paste(Y, "~", rhs(c(X, w, paste0(X, ":", w))))), data = cc)
  at <- if (w == "subtype") list() else setNames(list(wv), w)
  et <- function(V) {
    e <- if (is.null(V)) emtrends(f1, as.formula(paste("~", w)), var = X, at = at)
         else emtrends(f1, as.formula(paste("~", w)), var = X, at = at, vcov. = V)
    s <- summary(e, infer = c(TRUE, TRUE))
    list(estimate = s[[paste0(X, ".trend")]], se = s$SE, df = s$df, t = s$t.ratio, p = s$p.value,
         lower = s$lower.CL, upper = s$upper.CL)
  }
  one <- list(w = w, w_values = wv, fit = fit_info(f1), conditional = et(NULL),
              conditional_hc3 = et(vcovHC(f1, type = "HC3")))
  red <- lm(as.formula(paste(Y, "~", rhs(c(X, w)))), data = cc)
  one$r2_change <- summary(f1)$r.squared - summary(red)$r.squared
  one$anova_F <- anova(red, f1)$F[2]
  if (w != "subtype") {
    tfun <- function(v, V) {
      e <- if (is.null(V)) emtrends(f1, as.formula(paste("~", w)), var = X, at = setNames(list(v), w))
           else emtrends(f1, as.formula(paste("~", w)), var = X, at = setNames(list(v), w), vcov. = V)
      summary(e, infer = c(FALSE, TRUE))$t.ratio
    }
    jn <- function(V, alpha) {
      tc <- qt(1 - alpha / 2, f1$df.residual)
      grid <- seq(min(cc[[w]]), max(cc[[w]]), length.out = 400)
      g <- sapply(grid, function(v) tfun(v, V)^2 - tc^2)
      roots <- c()
      for (i in which(diff(sign(g)) != 0)) {
        roots <- c(roots, uniroot(function(v) tfun(v, V)^2 - tc^2, c(grid[i], grid[i + 1]), tol = 1e-13)$root)
      }
      roots
    }
    one$jn_05 <- jn(NULL, 0.05)
    one$jn_10 <- jn(NULL, 0.10)
    one$jn_05_hc3 <- jn(vcovHC(f1, type = "HC3"), 0.05)
  }
  res$moderation[[w]] <- one
}

# case-resampling bootstrap of models 7 and 14 (both W), many resamples
set.seed(20261201)
B <- 20000
for (w in c("bmi", "subtype")) {
  wv <- wvalues(cc, w)
  for (mod in c("7", "14")) {
    eqs <- equations(w, models[[mod]])
    Xm <- model.matrix(eqs$m, cc); Xy <- model.matrix(eqs$y, cc)
    ym <- cc[[M]]; yy <- cc[[Y]]
    stat <- function(data, idx) {
      cm <- as.list(setNames(lm.fit(Xm[idx, , drop = FALSE], ym[idx])$coefficients, colnames(Xm)))
      cy <- as.list(setNames(lm.fit(Xy[idx, , drop = FALSE], yy[idx])$coefficients, colnames(Xy)))
      a <- sapply(wv, function(v) coef_at(cm, X, paste0(X, ":"), w, v))
      b <- sapply(wv, function(v) coef_at(cy, M, paste0(M, ":"), w, v))
      wn <- if (w == "subtype") "subtyperadicular" else w
      idx_mm <- if (mod == "7") cm[[paste0(X, ":", wn)]] * cy[[M]] else cm[[X]] * cy[[paste0(M, ":", wn)]]
      c(a * b, idx_mm)
    }
    bt <- boot(cc, stat, R = B)
    t <- bt$t
    ok <- apply(is.finite(t), 1, all)
    t <- t[ok, , drop = FALSE]
    res$bootstrap[[paste0(mod, "_", w)]] <- list(
      model = as.integer(mod), w = w, B = nrow(t), estimate = unname(bt$t0),
      se = unname(apply(t, 2, sd)),
      q025 = unname(apply(t, 2, quantile, 0.025)), q975 = unname(apply(t, 2, quantile, 0.975)),
      terms = c(rep("indirect", length(wv)), "index_moderated_mediation"))
  }
}
write_json(res, "tests/reference/moderation.json", digits = NA, auto_unbox = TRUE)
cat("wrote tests/reference/moderation.json\n")
