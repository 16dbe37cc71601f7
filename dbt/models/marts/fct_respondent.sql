-- One row per wave, group and respondent: weight, kindcentrum flag and cooperation model.

with

respondents as (

    select * from {{ ref('stg_raw__respondents') }}

),

weights as (

    select * from {{ source('weights', 'respondent_weights') }}

),

noemer_asked as (

    -- Groups whose questionnaire has the "noemer" question in that wave.
    select distinct
        wave,
        respondent_group
    from {{ ref('codebook_variables') }}
    where question_id = 'noemer'

),

noemer as (

    select
        wave,
        respondent_group,
        respondent_id,
        answer_code
    from {{ ref('int_answers_recoded') }}
    where question_id = 'noemer'

),

models as (

    select * from {{ ref('int_cooperation_model_matches') }}

),

final as (

    select
        respondents.wave,
        respondents.respondent_group,
        respondents.respondent_id,
        weights.weight,
        weights.weight_population,
        -- Null for groups not asked the question; false for those asked who did not answer "kindcentrum".
        case
            when noemer_asked.wave is not null
                then coalesce(noemer.answer_code = {{ var('kindcentrum_code') }}, false)
        end as is_kindcentrum,
        models.cooperation_model,
        models.matches_stand_alone,
        models.matches_face_to_face,
        models.matches_hand_in_hand,
        models.matches_all_in_one,
        respondents.source_file,
        respondents.source_sha256,
        respondents.loaded_at
    from respondents
    inner join weights
        on
            respondents.wave = weights.wave
            and respondents.respondent_group = weights.respondent_group
            and respondents.respondent_id = weights.respondent_id
    left join noemer_asked
        on respondents.wave = noemer_asked.wave and respondents.respondent_group = noemer_asked.respondent_group
    left join noemer
        on
            respondents.wave = noemer.wave
            and respondents.respondent_group = noemer.respondent_group
            and respondents.respondent_id = noemer.respondent_id
    left join models
        on
            respondents.wave = models.wave
            and respondents.respondent_group = models.respondent_group
            and respondents.respondent_id = models.respondent_id

)

select * from final
