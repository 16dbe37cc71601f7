-- One row per wave, group and cooperation outcome: the distribution over the four models of bijlage 1
-- and the respondents not classified (niet in te delen, niet eenduidig), labelled, in percent with
-- interval and base. Onvolledig (not all six questions answered) is outside the base, as in
-- agg_cooperation_model: its count is fct_respondent's, not a share of this table.

with

models as (

    select * from {{ ref('agg_cooperation_model') }}

),

groups as (

    select * from {{ ref('labels_respondent_groups') }}

),

outcomes as (

    select * from {{ ref('labels_cooperation_outcomes') }}

),

final as (

    select
        models.wave,
        models.respondent_group,
        groups.label_nl as group_label,
        groups.sort_order as group_sort_order,
        models.cooperation_model,
        outcomes.label_nl as model_label,
        outcomes.sort_order as model_sort_order,
        100 * models.share as share_pct,
        100 * models.ci_low as ci_low_pct,
        100 * models.ci_high as ci_high_pct,
        models.n,
        models.base_n,
        models.base_n < {{ var('small_base') }} as is_small_base
    from models
    inner join groups
        on models.respondent_group = groups.respondent_group
    inner join outcomes
        on models.cooperation_model = outcomes.cooperation_model

)

select * from final
