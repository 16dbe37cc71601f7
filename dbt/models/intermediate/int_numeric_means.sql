-- One row per wave, group and numeric item (the 1-10 grade): the weighted mean with a 95% interval,
-- linearised as R's svymean on svydesign(ids = ~1, weights = ~weight), interval mean +/- z * se.
-- marts.agg_numeric adds the calibrated interval and the effective base.

with

answers as (

    select * from {{ ref('fct_answer') }}
    where answer_value is not null

),

means as (

    select
        wave,
        respondent_group,
        question_id,
        item_id,
        count(*) as n,
        {{ exact_sum("weight") }} as weight_total,
        {{ exact_sum("weight * weight") }} as weight_squares,
        {{ exact_sum("weight * answer_value") }} / weight_total as mean
    from answers
    group by all

),

spread as (

    select
        means.wave,
        means.respondent_group,
        means.item_id,
        {{ exact_sum("power(answers.weight * (answers.answer_value - means.mean), 2)") }} as weighted_squares,
        sqrt(
            {{ exact_sum("answers.weight * power(answers.answer_value - means.mean, 2)") }}
            / {{ exact_sum("answers.weight") }}
        ) as standard_deviation
    from answers
    inner join means
        on
            answers.wave = means.wave
            and answers.respondent_group = means.respondent_group
            and answers.item_id = means.item_id
    group by all

),

group_labels as (

    select * from {{ ref('labels_respondent_groups') }}

),

final as (

    select
        means.wave,
        means.respondent_group,
        means.question_id,
        means.item_id,
        means.n,
        means.mean,
        spread.standard_deviation,
        case
            when means.n > 1 then sqrt(means.n / (means.n - 1) * spread.weighted_squares) / means.weight_total
        end as standard_error,
        means.mean - {{ var('z_95') }} * standard_error as ci_low,
        means.mean + {{ var('z_95') }} * standard_error as ci_high,
        means.n < {{ var('small_base') }} as is_small_base,
        group_labels.label_nl as group_label,
        means.weight_total,
        means.weight_squares
    from means
    inner join spread
        on
            means.wave = spread.wave
            and means.respondent_group = spread.respondent_group
            and means.item_id = spread.item_id
    left join group_labels on means.respondent_group = group_labels.respondent_group

)

select * from final
