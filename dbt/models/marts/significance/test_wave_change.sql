-- One row per test between consecutive waves: the statistics stage's rows (schema stats, written by
-- the Dagster asset stats/test_wave_change) typed, with the wave a change is reported in and what
-- kind of test a row is. The contract in the yml fixes every column's type.

with

tests as (

    select * from {{ source('stats', 'test_wave_change') }}

),

final as (

    select
        wave_to::integer as wave,
        respondent_group,
        question_id,
        item_id,
        answer_code::integer as answer_code,
        {{ significance_test_level('method', 'answer_code') }} as test_level,
        {{ significance_value_unit('method', 'answer_code') }} as value_unit,
        wave_from::integer as wave_from,
        wave_to::integer as wave_to,
        value_from,
        value_to,
        method,
        statistic,
        df_num,
        df_den,
        p_value,
        p_adjusted,
        is_significant,
        is_default_method,
        n_from::integer as n_from,
        n_to::integer as n_to,
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
