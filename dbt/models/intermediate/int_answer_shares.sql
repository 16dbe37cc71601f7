-- One row per wave, group, item and answer code: the weighted share among those who answered the
-- item, with a 95% interval under fixed weights; marts.agg_answer_share adds the calibrated one
-- (computed by the statistics stage) and the effective base. A table of its own so that the
-- statistics stage only joins a few thousand rows instead of reading every answer again.
-- Design: respondents as independent units, weights fixed; the variance of
-- a weighted share is the linearised variance of a ratio, as R's svymean on
-- svydesign(ids = ~1, weights = ~weight) gives; the interval is share +/- z * se (R's confint),
-- clipped to [0, 1]. Codes nobody chose are rows with n = 0 and share 0. The report's combined
-- answers (codebook_answer_groupings: "meer dan 5 jaar" = 5-10 jaar + langer dan 10 jaar) are rows
-- too, with answer_grouping set and answer_code null, computed the same way from their codes' sums.

with

answers as (

    select * from {{ ref('fct_answer') }}

),

items as (

    select
        wave,
        respondent_group,
        question_id,
        item_id,
        count(*) as base_n,
        {{ exact_sum("weight") }} as weight_total,
        {{ exact_sum("weight * weight") }} as weight_squares
    from answers
    group by all

),

options as (

    select * from {{ ref('dim_answer_option') }}

),

item_options as (

    select
        items.*,
        options.answer_code,
        options.answer_label,
        options.sort_order
    from items
    inner join options on items.question_id = options.question_id

),

chosen as (

    select
        wave,
        respondent_group,
        item_id,
        answer_code,
        count(*) as n,
        {{ exact_sum("weight") }} as weight_chosen,
        {{ exact_sum("weight * weight") }} as weight_squares_chosen
    from answers
    group by all

),

shares as (

    select
        item_options.wave,
        item_options.respondent_group,
        item_options.question_id,
        item_options.item_id,
        item_options.answer_code,
        item_options.answer_label,
        item_options.sort_order,
        coalesce(chosen.n, 0) as n,
        item_options.base_n,
        coalesce(chosen.weight_chosen, 0) / item_options.weight_total as share,
        item_options.weight_total,
        item_options.weight_squares,
        coalesce(chosen.weight_squares_chosen, 0) as weight_squares_chosen
    from item_options
    left join chosen
        on
            item_options.wave = chosen.wave
            and item_options.respondent_group = chosen.respondent_group
            and item_options.item_id = chosen.item_id
            and item_options.answer_code = chosen.answer_code

),

groupings as (

    select
        question_id,
        answer_grouping,
        grouping_label,
        answer_code,
        -- after the single codes
        100 + dense_rank() over (partition by question_id order by answer_grouping) as sort_order
    from {{ ref('codebook_answer_groupings') }}

),

item_groupings as (

    select distinct
        items.*,
        groupings.answer_grouping,
        groupings.grouping_label,
        groupings.sort_order
    from items
    inner join groupings on items.question_id = groupings.question_id

),

grouping_chosen as (

    -- summed from the answers themselves, as the single codes are: a grouping everybody chose has
    -- exactly the item's total weight, and so a share of exactly 1
    select
        answers.wave,
        answers.respondent_group,
        answers.item_id,
        groupings.answer_grouping,
        count(*) as n,
        {{ exact_sum("answers.weight") }} as weight_chosen,
        {{ exact_sum("answers.weight * answers.weight") }} as weight_squares_chosen
    from answers
    inner join groupings
        on
            answers.question_id = groupings.question_id
            and answers.answer_code = groupings.answer_code
    group by all

),

combined as (

    select
        item_groupings.wave,
        item_groupings.respondent_group,
        item_groupings.question_id,
        item_groupings.item_id,
        null::integer as answer_code,
        item_groupings.answer_grouping,
        item_groupings.grouping_label as answer_label,
        item_groupings.sort_order,
        coalesce(grouping_chosen.n, 0) as n,
        item_groupings.base_n,
        coalesce(grouping_chosen.weight_chosen, 0) / item_groupings.weight_total as share,
        item_groupings.weight_total,
        item_groupings.weight_squares,
        coalesce(grouping_chosen.weight_squares_chosen, 0) as weight_squares_chosen
    from item_groupings
    left join grouping_chosen
        on
            item_groupings.wave = grouping_chosen.wave
            and item_groupings.respondent_group = grouping_chosen.respondent_group
            and item_groupings.item_id = grouping_chosen.item_id
            and item_groupings.answer_grouping = grouping_chosen.answer_grouping

),

all_answers as (

    -- by name: the single codes have no answer_grouping column, and get it as null
    select * from shares
    union all by name
    select * from combined

),

with_error as (

    select
        *,
        {{ share_standard_error('share', 'base_n', 'weight_total', 'weight_squares', 'weight_squares_chosen') }}
            as standard_error
    from all_answers

),

group_labels as (

    select * from {{ ref('labels_respondent_groups') }}

),

final as (

    select
        with_error.wave,
        with_error.respondent_group,
        with_error.question_id,
        with_error.item_id,
        with_error.answer_code,
        with_error.answer_label,
        with_error.sort_order,
        with_error.n,
        with_error.base_n,
        with_error.share,
        with_error.standard_error,
        greatest(0, with_error.share - {{ var('z_95') }} * with_error.standard_error) as ci_low,
        least(1, with_error.share + {{ var('z_95') }} * with_error.standard_error) as ci_high,
        with_error.base_n < {{ var('small_base') }} as is_small_base,
        group_labels.label_nl as group_label,
        with_error.answer_grouping,
        with_error.weight_total,
        with_error.weight_squares
    from with_error
    left join group_labels on with_error.respondent_group = group_labels.respondent_group

)

select * from final
