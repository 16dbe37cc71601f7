-- One row per wave, group and cooperation model (including niet_in_te_delen and niet_eenduidig):
-- the weighted share among respondents who answered all six questions A-F, with a 95% interval as
-- in agg_answer_share (linearised standard error, share +/- 1.96 se, clipped to [0, 1]).

with

classified as (

    select
        wave,
        respondent_group,
        cooperation_model,
        weight
    from {{ ref('fct_respondent') }}
    where cooperation_model is not null and cooperation_model != 'onvolledig'

),

bases as (

    select
        wave,
        respondent_group,
        count(*) as base_n,
        {{ exact_sum("weight") }} as weight_total,
        {{ exact_sum("weight * weight") }} as weight_squares
    from classified
    group by all

),

models as (

    select
        model_order.cooperation_model,
        model_order.sort_order
    from (
        values
        ('stand_alone', 1),
        ('face_to_face', 2),
        ('hand_in_hand', 3),
        ('all_in_one', 4),
        ('niet_eenduidig', 5),
        ('niet_in_te_delen', 6)
    ) as model_order (cooperation_model, sort_order)

),

chosen as (

    select
        wave,
        respondent_group,
        cooperation_model,
        count(*) as n,
        {{ exact_sum("weight") }} as weight_chosen,
        {{ exact_sum("weight * weight") }} as weight_squares_chosen
    from classified
    group by all

),

shares as (

    select
        bases.wave,
        bases.respondent_group,
        models.cooperation_model,
        models.sort_order,
        coalesce(chosen.n, 0) as n,
        bases.base_n,
        coalesce(chosen.weight_chosen, 0) / bases.weight_total as share,
        bases.weight_total,
        bases.weight_squares,
        coalesce(chosen.weight_squares_chosen, 0) as weight_squares_chosen
    from bases
    cross join models
    left join chosen
        on
            bases.wave = chosen.wave
            and bases.respondent_group = chosen.respondent_group
            and models.cooperation_model = chosen.cooperation_model

),

final as (

    select
        wave,
        respondent_group,
        cooperation_model,
        sort_order,
        n,
        base_n,
        share,
        {{ share_standard_error('share', 'base_n', 'weight_total', 'weight_squares', 'weight_squares_chosen') }}
            as standard_error,
        greatest(0, share - {{ var('z_95') }} * standard_error) as ci_low,
        least(1, share + {{ var('z_95') }} * standard_error) as ci_high,
        base_n < {{ var('small_base') }} as is_small_base
    from shares

)

select * from final
