"""Publishing: copies of the warehouse that readers open, swapped in whole, with a publication log.

Readers never open the pipeline's own DuckDB file: DuckDB allows one writing process or many reading
ones, never both, and a build replaces marts one by one. Instead, once the quality gates pass, each
published copy is written as a new file beside the old one, checkpointed, fsynced and moved over it
with `os.replace`, which is atomic on one file system: a reader that opens the path gets the old
publication or the new one, complete, and a reader that had the old one open keeps reading it.

- serving copy: every table of `marts` and `codebook` without a `respondent_id` column (aggregates,
  dimensions, tests, quality results, the publication log); what the viewer reads.
- analyst copy: every table of `marts` and `codebook`, respondent rows included.
- tabellenrapport: the report's tables appendix as an Excel workbook beside the serving copy, written
  from the new serving copy by the viewer's own table code and swapped in with the copies.

The publication log (`marts.publication` and its detail tables) records, per publication, the
inputs (sha256 of every answer, population and codebook file), the row count and checksum of every
published table, and every figure an earlier publication showed that this one changes (an automatic
errata log). The log is carried from copy to copy: the current serving copy holds the whole history.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.lib import comments, quality
from dagster_project.lib.hashing import sha256_of
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR, PROJECT_ROOT, SEEDS_DIR
from dagster_project.lib.raw_store import quote

PUBLISHED_SCHEMAS = ("marts", "codebook")
# The log's own tables: published, but not part of what a publication's checksums describe.
LOG_TABLES = {
    "publication": (
        "publication_id integer, published_at timestamp, project_commit varchar, is_synthetic_sample boolean, "
        "quality_evaluation_id varchar, quality_summary varchar, n_changes integer"
    ),
    "publication_input": (
        "publication_id integer, kind varchar, wave integer, respondent_group varchar, path varchar, "
        "sha256 varchar, loaded_at timestamp"
    ),
    "publication_table": (
        "publication_id integer, table_name varchar, in_serving_copy boolean, row_count bigint, checksum varchar"
    ),
    "publication_change": (
        "publication_id integer, table_name varchar, figure_key varchar, figure varchar, "
        "old_value double, new_value double"
    ),
}
_CHANGE_COLUMNS = ["table_name", "figure_key", "figure", "old_value", "new_value"]
LOG_DOCS = {
    "publication": (
        "The publication log: one row per publication of the serving and analyst copies.",
        {
            "publication_id": "Number of the publication, never reused (also after a rollback).",
            "published_at": "When the copies were swapped in (UTC).",
            "project_commit": "The project's git commit (-dirty: with local changes), or PROJECT_COMMIT.",
            "is_synthetic_sample": "True when the inputs were the embedded synthetic sample, not real respondents.",
            "quality_evaluation_id": "The quality evaluation (marts.quality_result) the publication passed.",
            "quality_summary": "Checks, errors and warnings of that evaluation.",
            "n_changes": "Figures an earlier publication showed that this one changed (marts.publication_change).",
        },
    ),
    "publication_input": (
        "One row per publication and input file: the answer, population and codebook files it was made from.",
        {
            "publication_id": "The publication.",
            "kind": "answers, population or codebook.",
            "wave": "The wave of an answer or population file; null for the codebook.",
            "respondent_group": "The group of an answer or population file; null for the codebook.",
            "path": "Relative to RAW_DATA_DIR (answers, population) or to dbt/ (codebook seeds).",
            "sha256": "Content hash of the file.",
            "loaded_at": "When the file was loaded into the warehouse (UTC); null for the codebook.",
        },
    ),
    "publication_table": (
        "One row per publication and published table: its size and a checksum of its content.",
        {
            "publication_id": "The publication.",
            "table_name": "schema.table.",
            "in_serving_copy": "The table is in the serving copy too (it has no respondent rows).",
            "row_count": "Rows of the table.",
            "checksum": "Sum of row hashes mod 2^64, hex: equal for equal content, in any row order.",
        },
    ),
    "publication_change": (
        "The errata log: every figure an earlier publication showed that a later one changed.",
        {
            "publication_id": "The publication that changed the figure.",
            "table_name": "The mart the figure is in.",
            "figure_key": "The row, as column=value pairs of the mart's key.",
            "figure": "share, n, base_n, mean or is_significant.",
            "old_value": "The value the previous publication showed (significance as 1/0).",
            "new_value": "The value now; null when the row is gone.",
        },
    ),
}
# A figure that moves less than this is not a change: arithmetic noise, far below any shown precision.
CHANGE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class FigureSpec:
    """Which figures of a published table the errata log compares, and the key that names one."""

    table: str
    key: tuple[str, ...]
    figures: tuple[str, ...]


# What a stakeholder was shown: shares, means, bases and whether a test was significant.
COMPARED_FIGURES = (
    FigureSpec(
        "agg_answer_share",
        ("wave", "respondent_group", "item_id", "answer_code", "answer_grouping"),
        ("share", "n", "base_n"),
    ),
    FigureSpec("agg_numeric", ("wave", "respondent_group", "item_id"), ("mean", "n")),
    FigureSpec("agg_cooperation_model", ("wave", "respondent_group", "cooperation_model"), ("share", "n")),
    FigureSpec(
        "test_wave_change",
        ("respondent_group", "item_id", "answer_code", "answer_grouping", "wave_from", "wave_to", "method"),
        ("is_significant",),
    ),
    FigureSpec(
        "test_subgroup",
        ("wave", "respondent_group", "item_id", "answer_code", "answer_grouping", "method"),
        ("is_significant",),
    ),
)


class PublishRefused(RuntimeError):
    """Publishing did not happen; the published copies are as they were."""


@dataclass(frozen=True)
class Publication:
    """What one publish did."""

    publication_id: int
    serving_path: Path
    analyst_path: Path
    serving_tables: list[str]
    analyst_tables: list[str]
    n_changes: int
    quality_summary: str
    workbook_path: Path | None = None


def _published_tables(con: duckdb.DuckDBPyConnection, database: str) -> pd.DataFrame:
    """Every table of the published schemas in a database, and whether it holds respondent rows."""
    return con.execute(
        """
        select
            schema_name || '.' || table_name as table_name,
            bool_or(column_name = 'respondent_id') as has_respondent_rows
        from duckdb_columns()
        where database_name = ? and schema_name in ? and table_name not in ?
        group by all
        order by table_name
        """,
        [database, list(PUBLISHED_SCHEMAS), list(LOG_TABLES)],
    ).df()


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


def _table_exists(con: duckdb.DuckDBPyConnection, database: str, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where database_name = ? and schema_name = ? and table_name = ?",
            [database, schema, table],
        ).fetchone()[0]
    )


def _log_columns(name: str) -> list[tuple[str, str]]:
    """(column, type) of a log table."""
    return [tuple(column.split()) for column in LOG_TABLES[name].split(", ")]


def _typed_log_select(name: str, relation: str) -> str:
    """A select of a log frame registered as relation, typed as LOG_TABLES says (an empty frame has no types)."""
    return "select " + ", ".join(f"{c}::{t} as {c}" for c, t in _log_columns(name)) + f" from {relation}"


def _create_log_tables(con: duckdb.DuckDBPyConnection, log: dict[str, pd.DataFrame], schema: str) -> None:
    """Create (or replace) every log table in schema from the log's frames."""
    for name, frame in log.items():
        con.register("incoming_log", frame)
        con.execute(f"create or replace table {schema}.{name} as {_typed_log_select(name, 'incoming_log')}")
        con.unregister("incoming_log")
        comments.describe(con, f"{schema}.{name}", *LOG_DOCS[name])


def _previous_log(con: duckdb.DuckDBPyConnection, previous: str | None) -> dict[str, pd.DataFrame]:
    """The publication log so far: from the current serving copy, else from the warehouse, else empty."""
    warehouse = con.execute("select current_database()").fetchone()[0]
    log = {}
    for table in LOG_TABLES:
        names = [column for column, _ in _log_columns(table)]
        log[table] = pd.DataFrame(columns=names)
        for database in [previous, warehouse] if previous else [warehouse]:
            if _table_exists(con, database, "marts", table):
                log[table] = con.execute(f"select {', '.join(names)} from {database}.marts.{table}").df()
                break
    return log


def figure_changes(con: duckdb.DuckDBPyConnection, previous: str) -> pd.DataFrame:
    """Every compared figure of the previous publication that the warehouse now has otherwise (or not at all)."""
    frames = []
    for spec in COMPARED_FIGURES:
        if not _table_exists(con, previous, "marts", spec.table):
            continue
        # A key column the earlier publication did not have yet (added since) is null there.
        present = {
            row[0]
            for row in con.execute(
                "select column_name from duckdb_columns() where database_name = ? and schema_name = 'marts' "
                "and table_name = ?",
                [previous, spec.table],
            ).fetchall()
        }
        old_key = {k: f"old.{quote(k)}" if k in present else "null" for k in spec.key}
        on = " and ".join(f"{old_key[k]} is not distinct from new.{quote(k)}" for k in spec.key)
        key_text = " || ', ' || ".join(f"'{k}=' || coalesce({old_key[k]}::varchar, 'null')" for k in spec.key)
        for figure in spec.figures:
            old, new = f"old.{quote(figure)}::double", f"new.{quote(figure)}::double"
            frames.append(
                con.execute(
                    f"""
                    select '{spec.table}' as table_name, {key_text} as figure_key, '{figure}' as figure,
                           {old} as old_value, {new} as new_value
                    from {previous}.marts.{spec.table} as old
                    left join marts.{spec.table} as new on {on}
                    where {old} is distinct from {new}
                      and not coalesce(abs({old} - {new}) <= {CHANGE_TOLERANCE}, false)
                    order by all
                    """
                ).df()
            )
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=_CHANGE_COLUMNS)


def _check_quality(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """The last quality evaluation's id and summary; refuse when it has an error or does not exist."""
    warehouse = con.execute("select current_database()").fetchone()[0]
    if not _table_exists(con, warehouse, "marts", "quality_result"):
        raise PublishRefused("not published: marts.quality_result does not exist (run the quality stage first)")
    results = con.execute(f"select * from {quality.RESULT_TABLE}").df()
    if results.empty:
        raise PublishRefused("not published: marts.quality_result is empty")
    errors = quality.describe_failures(results, "error")
    if errors:
        raise PublishRefused("not published: quality checks failed with severity error: " + "; ".join(errors))
    return str(results["evaluation_id"].iloc[0]), quality.summary_line(results)


def _staged_beside(target: Path) -> Path:
    """A fresh name beside target for its next version, after removing what a killed publish left there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # A publish that was killed half-way leaves its staged file; only one publish runs at a time
    # (the writer pool), so every staged file found now is such a leftover.
    for pattern in (f"{target.name}.new-*", f"{target.name}.previous-*"):
        for leftover in target.parent.glob(pattern):
            leftover.unlink()
    return target.with_name(f"{target.name}.new-{os.getpid()}")


def _fsync_file(path: Path) -> None:
    """Make a file's content durable before it is moved into place."""
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def _write_copy(con: duckdb.DuckDBPyConnection, target: Path, tables: list[str], log: dict[str, pd.DataFrame]) -> Path:
    """Write the tables and the log into a new file beside target; checkpointed, fsynced, not yet in place."""
    staged = _staged_beside(target)
    con.execute(f"attach {quote(str(staged))} as staged_copy")
    try:
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema staged_copy.{schema}")
        for table in tables:
            con.execute(f"create table staged_copy.{table} as select * from {table}")
            comments.copy_comments(con, table, "staged_copy")
        _create_log_tables(con, log, "staged_copy.marts")
        con.execute("checkpoint staged_copy")
    except BaseException:
        con.execute("detach staged_copy")
        staged.unlink(missing_ok=True)
        raise
    con.execute("detach staged_copy")
    _fsync_file(staged)
    return staged


def workbook_path(serving_path: Path) -> Path:
    """Where the tabellenrapport workbook of a serving copy is published: beside it."""
    from streamlit_app import tabellenrapport

    return tabellenrapport.published_workbook_path(serving_path)


def _write_workbook(serving_copy: Path, target: Path) -> Path:
    """Write the tabellenrapport of a serving copy into a new file beside target; fsynced, not yet in place.

    The workbook is the viewer's table code (`streamlit_app.tabellenrapport`), imported only here: the
    pipeline may use the viewer's pure table code, the viewer never imports the pipeline. A failure
    removes the half-written file and raises.
    """
    from streamlit_app import tabellenrapport

    staged = _staged_beside(target)
    try:
        tabellenrapport.write_workbook(serving_copy, staged)
        _fsync_file(staged)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def _fsync_folder(folder: Path) -> None:
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def publish(con: duckdb.DuckDBPyConnection, serving_path: Path, analyst_path: Path, raw_dir: Path) -> Publication:
    """Check the quality gates, then write both copies with the log extended, and swap them in."""
    evaluation_id, summary = _check_quality(con)
    tables = _published_tables(con, con.execute("select current_database()").fetchone()[0])
    serving_tables = tables.loc[~tables["has_respondent_rows"], "table_name"].tolist()
    analyst_tables = tables["table_name"].tolist()

    previous = None
    if serving_path.exists():
        con.execute(f"attach {quote(str(serving_path))} as previous_serving (read_only)")
        previous = "previous_serving"
    try:
        log = _previous_log(con, previous)
        changes = figure_changes(con, previous) if previous else pd.DataFrame(columns=_CHANGE_COLUMNS)
    finally:
        if previous:
            con.execute(f"detach {previous}")

    publication_id = _next_publication_id(con, log)
    published_at = datetime.now(UTC).replace(tzinfo=None)
    checksums = [(table, table in serving_tables, *table_checksum(con, table)) for table in analyst_tables]
    new_rows = {
        "publication": pd.DataFrame(
            [
                {
                    "publication_id": publication_id,
                    "published_at": published_at,
                    "project_commit": project_commit(),
                    "is_synthetic_sample": raw_dir.resolve() == EMBEDDED_SAMPLE_DIR.resolve(),
                    "quality_evaluation_id": evaluation_id,
                    "quality_summary": summary,
                    "n_changes": len(changes),
                }
            ]
        ),
        "publication_input": input_files(con, raw_dir).assign(publication_id=publication_id),
        "publication_table": pd.DataFrame(
            checksums, columns=["table_name", "in_serving_copy", "row_count", "checksum"]
        ).assign(publication_id=publication_id),
        "publication_change": changes.assign(publication_id=publication_id),
    }
    log = {
        name: pd.concat([frame, new_rows[name]], ignore_index=True) if len(frame) else new_rows[name]
        for name, frame in log.items()
    }

    # Every new file is complete before any replaces its predecessor: both copies, then the workbook
    # made from the new serving copy, so that the three always describe the same publication.
    staged_serving = _write_copy(con, serving_path, serving_tables, log)
    staged_analyst = _write_copy(con, analyst_path, analyst_tables, log)
    workbook = workbook_path(serving_path)
    try:
        staged_workbook = _write_workbook(staged_serving, workbook)
    except Exception as error:
        for staged in (staged_serving, staged_analyst):
            staged.unlink(missing_ok=True)
        raise PublishRefused(f"not published: the tabellenrapport workbook could not be written: {error}") from error
    for staged, target in (
        (staged_serving, serving_path),
        (staged_analyst, analyst_path),
        (staged_workbook, workbook),
    ):
        keep_previous(target)
        os.replace(staged, target)
    for folder in {serving_path.parent, analyst_path.parent}:
        _fsync_folder(folder)
    _store_log(con, log)
    return Publication(
        publication_id, serving_path, analyst_path, serving_tables, analyst_tables, len(changes), summary, workbook
    )


def previous_path(target: Path) -> Path:
    """Where the publication before the current one of a copy is kept, for a rollback."""
    return target.with_name(f"{target.name}.previous")


def keep_previous(target: Path) -> None:
    """Keep the current copy as `<name>.previous` (a hard link: no data copied), replacing the one kept before.

    The link is made under a temporary name and moved into place, so the kept copy too is always whole.
    """
    if not target.exists():
        return
    linked = target.with_name(f"{target.name}.previous-{os.getpid()}")
    linked.unlink(missing_ok=True)
    os.link(target, linked)
    os.replace(linked, previous_path(target))


def rollback(serving_path: Path, analyst_path: Path) -> int:
    """Put the kept previous copies and workbook back in place, atomically each; return the publication now served.

    The rolled-back files become the new `.previous`, so a second rollback undoes the first. Every
    file is staged before any is swapped. A publication kept from before the workbook was published
    has no kept workbook: one is written from its serving copy (or, if that fails, none is served), so
    the workbook never describes another publication than the copies.
    """
    for target in (serving_path, analyst_path):
        if not previous_path(target).exists():
            raise PublishRefused(f"no previous publication kept beside {target}: nothing to roll back to")
    workbook = workbook_path(serving_path)
    staged: dict[Path, Path | None] = {}
    try:
        for target in (serving_path, analyst_path):
            staged[target] = _staged_copy_of(previous_path(target), target)
        if previous_path(workbook).exists():
            staged[workbook] = _staged_copy_of(previous_path(workbook), workbook)
        else:
            staged[workbook] = _workbook_for_rollback(staged[serving_path], workbook)
    except BaseException:
        for path in staged.values():
            if path is not None:
                path.unlink(missing_ok=True)
        raise
    for target, new in staged.items():
        keep_previous(target)
        if new is None:
            target.unlink(missing_ok=True)
        else:
            os.replace(new, target)
        _fsync_folder(target.parent)
    with duckdb.connect(str(serving_path), read_only=True) as con:
        return int(con.execute("select max(publication_id) from marts.publication").fetchone()[0])


def _staged_copy_of(kept: Path, target: Path) -> Path:
    """A copy of a kept file beside target under a staged name, fsynced: ready to be swapped in."""
    staged = _staged_beside(target)
    shutil.copyfile(kept, staged)
    _fsync_file(staged)
    return staged


def _workbook_for_rollback(serving_copy: Path, target: Path) -> Path | None:
    """A staged workbook of a rolled-back serving copy that has none kept; None if it cannot be written.

    A rollback must not fail for want of a workbook (the copies matter more): without one, none is served.
    """
    try:
        return _write_workbook(serving_copy, target)
    except Exception:
        return None


def _next_publication_id(con: duckdb.DuckDBPyConnection, log: dict[str, pd.DataFrame]) -> int:
    """One more than any publication the serving copy's log or the warehouse's log has seen.

    After a rollback the serving copy's log ends earlier than the warehouse's: numbers are never reused.
    """
    seen = log["publication"]["publication_id"].dropna().astype(int).tolist()
    warehouse = con.execute("select current_database()").fetchone()[0]
    if _table_exists(con, warehouse, "marts", "publication"):
        seen.append(con.execute("select coalesce(max(publication_id), 0) from marts.publication").fetchone()[0])
    return max(seen, default=0) + 1


def _store_log(con: duckdb.DuckDBPyConnection, log: dict[str, pd.DataFrame]) -> None:
    """Keep the whole log in the warehouse too, so that a lost serving copy does not lose the history."""
    con.execute("begin transaction")
    try:
        _create_log_tables(con, log, "marts")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
