-- One row per wave, group, stratification variable and category: the population count the raking
-- aimed at, the weighted total it reached, and the respondents in the category. The category is a
-- stratification code, a whole number (the population file's codes are the .sav file's value codes),
-- with the label the .sav file gives it; a category that is not a whole number stops the build.

with

margins as (

    select * from {{ source('weights', 'raking_margins') }}

),

value_labels as (

    select * from {{ source('raw', 'value_labels') }}

),

group_labels as (

    select * from {{ ref('labels_respondent_groups') }}

),

checked as (

    select *
    from margins
    where
        case
            when category != trunc(category)
                then error(
                    printf(
                        'wave %d, group %s: category %s of stratification variable %s is not a whole number',
                        wave, respondent_group, category::varchar, variable
                    )
                )
            else true
        end

),

final as (

    select
        checked.wave::integer as wave,
        checked.respondent_group::varchar as respondent_group,
        checked.variable::varchar as variable,  -- noqa: RF04
        checked.category::integer as category,
        checked.respondents::bigint as respondents,
        checked.population_count::double as population_count,
        checked.weighted_count::double as weighted_count,
        (checked.weighted_count - checked.population_count)::double as difference,
        group_labels.label_nl as group_label,
        value_labels.label as category_label
    from checked
    left join group_labels on checked.respondent_group = group_labels.respondent_group
    left join value_labels
        on
            checked.wave = value_labels.wave
            and checked.respondent_group = value_labels.respondent_group
            and checked.variable = value_labels.variable
            and checked.category = value_labels.code

)

select * from final
