-- One row per wave, group, item, kindcentrum flag, calibration cell and answer, and one more per
-- wave, group, item, flag and calibration cell for the respondents who did not answer the item: the
-- sums the calibration-aware variance needs (lib/calibrated_variance.py). Under R's calibrated design
-- (calibrate(..., calfun = "raking") on every respondent of a wave and group) a share is a domain mean
-- whose influence values are regressed on the calibration margins over all respondents, those
-- outside the domain included; the margins are functions of the calibration cell (the
-- cross-classified strata), so the residuals depend only on the calibration cell and the answer, and
-- these sums are enough whatever the number of respondents. Exact decimal sums, as
-- int_significance_cells; the non-answerers are the cell's respondents minus its answerers, also exact.

with

answers as (

    select * from {{ ref('int_significance_answers') }}

),

respondents as (

    select
        respondents.wave,
        respondents.respondent_group,
        respondents.respondent_id,
        respondents.weight,
        respondents.is_kindcentrum,
        weights.calibration_cell
    from {{ ref('fct_respondent') }} as respondents
    inner join {{ source('weights', 'respondent_weights') }} as weights
        on
            respondents.wave = weights.wave
            and respondents.respondent_group = weights.respondent_group
            and respondents.respondent_id = weights.respondent_id

),

answered as (

    select
        answers.wave,
        answers.respondent_group,
        answers.question_id,
        answers.item_id,
        answers.question_type,
        answers.is_kindcentrum,
        respondents.calibration_cell,
        answers.answer_code,
        answers.answer_value,
        count(*) as n,
        sum((answers.weight)::decimal(38, 18)) as weight_sum,
        sum((answers.weight * answers.weight)::decimal(38, 18)) as weight_squares
    from answers
    inner join respondents
        on
            answers.wave = respondents.wave
            and answers.respondent_group = respondents.respondent_group
            and answers.respondent_id = respondents.respondent_id
    group by all

),

cell_totals as (

    select
        wave,
        respondent_group,
        is_kindcentrum,
        calibration_cell,
        count(*) as n,
        sum((weight)::decimal(38, 18)) as weight_sum,
        sum((weight * weight)::decimal(38, 18)) as weight_squares
    from respondents
    group by all

),

items as (

    select distinct
        wave,
        respondent_group,
        question_id,
        item_id,
        question_type
    from answered

),

answered_per_cell as (

    select
        wave,
        respondent_group,
        item_id,
        is_kindcentrum,
        calibration_cell,
        sum(n) as n,
        sum(weight_sum) as weight_sum,
        sum(weight_squares) as weight_squares
    from answered
    group by all

),

not_answered as (

    select
        items.wave,
        items.respondent_group,
        items.question_id,
        items.item_id,
        items.question_type,
        cell_totals.is_kindcentrum,
        cell_totals.calibration_cell,
        null::integer as answer_code,
        null::double as answer_value,
        cell_totals.n - coalesce(answered_per_cell.n, 0) as n,
        cell_totals.weight_sum - coalesce(answered_per_cell.weight_sum, 0) as weight_sum,
        cell_totals.weight_squares - coalesce(answered_per_cell.weight_squares, 0) as weight_squares
    from items
    inner join cell_totals
        on
            items.wave = cell_totals.wave
            and items.respondent_group = cell_totals.respondent_group
    left join answered_per_cell
        on
            items.wave = answered_per_cell.wave
            and items.respondent_group = answered_per_cell.respondent_group
            and items.item_id = answered_per_cell.item_id
            and cell_totals.is_kindcentrum is not distinct from answered_per_cell.is_kindcentrum
            and cell_totals.calibration_cell = answered_per_cell.calibration_cell

),

unioned as (

    select
        *,
        true as is_answered
    from answered
    union all by name
    select
        *,
        false as is_answered
    from not_answered
    where n > 0

),

final as (

    select
        wave,
        respondent_group,
        question_id,
        item_id,
        question_type,
        is_kindcentrum,
        calibration_cell,
        is_answered,
        answer_code,
        answer_value,
        n,
        weight_sum::double as weight_sum,
        weight_squares::double as weight_squares
    from unioned

)

select * from final
