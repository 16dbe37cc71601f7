-- One row per wave, group and respondent asked the six intensity questions A-F: the number of
-- answers fitting each model (rules of bijlage 1, from the seed, the newest version in force for the
-- wave) and the model assigned by the report's rule (all six answered, four or more fitting one
-- model: var model_threshold). Two models both reaching four is not settled by the report:
-- `niet_eenduidig`.

with

waves as (

    select distinct wave from {{ ref('int_answers_recoded') }}

),

rules_versioned as (

    select
        waves.wave,
        rules.question_id,
        rules.answer_code,
        rules.cooperation_model,
        rules.valid_from_wave,
        max(rules.valid_from_wave) over (partition by waves.wave, rules.question_id) as newest_version
    from {{ ref('cooperation_model_rules') }} as rules
    inner join waves
        on rules.valid_from_wave <= waves.wave

),

rules as (

    select
        wave,
        question_id,
        answer_code,
        cooperation_model
    from rules_versioned
    where valid_from_wave = newest_version

),

model_questions as (

    select distinct
        wave,
        question_id
    from rules

),

model_question_counts as (

    -- The number of model questions in each wave: a respondent who answered fewer is `onvolledig`.
    select
        wave,
        count(*) as model_questions
    from model_questions
    group by all

),

answers as (

    select
        answers.wave,
        answers.respondent_group,
        answers.respondent_id,
        answers.question_id,
        answers.answer_code
    from {{ ref('int_answers_recoded') }} as answers
    inner join model_questions
        on answers.wave = model_questions.wave and answers.question_id = model_questions.question_id

),

asked_groups as (

    -- Groups whose questionnaire has the model questions in that wave.
    select distinct
        wave,
        respondent_group
    from answers

),

respondents as (

    select
        respondents.wave,
        respondents.respondent_group,
        respondents.respondent_id
    from {{ ref('stg_raw__respondents') }} as respondents
    inner join asked_groups
        on respondents.wave = asked_groups.wave and respondents.respondent_group = asked_groups.respondent_group

),

counts as (

    select
        respondents.wave,
        respondents.respondent_group,
        respondents.respondent_id,
        count(distinct answers.question_id) as questions_answered,
        count(distinct case when rules.cooperation_model = 'stand_alone' then answers.question_id end)
            as matches_stand_alone,
        count(distinct case when rules.cooperation_model = 'face_to_face' then answers.question_id end)
            as matches_face_to_face,
        count(distinct case when rules.cooperation_model = 'hand_in_hand' then answers.question_id end)
            as matches_hand_in_hand,
        count(distinct case when rules.cooperation_model = 'all_in_one' then answers.question_id end)
            as matches_all_in_one
    from respondents
    left join answers
        on
            respondents.wave = answers.wave
            and respondents.respondent_group = answers.respondent_group
            and respondents.respondent_id = answers.respondent_id
    left join rules
        on
            answers.wave = rules.wave
            and answers.question_id = rules.question_id
            and answers.answer_code = rules.answer_code
    group by all

),

final as (

    select
        counts.*,
        (counts.matches_stand_alone >= {{ var('model_threshold') }})::int
        + (counts.matches_face_to_face >= {{ var('model_threshold') }})::int
        + (counts.matches_hand_in_hand >= {{ var('model_threshold') }})::int
        + (counts.matches_all_in_one >= {{ var('model_threshold') }})::int as models_reaching_threshold,
        case
            when counts.questions_answered < model_question_counts.model_questions then 'onvolledig'
            when models_reaching_threshold = 0 then 'niet_in_te_delen'
            when models_reaching_threshold > 1 then 'niet_eenduidig'
            when counts.matches_stand_alone >= {{ var('model_threshold') }} then 'stand_alone'
            when counts.matches_face_to_face >= {{ var('model_threshold') }} then 'face_to_face'
            when counts.matches_hand_in_hand >= {{ var('model_threshold') }} then 'hand_in_hand'
            else 'all_in_one'
        end as cooperation_model
    from counts
    left join model_question_counts
        on counts.wave = model_question_counts.wave

)

select * from final
