{#- Each wave pair, group and item the wave-change tests compared: the grade the tests used (null where
    the seed grades no such pair) and what changed, in the seed's Dutch words. One row per later wave,
    group and item (the tests pair each wave with the group's previous one); the report tables join it
    to mark a share or mean whose previous wave asked something else. -#}
{% macro wave_pair_comparability() -%}
    select distinct
        tests.wave_to,
        tests.respondent_group,
        tests.item_id,
        tests.comparability_grade,
        grades.reason as comparability_reason
    from {{ ref('test_wave_change') }} as tests
    left join {{ ref('codebook_comparability') }} as grades
        on
            tests.wave_to = grades.wave
            and tests.wave_from = grades.compared_with_wave
            and tests.respondent_group = grades.respondent_group
            and tests.item_id = grades.item_id
{%- endmacro %}
