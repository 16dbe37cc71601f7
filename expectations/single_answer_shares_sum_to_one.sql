-- One row per wave, group and item of a single-answer or grid question: the sum of its shares over
-- all answer codes, which must be 1 (every respondent with an answer has exactly one).
select shares.wave, shares.respondent_group, shares.item_id, sum(shares.share) as share_total
from marts.agg_answer_share as shares
inner join codebook.codebook_questions as questions
    on shares.question_id = questions.question_id
where questions.question_type in ('single', 'grid')
    and shares.answer_grouping is null  -- a combined answer repeats its codes' shares
group by all
