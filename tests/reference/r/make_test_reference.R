# Reference significance tests from R's survey package, for tests/test_survey_tests.py.
# Not run in CI (CI has no R). Regenerate after the embedded sample, the codebook or the cases change:
#   apt-get install --no-install-recommends r-base-core r-cran-survey r-cran-haven
#   Rscript tests/reference/r/make_test_reference.R
# Generated with R 4.2.2 (2022-11-10 r83330), survey 4.1.1 and haven 2.5.1; the script prints the versions it ran with.
# Takes about 5 s.
#
# Reads tests/reference/r_test_cases.csv (one row per case: comparison, respondent_group, item_id,
# answer_code, method), the .sav files of data/sample with haven and the codebook seeds, rakes its own
# weights with survey::rake (as make_weights_reference.R; mean 1 within wave and group; weight 1 for a
# group without a population file) and writes tests/reference/r_tests.csv:
#   case_id, n_a, n_b, statistic, df_num, df_den, p_value,
#   value_a, value_b, difference, se_difference, cohens_d
# with 17 significant digits; NA where a quantity does not apply or R cannot compute it.
#
# Designs (complete cases of the item only; weights fixed):
#   comparison = wave:        both waves pooled, svydesign(ids = ~1, strata = ~wave, weights = ~weight);
#                             groups 2016 (a) and 2019 (b).
#   comparison = kindcentrum: wave 2019 only, noemer == 3 (b) against the other answered codes (a),
#                             svydesign(ids = ~1, weights = ~weight).
# answer_code empty: the item as it is (the whole question, or the 0/1 item); a code: the 2x2 of that
# code against the rest. Shares (a code, or a 0/1 item) and means come from svyby(svymean) with the
# difference b - a and its standard error from svycontrast; cohens_d for svyttest cases is the
# difference over the pooled svyvar standard deviation of the groups.
suppressPackageStartupMessages({
  library(haven)
  library(survey)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- normalizePath(file.path(dirname(script), "..", "..", ".."))
sample_dir <- file.path(root, "data", "sample")
seeds_dir <- file.path(root, "dbt", "seeds")
cases_file <- file.path(root, "tests", "reference", "r_test_cases.csv")
out <- file.path(root, "tests", "reference", "r_tests.csv")

variables <- read.csv(file.path(seeds_dir, "codebook_variables.csv"), stringsAsFactors = FALSE)
recodes <- read.csv(file.path(seeds_dir, "codebook_recodes.csv"), stringsAsFactors = FALSE)
cases <- read.csv(cases_file, stringsAsFactors = FALSE, colClasses = c(answer_code = "character"))

source(file.path(dirname(script), "raking.R"))

# Harmonised answers of one wave and group: one column per item_id, plus the weight.
read_wave_group <- function(wave, group) {
  respondents <- as.data.frame(zap_labels(read_sav(file.path(sample_dir, "waves", wave, paste0(group, ".sav")))))
  rows <- variables[variables$wave == as.integer(wave) & variables$respondent_group == group, ]
  answers <- data.frame(row.names = seq_len(nrow(respondents)))
  for (i in seq_len(nrow(rows))) {
    codes <- recodes[recodes$wave == as.integer(wave) & recodes$question_id == rows$question_id[i], ]
    answers[[rows$item_id[i]]] <- codes$answer_code[match(respondents[[rows$raw_variable[i]]], codes$raw_code)]
  }
  answers$weight <- raking_weights(sample_dir, respondents, wave, group)
  answers
}

cache <- list()
wave_group <- function(wave, group) {
  key <- paste(wave, group)
  if (is.null(cache[[key]])) cache[[key]] <<- read_wave_group(wave, group)
  cache[[key]]
}

# The complete cases of one case with columns y (answer or 0/1 indicator), grp, weight, wave.
case_data <- function(case) {
  item <- case$item_id
  if (case$comparison == "wave") {
    parts <- lapply(c("2016", "2019"), function(wave) {
      answers <- wave_group(wave, case$respondent_group)
      data.frame(y = answers[[item]], grp = as.integer(wave), weight = answers$weight, wave = as.integer(wave))
    })
    data <- do.call(rbind, parts)
  } else if (case$comparison == "kindcentrum") {
    answers <- wave_group("2019", case$respondent_group)
    data <- data.frame(y = answers[[item]], grp = answers$noemer == 3, weight = answers$weight, wave = 2019L)
  } else {
    stop("unknown comparison ", case$comparison)
  }
  if (is.null(data$y)) stop("item ", item, " not found for case ", case$case_id)
  data <- data[!is.na(data$y) & !is.na(data$grp), ]
  if (nzchar(case$answer_code)) data$y <- as.integer(data$y == as.integer(case$answer_code))
  # A factor: svyttest refuses a group coded 2016/2019 ("group must be binary"); levels sort as a, b.
  data$grp <- factor(data$grp)
  data
}

make_design <- function(case, data) {
  if (case$comparison == "wave") {
    svydesign(ids = ~1, strata = ~wave, weights = ~weight, data = data)
  } else {
    svydesign(ids = ~1, weights = ~weight, data = data)
  }
}

# R errors (or silently switches test) on a table with one row; record NA, as the Python side does.
quietly <- function(expr) tryCatch(suppressWarnings(expr), error = function(e) NULL)

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

run_case <- function(case) {
  data <- case_data(case)
  design <- make_design(case, data)
  result <- list(
    case_id = case$case_id,
    n_a = sum(data$grp == levels(data$grp)[1]), n_b = sum(data$grp == levels(data$grp)[2]),
    statistic = NA, df_num = NA, df_den = NA, p_value = NA,
    value_a = NA, value_b = NA, difference = NA, se_difference = NA, cohens_d = NA
  )
  if (case$method == "rao_scott_f") {
    test <- quietly(svychisq(~y + grp, design, statistic = "F"))
    if (!is.null(test) && length(unique(data$y)) > 1) {
      result$statistic <- unname(test$statistic)
      result$df_num <- unname(test$parameter["ndf"])
      result$df_den <- unname(test$parameter["ddf"])
      result$p_value <- test$p.value
    }
  } else if (case$method == "pearson_weighted") {
    table <- xtabs(weight ~ y + grp, data = data)
    # chisq.test turns a one-row table into a goodness-of-fit test against equal shares: not this test.
    if (min(dim(table)) > 1) {
      test <- chisq.test(table, correct = FALSE)
      result$statistic <- unname(test$statistic)
      result$df_num <- unname(test$parameter)
      result$p_value <- test$p.value
    }
  } else if (case$method == "svyttest") {
    test <- quietly(svyttest(y ~ grp, design))
    if (!is.null(test)) {
      result$statistic <- unname(test$statistic)
      result$df_num <- unname(test$parameter)
      result$p_value <- test$p.value
    }
  } else {
    stop("unknown method ", case$method)
  }
  is_share <- all(data$y %in% c(0, 1))
  if (case$method == "svyttest" || is_share) {
    # covmat = TRUE: without it svycontrast silently drops the covariance of the two groups.
    by_group <- svyby(~y, ~grp, design, svymean, covmat = TRUE)
    contrast <- svycontrast(by_group, c(-1, 1))
    result$value_a <- unname(coef(by_group)[1])
    result$value_b <- unname(coef(by_group)[2])
    result$difference <- unname(coef(contrast))
    result$se_difference <- unname(SE(contrast))
    if (case$method == "svyttest") {
      variances <- quietly(coef(svyby(~y, ~grp, design, svyvar)))
      n <- c(result$n_a, result$n_b)
      if (is.numeric(variances) && length(variances) == 2) {
        pooled_sd <- sqrt(sum((n - 1) * variances) / (sum(n) - 2))
        if (pooled_sd > 0) result$cohens_d <- result$difference / pooled_sd
      }
    }
  }
  result
}

results <- lapply(split(cases, seq_len(nrow(cases))), run_case)
table <- do.call(rbind, lapply(results, function(r) {
  data.frame(
    case_id = r$case_id, n_a = r$n_a, n_b = r$n_b,
    statistic = fmt(r$statistic), df_num = fmt(r$df_num), df_den = fmt(r$df_den), p_value = fmt(r$p_value),
    value_a = fmt(r$value_a), value_b = fmt(r$value_b), difference = fmt(r$difference),
    se_difference = fmt(r$se_difference), cohens_d = fmt(r$cohens_d)
  )
}))
write.csv(table, out, row.names = FALSE, quote = FALSE, na = "NA")
cat(
  "wrote", nrow(table), "cases to", out, "with", R.version.string, "and survey",
  as.character(packageVersion("survey")), "\n"
)
