"""Every SQL statement of the viewer, with its parameters: the one place the viewer talks to DuckDB.

Each statement is named and takes DuckDB named parameters (`$question_id`): whatever a user types or
picks reaches DuckDB as a value, never as SQL text. `fetch` opens the serving copy read-only for one
statement and closes it again, so a publication that swaps the file in is seen by the next fetch and
never waits for a reader.

No Streamlit here: the publish stage writes the tabellenrapport workbook through the same statements.
The serving copy is `locations.serving_path()` (SERVING_PATH) unless a path is given.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

from publication.locations import serving_path

# --------------------------------------------------------------------------------------------------
# The publication and the catalogue: every page

_COMMON = {
    # The newest publication: what every cached result is keyed on.
    "publication": """
        select publication_id, published_at, project_commit, is_synthetic_sample, n_checks, n_errors, n_warnings,
               n_changes
        from marts.publication
        order by publication_id desc
        limit 1
    """,
    # The constants the figures were made with (dbt vars), e.g. the kindcentrum question and code.
    "settings": """
        select setting, setting_value from marts.warehouse_settings
    """,
    "groups": """
        select respondent_group, label_nl, sort_order
        from codebook.labels_respondent_groups
        order by sort_order
    """,
    "waves": """
        select distinct wave from marts.report_shares order by wave
    """,
    "catalog": """
        select question_id, item_id, question_text, item_text, question_type, question_label, topic, chapter,
               respondent_groups, group_labels, waves, meaning_differs_between_groups, has_open_answer
        from marts.question_catalog
        order by chapter, topic, question_id, item_id
    """,
    # Accent-folded, lowercase search over the catalogue: the search text is folded the same way.
    "catalog_search": """
        select distinct question_id
        from marts.question_catalog
        where contains(search_text, lower(strip_accents($text)))
    """,
}

# --------------------------------------------------------------------------------------------------
# Overzicht

_OVERZICHT: dict[str, str] = {
    # The factsheet's key shares: every answer row of the chosen questions in one wave; the page picks the answer.
    "overzicht_shares": """
        select s.respondent_group, s.group_label, s.group_sort_order, s.question_id, q.question_label,
               s.question_text, s.item_id, s.answer_code, s.answer_grouping, s.answer_label, s.share_pct,
               s.ci_low_pct, s.ci_high_pct, s.base_n, s.compared_with_wave, s.previous_share_pct,
               s.change_since_previous_wave
        from marts.report_shares s
        join codebook.codebook_questions q using (question_id)
        where s.wave = $wave and list_contains($questions, s.question_id)
        order by s.group_sort_order, s.question_id, s.answer_sort_order
    """,
    "overzicht_means": """
        select respondent_group, group_label, group_sort_order, question_id, question_text, mean, ci_low, ci_high,
               base_n, compared_with_wave, previous_mean, change_since_previous_wave
        from marts.report_means
        where wave = $wave and list_contains($questions, question_id)
        order by group_sort_order, question_id
    """,
    # The most named goals: per group and item the share on the scale's strongest answer (in sterke mate).
    # Open "Anders, namelijk" items stay out, as in the factsheet's top 3: their base is only who wrote one.
    "overzicht_goals": """
        with strongest as (
            select max(answer_sort_order) as answer_sort_order
            from marts.report_shares
            where question_id = $question_id and answer_grouping is null
        )
        select s.respondent_group, s.group_label, s.group_sort_order, s.item_id, s.item_text, s.answer_label,
               s.share_pct, s.base_n
        from marts.report_shares s
        join strongest using (answer_sort_order)
        join marts.question_catalog c on c.question_id = s.question_id and c.item_id = s.item_id
        where s.question_id = $question_id and s.wave = $wave and list_contains($groups, s.respondent_group)
          and s.answer_grouping is null and not c.has_open_answer
        order by s.group_sort_order, s.share_pct desc, s.item_id
    """,
    # Significant changes since the previous wave, with the bases of both waves from the test itself
    # (report_changes carries no base; the test row of the same method does).
    "overzicht_changes": """
        select c.respondent_group, c.group_label, g.sort_order as group_sort_order, c.question_id,
               q.question_label, c.question_text, c.item_id, c.item_text, c.answer_code, c.answer_grouping,
               c.answer_label, c.test_level, c.value_unit, c.compared_with_wave, c.value_before, c.value_after,
               c.difference, c.difference_ci_low, c.difference_ci_high, c.p_value, c.p_adjusted,
               c.holds_after_adjustment, t.n_from, t.n_to
        from marts.report_changes c
        join marts.test_wave_change t
          on t.wave = c.wave and t.respondent_group = c.respondent_group and t.question_id = c.question_id
         and t.item_id = c.item_id and t.answer_code is not distinct from c.answer_code
         and t.answer_grouping is not distinct from c.answer_grouping and t.test_level = c.test_level
         and t.method = c.method
        join codebook.labels_respondent_groups g on g.respondent_group = c.respondent_group
        join codebook.codebook_questions q on q.question_id = c.question_id
        where c.comparison = 'verandering' and c.wave = $wave
        order by g.sort_order, q.chapter, q.topic, c.question_id, c.item_id, c.answer_grouping nulls first,
                 c.answer_code
    """,
}

# --------------------------------------------------------------------------------------------------
# Factsheet: the blocks of Overzicht and of the factsheet PDF (publication/factsheet_blocks.py)

_FACTSHEET: dict[str, str] = {
    # Every answer row of the blocks' questions up to $wave, with the catalogue's one wording of the item
    # (a chart's shared axis), each group's own wording (item_text) and the kindcentrum test's bases.
    "factsheet_shares": """
        select s.wave, s.respondent_group, s.group_label, s.group_sort_order, s.question_id, s.item_id,
               c.item_text as item_label, s.item_text, c.has_open_answer, s.answer_code, s.answer_grouping,
               s.answer_label, s.answer_sort_order, s.share_pct as value, s.ci_low_pct as ci_low,
               s.ci_high_pct as ci_high, s.base_n, s.change_since_previous_wave, s.kindcentrum_difference,
               s.kindcentrum_share_pct as kindcentrum_value, s.other_share_pct as other_value, t.n_in, t.n_out
        from marts.report_shares s
        join marts.question_catalog c on c.question_id = s.question_id and c.item_id = s.item_id
        left join marts.test_subgroup t
          on t.wave = s.wave and t.respondent_group = s.respondent_group and t.question_id = s.question_id
         and t.item_id = s.item_id and t.answer_code is not distinct from s.answer_code
         and t.answer_grouping is not distinct from s.answer_grouping
         and t.test_level in ('answer', 'combined answer') and t.subgroup = 'kindcentrum' and t.is_default_method
        where s.wave <= $wave and list_contains($questions, s.question_id)
        order by s.group_sort_order, s.wave, s.item_id, s.answer_sort_order
    """,
    # The same for the mean grade.
    "factsheet_means": """
        select m.wave, m.respondent_group, m.group_label, m.group_sort_order, m.question_id, m.item_id,
               c.item_text as item_label, m.question_text as item_text, m.mean as value, m.ci_low, m.ci_high,
               m.base_n, m.change_since_previous_wave, m.kindcentrum_difference,
               m.kindcentrum_mean as kindcentrum_value, m.other_mean as other_value, t.n_in, t.n_out
        from marts.report_means m
        join marts.question_catalog c on c.question_id = m.question_id and c.item_id = m.item_id
        left join marts.test_subgroup t
          on t.wave = m.wave and t.respondent_group = m.respondent_group and t.question_id = m.question_id
         and t.item_id = m.item_id and t.test_level = 'mean' and t.subgroup = 'kindcentrum' and t.is_default_method
        where m.wave <= $wave and list_contains($questions, m.question_id)
        order by m.group_sort_order, m.wave, m.item_id
    """,
}

# --------------------------------------------------------------------------------------------------
# Vragen

_VRAGEN: dict[str, str] = {
    # One question of bijlage 2 for the chosen groups and waves. `item_label` is the catalogue's one wording of
    # the item (a chart's shared axis); `item_text` is the wording each group was asked (the table).
    "vragen_shares": """
        select s.wave, s.respondent_group, s.group_label, s.group_sort_order, s.question_id, s.item_id,
               c.item_text as item_label, s.item_text, c.has_open_answer, s.answer_code, s.answer_grouping,
               s.answer_label, s.answer_sort_order, s.share_pct, s.ci_low_pct, s.ci_high_pct, s.n, s.base_n,
               s.compared_with_wave, s.change_since_previous_wave, s.kindcentrum_difference
        from marts.report_shares s
        join marts.question_catalog c on c.question_id = s.question_id and c.item_id = s.item_id
        where s.question_id = $question_id
          and list_contains($groups, s.respondent_group) and list_contains($waves, s.wave)
        order by s.group_sort_order, s.wave, c.has_open_answer, s.item_id, s.answer_sort_order
    """,
    "vragen_means": """
        select wave, respondent_group, group_label, group_sort_order, question_id, item_id, mean, ci_low, ci_high,
               base_n, compared_with_wave, change_since_previous_wave, kindcentrum_difference
        from marts.report_means
        where question_id = $question_id
          and list_contains($groups, respondent_group) and list_contains($waves, wave)
        order by group_sort_order, wave, item_id
    """,
    # How each group was asked the question, in its latest wave.
    "vragen_wordings": """
        select distinct d.respondent_group, g.label_nl as group_label, g.sort_order, d.question_text
        from marts.dim_question d
        join codebook.labels_respondent_groups g on g.respondent_group = d.respondent_group
        where d.question_id = $question_id
        qualify d.wave = max(d.wave) over (partition by d.respondent_group)
        order by g.sort_order
    """,
    # Who was asked (routing), per group, over all waves.
    "vragen_routing": """
        select distinct d.respondent_group, g.label_nl as group_label, g.sort_order, d.routing_text
        from marts.dim_question d
        join codebook.labels_respondent_groups g on g.respondent_group = d.respondent_group
        where d.question_id = $question_id and coalesce(d.routing_text, '') <> ''
        order by g.sort_order, d.routing_text
    """,
}

# --------------------------------------------------------------------------------------------------
# Trends

_TRENDS: dict[str, str] = {
    # Every significant change between consecutive waves, with the bases of both waves from the test row of
    # the same method (report_changes carries no base), the topic from the catalogue and the pair's
    # comparability grade (B: the wording changed).
    "trends_changes": """
        select c.wave, c.compared_with_wave, c.respondent_group, c.group_label, g.sort_order as group_sort_order,
               k.chapter, k.topic, c.question_id, k.question_label, k.question_type, c.question_text, c.item_id,
               c.item_text, c.answer_code, c.answer_grouping, c.answer_label, c.test_level, c.value_unit,
               c.value_before, c.value_after, c.difference, c.difference_ci_low, c.difference_ci_high, c.method,
               c.p_value, c.p_adjusted, c.holds_after_adjustment, c.comparability_grade, t.n_from, t.n_to,
               r.robust, r.fragile_under
        from marts.report_changes c
        join codebook.labels_respondent_groups g on g.respondent_group = c.respondent_group
        join marts.question_catalog k on k.question_id = c.question_id and k.item_id = c.item_id
        left join marts.test_wave_change t
          on t.wave = c.wave and t.wave_from = c.compared_with_wave and t.respondent_group = c.respondent_group
         and t.question_id = c.question_id and t.item_id = c.item_id and t.test_level = c.test_level
         and t.answer_code is not distinct from c.answer_code
         and t.answer_grouping is not distinct from c.answer_grouping and t.method = c.method
        left join marts.robustness r
          on r.comparison = 'wave change' and r.wave = c.wave and r.wave_from = c.compared_with_wave
         and r.respondent_group = c.respondent_group and r.question_id = c.question_id and r.item_id = c.item_id
         and r.answer_code is not distinct from c.answer_code
         and r.answer_grouping is not distinct from c.answer_grouping and r.method = c.method
        where c.comparison = 'verandering'
        order by c.wave, g.sort_order, k.chapter, k.topic, c.question_id, c.item_id,
                 case c.test_level when 'question' then 0 when 'mean' then 1 when 'answer' then 2 else 3 end,
                 c.answer_code, c.answer_grouping
    """,
    # One item's shares in every wave and group, for the line over the waves, with how comparable each wave is
    # with the group's previous one (a grade C breaks the line).
    "trends_shares": """
        select wave, respondent_group, group_label, group_sort_order, answer_code, answer_grouping, answer_label,
               answer_sort_order, share_pct, ci_low_pct, ci_high_pct, n, base_n, comparability_grade,
               comparability_reason
        from marts.report_shares
        where question_id = $question_id and item_id = $item_id
        order by answer_sort_order, group_sort_order, wave
    """,
    # One item's mean (the grade) in every wave and group, with the comparability grades as for the shares.
    "trends_means": """
        select wave, respondent_group, group_label, group_sort_order, mean, ci_low, ci_high, base_n,
               comparability_grade, comparability_reason
        from marts.report_means
        where question_id = $question_id and item_id = $item_id
        order by group_sort_order, wave
    """,
    # Every trend break: an item whose answer options or meaning changed between a group's two waves (grade C
    # in the codebook), so the change was not tested; one row per group, item and wave pair, with what changed.
    "trends_breaks": """
        select distinct t.wave, t.wave_from, t.respondent_group, g.label_nl as group_label,
               g.sort_order as group_sort_order, k.chapter, k.topic, t.question_id, k.question_label, t.item_id,
               k.item_text, r.reason
        from marts.test_wave_change t
        join codebook.labels_respondent_groups g on g.respondent_group = t.respondent_group
        join marts.question_catalog k on k.question_id = t.question_id and k.item_id = t.item_id
        left join codebook.codebook_comparability r
          on r.wave = t.wave_to and r.compared_with_wave = t.wave_from and r.respondent_group = t.respondent_group
         and r.item_id = t.item_id
        where t.comparability_grade = 'C'
        order by t.wave, g.sort_order, k.chapter, k.topic, t.question_id, t.item_id
    """,
}

# --------------------------------------------------------------------------------------------------
# Kindcentra

_KINDCENTRA: dict[str, str] = {
    # The groups and waves with a kindcentrum comparison (only those asked the noemer question have one).
    "kindcentra_available": """
        select distinct wave, respondent_group, group_label, group_sort_order
        from marts.report_shares
        where kindcentrum_share_pct is not null
        order by group_sort_order, wave
    """,
    # Kindcentra against the rest for one group and wave, with the test's bases and interval of the difference
    # (the share rows carry the two shares and the marker, the test row of the default method the rest). The
    # test's statistic and denominator df give the interval that agrees with the marker (the page derives it).
    "kindcentra_shares": """
        select s.chapter, s.topic, s.question_id, k.question_label, k.question_type, s.item_id, s.item_text,
               s.answer_code, s.answer_grouping, s.answer_label, s.answer_sort_order, s.kindcentrum_share_pct,
               s.other_share_pct, 100 * t.difference as difference_pct,
               100 * t.difference_ci_low as difference_ci_low_pct, 100 * t.difference_ci_high as difference_ci_high_pct,
               s.kindcentrum_difference,
               s.kindcentrum_p_value, t.n_in, t.n_out, t.statistic, t.df_den, t.method, r.robust, r.fragile_under
        from marts.report_shares s
        join marts.question_catalog k on k.question_id = s.question_id and k.item_id = s.item_id
        left join marts.test_subgroup t
          on t.wave = s.wave and t.respondent_group = s.respondent_group and t.question_id = s.question_id
         and t.item_id = s.item_id and t.answer_code is not distinct from s.answer_code
         and t.answer_grouping is not distinct from s.answer_grouping
         and t.test_level in ('answer', 'combined answer') and t.subgroup = 'kindcentrum' and t.is_default_method
        left join marts.robustness r
          on r.comparison = 'kindcentrum' and r.wave = t.wave and r.respondent_group = t.respondent_group
         and r.question_id = t.question_id and r.item_id = t.item_id
         and r.answer_code is not distinct from t.answer_code
         and r.answer_grouping is not distinct from t.answer_grouping and r.method = t.method
        where s.wave = $wave and s.respondent_group = $group and s.kindcentrum_share_pct is not null
        order by s.chapter, s.topic, s.question_id, k.has_open_answer, s.item_id, s.answer_sort_order
    """,
    # The grade: kindcentra against the rest, with the t-test's bases.
    "kindcentra_means": """
        select m.question_id, m.question_text, m.item_id, m.kindcentrum_mean, m.other_mean,
               t.difference, t.difference_ci_low, t.difference_ci_high, m.kindcentrum_difference,
               m.kindcentrum_p_value, t.n_in, t.n_out, t.statistic, t.df_den, t.method, r.robust, r.fragile_under
        from marts.report_means m
        left join marts.test_subgroup t
          on t.wave = m.wave and t.respondent_group = m.respondent_group and t.question_id = m.question_id
         and t.item_id = m.item_id and t.test_level = 'mean' and t.subgroup = 'kindcentrum' and t.is_default_method
        left join marts.robustness r
          on r.comparison = 'kindcentrum' and r.wave = t.wave and r.respondent_group = t.respondent_group
         and r.question_id = t.question_id and r.item_id = t.item_id and r.answer_code is null
         and r.answer_grouping is null and r.method = t.method
        where m.wave = $wave and m.respondent_group = $group and m.kindcentrum_mean is not null
        order by m.question_id, m.item_id
    """,
    # Items not compared because a side had fewer respondents than the tests' minimum: one row per item.
    "kindcentra_not_compared": """
        select distinct k.chapter, k.topic, t.question_id, k.question_label, t.item_id, k.item_text,
               k.has_open_answer, t.n_in, t.n_out
        from marts.test_subgroup t
        join marts.question_catalog k on k.question_id = t.question_id and k.item_id = t.item_id
        where t.wave = $wave and t.respondent_group = $group and t.subgroup = 'kindcentrum'
          and t.is_default_method and not t.is_tested
        order by k.chapter, k.topic, t.question_id, k.has_open_answer, t.item_id
    """,
    # Who is a kindcentrum: the noemer question's wording, its answers and how many chose each, per wave and group.
    "kindcentra_noemer": """
        select s.wave, s.respondent_group, s.question_text, s.answer_code, s.answer_label, s.n, s.base_n
        from marts.report_shares s
        where s.question_id = $question_id and s.answer_grouping is null
        order by s.wave, s.group_sort_order, s.answer_sort_order
    """,
}

# --------------------------------------------------------------------------------------------------
# Samenwerkingsmodellen

_MODELLEN: dict[str, str] = {
    # Bijlage 1: which answer to which of the six questions fits which model, as in force in $wave
    # (per question the newest version of its rules not after that wave, as the warehouse classifies).
    "modellen_rules": """
        with in_force as (
            select *
            from codebook.cooperation_model_rules
            where valid_from_wave <= $wave
            qualify valid_from_wave = max(valid_from_wave) over (partition by question_id)
        )
        select r.valid_from_wave, r.question_id, q.question_label, r.answer_code, o.answer_label,
               o.sort_order as answer_sort_order, r.cooperation_model, l.label_nl as model_label,
               l.sort_order as model_sort_order
        from in_force r
        join codebook.labels_cooperation_outcomes l on l.cooperation_model = r.cooperation_model
        left join codebook.codebook_questions q on q.question_id = r.question_id
        left join codebook.codebook_answer_options o
          on o.question_id = r.question_id and o.answer_code = r.answer_code
        order by l.sort_order, r.question_id, o.sort_order
    """,
    # The distribution over the models and the two unclassified outcomes, every group and wave.
    "modellen_distribution": """
        select wave, respondent_group, group_label, group_sort_order, cooperation_model, model_label,
               model_sort_order, share_pct, ci_low_pct, ci_high_pct, n, base_n
        from marts.report_models
        order by group_sort_order, wave, model_sort_order
    """,
    # Respondents who did not answer all six questions (onvolledig) are outside the models' base, so
    # report_models has no row for them: they are the group's respondents minus that base.
    "modellen_incomplete": """
        select m.wave, m.respondent_group, l.cooperation_model, l.label_nl as model_label,
               l.sort_order as model_sort_order, w.respondents - m.base_n as n, w.respondents
        from (select distinct wave, respondent_group, base_n from marts.report_models) m
        join marts.weighting_diagnostics w on w.wave = m.wave and w.respondent_group = m.respondent_group
        join codebook.labels_cooperation_outcomes l on l.cooperation_model = 'onvolledig'
        order by m.wave, m.respondent_group
    """,
    # The boards' own estimate of how often each model occurs among their locations, in one wave.
    # The grid's items are named after the models, which gives them the models' order.
    "modellen_board_estimates": """
        select s.respondent_group, s.group_label, s.group_sort_order, s.item_id, s.item_text,
               coalesce(l.sort_order, 99) as model_sort_order, s.answer_code, s.answer_label, s.answer_sort_order,
               s.share_pct, s.ci_low_pct, s.ci_high_pct, s.n, s.base_n
        from marts.report_shares s
        left join codebook.labels_cooperation_outcomes l on s.item_id = s.question_id || '_' || l.cooperation_model
        where s.question_id = $question_id and s.wave = $wave and s.answer_grouping is null
        order by model_sort_order, s.item_id, s.answer_sort_order, s.group_sort_order
    """,
}

# --------------------------------------------------------------------------------------------------
# Methode en kwaliteit

_METHODE: dict[str, str] = {
    # Respondents against the population per stratum of one group and wave: what the weights correct.
    "methode_margins": """
        select m.variable, m.category, coalesce(m.category_label, m.category::varchar) as category_label,
               m.respondents, m.population_count, m.weighted_count,
               100 * m.respondents / sum(m.respondents) over (partition by m.variable) as respondent_pct,
               100 * m.population_count / sum(m.population_count) over (partition by m.variable) as population_pct,
               100 * m.respondents / nullif(m.population_count, 0) as coverage_pct
        from marts.weighting_margins as m
        left join marts.weighting_diagnostics as d using (wave, respondent_group)
        where m.respondent_group = $group and m.wave = $wave
        -- the variables in the order the population file names them
        order by list_position(string_split(d.stratification_variables, ', '), m.variable), m.category
    """,
    "methode_diagnostics": """
        select d.wave, d.respondent_group, d.group_label, d.method, d.stratification_variables, d.respondents,
               d.kish_design_effect, d.effective_sample_size, d.weighting_efficiency, d.min_weight, d.max_weight,
               d.iterations, d.population_total, d.weighted_total
        from marts.weighting_diagnostics as d
        left join codebook.labels_respondent_groups as g using (respondent_group)
        order by d.wave desc, g.sort_order
    """,
    # How many tests each method ran, per comparison: the page says in words what each method is.
    "methode_tests": """
        select comparison, method, bool_or(is_default_method) as is_default_method, count(*) as n_tests,
               count(*) filter (where is_tested) as n_tested,
               count(*) filter (where not is_tested) as n_not_tested,
               count(*) filter (where is_significant) as n_significant,
               count(*) filter (where p_adjusted < 0.05) as n_significant_adjusted
        from (
            select 'verandering' as comparison, method, is_default_method, is_tested, is_significant, p_adjusted
            from marts.test_wave_change
            union all
            select 'kindcentrum' as comparison, method, is_default_method, is_tested, is_significant, p_adjusted
            from marts.test_subgroup
        )
        group by comparison, method
        order by comparison desc, is_default_method desc, method
    """,
    # The quality evaluation a publication passed, row by row (one row per check, wave and group).
    "methode_quality": """
        select q.check_name, q.severity, q.asset, q.wave, q.respondent_group, g.label_nl as group_label,
               q.passed, q.element_count, q.unexpected_count, q.observed_value, q.observed, q.evaluated_at
        from marts.quality_result as q
        left join codebook.labels_respondent_groups as g using (respondent_group)
        where q.evaluation_id = (
            select quality_evaluation_id from marts.publication where publication_id = $shown_publication
        )
        order by q.severity, q.check_name, q.wave, g.sort_order
    """,
    "methode_publications": """
        select publication_id, published_at, project_commit, is_synthetic_sample, quality_evaluation_id,
               n_checks, n_errors, n_warnings, n_changes
        from marts.publication
        order by publication_id desc
    """,
    "methode_changes": """
        select publication_id, table_name, figure_key, figure, old_value, new_value
        from marts.publication_change
        order by publication_id desc, table_name, figure_key, figure
    """,
}

# --------------------------------------------------------------------------------------------------
# Tabellenrapport (the workbook the publish stage writes)

_TABELLENRAPPORT: dict[str, str] = {
    "tabellenrapport_chapters": """
        select distinct chapter from codebook.codebook_questions order by chapter
    """,
    # Every published share with where it goes in the workbook. The codebook seeds list questions and
    # items in the report's order and DuckDB keeps a table's insertion order, so rowid is that order.
    # A multiple-answer option is shown as the share that named it (code 1), as bijlage 2 does. The
    # catalog's texts are one group's; group_question_text/group_item_text are each group's own words.
    "tabellenrapport_shares": """
        with question_order as (
            select question_id, question_type, rowid as question_order from codebook.codebook_questions
        ),
        item_order as (
            select question_id, item_id, min(rowid) as item_order from codebook.codebook_variables group by all
        )
        select s.chapter, s.topic, s.question_id, q.question_type, q.question_order, s.item_id, i.item_order,
               c.question_text, c.item_text, c.question_label, s.question_text as group_question_text,
               s.item_text as group_item_text, s.wave, s.respondent_group, s.group_label, s.group_sort_order,
               s.answer_code, s.answer_grouping, s.answer_label, s.answer_sort_order, s.share_pct, s.ci_low_pct,
               s.ci_high_pct, s.base_n, s.change_since_previous_wave, s.kindcentrum_difference
        from marts.report_shares as s
        inner join question_order as q using (question_id)
        left join item_order as i using (question_id, item_id)
        left join marts.question_catalog as c using (question_id, item_id)
        where q.question_type <> 'multi' or s.answer_code = 1
        order by q.question_order, i.item_order, s.item_id, s.answer_sort_order, s.group_sort_order, s.wave
    """,
    "tabellenrapport_means": """
        select q.chapter, m.question_id, m.item_id, m.wave, m.respondent_group, m.group_label, m.group_sort_order,
               m.mean, m.ci_low, m.ci_high, m.base_n, m.change_since_previous_wave, m.kindcentrum_difference
        from marts.report_means as m
        inner join codebook.codebook_questions as q using (question_id)
        order by m.question_id, m.item_id, m.group_sort_order, m.wave
    """,
    # The models belong to the chapter of most of the questions they are built from (bijlage 1's rules).
    "tabellenrapport_models": """
        select
            (
                select mode(q.chapter)
                from codebook.cooperation_model_rules as r
                inner join codebook.codebook_questions as q using (question_id)
            ) as chapter,
            wave, respondent_group, group_label, group_sort_order, cooperation_model, model_label,
            model_sort_order, share_pct, ci_low_pct, ci_high_pct, base_n
        from marts.report_models
        order by model_sort_order, group_sort_order, wave
    """,
}


QUERIES: dict[str, str] = {
    **_COMMON,
    **_OVERZICHT,
    **_FACTSHEET,
    **_VRAGEN,
    **_TRENDS,
    **_KINDCENTRA,
    **_MODELLEN,
    **_METHODE,
    **_TABELLENRAPPORT,
}


def fetch(name: str, params: Mapping[str, object] | None = None, path: Path | None = None) -> pd.DataFrame:
    """Run statement `name` with its named parameters on a fresh read-only connection to the serving copy."""
    with duckdb.connect(str(path or serving_path()), read_only=True) as con:
        return con.execute(QUERIES[name], dict(params or {})).df()


def is_published(path: Path | None = None) -> bool:
    """Whether a serving copy exists to read (before the first `make run` there is none)."""
    return (path or serving_path()).exists()
