# Reference p-values of the robustness panel (marts.robustness) from R's survey package, for
# tests/test_robustness.py. Not run in CI (CI has no R). Regenerate after the embedded sample, the
# codebook, the trimming rule or the panel's findings change:
#   apt-get install --no-install-recommends r-base-core r-cran-survey r-cran-haven
#   Rscript tests/reference/r/make_robustness_reference.R
# Generated with R 4.2.2, survey 4.1.1 and haven 2.5.1; the script prints the versions it ran with.
#
# Reads tests/reference/robustness_findings.csv: the keys of the panel's rows on the embedded sample
# (comparison, respondent_group, question_id, item_id, answer_code, answer_grouping, wave, wave_from,
# method), written from a warehouse built from data/sample with
#   copy (select comparison, respondent_group, question_id, item_id, answer_code, answer_grouping, wave,
#         wave_from, method from marts.robustness order by all) to 'tests/reference/robustness_findings.csv'
# and writes
#   tests/reference/r_robustness.csv: those keys with p_fixed, p_unweighted, p_trimmed (the dbt var
#     trim_weight_multiple, 5) and p_trimmed_binding (a multiple of BINDING_MULTIPLE, at which the cap
#     binds on the sample; at 5 it binds nowhere and p_trimmed is p_fixed);
#   tests/reference/r_trimmed_weights.csv: per wave, group and calibration cell (the strata's codes as
#     `variable=code;...` in the population file's order) the trimmed weight at both multiples.
#
# The designs, on the complete cases of the item (and of the kindcentrum question for a kindcentrum
# difference), as the fixed-weight tests (make_test_reference.R):
#   wave change:  svydesign(ids = ~1, strata = ~wave, weights = ~w, data)
#   kindcentrum:  svydesign(ids = ~1, weights = ~w, data)
# with w the raked weights (raking.R) for p_fixed, no weights at all (svydesign without `weights`) for
# p_unweighted, and the trimmed weights for p_trimmed. Trimmed: the raked weights of every respondent
# of the wave and group, capped at the multiple times their median, raked again with survey::rake to
# the same margins (scaled to the respondents, so that the weights keep mean 1), capped again and so
# on until no weight is above the cap by more than 1e-9 relative, at most 50 rounds; then mean 1.
# The test: svychisq(~y + grp, design, statistic = "F") (a whole question, an answer code as 0/1, a
# combined answer as 0/1 of its codes, a multiple-answer option) or svyttest(y ~ grp, design).
suppressPackageStartupMessages({
  library(haven)
  library(survey)
})

BINDING_MULTIPLE <- 1.25
TRIM_MULTIPLE <- 5
MAX_TRIM_ROUNDS <- 50

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
root <- normalizePath(file.path(dirname(script), "..", "..", ".."))
sample_dir <- file.path(root, "data", "sample")
seeds_dir <- file.path(root, "dbt", "seeds")
reference_dir <- file.path(root, "tests", "reference")

variables <- read.csv(file.path(seeds_dir, "codebook_variables.csv"), stringsAsFactors = FALSE)
recodes <- read.csv(file.path(seeds_dir, "codebook_recodes.csv"), stringsAsFactors = FALSE)
groupings <- read.csv(file.path(seeds_dir, "codebook_answer_groupings.csv"), stringsAsFactors = FALSE)
findings <- read.csv(file.path(reference_dir, "robustness_findings.csv"), stringsAsFactors = FALSE,
                     colClasses = c(answer_code = "character", answer_grouping = "character"))

source(file.path(dirname(script), "raking.R"))

population_of <- function(wave, group) {
  file <- file.path(sample_dir, "population", wave, paste0(group, ".csv"))
  if (file.exists(file)) read.csv(file) else NULL
}

# The raked weights capped at `multiple` times their median and raked again, until none is above the cap.
trimmed_weights <- function(respondents, weight, wave, group, multiple) {
  population <- population_of(wave, group)
  if (is.null(population)) return(rep(1, length(weight)))
  strata_variables <- unique(population$variable)
  for (variable in strata_variables) respondents[[variable]] <- factor(respondents[[variable]])
  sample_margins <- lapply(strata_variables, function(v) as.formula(paste0("~", v)))
  population_margins <- lapply(strata_variables, function(v) {
    margin <- population[population$variable == v, c("category", "count")]
    margin$count <- margin$count / sum(margin$count) * nrow(respondents)
    names(margin) <- c(v, "Freq")
    margin[[v]] <- factor(margin[[v]])
    margin
  })
  cap <- multiple * median(weight)
  for (round in seq_len(MAX_TRIM_ROUNDS)) {
    respondents$capped <- pmin(weight, cap)
    design <- svydesign(ids = ~1, weights = ~capped, data = respondents)
    raked <- rake(design, sample_margins, population_margins, control = list(maxit = 1000, epsilon = 1e-14))
    weight <- weights(raked)
    if (max(weight) <= cap * (1 + 1e-9)) break
  }
  weight / mean(weight)
}

cell_names <- function(respondents, wave, group) {
  population <- population_of(wave, group)
  if (is.null(population)) return(rep("", nrow(respondents)))
  parts <- lapply(unique(population$variable), function(v) paste0(v, "=", as.integer(respondents[[v]])))
  do.call(paste, c(parts, sep = ";"))
}

# Harmonised answers of one wave and group (one column per item_id) with the three sets of weights.
read_wave_group <- function(wave, group) {
  respondents <- as.data.frame(zap_labels(read_sav(file.path(sample_dir, "waves", wave, paste0(group, ".sav")))))
  rows <- variables[variables$wave == as.integer(wave) & variables$respondent_group == group, ]
  answers <- data.frame(row.names = seq_len(nrow(respondents)))
  for (i in seq_len(nrow(rows))) {
    codes <- recodes[recodes$wave == as.integer(wave) & recodes$question_id == rows$question_id[i], ]
    answers[[rows$item_id[i]]] <- codes$answer_code[match(respondents[[rows$raw_variable[i]]], codes$raw_code)]
  }
  answers$weight <- raking_weights(sample_dir, respondents, wave, group)
  answers$trimmed <- trimmed_weights(respondents, answers$weight, wave, group, TRIM_MULTIPLE)
  answers$trimmed_binding <- trimmed_weights(respondents, answers$weight, wave, group, BINDING_MULTIPLE)
  answers$cell <- cell_names(respondents, wave, group)
  answers$wave <- as.integer(wave)
  answers
}

cache <- list()
wave_group <- function(wave, group) {
  key <- paste(wave, group)
  if (is.null(cache[[key]])) cache[[key]] <<- read_wave_group(as.character(wave), group)
  cache[[key]]
}

# The complete cases of one finding: y (as tested), grp (a factor, levels sorted: a, b), wave, weights.
finding_data <- function(finding) {
  take <- function(answers, grp) {
    data.frame(y = answers[[finding$item_id]], grp = grp, wave = answers$wave, weight = answers$weight,
               trimmed = answers$trimmed, trimmed_binding = answers$trimmed_binding)
  }
  if (finding$comparison == "wave change") {
    data <- do.call(rbind, lapply(c(finding$wave_from, finding$wave), function(wave) {
      answers <- wave_group(wave, finding$respondent_group)
      take(answers, rep(as.integer(wave), nrow(answers)))
    }))
  } else {
    answers <- wave_group(finding$wave, finding$respondent_group)
    data <- take(answers, answers$noemer == 3)
  }
  if (is.null(data$y)) stop("item ", finding$item_id, " not found")
  data <- data[!is.na(data$y) & !is.na(data$grp), ]
  if (nzchar(finding$answer_code)) {
    data$y <- as.integer(data$y == as.integer(finding$answer_code))
  } else if (nzchar(finding$answer_grouping)) {
    members <- groupings$answer_code[groupings$question_id == finding$question_id &
                                       groupings$answer_grouping == finding$answer_grouping]
    if (!length(members)) stop("no grouping ", finding$answer_grouping)
    data$y <- as.integer(data$y %in% members)
  }
  data$grp <- factor(data$grp)
  data
}

p_value <- function(finding, data, weights) {
  strata <- if (finding$comparison == "wave change") ~wave else NULL
  design <- if (is.null(weights)) {
    svydesign(ids = ~1, strata = strata, data = data)
  } else {
    svydesign(ids = ~1, strata = strata, weights = weights, data = data)
  }
  test <- if (finding$method == "svyttest") svyttest(y ~ grp, design) else svychisq(~y + grp, design, statistic = "F")
  test$p.value
}

fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

rows <- lapply(seq_len(nrow(findings)), function(i) {
  finding <- findings[i, ]
  data <- finding_data(finding)
  result <- finding
  result$p_fixed <- fmt(p_value(finding, data, ~weight))
  result$p_unweighted <- fmt(suppressWarnings(p_value(finding, data, NULL)))
  result$p_trimmed <- fmt(p_value(finding, data, ~trimmed))
  result$p_trimmed_binding <- fmt(p_value(finding, data, ~trimmed_binding))
  result
})
table <- do.call(rbind, rows)
out <- file.path(reference_dir, "r_robustness.csv")
write.csv(table, out, row.names = FALSE, quote = FALSE, na = "")

weight_rows <- list()
for (sav in Sys.glob(file.path(sample_dir, "waves", "*", "*.sav"))) {
  answers <- wave_group(basename(dirname(sav)), sub("\\.sav$", "", basename(sav)))
  cells <- unique(answers[, c("wave", "cell", "weight", "trimmed", "trimmed_binding")])
  cells$respondent_group <- sub("\\.sav$", "", basename(sav))
  counts <- table(answers$cell)
  cells$n <- as.vector(counts[match(cells$cell, names(counts))])
  weight_rows[[length(weight_rows) + 1]] <- cells
}
weights_table <- do.call(rbind, weight_rows)
weights_table <- weights_table[order(weights_table$wave, weights_table$respondent_group, weights_table$cell), ]
weights_out <- file.path(reference_dir, "r_trimmed_weights.csv")
write.csv(
  data.frame(
    wave = weights_table$wave, respondent_group = weights_table$respondent_group,
    calibration_cell = weights_table$cell, n = weights_table$n, weight = fmt(weights_table$weight),
    trimmed = fmt(weights_table$trimmed), trimmed_binding = fmt(weights_table$trimmed_binding),
    binding_multiple = BINDING_MULTIPLE
  ),
  weights_out, row.names = FALSE, quote = FALSE
)
cat(
  "wrote", nrow(table), "findings to", out, "and", nrow(weights_table), "cells to", weights_out, "with",
  R.version.string, "and survey", as.character(packageVersion("survey")), "\n"
)
