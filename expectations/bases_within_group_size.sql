-- One row per published base (a share's item or a mean): the base against the number of respondents
-- of the wave and group, which no base can exceed.
with respondents as (
    select wave, respondent_group, count(*) as respondents
    from marts.fct_respondent
    group by all
),
bases as (
    select distinct wave, respondent_group, item_id, base_n from marts.agg_answer_share
    union all
    select wave, respondent_group, item_id, n from marts.agg_numeric
)
select bases.*, coalesce(respondents.respondents, 0) as respondents
from bases
left join respondents
    on bases.wave = respondents.wave and bases.respondent_group = respondents.respondent_group
