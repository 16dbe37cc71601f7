# Reference figures under R's calibrated (raked) design, for tests/test_calibrated_variance.py.
# Not run in CI (CI has no R). Regenerate after the sample, the codebook or the cases change:
#   apt-get install --no-install-recommends r-base-core r-cran-survey r-cran-haven r-cran-mass
#   Rscript tests/reference/r/make_calibrated_reference.R                    # the embedded sample
#   Rscript tests/reference/r/make_calibrated_reference.R DIR seed5309       # another sample in DIR
# Generated with R 4.2.2, survey 4.1.1 and haven 2.5.1; the script prints the versions it ran with.
# The second sample is seed 5309 of the generator, kept as tests/reference/r/seed5309_sample.tar.gz
# (`python -m dagster_project.sample_data --out DIR --seed 5309`, packed with `tar czf ... -C DIR .`)
# so that a change of the generator does not change the reference.
#
# Writes, for a sample in DIR (default data/sample) and a suffix S (default none):
#   tests/reference/r_calibrated_tests[_S].csv: the cases of r_test_cases.csv with method rao_scott_f
#     or svyttest, under the calibrated design: case_id, n_a, n_b, statistic, df_num, df_den, p_value,
#     value_a, value_b, difference, se_difference (17 significant digits; NA where R has none);
#   tests/reference/r_calibrated_shares[_S].csv: every wave, group, item and answer code chosen (the
#     share, 0/1 items as their code 1 and 0) and every numeric item (the mean, answer_code NA):
#     wave, respondent_group, item_id, answer_code, estimate, standard_error, n_domain.
#
# The designs. One wave and group: every respondent of the file, calibrated to its population margins,
#   calibrate(svydesign(ids = ~1, weights = ~1, data), ~ v1 + v2, population = margins,
#             calfun = "raking", epsilon = 1e-13, maxit = 500)
# (population: the total and the count of every category but the first, in model.matrix's names,
# scaled to the wave's respondents so that the weights are the warehouse's, mean 1 within wave).
# Both waves pooled (a wave change): rbind of two calibrated designs is not possible in R, so one
# design of both waves' respondents, wave as stratum, calibrated to the margins crossed with wave:
#   calibrate(svydesign(ids = ~1, strata = ~wave, weights = ~1, data), ~ wave + wave:v1 + wave:v2,
#             population = c(respondents of both waves, respondents of the later wave,
#                            every wave's count of every category but the first, scaled to the
#                            wave's respondents), calfun = "raking", epsilon = 1e-13, maxit = 500)
# which rakes each wave to its own margins and regresses the influence values on each wave's own.
# A share or mean is a domain mean, svymean(~y, subset(design, answered), na.rm = TRUE); the tests are
# svychisq(~y + grp, subset(design, answered and grp known), statistic = "F") and
# svyttest(y ~ grp, subset(...)). A group without a population file is not calibrated:
# svydesign(ids = ~1, weights = ~1, data), whose subset is the complete cases.
suppressPackageStartupMessages({
  library(haven)
  library(survey)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- normalizePath(file.path(dirname(script), "..", "..", ".."))
trailing <- commandArgs(trailingOnly = TRUE)
sample_dir <- if (length(trailing) >= 1) normalizePath(trailing[1]) else file.path(root, "data", "sample")
suffix <- if (length(trailing) >= 2) paste0("_", trailing[2]) else ""
seeds_dir <- file.path(root, "dbt", "seeds")
reference_dir <- file.path(root, "tests", "reference")

variables <- read.csv(file.path(seeds_dir, "codebook_variables.csv"), stringsAsFactors = FALSE)
recodes <- read.csv(file.path(seeds_dir, "codebook_recodes.csv"), stringsAsFactors = FALSE)
questions <- read.csv(file.path(seeds_dir, "codebook_questions.csv"), stringsAsFactors = FALSE)
cases <- read.csv(file.path(reference_dir, "r_test_cases.csv"), stringsAsFactors = FALSE,
                  colClasses = c(answer_code = "character"))
cases <- cases[cases$method %in% c("rao_scott_f", "svyttest"), ]

population_of <- function(wave, group) {
  file <- file.path(sample_dir, "population", wave, paste0(group, ".csv"))
  if (file.exists(file)) read.csv(file) else NULL
}

# Harmonised answers of one wave and group (one column per item_id) with the stratification variables
# as factors, named s_<variable>.
read_wave_group <- function(wave, group) {
  respondents <- as.data.frame(zap_labels(read_sav(file.path(sample_dir, "waves", wave, paste0(group, ".sav")))))
  rows <- variables[variables$wave == as.integer(wave) & variables$respondent_group == group, ]
  answers <- data.frame(row.names = seq_len(nrow(respondents)))
  for (i in seq_len(nrow(rows))) {
    codes <- recodes[recodes$wave == as.integer(wave) & recodes$question_id == rows$question_id[i], ]
    answers[[rows$item_id[i]]] <- codes$answer_code[match(respondents[[rows$raw_variable[i]]], codes$raw_code)]
  }
  population <- population_of(wave, group)
  for (variable in unique(population$variable)) {
    answers[[paste0("s_", variable)]] <- factor(respondents[[variable]], levels = sort(unique(population$category[population$variable == variable])))
  }
  answers$wave <- factor(as.integer(wave))
  answers
}

cache <- list()
wave_group <- function(wave, group) {
  key <- paste(wave, group)
  if (is.null(cache[[key]])) cache[[key]] <<- read_wave_group(wave, group)
  cache[[key]]
}

# The calibrated design of the respondents of `waves` (one or two) of a group.
calibrated_design <- function(data, waves, group) {
  population <- population_of(waves[1], group)
  pooled <- length(waves) > 1
  if (is.null(population)) {
    return(if (pooled) svydesign(ids = ~1, strata = ~wave, weights = ~1, data = data)
           else svydesign(ids = ~1, weights = ~1, data = data))
  }
  strata_variables <- paste0("s_", unique(population$variable))
  if (pooled) {
    formula <- as.formula(paste("~ wave +", paste0("wave:", strata_variables, collapse = " + ")))
    design <- svydesign(ids = ~1, strata = ~wave, weights = ~1, data = data)
  } else {
    formula <- as.formula(paste("~", paste(strata_variables, collapse = " + ")))
    design <- svydesign(ids = ~1, weights = ~1, data = data)
  }
  columns <- colnames(model.matrix(formula, data))
  # Each wave's margins scaled to its respondents: the calibrated weights are then the warehouse's
  # `weight` (mean 1 within wave and group), which is how the fixed-weight tests pool two waves.
  # (Calibrating to the population counts themselves weighs each wave by its population instead; it
  # changes no variance of one wave, but moves a pooled Rao-Scott F by about 3e-5 relative.)
  respondents <- sapply(waves, function(w) sum(as.character(data$wave) == w))
  margins <- setNames(numeric(length(columns)), columns)
  margins["(Intercept)"] <- sum(respondents)
  for (i in seq_along(waves)) {
    wave_population <- population_of(waves[i], group)
    if (pooled && i > 1) margins[paste0("wave", waves[i])] <- respondents[i]
    for (variable in unique(wave_population$variable)) {
      rows <- wave_population[wave_population$variable == variable, ]
      scale <- respondents[i] / sum(rows$count)
      for (category in sort(rows$category)[-1]) {
        name <- paste0("s_", variable, category)
        if (pooled) name <- paste0("wave", waves[i], ":", name)
        margins[name] <- rows$count[rows$category == category] * scale
      }
    }
  }
  stopifnot(!any(is.na(margins)), all(names(margins) == columns))
  calibrate(design, formula, population = margins, calfun = "raking", epsilon = 1e-13, maxit = 500)
}

quietly <- function(expr) tryCatch(suppressWarnings(expr), error = function(e) NULL)
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

# ---- the test cases -------------------------------------------------------------------------------------

run_case <- function(case) {
  group <- case$respondent_group
  item <- case$item_id
  if (case$comparison == "wave") {
    waves <- c("2016", "2019")
    data <- rbind(wave_group("2016", group), wave_group("2019", group)[, names(wave_group("2016", group))])
    data$grp <- factor(as.integer(as.character(data$wave)))
  } else {
    waves <- "2019"
    data <- wave_group("2019", group)
    data$grp <- factor(data$noemer == 3)
  }
  data$y <- data[[item]]
  if (nzchar(case$answer_code)) data$y <- as.integer(data$y == as.integer(case$answer_code))
  in_domain <- !is.na(data$y) & !is.na(data$grp)
  data$in_domain <- in_domain
  data$y0 <- ifelse(in_domain, data$y, 0)
  design <- calibrated_design(data, waves, group)
  domain <- subset(design, in_domain)
  levels_present <- levels(droplevels(data$grp[in_domain]))
  result <- list(
    case_id = case$case_id,
    n_a = sum(data$grp[in_domain] == levels(data$grp)[1]), n_b = sum(data$grp[in_domain] == levels(data$grp)[2]),
    statistic = NA, df_num = NA, df_den = NA, p_value = NA,
    value_a = NA, value_b = NA, difference = NA, se_difference = NA
  )
  if (case$method == "rao_scott_f") {
    test <- quietly(svychisq(~y + grp, domain, statistic = "F"))
    if (!is.null(test) && length(unique(data$y[in_domain])) > 1) {
      result$statistic <- unname(test$statistic)
      result$df_num <- unname(test$parameter["ndf"])
      result$df_den <- unname(test$parameter["ddf"])
      result$p_value <- test$p.value
    }
  } else {
    test <- quietly(svyttest(y ~ grp, domain))
    if (!is.null(test)) {
      result$statistic <- unname(test$statistic)
      result$df_num <- unname(test$parameter)
      result$p_value <- test$p.value
    }
  }
  if (case$method == "svyttest" || all(data$y[in_domain] %in% c(0, 1))) {
    # svyby(covmat = TRUE) fails on a calibrated subset (its rows outside the domain stay, with weight
    # 0): the means come from svymean per side, the difference's standard error from the coefficient
    # of svyglm(y ~ grp), the same linearised contrast (what svyttest divides by).
    means <- sapply(levels(data$grp), function(level) {
      if (!any(in_domain & !is.na(data$grp) & data$grp == level)) return(NA)
      unname(coef(svymean(~y0, subset(domain, in_domain & !is.na(grp) & grp == level))))
    })
    model <- quietly(svyglm(y ~ grp, domain))
    result$value_a <- means[[1]]
    result$value_b <- means[[2]]
    result$difference <- means[[2]] - means[[1]]
    if (!is.null(model)) result$se_difference <- unname(SE(model)[2])
  }
  result
}

results <- lapply(split(cases, seq_len(nrow(cases))), function(case) {
  tryCatch(run_case(case), error = function(e) stop("case ", case$case_id, ": ", conditionMessage(e)))
})
tests_table <- do.call(rbind, lapply(results, function(r) {
  data.frame(
    case_id = r$case_id, n_a = r$n_a, n_b = r$n_b,
    statistic = fmt(r$statistic), df_num = fmt(r$df_num), df_den = fmt(r$df_den), p_value = fmt(r$p_value),
    value_a = fmt(r$value_a), value_b = fmt(r$value_b), difference = fmt(r$difference),
    se_difference = fmt(r$se_difference)
  )
}))
tests_out <- file.path(reference_dir, paste0("r_calibrated_tests", suffix, ".csv"))
write.csv(tests_table, tests_out, row.names = FALSE, quote = FALSE, na = "NA")

# ---- shares and means of every wave and group -----------------------------------------------------

share_rows <- list()
for (sav in Sys.glob(file.path(sample_dir, "waves", "*", "*.sav"))) {
  wave <- basename(dirname(sav))
  group <- sub("\\.sav$", "", basename(sav))
  data <- wave_group(wave, group)
  design <- calibrated_design(data, wave, group)
  items <- variables[variables$wave == as.integer(wave) & variables$respondent_group == group, ]
  for (i in seq_len(nrow(items))) {
    item <- items$item_id[i]
    type <- questions$question_type[questions$question_id == items$question_id[i]]
    data$y <- data[[item]]
    answered <- !is.na(data$y)
    if (sum(answered) < 2) next
    domain <- subset(update(design, y = data$y), !is.na(y))
    codes <- if (type == "numeric") NA else sort(unique(data$y[answered]))
    for (code in codes) {
      formula <- if (is.na(code)) ~y else as.formula(paste0("~I(as.numeric(y == ", code, "))"))
      estimate <- svymean(formula, domain, na.rm = TRUE)
      share_rows[[length(share_rows) + 1]] <- data.frame(
        wave = as.integer(wave), respondent_group = group, item_id = item,
        answer_code = if (is.na(code)) "NA" else as.character(code),
        estimate = fmt(unname(coef(estimate))), standard_error = fmt(unname(SE(estimate))),
        n_domain = sum(answered)
      )
    }
  }
}
shares_table <- do.call(rbind, share_rows)
shares_out <- file.path(reference_dir, paste0("r_calibrated_shares", suffix, ".csv"))
write.csv(shares_table, shares_out, row.names = FALSE, quote = FALSE, na = "NA")
cat(
  "wrote", nrow(tests_table), "cases to", tests_out, "and", nrow(shares_table), "shares and means to", shares_out,
  "with", R.version.string, "and survey", as.character(packageVersion("survey")), "\n"
)
