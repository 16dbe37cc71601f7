"""The publication contract (`publication`): grains read from dbt, the log's tables, Dutch counts, the policy."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from dagster_project.lib import publication_log
from publication import base_policy, settings, texts
from publication.schema import COMPARED_FIGURES, LOG_TABLES, grain


def test_the_errata_keys_are_the_grains_the_dbt_yml_declares():
    assert grain("agg_answer_share") == ("wave", "respondent_group", "item_id", "answer_code", "answer_grouping")
    assert grain("agg_numeric") == ("wave", "respondent_group", "item_id")
    assert grain("test_wave_change") == (
        "respondent_group",
        "item_id",
        "answer_code",
        "answer_grouping",
        "wave_from",
        "wave_to",
        "method",
    )
    # Every mart whose figures the errata compare has a declared grain.
    assert all(grain(table) for table in COMPARED_FIGURES)


def test_a_model_without_a_declared_grain_is_named(tmp_path):
    (tmp_path / "m.yml").write_text("version: 2\nmodels:\n  - name: no_grain\n    columns: [{name: a}]\n")
    with pytest.raises(KeyError, match="no_grain has no unique_combination"):
        grain("no_grain", tmp_path)


def test_the_log_tables_are_created_typed_and_described_from_the_contract():
    con = duckdb.connect()
    con.execute("create schema marts")
    empty = {name: pd.DataFrame(columns=table.column_names) for name, table in LOG_TABLES.items()}
    publication_log.create_tables(con, empty, "marts")
    columns = con.execute(
        "select table_name, column_name, data_type, comment from duckdb_columns() where schema_name = 'marts'"
    ).df()
    for name, table in LOG_TABLES.items():
        created = columns[columns["table_name"] == name].set_index("column_name")
        assert list(created.index) == table.column_names
        for column in table.columns:
            assert created.loc[column.name, "data_type"] == column.type.upper()
            assert created.loc[column.name, "comment"] == column.description


def test_a_log_from_before_a_column_existed_reads_with_that_column_null():
    con = duckdb.connect()
    con.execute("create schema marts")
    con.execute(
        "create table marts.publication as select 1 as publication_id, now()::timestamp as published_at, "
        "'abc' as project_commit, true as is_synthetic_sample, 'e1' as quality_evaluation_id, "
        "'12 checks: 0 errors, 1 warnings' as quality_summary, 0 as n_changes"
    )
    log = publication_log.read_log(con, None)
    row = log["publication"].iloc[0]
    assert list(log["publication"].columns) == LOG_TABLES["publication"].column_names
    assert row["publication_id"] == 1 and row["quality_summary"].startswith("12 checks")
    assert pd.isna(row["n_checks"]) and pd.isna(row["n_warnings"])
    assert texts.dutch_quality_summary(row["n_checks"], row["n_errors"], row["n_warnings"]) == "–"


@pytest.mark.parametrize(
    ("counts", "dutch"),
    [
        ((12, 0, 1), "12 controles: 0 fouten, 1 waarschuwing"),
        ((12, 1, 2), "12 controles: 1 fout, 2 waarschuwingen"),
        ((12.0, 0.0, 0.0), "12 controles: 0 fouten, 0 waarschuwingen"),
        ((None, 0, 0), "–"),
    ],
)
def test_the_quality_counts_read_in_dutch(counts, dutch):
    assert texts.dutch_quality_summary(*counts) == dutch


def test_the_viewers_small_base_mark_is_the_warehouses_small_base():
    assert base_policy.MARK_BELOW == settings.SMALL_BASE
    frame = pd.DataFrame({"base_n": [settings.SMALL_BASE - 1, settings.SMALL_BASE], "share": [0.5, 0.5]})
    marked = base_policy.apply_base_policy(frame, "base_n", ["share"])
    assert marked[base_policy.STATUS_COLUMN].tolist() == [base_policy.MARKED, ""]


@pytest.mark.parametrize(
    ("robust", "fragile_under", "dutch"),
    [
        (True, None, "ja"),
        (False, "unweighted", "nee: niet significant ongewogen"),
        (False, "unweighted, trimmed", "nee: niet significant ongewogen en met afgetopte gewichten"),
        (
            False,
            "unweighted, fixed, calibrated",
            "nee: niet significant ongewogen, met vaste gewichten en met de kalibratie meegerekend",
        ),
        (None, None, "–"),
        (float("nan"), None, "–"),
    ],
)
def test_a_findings_robustness_reads_in_dutch(robust, fragile_under, dutch):
    assert texts.robustness_text(robust, fragile_under) == dutch
