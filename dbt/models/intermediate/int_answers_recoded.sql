-- One row per wave, group, respondent and item answered, in harmonised codes.
-- A raw variable or code that the codebook does not know stops the build: DuckDB's error() raises
-- with a message that names the wave, the group, the variable and the code.

with

answers as (

    select * from {{ ref('stg_raw__answers') }}

),

variables as (

    select * from {{ ref('codebook_variables') }}

),

questions as (

    select * from {{ ref('codebook_questions') }}

),

recodes as (

    select * from {{ ref('codebook_recodes') }}

),

joined as (

    select
        answers.wave,
        answers.respondent_group,
        answers.respondent_id,
        answers.raw_variable,
        answers.raw_code,
        variables.question_id,
        variables.item_id,
        questions.question_type,
        recodes.answer_code
    from answers
    left join variables
        on
            answers.wave = variables.wave
            and answers.respondent_group = variables.respondent_group
            and answers.raw_variable = variables.raw_variable
    left join questions
        on variables.question_id = questions.question_id
    left join recodes
        on
            answers.wave = recodes.wave
            and variables.question_id = recodes.question_id
            and answers.raw_code = recodes.raw_code

),

checked as (

    select *
    from joined
    where
        case
            when question_id is null
                then error(
                    printf(
                        'wave %d, group %s: raw variable %s is not in the codebook (dbt/seeds/codebook_variables.csv)',
                        wave, respondent_group, raw_variable
                    )
                )
            when answer_code is null
                then error(
                    printf(
                        'wave %d, group %s, variable %s: raw code %s is not in the codebook for question %s '
                        || '(dbt/seeds/codebook_recodes.csv)',
                        wave, respondent_group, raw_variable, raw_code::varchar, question_id
                    )
                )
            else true
        end

),

final as (

    select
        wave,
        respondent_group,
        respondent_id,
        raw_variable,
        raw_code,
        question_id,
        item_id,
        answer_code,
        -- The value to average: only numeric questions (the 1-10 grade) have one.
        case when question_type = 'numeric' then answer_code::double end as answer_value
    from checked

)

select * from final
