-- One row per wave, group, respondent and item answered: the complete cases behind the significance
-- tests. Each answer with its weight, its question's type and the respondent's kindcentrum flag. A
-- view: int_significance_cells adds it up into the per-cell sums the tests read, so storing every
-- answer a second time would only cost space.

with

answers as (

    select * from {{ ref('fct_answer') }}

),

questions as (

    select * from {{ ref('dim_question') }}

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
        answers.weight,
        questions.question_type,
        respondents.is_kindcentrum
    from answers
    inner join questions
        on
            answers.wave = questions.wave
            and answers.respondent_group = questions.respondent_group
            and answers.item_id = questions.item_id
    inner join respondents
        on
            answers.wave = respondents.wave
            and answers.respondent_group = respondents.respondent_group
            and answers.respondent_id = respondents.respondent_id

)

select * from final
