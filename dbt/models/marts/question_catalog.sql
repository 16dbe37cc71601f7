-- One row per question and item: what was asked, of which groups, in which waves, in the latest
-- wording, how comparable each wave is with the previous one (codebook_comparability), with a search
-- column that ignores case and accents (`een team` finds `één team`).
-- The codebook (codebook_variables) has a row per wave, group and raw variable; this folds them.

with

variables as (

    select * from {{ ref('codebook_variables') }}

),

questions as (

    select * from {{ ref('codebook_questions') }}

),

options as (

    select * from {{ ref('codebook_answer_options') }}

),

group_labels as (

    select * from {{ ref('labels_respondent_groups') }}

),

comparability as (

    select * from {{ ref('codebook_comparability') }}

),

asked as (

    select
        variables.wave,
        variables.respondent_group,
        variables.question_id,
        variables.item_id,
        variables.question_text,
        variables.item_text,
        group_labels.label_nl as group_label,
        group_labels.sort_order as group_order
    from variables
    left join group_labels on variables.respondent_group = group_labels.respondent_group

),

latest_wording as (

    -- The latest wave's wording; within that wave, the first group in the report's order.
    select
        question_id,
        item_id,
        question_text,
        item_text
    from asked
    qualify row_number() over (partition by question_id, item_id order by wave desc, group_order asc) = 1

),

wordings as (

    select
        question_id,
        item_id,
        list_sort(list(distinct question_text)) as question_texts,
        list_sort(list(distinct item_text)) as item_texts,
        list(distinct wave order by wave) as waves
    from asked
    group by all

),

latest_per_group as (

    -- Each group once, in the latest wave it was asked the item.
    select * from asked
    qualify row_number() over (partition by question_id, item_id, respondent_group order by wave desc) = 1

),

groups_asked as (

    select
        question_id,
        item_id,
        list(respondent_group order by group_order) as respondent_groups,
        list(group_label order by group_order) as group_labels,
        list({ 'respondent_group': respondent_group, 'item_text': item_text } order by group_order)
            as item_text_by_group
    from latest_per_group
    group by all

),

wave_wordings as (

    select
        question_id,
        item_id,
        wave,
        count(distinct respondent_group) as groups_in_wave,
        count(distinct item_text) as item_wordings_in_wave
    from asked
    group by all

),

group_differences as (

    -- The same item worded differently for two groups in the same wave: `innovatie` is innovation of
    -- teaching for schools and a change of pedagogical approach for childcare, under one item_id.
    select
        question_id,
        item_id,
        bool_or(groups_in_wave > 1 and item_wordings_in_wave > 1) as meaning_differs_between_groups
    from wave_wordings
    group by all

),

answer_labels as (

    -- Whether an answer is open: "Anders, namelijk" (accents and case folded, as a whole word).
    select
        question_id,
        list(answer_label order by sort_order) as answer_labels,
        bool_or(regexp_matches(strip_accents(lower(answer_label)), '\banders\b')) as has_open_option
    from options
    group by all

),

open_items as (

    -- An item that is itself the "Anders, namelijk" option of a multiple-answer question.
    select
        question_id,
        item_id,
        bool_or(regexp_matches(strip_accents(lower(item_text)), '\banders\b')) as is_open_item
    from asked
    group by all

),

graded as (

    -- Each graded wave pair of a group, on the item as that group was asked it in the later wave.
    select distinct
        asked.question_id,
        asked.item_id,
        asked.respondent_group,
        asked.group_order,
        comparability.compared_with_wave as wave_from,
        comparability.wave as wave_to,
        comparability.grade,
        comparability.reason
    from comparability
    inner join asked
        on
            comparability.wave = asked.wave
            and comparability.respondent_group = asked.respondent_group
            and comparability.item_id = asked.item_id

),

pair_grades as (

    select
        question_id,
        item_id,
        wave_from,
        wave_to,
        grade,
        list(respondent_group order by group_order) as graded_groups
    from graded
    group by all

),

pair_texts as (

    -- `2016→2019: A` when every group graded for the pair has one grade, else each grade with its groups:
    -- `2019→2022: A (basisscholen, kov_organisaties), C (schoolbesturen)`.
    select
        question_id,
        item_id,
        wave_from,
        wave_to,
        wave_from || '→' || wave_to || ': ' || case
            when count(*) = 1 then min(grade)
            else string_agg(grade || ' (' || array_to_string(graded_groups, ', ') || ')', ', ' order by grade)
        end as pair_text
    from pair_grades
    group by question_id, item_id, wave_from, wave_to

),

comparabilities as (

    select
        question_id,
        item_id,
        string_agg(pair_text, '; ' order by wave_to, wave_from) as comparability_grades
    from pair_texts
    group by all

),

comparability_lists as (

    select
        question_id,
        item_id,
        list(
            {
                'respondent_group': respondent_group,
                'wave_from': wave_from,
                'wave_to': wave_to,
                'grade': grade,
                'reason': reason
            }
            order by wave_to, group_order
        ) as comparability,
        bool_or(grade = 'C') as has_trend_break
    from graded
    group by all

),

final as (

    select
        wordings.question_id,
        wordings.item_id,
        latest_wording.question_text,
        latest_wording.item_text,
        case when len(wordings.question_texts) > 1 then wordings.question_texts end as question_texts,
        case when len(wordings.item_texts) > 1 then wordings.item_texts end as item_texts,
        groups_asked.item_text_by_group,
        questions.question_type,
        questions.question_label,
        questions.topic,
        questions.chapter,
        groups_asked.respondent_groups,
        groups_asked.group_labels,
        wordings.waves,
        answer_labels.answer_labels,
        group_differences.meaning_differs_between_groups,
        comparabilities.comparability_grades,
        comparability_lists.comparability,
        coalesce(comparability_lists.has_trend_break, false) as has_trend_break,
        open_items.is_open_item or coalesce(answer_labels.has_open_option, false) as has_open_answer,
        -- Each distinct text once, sorted so that the same codebook gives the same string.
        lower(
            array_to_string(
                list_sort(
                    list_distinct(
                        list_concat(
                            wordings.question_texts,
                            wordings.item_texts,
                            [questions.question_label, questions.topic, questions.chapter],
                            coalesce(answer_labels.answer_labels, [])
                        )
                    )
                ),
                ' '
            )
        ) as search_words
    from wordings
    inner join latest_wording
        on wordings.question_id = latest_wording.question_id and wordings.item_id = latest_wording.item_id
    inner join groups_asked
        on wordings.question_id = groups_asked.question_id and wordings.item_id = groups_asked.item_id
    inner join group_differences
        on wordings.question_id = group_differences.question_id and wordings.item_id = group_differences.item_id
    inner join open_items
        on wordings.question_id = open_items.question_id and wordings.item_id = open_items.item_id
    left join comparabilities
        on wordings.question_id = comparabilities.question_id and wordings.item_id = comparabilities.item_id
    left join comparability_lists
        on wordings.question_id = comparability_lists.question_id and wordings.item_id = comparability_lists.item_id
    left join questions on wordings.question_id = questions.question_id
    left join answer_labels on wordings.question_id = answer_labels.question_id

)

-- The words lowercase as written, then once more without accents: a plain `like` with a lowercase pattern
-- finds a question whether the pattern has the accents (coöperatie) or not (cooperatie).
select
    * exclude (search_words),
    search_words || ' ' || strip_accents(search_words) as search_text
from final
