"""Report tables and combined answers: bijlage 2 labelled, and the report's groupings shared and tested.

Runs on the warehouse the embedded sample builds (session fixture `con`); expected values come from
the report (tests/reference) or are recomputed from fct_answer.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.dbt_project import dbt_project
from dagster_project.sample_data.report_reference import ReportReference

pytestmark = pytest.mark.slow


def test_every_share_is_in_report_shares_with_dutch_labels_and_the_same_figures(con):
    missing = con.execute(
        """
        select count(*) from marts.agg_answer_share as a
        anti join marts.report_shares as r
            on a.wave = r.wave and a.respondent_group = r.respondent_group and a.item_id = r.item_id
            and a.answer_code is not distinct from r.answer_code
            and a.answer_grouping is not distinct from r.answer_grouping
        """
    ).fetchone()[0]
    assert missing == 0
    rows = con.execute("select * from marts.report_shares").df()
    assert len(rows) == con.execute("select count(*) from marts.agg_answer_share").fetchone()[0]
    for column in ("group_label", "question_text", "item_text", "answer_label", "topic"):
        assert rows[column].fillna("").str.strip().ne("").all(), column
    shares = con.execute("select * from marts.agg_answer_share").df()
    merged = rows.merge(shares, on=["wave", "respondent_group", "item_id", "answer_code", "answer_grouping"])
    assert np.allclose(merged["share_pct"], 100 * merged["share"], rtol=0, atol=1e-12)
    assert (merged["is_small_base_x"] == (merged["base_n_x"] < 30)).all()


def test_one_question_of_report_shares_is_a_table_of_bijlage_2(con):
    table = con.execute(
        """
        select answer_label, round(share_pct) as pct, base_n from marts.report_shares
        where question_id = 'duur' and wave = 2019 and respondent_group = 'basisscholen' and answer_grouping is null
        order by answer_sort_order
        """
    ).fetchall()
    reference = ReportReference().shares
    expected = reference[
        (reference["respondent_group"] == "basisscholen") & (reference["item_id"] == "duur")
    ].sort_values("answer_code")
    assert [row[1] for row in table] == expected["published_pct"].round().tolist()
    assert {row[2] for row in table} == set(expected["base_n"])
    assert table[0][0] == "Korter dan een jaar"


def test_a_combined_share_is_the_weighted_share_of_its_codes_recomputed_from_the_answers(con):
    combined = con.execute(
        "select * from marts.agg_answer_share where answer_grouping = 'meer_dan_5_jaar' "
        "and wave = 2019 and respondent_group = 'basisscholen'"
    ).df()
    answers = con.execute(
        "select weight, answer_code from marts.fct_answer "
        "where wave = 2019 and respondent_group = 'basisscholen' and item_id = 'duur'"
    ).df()
    chosen = answers["answer_code"].isin([4, 5])
    assert combined["share"].iloc[0] == pytest.approx(answers.loc[chosen, "weight"].sum() / answers["weight"].sum())
    assert combined["n"].iloc[0] == chosen.sum() and combined["base_n"].iloc[0] == len(answers)
    assert combined["answer_label"].iloc[0] == "Meer dan 5 jaar"


def test_meer_dan_5_jaar_of_the_school_directors_rises_significantly_from_2016_to_2019_as_the_report_says(con):
    # the report: "Toen werkte 31% meer dan vijf jaar samen" (2016) against 45% in 2019, significant
    row = con.execute(
        """
        select value_from, value_to, p_value, is_significant, test_level, value_unit from marts.test_wave_change
        where respondent_group = 'basisscholen' and answer_grouping = 'meer_dan_5_jaar' and method = 'rao_scott_f'
        """
    ).fetchone()
    value_from, value_to, p_value, significant, level, unit = row
    assert round(100 * value_from) == 31 and round(100 * value_to) == 45
    assert significant and p_value < 0.001
    assert (level, unit) == ("combined answer", "share")
    listed = con.execute(
        "select answer_label, holds_after_adjustment from marts.report_changes "
        "where respondent_group = 'basisscholen' and answer_grouping = 'meer_dan_5_jaar'"
    ).fetchall()
    assert listed == [("Meer dan 5 jaar", True)]


def test_every_change_the_report_calls_significant_is_in_report_changes_labelled(con):
    changes = con.execute("select * from marts.report_changes where comparison = 'verandering'").df()
    groupings = con.execute(
        "select question_id, answer_grouping, list(answer_code order by answer_code) as codes "
        "from codebook.codebook_answer_groupings group by all"
    ).df()
    by_codes = {(question, tuple(codes)): grouping for question, grouping, codes in groupings.itertuples(index=False)}
    missing = []
    for row in ReportReference().changes.itertuples():
        found = changes[(changes["respondent_group"] == row.respondent_group) & (changes["item_id"] == row.item_id)]
        if row.measure == "mean":
            found = found[found["test_level"] == "mean"]
        elif len(row.codes) > 1:
            found = found[found["answer_grouping"] == by_codes[(row.question_id, tuple(sorted(row.codes)))]]
        else:
            found = found[(found["answer_code"] == row.codes[0]) & found["answer_grouping"].isna()]
        if len(found) != 1 or found["group_label"].iloc[0] == "":
            missing.append(f"{row.respondent_group}/{row.item_id} {row.codes}")
    assert not missing, missing
    whole = changes["test_level"] == "question"
    assert (
        changes.loc[~whole, "value_unit"].isin(["share", "mean"]).all()
        and changes.loc[whole, "value_unit"].isna().all()
    )
    assert set(changes["test_level"]) <= {"question", "answer", "combined answer", "mean"}


def test_report_means_and_models_carry_labels_and_the_grades_change_markers(con):
    means = con.execute("select * from marts.report_means").df()
    assert len(means) == con.execute("select count(*) from marts.agg_numeric").fetchone()[0]
    childcare = means[(means["respondent_group"] == "kov_organisaties") & (means["wave"] == 2019)].iloc[0]
    # the report: the childcare managers' grade fell significantly from 6.9 to 6.7
    assert childcare["change_since_previous_wave"] == "lager" and childcare["group_label"] == "Kinderopvangorganisaties"
    models = con.execute("select * from marts.report_models").df()
    assert len(models) == con.execute("select count(*) from marts.agg_cooperation_model").fetchone()[0]
    assert models["model_label"].str.len().gt(0).all()
    sums = models.groupby(["wave", "respondent_group"])["share_pct"].sum()
    assert np.allclose(sums, 100)


def test_the_manifest_has_the_test_marts_as_dbt_models_with_an_enforced_contract():
    manifest = json.loads(dbt_project().manifest_path.read_text())
    models = {node["name"]: node for node in manifest["nodes"].values() if node["resource_type"] == "model"}
    for name in ("test_wave_change", "test_subgroup"):
        assert models[name]["config"]["contract"]["enforced"] is True
        assert models[name]["schema"] == "marts"
        assert "source.samenwerking_in_beeld.stats." + name in models[name]["depends_on"]["nodes"]


def test_the_test_marts_use_one_integer_type_for_waves_and_codes(con):
    types = con.execute(
        """
        select table_name, column_name, data_type from duckdb_columns()
        where schema_name = 'marts' and column_name in ('wave', 'wave_from', 'wave_to', 'answer_code')
        """
    ).df()
    assert set(types["data_type"]) == {"INTEGER"}, types[types["data_type"] != "INTEGER"].to_string()
    assert pd.Series(["test_wave_change", "test_subgroup", "agg_answer_share"]).isin(types["table_name"]).all()
