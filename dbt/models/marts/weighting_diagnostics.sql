-- One row per wave and group: how much the weights cost. Kish's design effect of unequal weights is
-- n * sum(w^2) / sum(w)^2; the effective sample size is n / deff and the efficiency 1 / deff.

with

weights as (

    select * from {{ source('weights', 'respondent_weights') }}

),

runs as (

    select * from {{ source('weights', 'raking_runs') }}

),

summary as (

    select
        wave,
        respondent_group,
        count(*) as respondents,
        count(*) * {{ exact_sum("weight * weight") }} / power({{ exact_sum("weight") }}, 2) as kish_design_effect,
        min(weight) as min_weight,
        max(weight) as max_weight,
        {{ exact_sum("weight_population") }} as weighted_total
    from weights
    group by all

),

group_labels as (

    select * from {{ ref('labels_respondent_groups') }}

),

final as (

    select
        summary.wave::integer as wave,
        summary.respondent_group,
        runs.method,
        runs.stratification_variables,
        summary.respondents,
        summary.kish_design_effect,
        summary.respondents / summary.kish_design_effect as effective_sample_size,
        1 / summary.kish_design_effect as weighting_efficiency,
        summary.min_weight,
        summary.max_weight,
        runs.iterations,
        runs.tolerance::double as tolerance,
        runs.population_total::double as population_total,
        summary.weighted_total,
        group_labels.label_nl as group_label
    from summary
    inner join runs
        on summary.wave = runs.wave and summary.respondent_group = runs.respondent_group
    left join group_labels on summary.respondent_group = group_labels.respondent_group

)

select * from final
