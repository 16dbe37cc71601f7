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

    -- Every outcome of the classification but `onvolledig` (not in the base), in the seed's order.
    select
        cooperation_model,
        sort_order,
        label_nl as model_label
    from {{ ref('labels_cooperation_outcomes') }}
    where cooperation_model != 'onvolledig'

),

group_labels as (

    select * from {{ ref('labels_respondent_groups') }}

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
        models.model_label,
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

estimates as (

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
        base_n < {{ var('small_base') }} as is_small_base,
        model_label
    from shares

),

final as (

    select
        estimates.wave,
        estimates.respondent_group,
        estimates.cooperation_model,
        estimates.sort_order,
        estimates.n,
        estimates.base_n,
        estimates.share,
        estimates.standard_error,
        estimates.ci_low,
        estimates.ci_high,
        estimates.is_small_base,
        group_labels.label_nl as group_label,
        estimates.model_label
    from estimates
    left join group_labels on estimates.respondent_group = group_labels.respondent_group

)

select * from final
