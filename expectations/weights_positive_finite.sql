-- One row per respondent: the raked weight and the weight scaled to the population.
select wave, respondent_group, respondent_id, weight, weight_population
from marts.fct_respondent
