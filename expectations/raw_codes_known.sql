-- One row per wave, group, variable and raw code given: does the codebook map it to a question and
-- (for that wave) to a harmonised answer code?
with given as (
    select wave, respondent_group, raw_variable, raw_code, count(*) as answers
    from staging.stg_raw__answers
    group by all
)
select
    given.*,
    variables.question_id is not null and recodes.answer_code is not null as is_known
from given
left join codebook.codebook_variables as variables
    on given.wave = variables.wave
    and given.respondent_group = variables.respondent_group
    and given.raw_variable = variables.raw_variable
left join codebook.codebook_recodes as recodes
    on given.wave = recodes.wave
    and variables.question_id = recodes.question_id
    and given.raw_code = recodes.raw_code
