-- One row per wave, group, respondent and item answered, in harmonised codes, with the weight.

with

answers as (

    select * from {{ ref('int_answers_recoded') }}

),

respondents as (

    select * from {{ ref('fct_respondent') }}

),

final as (

    select
        answers.wave,
        answers.respondent_group,
        answers.respondent_id,
        answers.question_id,
        answers.item_id,
        answers.answer_code,
        answers.answer_value,
        respondents.weight,
        answers.raw_variable,
        answers.raw_code
    from answers
    inner join respondents
        on
            answers.wave = respondents.wave
            and answers.respondent_group = respondents.respondent_group
            and answers.respondent_id = respondents.respondent_id

)

select * from final
