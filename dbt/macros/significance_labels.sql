{#- What a significance test row compares: `mean` (the t-test of the 1-10 grade, under either
    variance), `question` (the whole answer table: no answer code), `answer` (one code against the
    rest, or a multiple-answer option) or `combined answer` (a grouping of codes against the rest). An
    analyst need not know that a null code means different things. -#}
{% macro significance_test_level(method, answer_code, answer_grouping) -%}
    case
        when {{ method }} in ('svyttest', 'svyttest_calibrated') then 'mean'
        when {{ answer_grouping }} is not null then 'combined answer'
        when {{ answer_code }} is null then 'question'
        else 'answer'
    end
{%- endmacro %}

{#- The unit of value_from/value_to (value_in/value_out): a share in 0..1, a mean grade, or none for a
    whole-question test, which compares tables, not one number. -#}
{% macro significance_value_unit(method, answer_code, answer_grouping) -%}
    case
        when {{ method }} in ('svyttest', 'svyttest_calibrated') then 'mean'
        when {{ answer_code }} is null and {{ answer_grouping }} is null then null
        else 'share'
    end
{%- endmacro %}

{#- The report's marker for a significant result: `hoger` or `lager` by the sign of the difference,
    null when not significant (or not tested). -#}
{% macro significance_marker(is_significant, difference) -%}
    case
        when {{ is_significant }} and {{ difference }} > 0 then 'hoger'
        when {{ is_significant }} and {{ difference }} < 0 then 'lager'
    end
{%- endmacro %}

{#- The report's marker for a wave pair that is not fully comparable (codebook_comparability): `vraagtekst
    gewijzigd` for grade B (tested, read with care), `trendbreuk` for grade C (not tested), null for A
    and for a pair without a grade. -#}
{% macro comparability_marker(grade) -%}
    case
        when {{ grade }} = 'B' then 'vraagtekst gewijzigd'
        when {{ grade }} = 'C' then 'trendbreuk'
    end
{%- endmacro %}
