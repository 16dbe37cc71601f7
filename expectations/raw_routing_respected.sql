-- One row per wave, group and routed item: how many answers were given by respondents whom the
-- routing (codebook asked_if: `<item_id> in (<codes>)`) does not ask it.
with routed as (
    select
        wave,
        respondent_group,
        item_id,
        raw_variable,
        regexp_extract(asked_if, '^\s*([a-z0-9_]+)\s+in', 1) as parent_item_id,
        list_transform(string_split(regexp_extract(asked_if, '\(([0-9,\s]+)\)', 1), ','), lambda c: trim(c)::integer)
            as parent_codes
    from codebook.codebook_variables
    where nullif(trim(asked_if), '') is not null
),
-- Only the answers a join below can use: the routed items' answers, and the answers to the items
-- that route them. Joining every answer to every answer held GBs in the hash join at 16.8 M answers.
children as (
    select answers.wave, answers.respondent_group, answers.respondent_id, answers.item_id
    from intermediate.int_answers_recoded as answers
    semi join routed
        on answers.wave = routed.wave
        and answers.respondent_group = routed.respondent_group
        and answers.item_id = routed.item_id
),
parents as (
    select answers.wave, answers.respondent_group, answers.respondent_id, answers.item_id, answers.answer_code
    from intermediate.int_answers_recoded as answers
    semi join (select distinct wave, respondent_group, parent_item_id from routed) as parent_items
        on answers.wave = parent_items.wave
        and answers.respondent_group = parent_items.respondent_group
        and answers.item_id = parent_items.parent_item_id
),
checked as (
    select
        routed.wave,
        routed.respondent_group,
        routed.item_id,
        routed.raw_variable,
        count(*) as answers,
        count(*) filter (where parent.answer_code is null or not list_contains(routed.parent_codes, parent.answer_code))
            as answers_outside_routing
    from routed
    inner join children as child
        on routed.wave = child.wave
        and routed.respondent_group = child.respondent_group
        and routed.item_id = child.item_id
    left join parents as parent
        on child.wave = parent.wave
        and child.respondent_group = parent.respondent_group
        and child.respondent_id = parent.respondent_id
        and routed.parent_item_id = parent.item_id
    group by all
)
select * from checked
