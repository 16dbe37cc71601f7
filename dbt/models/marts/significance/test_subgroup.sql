-- One row per test of kindcentra against the rest within a wave: the statistics stage's rows (schema
-- stats, written by the Dagster asset stats/test_subgroup) typed (every column cast, the shared ones by
-- the macros of macros/significance_columns.sql: an empty frame's columns have no type of their own),
-- with what kind of test a row is. The contract in the yml fixes every column's type.

with

tests as (

    select * from {{ source('stats', 'test_subgroup') }}

),

final as (

    select
        wave::integer as wave,
        {{ significance_item_columns() }},
        subgroup::varchar as subgroup,
        value_in::double as value_in,
        value_out::double as value_out,
        {{ significance_result_columns() }},
        n_in::integer as n_in,
        n_out::integer as n_out,
        {{ significance_effect_columns() }}
    from tests

)

select * from final
