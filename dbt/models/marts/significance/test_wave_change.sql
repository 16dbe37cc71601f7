-- One row per test between consecutive waves: the statistics stage's rows (schema stats, written by
-- the Dagster asset stats/test_wave_change) typed (every column cast: with one wave there is nothing to test, and
-- an empty frame's columns have no type of their own), with the wave a change is reported in and what
-- kind of test a row is. The contract in the yml fixes every column's type.

with

tests as (

    select * from {{ source('stats', 'test_wave_change') }}

),

final as (

    select
        wave_to::integer as wave,
        respondent_group::varchar as respondent_group,
        question_id::varchar as question_id,
        item_id::varchar as item_id,
        answer_code::integer as answer_code,
        answer_grouping::varchar as answer_grouping,
        {{ significance_test_level('method', 'answer_code', 'answer_grouping') }} as test_level,
        {{ significance_value_unit('method', 'answer_code', 'answer_grouping') }} as value_unit,
        wave_from::integer as wave_from,
        wave_to::integer as wave_to,
        value_from::double as value_from,
        value_to::double as value_to,
        -- every test table names this column method, a keyword to sqlfluff
        method::varchar as method,  -- noqa: RF04
        statistic::double as statistic,
        df_num::double as df_num,
        df_den::double as df_den,
        p_value::double as p_value,
        p_adjusted::double as p_adjusted,
        is_significant::boolean as is_significant,
        is_default_method::boolean as is_default_method,
        n_from::integer as n_from,
        n_to::integer as n_to,
        difference::double as difference,
        difference_ci_low::double as difference_ci_low,
        difference_ci_high::double as difference_ci_high,
        cohens_d::double as cohens_d,
        min_detectable_difference::double as min_detectable_difference,
        is_tested::boolean as is_tested,
        not_tested_reason::varchar as not_tested_reason
    from tests

)

select * from final
