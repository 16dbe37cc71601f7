-- One row per grade (the numeric 1-10 items) as given in the answer files.
select answers.wave, answers.respondent_group, answers.raw_variable, answers.respondent_id, answers.raw_code as grade
from staging.stg_raw__answers as answers
inner join codebook.codebook_variables as variables
    on answers.wave = variables.wave
    and answers.respondent_group = variables.respondent_group
    and answers.raw_variable = variables.raw_variable
inner join codebook.codebook_questions as questions
    on variables.question_id = questions.question_id
where questions.question_type = 'numeric'
