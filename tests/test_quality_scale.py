"""Quality gates at scale: every check's query stays small in memory, and the routing check counts as before.

At scale 100 (16.8 M answers) the routing check's query joined every answer to every answer and held
4 GB in DuckDB's hash join, the peak of the whole build. Its query now joins only the answers the join
can use. These tests keep every check's query within a fixed DuckDB memory limit on a warehouse ten
times the sample, and keep the routing counts equal to the unrestricted join it replaced.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib import quality

pytestmark = pytest.mark.slow

CHECKS = {check.name: check for check in quality.load_checks()}
ROUTING = CHECKS["raw_routing_respected"]
# How many times the sample's respondents are repeated in the scaled copy.
COPIES = 10
# What every check's query may hold in DuckDB on that copy. The new routing query needs under 64 MB
# there; the unrestricted join it replaced needed 400-800 MB.
MEMORY_LIMIT = "256MB"
# The tables whose rows grow with the respondents, each with a respondent_id column.
RESPONDENT_TABLES = (
    "raw.basisscholen",
    "raw.kov_organisaties",
    "raw.schoolbesturen",
    "raw.kov_besturen",
    "intermediate.int_answers_recoded",
    "marts.fct_respondent",
    "marts.fct_answer",
)

# The routing query as it was before it was restricted: every answer joined to every answer. The
# reference for the counts; its result must not change.
EVERY_ANSWER_JOINED = """
with routed as (
    select
        wave,
        respondent_group,
        item_id,
        raw_variable,
        regexp_extract(asked_if, '^\\s*([a-z0-9_]+)\\s+in', 1) as parent_item_id,
        list_transform(string_split(regexp_extract(asked_if, '\\(([0-9,\\s]+)\\)', 1), ','), lambda c: trim(c)::integer)
            as parent_codes
    from codebook.codebook_variables
    where nullif(trim(asked_if), '') is not null
),
answers as (
    select wave, respondent_group, respondent_id, item_id, answer_code
    from intermediate.int_answers_recoded
)
select
    routed.wave,
    routed.respondent_group,
    routed.item_id,
    routed.raw_variable,
    count(*) as answers,
    count(*) filter (where parent.answer_code is null or not list_contains(routed.parent_codes, parent.answer_code))
        as answers_outside_routing
from routed
inner join answers as child
    on routed.wave = child.wave
    and routed.respondent_group = child.respondent_group
    and routed.item_id = child.item_id
left join answers as parent
    on child.wave = parent.wave
    and child.respondent_group = parent.respondent_group
    and child.respondent_id = parent.respondent_id
    and routed.parent_item_id = parent.item_id
group by all
"""

_KEYS = ["wave", "respondent_group", "item_id", "raw_variable"]


def _sorted(con: duckdb.DuckDBPyConnection, query: str) -> pd.DataFrame:
    return con.execute(query).df().sort_values(_KEYS).reset_index(drop=True)


@pytest.fixture(scope="module")
def scaled(built, tmp_path_factory) -> Path:
    """A copy of the sample warehouse with every respondent repeated COPIES times under new ids."""
    # The dbt views name the catalog `warehouse`, so the copy keeps the file name.
    warehouse = Path(shutil.copy(built[0], tmp_path_factory.mktemp("scaled") / "warehouse.duckdb"))
    with duckdb.connect(str(warehouse)) as con:
        for table in RESPONDENT_TABLES:
            con.execute(
                f"create or replace table {table} as "
                f"select original.* replace (original.respondent_id || '-' || copies.copy as respondent_id) "
                f"from {table} as original, range({COPIES}) as copies(copy)"
            )
    return warehouse


def test_the_routing_counts_equal_those_of_every_answer_joined_to_every_answer(con):
    found = _sorted(con, ROUTING.query)
    assert found["answers_outside_routing"].sum() > 0
    pd.testing.assert_frame_equal(found, _sorted(con, EVERY_ANSWER_JOINED), check_exact=True)


def test_the_routing_counts_stay_equal_when_parents_are_missing_doubled_or_outside_the_routing(built, tmp_path):
    warehouse = Path(shutil.copy(built[0], tmp_path / "warehouse.duckdb"))
    with duckdb.connect(str(warehouse)) as con:
        # no answer to the parent item for some respondents, a second (other) answer to it for others,
        # and for others an answer outside the codes that route the child items
        con.execute(
            "delete from intermediate.int_answers_recoded "
            "where item_id = 'samenwerking' and hash(respondent_id) % 7 = 0"
        )
        con.execute(
            "insert into intermediate.int_answers_recoded "
            "select * replace (answer_code + 1 as answer_code) from intermediate.int_answers_recoded "
            "where item_id = 'samenwerking' and hash(respondent_id) % 7 = 1"
        )
        con.execute(
            "update intermediate.int_answers_recoded set answer_code = 99 "
            "where item_id = 'visie' and hash(respondent_id) % 5 = 2"
        )
        pd.testing.assert_frame_equal(_sorted(con, ROUTING.query), _sorted(con, EVERY_ANSWER_JOINED), check_exact=True)


def test_every_checks_query_stays_within_a_fixed_memory_limit_at_ten_times_the_sample(scaled):
    for check in CHECKS.values():
        with duckdb.connect(str(scaled), read_only=True) as con:
            # no spilling to disk either: a query that needs more fails instead of slowing down
            con.execute(f"set memory_limit = '{MEMORY_LIMIT}'")
            con.execute("set temp_directory = ''")
            try:
                con.execute(check.query).fetchall()
            except duckdb.OutOfMemoryException as error:
                pytest.fail(f"{check.name}: its query needs more than {MEMORY_LIMIT} at {COPIES}x the sample: {error}")


def test_every_frame_reaching_pandas_has_at_most_one_row_per_respondent(scaled):
    with duckdb.connect(str(scaled), read_only=True) as con:
        respondents = con.execute("select count(*) from marts.fct_respondent").fetchone()[0]
        for check in CHECKS.values():
            rows = con.execute(f"select count(*) from ({check.query})").fetchone()[0]
            assert rows <= respondents, f"{check.name}: {rows} rows for {respondents} respondents"


def test_the_routing_counts_grow_exactly_with_the_respondents(con, scaled):
    sample = _sorted(con, ROUTING.query)
    with duckdb.connect(str(scaled), read_only=True) as scaled_con:
        found = _sorted(scaled_con, ROUTING.query)
    expected = sample.assign(
        answers=sample["answers"] * COPIES, answers_outside_routing=sample["answers_outside_routing"] * COPIES
    )
    pd.testing.assert_frame_equal(found, expected, check_exact=True)
