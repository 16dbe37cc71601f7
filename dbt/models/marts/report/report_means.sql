-- One row per wave, group and numeric item (the 1-10 grade): the report's mean grades, labelled, with
-- interval, base, small-base flag and markers for a significant change since the previous wave and
-- a significant difference of the kindcentra (t-test, p < 0.05).

with

means as (

    select * from {{ ref('agg_numeric') }}

),

questions as (

    select * from {{ ref('dim_question') }}

),

groups as (

    select * from {{ ref('labels_respondent_groups') }}

),

changes as (

    -- the default method only: the grade has a t-test per variance (svyttest, svyttest_calibrated)
    select * from {{ ref('test_wave_change') }}
    where test_level = 'mean' and is_default_method

),

item_waves as (

    select distinct
        wave,
        respondent_group,
        item_id
    from means

),

previous_waves as (

    -- Each wave, group and item with the group's latest earlier wave that asked the item, tested or not.
    select
        wave,
        respondent_group,
        item_id,
        lag(wave) over (partition by respondent_group, item_id order by wave) as previous_wave
    from item_waves

),

previous_rows as (

    select * from means

),

pairs as (

    -- Each item's wave pair with the grade the tests used, and what changed in the codebook's words.
    {{ wave_pair_comparability() }}

),

kindcentra as (

    select * from {{ ref('test_subgroup') }}
    where test_level = 'mean' and is_default_method

),

final as (

    select
        means.wave,
        means.respondent_group,
        groups.label_nl as group_label,
        groups.sort_order as group_sort_order,
        means.question_id,
        means.item_id,
        questions.question_text,
        means.mean,
        means.ci_low,
        means.ci_high,
        means.n as base_n,
        means.n < {{ var('small_base') }} as is_small_base,
        coalesce(changes.wave_from, previous_waves.previous_wave) as compared_with_wave,
        previous_rows.mean as previous_mean,
        {{ significance_marker('changes.is_significant', 'changes.difference') }} as change_since_previous_wave,
        changes.p_value as change_p_value,
        case
            when previous_waves.previous_wave is null or changes.is_tested then null
            else coalesce(changes.not_tested_reason, 'no test of this pair')
        end as change_not_tested_reason,
        pairs.comparability_grade,
        {{ comparability_marker('pairs.comparability_grade') }} as comparability_note,
        pairs.comparability_reason,
        {{ significance_marker('kindcentra.is_significant', 'kindcentra.difference') }} as kindcentrum_difference,
        kindcentra.value_in as kindcentrum_mean,
        kindcentra.value_out as other_mean,
        kindcentra.p_value as kindcentrum_p_value
    from means
    inner join groups
        on means.respondent_group = groups.respondent_group
    left join questions
        on
            means.wave = questions.wave
            and means.respondent_group = questions.respondent_group
            and means.item_id = questions.item_id
    left join changes
        on
            means.wave = changes.wave_to
            and means.respondent_group = changes.respondent_group
            and means.item_id = changes.item_id
    left join previous_waves
        on
            means.wave = previous_waves.wave
            and means.respondent_group = previous_waves.respondent_group
            and means.item_id = previous_waves.item_id
    left join previous_rows
        on
            previous_waves.previous_wave = previous_rows.wave
            and means.respondent_group = previous_rows.respondent_group
            and means.item_id = previous_rows.item_id
    left join pairs
        on
            means.wave = pairs.wave_to
            and means.respondent_group = pairs.respondent_group
            and means.item_id = pairs.item_id
    left join kindcentra
        on
            means.wave = kindcentra.wave
            and means.respondent_group = kindcentra.respondent_group
            and means.item_id = kindcentra.item_id

)

select * from final
