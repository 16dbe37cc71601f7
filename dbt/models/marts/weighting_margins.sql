-- One row per wave, group, stratification variable and category: the population count the raking
-- aimed at, the weighted total it reached, and the respondents in the category.

with

margins as (

    select * from {{ source('weights', 'raking_margins') }}

),

final as (

    select
        wave,
        respondent_group,
        variable,
        category,
        respondents,
        population_count,
        weighted_count,
        weighted_count - population_count as difference
    from margins

)

select * from final
