{#- The columns both test marts share, typed (every column cast: an empty frame's columns have no type
    of their own). Each mart adds what its comparison names (waves, or the subgroup) and its two bases
    between the result and the effect columns, so the order of the columns stays as the contracts say. -#}

{#- What was tested: group, question, item, answer code or grouping, and what kind of test it is. -#}
{% macro significance_item_columns() -%}
        respondent_group::varchar as respondent_group,
        question_id::varchar as question_id,
        item_id::varchar as item_id,
        answer_code::integer as answer_code,
        answer_grouping::varchar as answer_grouping,
        {{ significance_test_level('method', 'answer_code', 'answer_grouping') }} as test_level,
        {{ significance_value_unit('method', 'answer_code', 'answer_grouping') }} as value_unit
{%- endmacro %}

{#- The test itself: method, statistic, degrees of freedom, p-values and the verdict. -#}
{% macro significance_result_columns() -%}
        -- every test table names this column method, a keyword to sqlfluff
        method::varchar as method,  -- noqa: RF04
        statistic::double as statistic,
        df_num::double as df_num,
        df_den::double as df_den,
        p_value::double as p_value,
        p_adjusted::double as p_adjusted,
        is_significant::boolean as is_significant,
        is_default_method::boolean as is_default_method
{%- endmacro %}

{#- The effect: difference with its interval, Cohen's d, the minimum detectable difference, and why a
    row was not tested. -#}
{% macro significance_effect_columns() -%}
        difference::double as difference,
        difference_ci_low::double as difference_ci_low,
        difference_ci_high::double as difference_ci_high,
        cohens_d::double as cohens_d,
        min_detectable_difference::double as min_detectable_difference,
        is_tested::boolean as is_tested,
        not_tested_reason::varchar as not_tested_reason
{%- endmacro %}
