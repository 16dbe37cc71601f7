-- One row per test of kindcentra against the rest within a wave: the statistics stage's rows
-- (schema stats, written by the Dagster asset stats/test_subgroup) typed, with what kind of test a
-- row is. The contract in the yml fixes every column's type.

with

tests as (

    select * from {{ source('stats', 'test_subgroup') }}

),

final as (

    select
        wave::integer as wave,
        respondent_group,
        question_id,
        item_id,
        answer_code::integer as answer_code,
        {{ significance_test_level('method', 'answer_code') }} as test_level,
        {{ significance_value_unit('method', 'answer_code') }} as value_unit,
        subgroup,
        value_in,
        value_out,
        method,
        statistic,
        df_num,
        df_den,
        p_value,
        p_adjusted,
        is_significant,
        is_default_method,
        n_in::integer as n_in,
        n_out::integer as n_out,
        difference,
        difference_ci_low,
        difference_ci_high,
        cohens_d,
        min_detectable_difference,
        is_tested,
        not_tested_reason
    from tests

)

select * from final
