-- One row per test between consecutive waves: the statistics stage's rows (schema stats, written by
-- the Dagster asset stats/test_wave_change) typed (every column cast, the shared ones by the macros of
-- macros/significance_columns.sql: with one wave there is nothing to test, and an empty frame's
-- columns have no type of their own), with the wave a change is reported in, what kind of test a row
-- is and the pair's comparability grade (codebook_comparability; a grade-C pair is not tested). The
-- contract in the yml fixes every column's type.

with

tests as (

    select * from {{ source('stats', 'test_wave_change') }}

),

final as (

    select
        wave_to::integer as wave,
        {{ significance_item_columns() }},
        wave_from::integer as wave_from,
        wave_to::integer as wave_to,
        value_from::double as value_from,
        value_to::double as value_to,
        {{ significance_result_columns() }},
        n_from::integer as n_from,
        n_to::integer as n_to,
        {{ significance_effect_columns() }},
        comparability_grade::varchar as comparability_grade
    from tests

)

select * from final
