"""docs/warehouse.md tells the truth: every SQL query on the page runs and gives the table printed under it.

The page's queries run on the analyst copy the embedded sample publishes (the session fixture);
each result is rendered as the page renders it and compared cell by cell with the page.
"""

from __future__ import annotations

import math
import re

import duckdb
import pytest
from warehouse_build import published_paths

from dagster_project.lib.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow

PAGE = PROJECT_ROOT / "docs" / "warehouse.md"
# A query, then (after a blank line) the Markdown table of its result.
EXAMPLE = re.compile(r"```sql\n(?P<sql>.*?)```\n\n(?P<table>(?:\|[^\n]*\|\n)+)", re.DOTALL)


def render_cell(value: object) -> str:
    """A value as the page prints it: whole numbers without decimals, others to 4 places, null empty."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() else f"{value:.4f}".rstrip("0").rstrip(".")
    return str(value)


def render_table(columns: list[str], rows: list[tuple]) -> str:
    """A result as a Markdown table."""
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(render_cell(value) for value in row) + " |" for row in rows]
    return "\n".join(lines)


def examples() -> list[tuple[str, str]]:
    """Every (query, printed table) pair of the page."""
    return [(match["sql"].strip(), match["table"].strip()) for match in EXAMPLE.finditer(PAGE.read_text())]


def test_the_page_has_at_least_ten_example_queries_and_every_query_shows_its_answer():
    assert len(examples()) >= 10
    assert PAGE.read_text().count("```sql") == len(examples())


@pytest.mark.parametrize(("sql", "table"), examples(), ids=[f"query {n + 1}" for n in range(len(examples()))])
def test_each_example_query_gives_the_table_printed_under_it(sql, table, built):
    analyst = published_paths(built[0])[1]
    with duckdb.connect(str(analyst), read_only=True) as con:
        cursor = con.execute(sql)
        result = render_table([column[0] for column in cursor.description], cursor.fetchall())
    assert result == table
