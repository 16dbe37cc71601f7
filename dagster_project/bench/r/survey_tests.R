# The statistics stage's significance tests run again in R's survey package: the baseline of `make bench`.
# Called by dagster_project/bench/r_baseline.py, which writes the inputs and joins the output:
#   Rscript dagster_project/bench/r/survey_tests.R ANSWERS PLAN RESULTS TIMING
#
# ANSWERS (CSV): one row per respondent and item answered, as intermediate.int_significance_answers has
#   them: wave, respondent_group, item_id, y (the answer code, or the grade's value), weight,
#   is_kindcentrum (1, 0, or empty where the respondent was not asked or did not answer).
# PLAN (CSV): one row per test the warehouse ran with its default method (tested rows only): test_id,
#   unit (one comparison of one item: the tests of a unit share one design), comparison ("wave" or
#   "kindcentrum"), respondent_group, wave_from, wave_to (the wave itself for a kindcentrum comparison),
#   item_id, method ("rao_scott_f" or "svyttest") and codes: empty for the whole question (the answer
#   table as it is) and for the grade; else the answer codes, separated by ";", tested as 1 against 0
#   for the rest (one code, a combined answer, or 1 of a multiple-answer option).
# RESULTS (CSV): test_id, the plan's keys (comparison ... method), then n_a, n_b, statistic, df_num,
#   df_den, p_value with 17 significant digits, NA where R has no test.
# TIMING (CSV, one row): read_seconds, prepare_seconds, test_seconds, tests, r_version, survey_version.
#
# The designs are those of tests/reference/r/make_test_reference.R, the reference the Python tests are
# checked against (complete cases of the item; weights fixed; no clusters):
#   wave:        both waves pooled, svydesign(ids = ~1, strata = ~wave, weights = ~weight), groups the
#                earlier (a) and the later wave (b);
#   kindcentrum: one wave, the respondents with a kindcentrum flag, svydesign(ids = ~1, weights = ~weight),
#                groups FALSE (a) and TRUE (b).
# rao_scott_f is svychisq(~y + grp, design, statistic = "F"); svyttest is svyttest(y ~ grp, design).
#
# Only the loop over the tests is timed (test_seconds): per comparison of an item, its rows taken from
# the item's answers, the design, and its tests. Reading the CSV (read_seconds) and splitting the answers
# by group and item and the plan by unit (prepare_seconds) are timed apart, as the Python side's figure
# excludes reading the warehouse's answers too (it reads cell sums).
suppressPackageStartupMessages(library(survey))

args <- commandArgs(trailingOnly = TRUE)
if (length(args) != 4) stop("usage: Rscript survey_tests.R ANSWERS PLAN RESULTS TIMING")
answers_file <- args[1]
plan_file <- args[2]
results_file <- args[3]
timing_file <- args[4]
for (path in c(answers_file, plan_file)) if (!file.exists(path)) stop("input file not found: ", path)

elapsed <- function() proc.time()[["elapsed"]]

# data.table's reader where it is installed: read.csv takes minutes and gigabytes at scale 100.
read_table <- function(path, classes) {
  if (requireNamespace("data.table", quietly = TRUE)) {
    as.data.frame(data.table::fread(path, colClasses = classes, na.strings = c("", "NA"), showProgress = FALSE))
  } else {
    read.csv(path, colClasses = classes, na.strings = c("", "NA"), stringsAsFactors = FALSE)
  }
}

started <- elapsed()
answers <- read_table(answers_file, c(
  wave = "integer", respondent_group = "character", item_id = "character", y = "numeric",
  weight = "numeric", is_kindcentrum = "integer"
))
plan <- read_table(plan_file, c(
  test_id = "integer", unit = "integer", comparison = "character", respondent_group = "character",
  wave_from = "integer", wave_to = "integer", item_id = "character", method = "character",
  codes = "character"
))
read_seconds <- elapsed() - started

started <- elapsed()
# Row numbers of each group's answers to each item, and the plan by unit: looked up in the loop.
key <- function(group, item) paste(group, item, sep = "\r")
rows_of_item <- split(seq_len(nrow(answers)), key(answers$respondent_group, answers$item_id))
units <- split(plan, plan$unit)
codes_of <- lapply(plan$codes, function(codes) {
  if (is.na(codes) || !nzchar(codes)) NULL else as.numeric(strsplit(codes, ";", fixed = TRUE)[[1]])
})
names(codes_of) <- plan$test_id
answers <- answers[, c("wave", "y", "weight", "is_kindcentrum")]
prepare_seconds <- elapsed() - started

# R errors on a table it cannot test (a stratum of one respondent, one group only); NA, as Python's NaN.
quietly <- function(expr) tryCatch(suppressWarnings(expr), error = function(e) NULL)

results <- vector("list", nrow(plan))
done <- 0L
started <- elapsed()
for (unit in units) {
  first <- unit[1, ]
  item_rows <- rows_of_item[[key(first$respondent_group, first$item_id)]]
  if (is.null(item_rows)) stop("no answers for ", first$respondent_group, " ", first$item_id)
  chunk <- answers[item_rows, ]
  if (first$comparison == "wave") {
    data <- chunk[chunk$wave == first$wave_from | chunk$wave == first$wave_to, ]
    # A factor: svyttest refuses a group coded 2016/2019 ("group must be binary"); levels sort as a, b.
    data$grp <- factor(data$wave)
    design <- svydesign(ids = ~1, strata = ~wave, weights = ~weight, data = data)
  } else if (first$comparison == "kindcentrum") {
    data <- chunk[chunk$wave == first$wave_from & !is.na(chunk$is_kindcentrum), ]
    data$grp <- factor(data$is_kindcentrum == 1L, levels = c(FALSE, TRUE))
    design <- svydesign(ids = ~1, weights = ~weight, data = data)
  } else {
    stop("unknown comparison ", first$comparison)
  }
  n_a <- sum(data$grp == levels(data$grp)[1])
  n_b <- sum(data$grp == levels(data$grp)[2])
  for (i in seq_len(nrow(unit))) {
    test_id <- unit$test_id[i]
    method <- unit$method[i]
    codes <- codes_of[[as.character(test_id)]]
    test <- NULL
    if (method == "svyttest") {
      test <- quietly(svyttest(y ~ grp, design))
    } else if (method == "rao_scott_f") {
      tested <- if (is.null(codes)) design else update(design, y = as.integer(y %in% codes))
      # A constant item has no table: R would test a one-row table or stop, the warehouse has no test.
      if (length(unique(tested$variables$y)) > 1) {
        test <- quietly(svychisq(~ y + grp, tested, statistic = "F"))
      }
    } else {
      stop("unknown method ", method)
    }
    result <- list(test_id = test_id, n_a = n_a, n_b = n_b, statistic = NA, df_num = NA, df_den = NA, p_value = NA)
    if (!is.null(test)) {
      result$statistic <- unname(test$statistic)
      result$p_value <- unname(test$p.value)
      if (method == "svyttest") {
        result$df_num <- unname(test$parameter)
      } else {
        result$df_num <- unname(test$parameter["ndf"])
        result$df_den <- unname(test$parameter["ddf"])
      }
    }
    done <- done + 1L
    results[[done]] <- result
  }
}
test_seconds <- elapsed() - started

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
column <- function(name) vapply(results, function(r) as.numeric(r[[name]]), numeric(1))
table <- data.frame(
  test_id = column("test_id"), n_a = column("n_a"), n_b = column("n_b"),
  statistic = fmt(column("statistic")), df_num = fmt(column("df_num")), df_den = fmt(column("df_den")),
  p_value = fmt(column("p_value"))
)
# The plan's keys beside R's figures, so that the file reads on its own; r_baseline.py joins on test_id.
keys <- c("comparison", "respondent_group", "wave_from", "wave_to", "item_id", "codes", "method")
table <- merge(plan[, c("test_id", keys)], table, by = "test_id", sort = TRUE)
write.csv(table, results_file, row.names = FALSE, na = "", quote = match(keys[-(3:4)], names(table)))
write.csv(
  data.frame(
    read_seconds = read_seconds, prepare_seconds = prepare_seconds, test_seconds = test_seconds,
    tests = nrow(table), r_version = paste(R.version$major, R.version$minor, sep = "."),
    survey_version = as.character(packageVersion("survey"))
  ),
  timing_file,
  row.names = FALSE
)
cat(sprintf("%d tests in %.2f s (R %s, survey %s)\n", nrow(table), test_seconds, getRversion(), packageVersion("survey")))
