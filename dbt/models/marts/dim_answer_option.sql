-- One row per question and harmonised answer code, with its Dutch label and order.

with

options as (

    select * from {{ ref('codebook_answer_options') }}

),

final as (

    select
        question_id,
        answer_code,
        answer_label,
        sort_order
    from options

)

select * from final
