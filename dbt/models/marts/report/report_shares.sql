-- One row per wave, group, item and answer (single code or combined answer): a table of bijlage 2 as
-- a stakeholder reads it. Dutch texts and labels, the share and its interval in percent, the base,
-- a small-base flag, and markers for a significant change since the previous wave and for a
-- significant difference of the kindcentra (default method, p < 0.05, as the report).
-- `where question_id = ...` gives one table of the report.

with

shares as (

    select * from {{ ref('agg_answer_share') }}

),

questions as (

    select * from {{ ref('dim_question') }}

),

topics as (

    select * from {{ ref('codebook_questions') }}

),

groups as (

    select * from {{ ref('labels_respondent_groups') }}

),

changes as (

    select * from {{ ref('test_wave_change') }}
    where is_default_method and test_level in ('answer', 'combined answer')

),

item_waves as (

    select distinct
        wave,
        respondent_group,
        item_id
    from shares

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

    select * from shares

),

pairs as (

    -- Each item's wave pair with the grade the tests used, and what changed in the codebook's words.
    {{ wave_pair_comparability() }}

),

kindcentra as (

    select * from {{ ref('test_subgroup') }}
    where is_default_method and test_level in ('answer', 'combined answer')

),

final as (

    select
        shares.wave,
        shares.respondent_group,
        groups.label_nl as group_label,
        groups.sort_order as group_sort_order,
        topics.chapter,
        topics.topic,
        shares.question_id,
        shares.item_id,
        questions.question_text,
        questions.item_text,
        shares.answer_code,
        shares.answer_grouping,
        shares.answer_label,
        shares.sort_order as answer_sort_order,
        100 * shares.share as share_pct,
        100 * shares.ci_low as ci_low_pct,
        100 * shares.ci_high as ci_high_pct,
        shares.n,
        shares.base_n,
        shares.base_n < {{ var('small_base') }} as is_small_base,
        coalesce(changes.wave_from, previous_waves.previous_wave) as compared_with_wave,
        100 * previous_rows.share as previous_share_pct,
        {{ significance_marker('changes.is_significant', 'changes.difference') }} as change_since_previous_wave,
        changes.p_value as change_p_value,
        case
            when previous_waves.previous_wave is null or changes.is_tested then null
            else coalesce(
                changes.not_tested_reason,
                'no test of this answer (a multiple-answer option is tested on Genoemd, the grade as a mean)'
            )
        end as change_not_tested_reason,
        pairs.comparability_grade,
        {{ comparability_marker('pairs.comparability_grade') }} as comparability_note,
        pairs.comparability_reason,
        {{ significance_marker('kindcentra.is_significant', 'kindcentra.difference') }} as kindcentrum_difference,
        100 * kindcentra.value_in as kindcentrum_share_pct,
        100 * kindcentra.value_out as other_share_pct,
        kindcentra.p_value as kindcentrum_p_value
    from shares
    inner join groups
        on shares.respondent_group = groups.respondent_group
    inner join topics
        on shares.question_id = topics.question_id
    left join questions
        on
            shares.wave = questions.wave
            and shares.respondent_group = questions.respondent_group
            and shares.item_id = questions.item_id
    left join changes
        on
            shares.wave = changes.wave_to
            and shares.respondent_group = changes.respondent_group
            and shares.item_id = changes.item_id
            and shares.answer_code is not distinct from changes.answer_code
            and shares.answer_grouping is not distinct from changes.answer_grouping
    left join previous_waves
        on
            shares.wave = previous_waves.wave
            and shares.respondent_group = previous_waves.respondent_group
            and shares.item_id = previous_waves.item_id
    left join previous_rows
        on
            previous_waves.previous_wave = previous_rows.wave
            and shares.respondent_group = previous_rows.respondent_group
            and shares.item_id = previous_rows.item_id
            and previous_rows.answer_code is not distinct from shares.answer_code
            and previous_rows.answer_grouping is not distinct from shares.answer_grouping
    left join pairs
        on
            shares.wave = pairs.wave_to
            and shares.respondent_group = pairs.respondent_group
            and shares.item_id = pairs.item_id
    left join kindcentra
        on
            shares.wave = kindcentra.wave
            and shares.respondent_group = kindcentra.respondent_group
            and shares.item_id = kindcentra.item_id
            and shares.answer_code is not distinct from kindcentra.answer_code
            and shares.answer_grouping is not distinct from kindcentra.answer_grouping

)

select * from final
