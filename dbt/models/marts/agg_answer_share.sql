-- One row per wave, group, item and answer code (and per combined answer): the weighted share among
-- those who answered, with its 95% interval under fixed weights (int_answer_shares), the interval under
-- the raked calibrated design (standard errors from the statistics stage, stats.calibrated_standard_errors),
-- and the effective base: Kish's effective n = (sum w)^2 / sum w^2 of the item's respondents, the design
-- effect of the weighting n / effective n, and the smallest difference from another share on an equal
-- effective base that a two-sided test at 5% would find with 80% power.

with

shares as (

    select * from {{ ref('int_answer_shares') }}

),

calibrated as (

    select * from {{ source('stats', 'calibrated_standard_errors') }}

),

joined as (

    select
        shares.*,
        -- a code nobody chose has u = 0 for everyone: a standard error of exactly 0 under any design
        case
            when shares.n = 0 then 0 else calibrated.standard_error
        end as standard_error_calibrated,
        power(shares.weight_total, 2) / shares.weight_squares as effective_n
    from shares
    left join calibrated
        on
            shares.wave = calibrated.wave
            and shares.respondent_group = calibrated.respondent_group
            and shares.item_id = calibrated.item_id
            and shares.answer_code is not distinct from calibrated.answer_code
            and shares.answer_grouping is not distinct from calibrated.answer_grouping

),

final as (

    select
        wave,
        respondent_group,
        question_id,
        item_id,
        answer_code,
        answer_label,
        sort_order,
        n,
        base_n,
        share,
        standard_error,
        ci_low,
        ci_high,
        is_small_base,
        group_label,
        answer_grouping,
        standard_error_calibrated,
        greatest(0, share - {{ var('z_95') }} * standard_error_calibrated) as ci_low_calibrated,
        least(1, share + {{ var('z_95') }} * standard_error_calibrated) as ci_high_calibrated,
        effective_n,
        base_n / effective_n as design_effect,
        ({{ var('z_95') }} + {{ var('z_power_80') }}) * sqrt(2 * share * (1 - share) / effective_n)
            as min_detectable_difference
    from joined

)

select * from final
