"""Comments on the tables Python writes, so that they describe themselves as dbt's models do.

dbt writes every model's description into the database (`persist_docs`); the tables the quality and
publish stages write get the same from here, and publishing copies every comment into the published
copies, whose `create table ... as select` would drop them.
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb


def sql_text(text: str) -> str:
    """A SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def describe(con: duckdb.DuckDBPyConnection, table: str, description: str, columns: Mapping[str, str]) -> None:
    """Set the comment of a table (`schema.table`, optionally catalog-qualified) and of its columns."""
    con.execute(f"comment on table {table} is {sql_text(description)}")
    for column, text in columns.items():
        con.execute(f"comment on column {table}.{_identifier(column)} is {sql_text(text)}")


def copy_comments(con: duckdb.DuckDBPyConnection, table: str, target: str) -> None:
    """Give `target.<table>` the comments of `<table>` in the connection's own database."""
    schema, name = table.split(".")
    database = con.execute("select current_database()").fetchone()[0]
    described = con.execute(
        "select comment from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
        [database, schema, name],
    ).fetchone()
    columns = dict(
        con.execute(
            "select column_name, comment from duckdb_columns() "
            "where database_name = ? and schema_name = ? and table_name = ? and comment is not null",
            [database, schema, name],
        ).fetchall()
    )
    if described and described[0]:
        con.execute(f"comment on table {target}.{table} is {sql_text(described[0])}")
    for column, text in columns.items():
        con.execute(f"comment on column {target}.{table}.{_identifier(column)} is {sql_text(text)}")
