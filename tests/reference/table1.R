# Reference values for neuroimmune_stats.table_one (tests/test_table1.py).
# R 4.2.2 Patched (2022-11-10 r83330), jsonlite 1.8.4 (Debian r-cran-* packages); base stats only otherwise.
#
# Input: table1_input.csv (54 rows), written once by this Python snippet (numpy 2.4, pandas 3.1):
#   rng = np.random.default_rng(20221); n = 54
#   subtype = 26 x "axial" + 28 x "radicular"; protocol = 10 x 1, 16 x 2, 15 x 1, 13 x 2; rad = subtype == "radicular"
#   sex = rng.choice(["F", "M"], n, p=[0.57, 0.43]); tspo_genotype = rng.choice(["HAB", "MAB"], n, p=[0.8, 0.2])
#   handedness = rng.choice(["left", "right", "ambidextrous"], n, p=[0.2, 0.7, 0.1])
#   age = round(normal(46 + 4 rad, 15)); bmi = round(normal(24 + 4 rad, 4.4), 1)
#   paindetect = clip(round(normal(8.4 + 4 rad, 4.5)), -1, 38)
#   paindetect[rng.choice(n, 10, replace=False)] = NA; sex[rows 3, 40 (0-based)] = NA; bmi[row 7] = NA
#   df.to_csv("table1_input.csv", index=False, na_rep="NA")
#
# Output: table1.json, one record per variable x stratum ("combined", "1", "2" = protocol) with
#   continuous:  per group n, mean, sd (complete cases of that variable) and
#                t.test(var.equal = TRUE) and t.test(var.equal = FALSE): statistic, df, p
#   categorical: per group x level counts and chisq.test(table, correct = FALSE): statistic, df, p
#                (levels not observed in the stratum are dropped before the test, as droplevels)
# Full precision (jsonlite digits = NA).
# Run: Rscript tests/reference/table1.R   (from the repository root; < 1 s)
suppressPackageStartupMessages(library(jsonlite))
here <- "tests/reference"
d <- read.csv(file.path(here, "table1_input.csv"), stringsAsFactors = FALSE,
              colClasses = c(subject_id = "character", protocol = "character"))
d$subtype <- factor(d$subtype, levels = c("axial", "radicular"))
continuous <- c("age", "bmi", "paindetect")
categorical <- c("sex", "tspo_genotype", "handedness")
strata <- list(combined = rep(TRUE, nrow(d)), "1" = d$protocol == "1", "2" = d$protocol == "2")

ttest <- function(x, g, equal) {
  r <- t.test(x[g == "radicular"], x[g == "axial"], var.equal = equal)
  list(statistic = unname(r$statistic), df = unname(r$parameter), p_value = r$p.value)
}

out <- list()
for (s in names(strata)) {
  sub <- d[strata[[s]], ]
  for (v in continuous) {
    ok <- !is.na(sub[[v]])
    x <- sub[[v]][ok]
    g <- sub$subtype[ok]
    groups <- lapply(levels(d$subtype), function(l) {
      list(group = l, n = sum(g == l), mean = mean(x[g == l]), sd = sd(x[g == l]))
    })
    out[[length(out) + 1]] <- list(
      variable = v, stratum = s, kind = "continuous", groups = groups,
      student = ttest(x, g, TRUE), welch = ttest(x, g, FALSE))
  }
  for (v in categorical) {
    ok <- !is.na(sub[[v]])
    tab <- table(factor(sub[[v]][ok]), sub$subtype[ok])
    r <- suppressWarnings(chisq.test(tab, correct = FALSE))
    counts <- lapply(seq_len(nrow(tab)), function(i) {
      lapply(seq_len(ncol(tab)), function(j) {
        list(level = rownames(tab)[i], group = colnames(tab)[j], count = tab[i, j])
      })
    })
    out[[length(out) + 1]] <- list(
      variable = v, stratum = s, kind = "categorical", counts = unlist(counts, recursive = FALSE),
      chisq = list(statistic = unname(r$statistic), df = unname(r$parameter), p_value = r$p.value))
  }
}
writeLines(toJSON(out, auto_unbox = TRUE, digits = NA, pretty = TRUE), file.path(here, "table1.json"))
