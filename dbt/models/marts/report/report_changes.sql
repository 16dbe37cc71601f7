-- One row per significant test (default method, p < 0.05, as the report calls significant): every
-- change between consecutive waves and every kindcentrum difference, labelled in Dutch, with what was
-- compared (test_level, value_unit), both values, the difference with its interval, the p-value,
-- whether it holds after the Benjamini-Hochberg adjustment within its family and, for a change, the
-- pair's comparability grade (a grade-C pair is never tested, so never here).

with

wave_changes as (

    select
        'verandering' as comparison,
        wave,
        respondent_group,
        question_id,
        item_id,
        answer_code,
        answer_grouping,
        test_level,
        value_unit,
        wave_from as compared_with_wave,
        comparability_grade,
        null::varchar as subgroup,
        value_from as value_before,
        value_to as value_after,
        difference,
        difference_ci_low,
        difference_ci_high,
        method,
        p_value,
        p_adjusted
    from {{ ref('test_wave_change') }}
    where is_default_method and is_significant

),

subgroup_differences as (

    select
        'kindcentrum' as comparison,
        wave,
        respondent_group,
        question_id,
        item_id,
        answer_code,
        answer_grouping,
        test_level,
        value_unit,
        null::integer as compared_with_wave,
        null::varchar as comparability_grade,
        subgroup,
        value_out as value_before,
        value_in as value_after,
        difference,
        difference_ci_low,
        difference_ci_high,
        method,
        p_value,
        p_adjusted
    from {{ ref('test_subgroup') }}
    where is_default_method and is_significant

),

tests as (

    select * from wave_changes
    union all
    select * from subgroup_differences

),

questions as (

    select * from {{ ref('dim_question') }}

),

options as (

    select * from {{ ref('dim_answer_option') }}

),

groupings as (

    select distinct
        question_id,
        answer_grouping,
        grouping_label
    from {{ ref('codebook_answer_groupings') }}

),

groups as (

    select * from {{ ref('labels_respondent_groups') }}

),

final as (

    select
        tests.comparison,
        tests.wave,
        tests.respondent_group,
        groups.label_nl as group_label,
        tests.question_id,
        tests.item_id,
        questions.question_text,
        questions.item_text,
        tests.answer_code,
        tests.answer_grouping,
        coalesce(groupings.grouping_label, options.answer_label) as answer_label,
        tests.test_level,
        tests.value_unit,
        tests.compared_with_wave,
        tests.comparability_grade,
        tests.subgroup,
        tests.value_before,
        tests.value_after,
        tests.difference,
        tests.difference_ci_low,
        tests.difference_ci_high,
        tests.method,
        tests.p_value,
        tests.p_adjusted,
        tests.p_adjusted < 0.05 as holds_after_adjustment
    from tests
    inner join groups
        on tests.respondent_group = groups.respondent_group
    left join questions
        on
            tests.wave = questions.wave
            and tests.respondent_group = questions.respondent_group
            and tests.item_id = questions.item_id
    left join options
        on
            tests.question_id = options.question_id
            and tests.answer_code = options.answer_code
    left join groupings
        on
            tests.question_id = groupings.question_id
            and tests.answer_grouping = groupings.answer_grouping

)

select * from final
