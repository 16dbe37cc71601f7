# Reference raking weights from R's survey package, for tests/test_weights_against_r.py.
# Not run in CI (CI has no R). Regenerate after the embedded sample changes:
#   apt-get install --no-install-recommends r-base-core r-cran-survey r-cran-haven
#   Rscript tests/reference/r/make_weights_reference.R
# Writes tests/reference/r_weights.csv: wave, respondent_group, respondent_id, weight (mean 1).
suppressPackageStartupMessages({
  library(haven)
  library(survey)
})

args <- commandArgs(trailingOnly = FALSE)
script <- sub("^--file=", "", args[grep("^--file=", args)])
source(file.path(dirname(script), "raking.R"))
root <- normalizePath(file.path(dirname(script), "..", "..", ".."))
sample_dir <- file.path(root, "data", "sample")
out <- file.path(root, "tests", "reference", "r_weights.csv")

rows <- list()
for (population_file in Sys.glob(file.path(sample_dir, "population", "*", "*.csv"))) {
  wave <- basename(dirname(population_file))
  group <- sub("\\.csv$", "", basename(population_file))
  respondents <- as.data.frame(zap_labels(read_sav(file.path(sample_dir, "waves", wave, paste0(group, ".sav")))))
  weight <- raking_weights(sample_dir, respondents, wave, group)
  rows[[length(rows) + 1]] <- data.frame(
    wave = as.integer(wave),
    respondent_group = group,
    respondent_id = format(respondents$respondent_id, scientific = FALSE, trim = TRUE),
    weight = sprintf("%.17g", weight)
  )
}
result <- do.call(rbind, rows)
result <- result[order(result$wave, result$respondent_group, result$respondent_id), ]
write.csv(result, out, row.names = FALSE, quote = FALSE)
cat("wrote", nrow(result), "weights to", out, "with survey", as.character(packageVersion("survey")), "\n")
