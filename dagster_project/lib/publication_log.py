"""The publication log: what each publication was made from, what it holds and which figures it changed.

The log's tables are the publication contract's (`publication.schema.LOG_TABLES`). The log is carried
from copy to copy: the current serving copy holds the whole history, and the warehouse keeps a copy of
it too, so that a lost serving copy does not lose the history.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.lib import comments
from dagster_project.lib.hashing import sha256_of
from dagster_project.lib.paths import PROJECT_ROOT, SEEDS_DIR
from publication.schema import LOG_TABLES


def table_exists(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> bool:
    """Whether database.schema.table exists."""
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
            [database, schema, table],
        ).fetchone()[0]
    )


def columns_of(con: duckdb.DuckDBPyConnection, database: str, table: str) -> set[str]:
    """The column names of database.marts.table (empty when it does not exist)."""
    rows = con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = 'marts' and table_name = ?",
        [database, table],
    ).fetchall()
    return {row[0] for row in rows}


def table_checksum(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str]:
    """Row count and an order-independent checksum of a table's content (sum of row hashes, mod 2^64)."""
    rows, checksum = con.execute(
        f"select count(*), format('{{:016x}}', coalesce(sum(hash(t))::hugeint % 18446744073709551616, 0)::ubigint) "
        f"from {table} as t"
    ).fetchone()
    return int(rows), checksum


def project_commit() -> str | None:
    """The project's git commit (with `-dirty` for local changes), or PROJECT_COMMIT, or None."""
    if os.environ.get("PROJECT_COMMIT"):
        return os.environ["PROJECT_COMMIT"]
    try:
        described = subprocess.run(
            ["git", "describe", "--always", "--dirty", "--abbrev=40"],
            cwd=PROJECT_ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return described.stdout.strip() or None


def _relative(path: str, root: Path) -> str:
    """A path relative to root; a path already relative (raw.source_files stores them so) unchanged."""
    if not Path(path).is_absolute():
        return path
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return path


def input_files(con: duckdb.DuckDBPyConnection, raw_dir: Path, seeds_dir: Path = SEEDS_DIR) -> pd.DataFrame:
    """The inputs of what is published: every loaded answer and population file, and the codebook seeds."""
    loaded = con.execute(
        "select kind, wave, respondent_group, source_file as path, sha256, loaded_at "
        "from raw.source_files order by wave, respondent_group, kind"
    ).df()
    loaded["path"] = [_relative(path, raw_dir) for path in loaded["path"]]
    seeds = pd.DataFrame(
        [
            {"kind": "codebook", "path": str(path.relative_to(seeds_dir.parent)), "sha256": sha256_of(path)}
            for path in sorted(seeds_dir.glob("*.csv"))
        ]
    )
    return pd.concat([loaded, seeds], ignore_index=True)


def _typed_select(name: str, relation: str) -> str:
    """A select of a log frame registered as relation, typed as the contract says (an empty frame has no types)."""
    columns = LOG_TABLES[name].columns
    return "select " + ", ".join(f"{c.name}::{c.type} as {c.name}" for c in columns) + f" from {relation}"


def create_tables(con: duckdb.DuckDBPyConnection, log: dict[str, pd.DataFrame], schema: str) -> None:
    """Create (or replace) every log table in schema from the log's frames, with the contract's comments."""
    for name, frame in log.items():
        table = LOG_TABLES[name]
        con.register("incoming_log", frame.reindex(columns=table.column_names))
        con.execute(f"create or replace table {schema}.{name} as {_typed_select(name, 'incoming_log')}")
        con.unregister("incoming_log")
        comments.describe(con, f"{schema}.{name}", table.description, {c.name: c.description for c in table.columns})


def read_log(con: duckdb.DuckDBPyConnection, previous: str | None) -> dict[str, pd.DataFrame]:
    """The log so far: from the current serving copy (attached as `previous`), else the warehouse, else empty.

    A column the contract added since an earlier publication was logged is null in that publication's rows.
    """
    warehouse = con.execute("select current_database()").fetchone()[0]
    log = {}
    for name, table in LOG_TABLES.items():
        log[name] = pd.DataFrame(columns=table.column_names)
        for database in [previous, warehouse] if previous else [warehouse]:
            if table_exists(con, database, "marts", name):
                present = columns_of(con, database, name)
                select = ", ".join(c if c in present else f"null as {c}" for c in table.column_names)
                log[name] = con.execute(f"select {select} from {database}.marts.{name}").df()
                break
    return log


def next_publication_id(con: duckdb.DuckDBPyConnection, log: dict[str, pd.DataFrame]) -> int:
    """One more than any publication the serving copy's log or the warehouse's log has seen.

    After a rollback the serving copy's log ends earlier than the warehouse's: numbers are never reused.
    """
    seen = log["publication"]["publication_id"].dropna().astype(int).tolist()
    warehouse = con.execute("select current_database()").fetchone()[0]
    if table_exists(con, warehouse, "marts", "publication"):
        seen.append(con.execute("select coalesce(max(publication_id), 0) from marts.publication").fetchone()[0])
    return max(seen, default=0) + 1


def extended(log: dict[str, pd.DataFrame], new_rows: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The log with one publication's rows added to each table."""
    return {
        name: pd.concat([frame, new_rows[name]], ignore_index=True) if len(frame) else new_rows[name]
        for name, frame in log.items()
    }


def store_in_warehouse(con: duckdb.DuckDBPyConnection, log: dict[str, pd.DataFrame]) -> None:
    """Keep the whole log in the warehouse too, in one transaction."""
    con.execute("begin transaction")
    try:
        create_tables(con, log, "marts")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
