-- One row per wave, group and numeric item (the 1-10 grade): the weighted mean with its 95% interval
-- under fixed weights (int_numeric_means) and under the raked calibrated design (standard error from the
-- statistics stage, stats.calibrated_standard_errors), Kish's effective n = (sum w)^2 / sum w^2, the
-- design effect of the weighting n / effective n, and the smallest difference from another mean with the
-- same spread on an equal effective base that a two-sided test at 5% would find with 80% power.

with

means as (

    select * from {{ ref('int_numeric_means') }}

),

calibrated as (

    select * from {{ source('stats', 'calibrated_standard_errors') }}
    where answer_code is null and answer_grouping is null

),

joined as (

    select
        means.*,
        calibrated.standard_error as standard_error_calibrated,
        power(means.weight_total, 2) / means.weight_squares as effective_n
    from means
    left join calibrated
        on
            means.wave = calibrated.wave
            and means.respondent_group = calibrated.respondent_group
            and means.item_id = calibrated.item_id

),

final as (

    select
        wave,
        respondent_group,
        question_id,
        item_id,
        n,
        mean,
        standard_deviation,
        standard_error,
        ci_low,
        ci_high,
        is_small_base,
        group_label,
        standard_error_calibrated,
        mean - {{ var('z_95') }} * standard_error_calibrated as ci_low_calibrated,
        mean + {{ var('z_95') }} * standard_error_calibrated as ci_high_calibrated,
        effective_n,
        n / effective_n as design_effect,
        ({{ var('z_95') }} + {{ var('z_power_80') }}) * sqrt(2 / effective_n) * standard_deviation
            as min_detectable_difference
    from joined

)

select * from final
