"""Publishing: what each copy holds, the publication log, the errata log, rollback with the documents, bad input.

Starts from the warehouse the embedded sample builds (the session fixture, which publishes into a
temporary folder), copied before anything changes it.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from published_documents import factsheet_publication, workbook_publication
from raw_files import THROUGH_THE_PIPELINE, copy_sample
from warehouse_build import copy_built, published_paths, published_tables, sha256

from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR, SEEDS_DIR
from dagster_project.lib.publication_log import table_checksum
from dagster_project.lib.publish import PublishRefused, publish, rollback
from dagster_project.pipeline import run_pipeline
from publication.locations import factsheet_path, workbook_path

pytestmark = pytest.mark.slow


# --------------------------------------------------------------------------------------------------
# what the copies hold


def test_the_serving_copy_holds_no_respondent_rows_and_the_analyst_copy_holds_them_all(built, con):
    serving, analyst = published_paths(built[0])
    with duckdb.connect(str(serving), read_only=True) as served:
        columns = served.execute("select table_name, column_name from duckdb_columns()").df()
        tables = set(served.execute("select table_name from duckdb_tables()").df()["table_name"])
    assert "respondent_id" not in set(columns["column_name"])
    assert {"agg_answer_share", "agg_numeric", "test_wave_change", "test_subgroup", "quality_result"} <= tables
    assert {"dim_question", "publication", "publication_change"} <= tables
    assert not {"fct_answer", "fct_respondent"} & tables

    with duckdb.connect(str(analyst), read_only=True) as analysts:
        for table in ("fct_answer", "fct_respondent", "agg_answer_share", "test_wave_change", "quality_result"):
            rows = analysts.execute(f"select count(*) from marts.{table}").fetchone()[0]
            assert rows == con.execute(f"select count(*) from marts.{table}").fetchone()[0], table
            assert rows > 0, table


def test_both_copies_carry_a_comment_on_every_marts_column_the_python_tables_included(built):
    for copy in published_paths(built[0]):
        with duckdb.connect(str(copy), read_only=True) as con:
            commented, total = con.execute(
                "select count(*) filter (where comment is not null), count(*) from duckdb_columns() "
                "where schema_name = 'marts'"
            ).fetchone()
            bare = con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' and comment is null"
            ).fetchall()
        assert total > 100 and commented == total, f"{copy.name}: {commented} of {total} columns have a comment"
        assert bare == []


def test_the_publication_log_names_every_input_with_its_sha256_and_every_table_with_its_checksum(built):
    serving, analyst = published_paths(built[0])
    with duckdb.connect(str(serving), read_only=True) as served:
        publication = served.execute("select * from marts.publication").df()
        inputs = served.execute("select * from marts.publication_input").df()
        tables = served.execute("select * from marts.publication_table").df()
    assert publication["publication_id"].tolist() == [1]
    assert publication["is_synthetic_sample"].tolist() == [True]
    assert publication["quality_summary"].iloc[0].endswith("0 errors, 1 warnings")

    expected = {
        str(path.relative_to(EMBEDDED_SAMPLE_DIR)): sha256(path)
        for folder in ("waves", "population")
        for path in (EMBEDDED_SAMPLE_DIR / folder).rglob("*")
        if path.is_file()
    } | {str(path.relative_to(SEEDS_DIR.parent)): sha256(path) for path in SEEDS_DIR.glob("*.csv")}
    assert dict(zip(inputs["path"], inputs["sha256"], strict=True)) == expected

    with duckdb.connect(str(analyst), read_only=True) as analysts:
        for row in tables.itertuples():
            assert table_checksum(analysts, row.table_name) == (row.row_count, row.checksum), row.table_name
    assert tables.set_index("table_name").loc["marts.fct_answer", "in_serving_copy"] == False  # noqa: E712


def test_a_changed_figure_is_logged_with_its_old_and_new_value_and_nothing_else_is(built, tmp_path):
    warehouse = copy_built(built, tmp_path)
    serving, analyst = published_paths(warehouse)
    with duckdb.connect(str(warehouse)) as con:
        old_mean = con.execute(
            "select mean from marts.agg_numeric where wave = 2019 and respondent_group = 'schoolbesturen'"
        ).fetchone()[0]
        con.execute(
            "update marts.agg_numeric set mean = mean + 0.25 where wave = 2019 and respondent_group = 'schoolbesturen'"
        )
        con.execute(
            "update marts.test_subgroup set is_significant = not is_significant "
            "where wave = 2019 and respondent_group = 'basisscholen' and item_id = 'rapportcijfer' "
            "and method = 'svyttest'"
        )
        publication = publish(con, serving, analyst, EMBEDDED_SAMPLE_DIR)

    assert publication.publication_id == 2
    assert publication.n_changes == 2
    with duckdb.connect(str(serving), read_only=True) as served:
        changes = served.execute("select * from marts.publication_change order by table_name").df()
        log = served.execute("select publication_id, n_changes from marts.publication order by 1").fetchall()
    assert log == [(1, 0), (2, 2)]
    mean = changes[changes["table_name"] == "agg_numeric"].iloc[0]
    assert mean["figure"] == "mean"
    assert mean["figure_key"] == "wave=2019, respondent_group=schoolbesturen, item_id=rapportcijfer"
    assert mean["old_value"] == pytest.approx(old_mean, abs=0) and mean["new_value"] == pytest.approx(old_mean + 0.25)
    flipped = changes[changes["table_name"] == "test_subgroup"].iloc[0]
    assert flipped["figure"] == "is_significant" and {flipped["old_value"], flipped["new_value"]} == {0.0, 1.0}
    assert set(changes["publication_id"]) == {2}


def test_a_rollback_serves_the_previous_publication_and_its_documents_again_and_numbers_are_never_reused(
    built, tmp_path
):
    warehouse = copy_built(built, tmp_path)
    serving, analyst = published_paths(warehouse)
    workbook, factsheet = workbook_path(serving), factsheet_path(serving)
    first = {path: sha256(path) for path in (serving, analyst, workbook, factsheet)}
    assert (workbook_publication(workbook), factsheet_publication(factsheet)) == (1, 1)
    with duckdb.connect(str(warehouse)) as con:
        publication = publish(con, serving, analyst, EMBEDDED_SAMPLE_DIR)
    assert publication.publication_id == 2
    assert (publication.workbook_path, publication.factsheet_path) == (workbook, factsheet)
    assert (workbook_publication(workbook), factsheet_publication(factsheet)) == (2, 2)

    assert rollback(serving, analyst) == 1
    assert {path: sha256(path) for path in first} == first  # the very files publication 1 was
    with duckdb.connect(str(analyst), read_only=True) as analysts:
        assert analysts.execute("select max(publication_id) from marts.publication").fetchone()[0] == 1
    assert rollback(serving, analyst) == 2  # and back again
    assert (workbook_publication(workbook), factsheet_publication(factsheet)) == (2, 2)
    assert list(serving.parent.glob("*.new-*")) == []

    assert rollback(serving, analyst) == 1
    with duckdb.connect(str(warehouse)) as con:
        assert publish(con, serving, analyst, EMBEDDED_SAMPLE_DIR).publication_id == 3
    with duckdb.connect(str(serving), read_only=True) as served:
        assert served.execute("select list(publication_id order by 1) from marts.publication").fetchone()[0] == [1, 3]


def test_a_rollback_to_a_publication_without_kept_documents_writes_them_from_its_copy(built, tmp_path):
    warehouse = copy_built(built, tmp_path)
    serving, analyst = published_paths(warehouse)
    documents = workbook_path(serving), factsheet_path(serving)
    for document in documents:
        document.unlink()  # as if publication 1 came from before the documents were published
    with duckdb.connect(str(warehouse)) as con:
        publish(con, serving, analyst, EMBEDDED_SAMPLE_DIR)
    assert not any(Path(f"{document}.previous").exists() for document in documents)

    assert rollback(serving, analyst) == 1
    assert (workbook_publication(documents[0]), factsheet_publication(documents[1])) == (1, 1)


def test_a_rollback_without_a_kept_copy_is_refused_and_changes_nothing(built, tmp_path):
    warehouse = copy_built(built, tmp_path)
    serving, analyst = published_paths(warehouse)
    before = sha256(serving)
    with pytest.raises(PublishRefused, match="no previous publication kept beside"):
        rollback(serving, analyst)
    assert sha256(serving) == before


# --------------------------------------------------------------------------------------------------
# a full rebuild from the same inputs while four readers read the serving copy


def test_the_same_tables_published_again_give_no_change_rows_and_the_same_checksums(built, tmp_path):
    # That a rebuild from the same files gives the same figures is the new wave's test (another process
    # builds 2016 and 2019 again); that readers never see half a publication, the daemon test's.
    warehouse = copy_built(built, tmp_path)
    serving, analyst = published_paths(warehouse)
    before = {copy: published_tables(copy) for copy in (serving, analyst)}
    with duckdb.connect(str(warehouse)) as con:
        publication = publish(con, serving, analyst, EMBEDDED_SAMPLE_DIR)
    assert (publication.publication_id, publication.n_changes) == (2, 0)
    for copy, tables in before.items():
        after = published_tables(copy)
        assert tables.keys() == after.keys()
        for name, frame in tables.items():
            pd.testing.assert_frame_equal(frame, after[name], check_exact=True, obj=f"{copy.name} {name}")
    with duckdb.connect(str(serving), read_only=True) as served:
        assert served.execute("select count(*) from marts.publication_change").fetchone()[0] == 0
        sums = served.execute(
            "select publication_id, table_name, checksum from marts.publication_table "
            "order by table_name, publication_id"
        ).df()
    pairs = sums.groupby("table_name")["checksum"].agg(list)
    assert all(len(values) == 2 and values[0] == values[1] for values in pairs), pairs


# --------------------------------------------------------------------------------------------------
# bad input never reaches the published copies


@pytest.fixture(scope="module")
def published_once(built, tmp_path_factory) -> Path:
    return copy_built(built, tmp_path_factory.mktemp("published_once"))


@pytest.mark.parametrize(
    ("make_bad", "wave", "bad_file", "problems"), THROUGH_THE_PIPELINE.values(), ids=THROUGH_THE_PIPELINE.keys()
)
def test_a_refused_file_leaves_both_published_copies_byte_identical(
    make_bad, wave, bad_file, problems, published_once, tmp_path
):
    serving, analyst = published_paths(published_once)
    before = (sha256(serving), sha256(analyst))
    raw = copy_sample(tmp_path / "raw")
    make_bad(raw)

    stages = run_pipeline(raw, published_once, serving=serving, analyst=analyst)

    refused = stages[-1]
    assert not refused.success and refused.label.startswith("ingest") and f"wave {wave}" in refused.label
    assert f"wave {wave} refused, nothing changed" in refused.message
    assert str((raw / bad_file).resolve()) in refused.message
    assert (sha256(serving), sha256(analyst)) == before
