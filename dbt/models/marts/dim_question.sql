-- One row per wave, group and raw variable: which harmonised question item it holds, in Dutch.

with

variables as (

    select * from {{ ref('codebook_variables') }}

),

questions as (

    select * from {{ ref('codebook_questions') }}

),

final as (

    select
        variables.wave,
        variables.respondent_group,
        variables.raw_variable,
        variables.question_id,
        variables.item_id,
        variables.question_text,
        variables.item_text,
        questions.question_type,
        questions.topic,
        questions.chapter,
        questions.question_label,
        variables.asked_if,
        variables.routing_text
    from variables
    inner join questions on variables.question_id = questions.question_id

)

select * from final
