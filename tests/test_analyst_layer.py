"""The analyst layer: labels, shared constants, the question catalogue, comments, keys and provenance.

Labels are data (seeds), constants shared by Python and dbt live in one place, questions can be found
by their text, the database carries the documentation, keys are tested as columns and provenance
paths do not depend on the machine that loaded the files. Run on the warehouse built from the
embedded sample (session fixture `con`, read-only).
"""

from __future__ import annotations

import configparser
import hashlib
import json
import re
from pathlib import Path

import duckdb
import jinja2
import pytest
import yaml

from dagster_project.lib import raw_store
from dagster_project.lib.groups import RESPONDENT_GROUPS, group_labels
from dagster_project.lib.paths import DBT_DIR, EMBEDDED_SAMPLE_DIR, PROJECT_ROOT
from dagster_project.lib.quality import EXPECTATIONS_DIR, load_checks
from publication import settings

pytestmark = pytest.mark.slow

MIN_COMMENTED = 0.9


def dbt_marts() -> list[str]:
    """The tables dbt builds in schema marts: one per model file in models/marts (subfolders too)."""
    return sorted(path.stem for path in (DBT_DIR / "models" / "marts").rglob("*.sql"))


def unique_combination_sql(relation: str, columns: list[str]) -> str:
    """The generic test dbt/tests/generic/unique_combination.sql rendered as dbt renders it."""
    source = (DBT_DIR / "tests" / "generic" / "unique_combination.sql").read_text()
    source = re.sub(r"{%\s*test\b", "{% macro", source)
    source = re.sub(r"{%\s*endtest\s*%}", "{% endmacro %}", source)
    macro = jinja2.Environment().from_string(source).module.unique_combination
    return str(macro(model=relation, combination_of_columns=columns))


def values(con: duckdb.DuckDBPyConnection, query: str, parameters: list | None = None) -> list:
    """The first column of a query's rows."""
    return [row[0] for row in con.execute(query, parameters or []).fetchall()]


def copy_of(con: duckdb.DuckDBPyConnection, mart: str) -> duckdb.DuckDBPyConnection:
    """An in-memory database holding a copy of a mart (the built warehouse stays read-only)."""
    copy = duckdb.connect()
    copy.register("original", con.execute(f"select * from marts.{mart}").df())
    copy.execute(f"create table {mart} as select * from original")
    copy.unregister("original")
    return copy


# --------------------------------------------------------------------------------------------------
# labels as data


@pytest.mark.parametrize(
    ("mart", "label"),
    [
        ("agg_answer_share", "group_label"),
        ("agg_numeric", "group_label"),
        ("agg_cooperation_model", "group_label"),
        ("agg_cooperation_model", "model_label"),
        ("weighting_diagnostics", "group_label"),
        ("weighting_margins", "group_label"),
        ("weighting_margins", "category_label"),
    ],
)
def test_every_row_of_a_mart_shown_to_people_has_a_non_empty_label(con, mart, label):
    rows, unlabelled = con.execute(
        f"select count(*), count(*) filter (where coalesce(trim({label}), '') = '') from marts.{mart}"
    ).fetchone()
    assert rows > 0
    assert unlabelled == 0


def test_agg_answer_share_labels_each_group_as_the_report_names_it(con):
    labels = dict(con.execute("select distinct respondent_group, group_label from marts.agg_answer_share").fetchall())
    assert labels == {
        "basisscholen": "Basisscholen",
        "kov_organisaties": "Kinderopvangorganisaties",
        "schoolbesturen": "Schoolbesturen",
        "kov_besturen": "Kov-besturen",
    }


def test_the_label_seeds_cover_every_group_and_every_cooperation_outcome_in_fct_respondent(con):
    groups = values(con, "select respondent_group from codebook.labels_respondent_groups")
    outcomes = set(values(con, "select cooperation_model from codebook.labels_cooperation_outcomes"))
    in_respondents = con.execute(
        "select list(distinct respondent_group), "
        "list(distinct cooperation_model) filter (cooperation_model is not null) from marts.fct_respondent"
    ).fetchone()

    assert sorted(groups) == sorted(RESPONDENT_GROUPS)
    assert set(in_respondents[0]) <= set(groups)
    assert set(in_respondents[1]) <= outcomes
    # every outcome the classification can give, and the sample gives each of them
    assert set(in_respondents[1]) == {
        "stand_alone",
        "face_to_face",
        "hand_in_hand",
        "all_in_one",
        "niet_in_te_delen",
        "niet_eenduidig",
        "onvolledig",
    }


def test_python_reads_the_group_labels_from_the_seed_the_marts_join(con):
    rows = con.execute(
        "select respondent_group, label_nl, label_en from codebook.labels_respondent_groups order by sort_order"
    ).fetchall()
    assert list(group_labels("nl").items()) == [(group, nl) for group, nl, _ in rows]
    assert list(group_labels("en").items()) == [(group, en) for group, _, en in rows]
    assert tuple(group_labels()) == RESPONDENT_GROUPS


# --------------------------------------------------------------------------------------------------
# constants in one place


def test_python_and_dbt_read_the_same_constants_from_dbt_project_yml():
    project_vars = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]
    assert settings.RESPONDENT_GROUPS == tuple(project_vars["respondent_groups"]) == RESPONDENT_GROUPS
    assert settings.KINDCENTRUM_ITEM == project_vars["kindcentrum_item"] == "noemer"
    assert settings.KINDCENTRUM_CODE == project_vars["kindcentrum_code"] == 3
    assert settings.MIN_TEST_BASE == project_vars["min_test_base"] == 30
    assert settings.SMALL_BASE == project_vars["small_base"] == 30
    assert settings.MODEL_THRESHOLD == project_vars["model_threshold"] == 4
    assert tuple(project_vars["raw_metadata_columns"]) == settings.RAW_METADATA_COLUMNS
    assert tuple(raw_store.META_COLUMNS) == settings.RAW_METADATA_COLUMNS


def test_sqlfluff_lints_with_the_vars_of_dbt_project_yml():
    # sqlfluff's jinja templater cannot read dbt_project.yml, so .sqlfluff holds a copy: it must not drift.
    config = configparser.ConfigParser(interpolation=None)
    config.read(PROJECT_ROOT / ".sqlfluff")
    sqlfluff_vars = json.loads(config["sqlfluff:templater:jinja:context"]["dbt_project_vars"])
    project_vars = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())["vars"]
    assert sqlfluff_vars == project_vars


def test_the_quality_queries_spell_out_the_raw_metadata_columns_from_the_shared_var():
    check = next(check for check in load_checks() if check.name == "raw_strata_in_population")
    assert "$raw_metadata_columns" not in check.query
    assert "exclude (" + ", ".join(settings.RAW_METADATA_COLUMNS) + ")" in check.query
    assert not any("source_sha256" in path.read_text() for path in EXPECTATIONS_DIR.glob("*.sql"))


def test_the_raw_metadata_columns_lead_every_raw_table_and_never_become_answers(con):
    metadata = list(settings.RAW_METADATA_COLUMNS)
    for group in RESPONDENT_GROUPS:
        columns = values(
            con,
            "select column_name from duckdb_columns() where schema_name = 'raw' and table_name = ? "
            "order by column_index",
            [group],
        )
        assert columns[: len(metadata)] == metadata, group
    leaked = con.execute(
        "select count(*) from staging.stg_raw__answers where raw_variable in ?", [metadata]
    ).fetchone()[0]
    assert leaked == 0


def test_the_cooperation_models_follow_the_shared_threshold(con):
    threshold = settings.MODEL_THRESHOLD
    wrong = con.execute(
        f"""
        select count(*) from marts.fct_respondent
        where (cooperation_model = 'stand_alone' and matches_stand_alone < {threshold})
           or (cooperation_model = 'face_to_face' and matches_face_to_face < {threshold})
           or (cooperation_model = 'hand_in_hand' and matches_hand_in_hand < {threshold})
           or (cooperation_model = 'all_in_one' and matches_all_in_one < {threshold})
           or (cooperation_model = 'niet_in_te_delen' and greatest(matches_stand_alone, matches_face_to_face,
               matches_hand_in_hand, matches_all_in_one) >= {threshold})
        """
    ).fetchone()[0]
    assert wrong == 0


# --------------------------------------------------------------------------------------------------
# the question catalogue


def test_the_catalogue_has_one_row_per_question_item_of_the_codebook(con):
    catalogue = con.execute("select count(*), count(distinct (question_id, item_id)) from marts.question_catalog")
    rows, keys = catalogue.fetchone()
    items = con.execute("select count(distinct (question_id, item_id)) from marts.dim_question").fetchone()[0]
    assert rows == keys == items == 113


def test_search_text_like_een_team_finds_the_item_whose_text_says_een_team_with_accents(con):
    accented = set(values(con, "select distinct item_id from marts.dim_question where item_text like '%één team%'"))
    found = set(values(con, "select item_id from marts.question_catalog where search_text like '%een team%'"))
    assert accented == {"praktijk_een_team"}
    assert accented <= found
    # the plain text column does not: the search column is what makes it findable
    plain = con.execute("select count(*) from marts.question_catalog where item_text like '%een team%'").fetchone()[0]
    assert plain == 0


def test_the_catalogue_flags_that_innovatie_means_something_else_for_schools_than_for_childcare(con):
    flag, by_group = con.execute(
        "select meaning_differs_between_groups, item_text_by_group from marts.question_catalog "
        "where item_id = 'innovatie'"
    ).fetchone()
    assert flag is True
    texts = {entry["respondent_group"]: entry["item_text"] for entry in by_group}
    assert "onderwijsleerproces" in texts["basisscholen"]
    assert "pedagogische aanpak" in texts["kov_organisaties"]
    # an item asked of two groups in the same words is not flagged
    same = con.execute(
        "select meaning_differs_between_groups, len(respondent_groups) from marts.question_catalog "
        "where item_id = 'praktijk_een_team'"
    ).fetchone()
    assert same == (False, 2)


def test_the_catalogue_lists_groups_in_report_order_and_marks_open_answers(con):
    groups, waves = con.execute(
        "select respondent_groups, waves from marts.question_catalog where item_id = 'samenwerking'"
    ).fetchone()
    assert groups == list(RESPONDENT_GROUPS)
    assert waves == [2016, 2019]
    open_answer = dict(
        con.execute(
            "select item_id, has_open_answer from marts.question_catalog "
            "where item_id in ('vorm_anders', 'juridisch', 'innovatie', 'duur')"
        ).fetchall()
    )
    assert open_answer["vorm_anders"] is True  # an "Anders, namelijk" option of a multiple-answer question
    assert open_answer["juridisch"] is True  # a single question with answer "Anders, namelijk"
    assert open_answer["innovatie"] is False and open_answer["duur"] is False


# --------------------------------------------------------------------------------------------------
# documentation inside the database


def test_at_least_90_percent_of_the_columns_dbt_builds_in_marts_have_a_comment(con):
    marts = dbt_marts()
    built = set(values(con, "select table_name from duckdb_tables() where schema_name = 'marts'"))
    assert set(marts) <= built
    commented, total = con.execute(
        "select count(comment), count(*) from duckdb_columns() where schema_name = 'marts' and table_name in ?",
        [marts],
    ).fetchone()
    assert total > 150
    assert commented / total >= MIN_COMMENTED, f"{commented} of {total} columns have a comment"
    tables = con.execute(
        "select count(*) from duckdb_tables() where schema_name = 'marts' and table_name in ? and comment is null",
        [marts],
    ).fetchone()[0]
    assert tables == 0


# --------------------------------------------------------------------------------------------------
# keys tested as columns


def test_unique_combination_fails_on_a_duplicate_key_row_in_a_copy_of_a_mart(con):
    key = ["wave", "respondent_group", "item_id", "answer_code", "answer_grouping"]
    with copy_of(con, "agg_answer_share") as copy:
        check = unique_combination_sql("agg_answer_share", key)
        assert copy.execute(check).fetchall() == []

        copy.execute("insert into agg_answer_share select * from agg_answer_share limit 1")
        assert len(copy.execute(check).fetchall()) == 1


def test_unique_combination_catches_duplicates_with_a_null_key_part_that_a_concatenated_key_skips(con):
    key = ["wave", "respondent_group", "item_id", "answer_code", "answer_grouping"]
    with copy_of(con, "agg_answer_share") as copy:
        copy.execute(
            "insert into agg_answer_share select * replace (null as answer_code) from agg_answer_share limit 1"
        )
        copy.execute(
            "insert into agg_answer_share select * from agg_answer_share "
            "where answer_code is null and answer_grouping is null"
        )
        concatenated = "wave || '|' || respondent_group || '|' || item_id || '|' || answer_code"
        # what dbt's unique test on the concatenated string runs: the null key is null, and skipped
        skipped = copy.execute(
            f"select k from (select {concatenated} as k from agg_answer_share) where k is not null "
            "group by k having count(*) > 1"
        ).fetchall()
        assert skipped == []
        assert len(copy.execute(unique_combination_sql("agg_answer_share", key)).fetchall()) == 1


def test_no_key_test_concatenates_columns_and_every_mart_has_a_unique_combination():
    concatenated, keyed = [], set()
    for path in [*(DBT_DIR / "models").rglob("*.yml"), *(DBT_DIR / "seeds").rglob("*.yml")]:
        document = yaml.safe_load(path.read_text()) or {}
        for node in [*document.get("models", []), *document.get("seeds", [])]:
            for test in node.get("data_tests", []) or []:
                if isinstance(test, dict) and "||" in str((test.get("unique") or {}).get("column_name", "")):
                    concatenated.append(f"{path.name}: {node['name']}")
                if isinstance(test, dict) and "unique_combination" in test:
                    keyed.add(node["name"])
    assert concatenated == []
    assert set(dbt_marts()) <= keyed


# --------------------------------------------------------------------------------------------------
# provenance paths


def test_raw_source_files_paths_are_relative_and_resolve_to_the_files_under_the_raw_folder(con):
    rows = con.execute("select source_file, sha256 from raw.source_files").fetchall()
    assert len(rows) == 14  # 2 waves x 4 answer files + 2 waves x 3 population files
    for source_file, sha256 in rows:
        path = Path(source_file)
        assert not path.is_absolute() and ".." not in path.parts, source_file
        assert path.parts[0] in ("waves", "population"), source_file
        resolved = EMBEDDED_SAMPLE_DIR / path
        assert resolved.is_file(), source_file
        assert hashlib.sha256(resolved.read_bytes()).hexdigest() == sha256
    respondent_files = set(values(con, "select distinct source_file from marts.fct_respondent"))
    assert respondent_files <= {source_file for source_file, _ in rows}
