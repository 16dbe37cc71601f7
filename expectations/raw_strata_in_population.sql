-- One row per wave, group, stratification variable and code found in the answer file: does the
-- population file list that category? (value_labels has no say here: the codes are the file's own.)
with strata_variables as (
    select distinct wave, respondent_group, variable from raw.population
),
given as (
    select wave, 'basisscholen' as respondent_group, variable, code
    from (unpivot raw.basisscholen on columns(* exclude ($raw_metadata_columns))
          into name variable value code)
    union all
    select wave, 'kov_organisaties', variable, code
    from (unpivot raw.kov_organisaties on columns(* exclude ($raw_metadata_columns))
          into name variable value code)
    union all
    select wave, 'schoolbesturen', variable, code
    from (unpivot raw.schoolbesturen on columns(* exclude ($raw_metadata_columns))
          into name variable value code)
),
strata as (
    select given.wave, given.respondent_group, given.variable, given.code, count(*) as respondents
    from given
    semi join strata_variables
        on given.wave = strata_variables.wave
        and given.respondent_group = strata_variables.respondent_group
        and given.variable = strata_variables.variable
    group by all
)
select
    strata.*,
    population.category is not null as is_in_population
from strata
left join raw.population as population
    on strata.wave = population.wave
    and strata.respondent_group = population.respondent_group
    and strata.variable = population.variable
    and strata.code = population.category
