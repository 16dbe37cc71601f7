-- One row per wave, group, stratification variable and category: the weighted total the published
-- weights give (summed from fct_respondent, independently of the raking step's own margins) against
-- the population count of the population file.
with totals as (
    select wave, respondent_group, sum(weight_population) as weighted_total
    from marts.fct_respondent
    group by all
),
margins as (
    select wave, respondent_group, variable, category, population_count, weighted_count
    from marts.weighting_margins
)
select
    margins.wave,
    margins.respondent_group,
    margins.variable,
    margins.category,
    margins.population_count,
    abs(margins.weighted_count - margins.population_count) / margins.population_count as relative_difference,
    -- every variable's categories add up to the same population total that the weights sum to
    abs(totals.weighted_total - sum(margins.population_count) over (partition by margins.wave, margins.respondent_group, margins.variable))
        / totals.weighted_total as relative_difference_of_total
from margins
inner join totals
    on margins.wave = totals.wave and margins.respondent_group = totals.respondent_group
