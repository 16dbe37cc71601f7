# Raking weights of one wave and group with survey::rake, shared by the reference scripts.
# Equal start weights, every margin of population/<wave>/<group>.csv, converged far beyond the
# pipeline's tolerance (epsilon below 1 is a fraction of the total weight), normalised to mean 1.
# A group without a population file is not weighted: weight 1.
raking_weights <- function(sample_dir, respondents, wave, group) {
  population_file <- file.path(sample_dir, "population", wave, paste0(group, ".csv"))
  if (!file.exists(population_file)) return(rep(1, nrow(respondents)))
  population <- read.csv(population_file)
  strata_variables <- unique(population$variable)
  for (variable in strata_variables) respondents[[variable]] <- factor(respondents[[variable]])
  design <- svydesign(ids = ~1, weights = ~start, data = transform(respondents, start = 1))
  sample_margins <- lapply(strata_variables, function(v) as.formula(paste0("~", v)))
  population_margins <- lapply(strata_variables, function(v) {
    margin <- population[population$variable == v, c("category", "count")]
    names(margin) <- c(v, "Freq")
    margin[[v]] <- factor(margin[[v]])
    margin
  })
  raked <- rake(design, sample_margins, population_margins, control = list(maxit = 1000, epsilon = 1e-14))
  weight <- weights(raked)
  weight / mean(weight)
}
