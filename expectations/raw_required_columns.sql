-- One row per wave, group and variable the codebook or the population file expects in the answer
-- file: is it in the file as loaded (raw.variables lists every variable of every file)?
-- respondent_id is not listed there: raw_respondent_id_unique checks it.
with expected as (
    select wave, respondent_group, raw_variable as variable from codebook.codebook_variables
    union
    select distinct wave, respondent_group, variable from raw.population
)
select
    expected.wave,
    expected.respondent_group,
    expected.variable,
    loaded.variable is not null as is_in_file
from expected
left join raw.variables as loaded
    on expected.wave = loaded.wave
    and expected.respondent_group = loaded.respondent_group
    and expected.variable = loaded.variable
-- only the waves and groups that were delivered
semi join (select distinct wave, respondent_group from raw.source_files) as delivered
    on expected.wave = delivered.wave and expected.respondent_group = delivered.respondent_group
