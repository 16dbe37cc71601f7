-- One row per test of kindcentra against the rest within a wave: the statistics stage's rows
-- (schema stats, written by the Dagster asset stats/test_subgroup) typed (every column cast: an empty
-- frame's columns have no type of their own), with what kind of test a
-- row is. The contract in the yml fixes every column's type.

with

tests as (

    select * from {{ source('stats', 'test_subgroup') }}

),

final as (

    select
        wave::integer as wave,
        respondent_group::varchar as respondent_group,
        question_id::varchar as question_id,
        item_id::varchar as item_id,
        answer_code::integer as answer_code,
        answer_grouping::varchar as answer_grouping,
        {{ significance_test_level('method', 'answer_code', 'answer_grouping') }} as test_level,
        {{ significance_value_unit('method', 'answer_code', 'answer_grouping') }} as value_unit,
        subgroup::varchar as subgroup,
        value_in::double as value_in,
        value_out::double as value_out,
        -- every test table names this column method, a keyword to sqlfluff
        method::varchar as method,  -- noqa: RF04
        statistic::double as statistic,
        df_num::double as df_num,
        df_den::double as df_den,
        p_value::double as p_value,
        p_adjusted::double as p_adjusted,
        is_significant::boolean as is_significant,
        is_default_method::boolean as is_default_method,
        n_in::integer as n_in,
        n_out::integer as n_out,
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
