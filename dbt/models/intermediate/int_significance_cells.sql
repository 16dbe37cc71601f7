-- One row per wave, group, item, kindcentrum flag and answer: the sums the significance tests need.
-- Under the design of the tests (no clusters, fixed weights, wave as stratum or no strata) every
-- statistic in lib/survey_tests.py is a function of per-cell counts, sums of weights and sums of
-- squared weights, so the tests read these few thousand rows instead of every answer, at any scale.
-- Python forms both comparisons from them: a wave pair adds up the kindcentrum flags, a kindcentrum
-- comparison takes the rows with a flag. The grade is a cell per value (answer_value), so that no sum
-- of y or y squared is needed. The sums are exact decimal sums (exact_sum): the same answers give the
-- same bits, and the tests the same p-values, whatever order DuckDB's threads add them in.

with

answers as (

    select * from {{ ref('int_significance_answers') }}

),

final as (

    select
        wave,
        respondent_group,
        question_id,
        item_id,
        question_type,
        is_kindcentrum,
        answer_code,
        answer_value,
        count(*) as n,
        {{ exact_sum("weight") }} as weight_sum,
        {{ exact_sum("weight * weight") }} as weight_squares
    from answers
    group by all

)

select * from final
