-- One row per published share or mean with its 95% interval: the figure must lie inside it.
select wave, respondent_group, 'agg_answer_share' as figure_table, item_id, answer_code::varchar as figure_key,
       share as figure, ci_low, ci_high
from marts.agg_answer_share
union all
select wave, respondent_group, 'agg_numeric', item_id, null, mean, ci_low, ci_high
from marts.agg_numeric
union all
select wave, respondent_group, 'agg_cooperation_model', null, cooperation_model, share, ci_low, ci_high
from marts.agg_cooperation_model
