-- One row per wave, group and respondent: weight, kindcentrum flag and cooperation model.

with

respondents as (

    select * from {{ ref('stg_raw__respondents') }}

),

weights as (

    select * from {{ source('weights', 'respondent_weights') }}

),

noemer as (

    select
        wave,
        respondent_group,
        respondent_id,
        answer_code
    from {{ ref('int_answers_recoded') }}
    where question_id = '{{ var("kindcentrum_item") }}'

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
        -- Null without an answer to noemer (boards, who are not asked; respondents the routing skipped
        -- or who left it open): "the rest" that kindcentra are compared with is those who named another.
        noemer.answer_code = {{ var('kindcentrum_code') }} as is_kindcentrum,
        models.cooperation_model,
        models.matches_stand_alone,
        models.matches_face_to_face,
        models.matches_hand_in_hand,
        models.matches_all_in_one,
        respondents.source_file,
        -- No load time: the marts depend only on the input files, so the same files give the same
        -- published tables; when a file was loaded is in raw.source_files and the publication log.
        respondents.source_sha256
    from respondents
    inner join weights
        on
            respondents.wave = weights.wave
            and respondents.respondent_group = weights.respondent_group
            and respondents.respondent_id = weights.respondent_id
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
