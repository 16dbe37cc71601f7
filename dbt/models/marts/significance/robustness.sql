-- One row per finding the default method calls significant (a wave change or a kindcentrum
-- difference), with its p-value unweighted, with fixed weights, under the calibrated design and with
-- trimmed weights: the statistics stage's rows (schema stats, asset stats/robustness) typed. robust
-- is significant under all four; fragile_under names the treatments under which it is not.

with

findings as (

    select * from {{ source('stats', 'robustness') }}

),

final as (

    select
        comparison::varchar as comparison,
        respondent_group::varchar as respondent_group,
        question_id::varchar as question_id,
        item_id::varchar as item_id,
        answer_code::integer as answer_code,
        answer_grouping::varchar as answer_grouping,
        wave::integer as wave,
        wave_from::integer as wave_from,
        method::varchar as method,  -- noqa: RF04
        difference::double as difference,
        p_unweighted::double as p_unweighted,
        p_fixed::double as p_fixed,
        p_calibrated::double as p_calibrated,
        p_trimmed::double as p_trimmed,
        robust::boolean as robust,
        fragile_under::varchar as fragile_under,
        trim_weight_multiple::double as trim_weight_multiple
    from findings

)

select * from final
