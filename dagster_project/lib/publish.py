"""Publishing: the copies of the warehouse that readers open, and the workbook, swapped in whole after the gates pass.

Readers never open the pipeline's own DuckDB file: DuckDB allows one writing process or many reading
ones, never both, and a build replaces marts one by one. Instead, once the quality gates pass, each
published file is written as a new file beside the old one, made durable and swapped in
(`atomic_files`): a reader gets the old publication or the new one, complete.

- serving copy: every published table without respondent rows (aggregates, dimensions, tests, quality
  results, the publication log); what the viewer reads.
- analyst copy: every published table, respondent rows included.
- tabellenrapport: the report's tables appendix as an Excel workbook beside the serving copy, written
  from the new serving copy by `publication.workbook` and swapped in with the copies.
- factsheet: the Overzicht's blocks for the newest wave as a PDF beside the serving copy, written from
  the new serving copy by `publication.factsheet` and swapped in with the copies and the workbook.

What is published and the log's tables are the publication contract's (`publication.schema`); the
log itself is `publication_log`, the errata `errata`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.lib import comments, errata, publication_log, quality
from dagster_project.lib.atomic_files import (
    fsync_file,
    fsync_folder,
    keep_previous,
    previous_path,
    staged_beside,
    staged_copy_of,
    swap_in,
)
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.lib.raw_store import quote
from publication import factsheet as factsheet_pdf
from publication import workbook as tabellenrapport
from publication.locations import factsheet_path, workbook_path
from publication.schema import PUBLISHED_SCHEMAS, published_tables

__all__ = ["Publication", "PublishRefused", "factsheet_path", "publish", "rollback", "workbook_path"]


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
    factsheet_path: Path | None = None


@dataclass(frozen=True)
class _Evaluation:
    """The quality evaluation a publication passed."""

    evaluation_id: str
    summary: str
    counts: quality.Counts


def _check_quality(con: duckdb.DuckDBPyConnection) -> _Evaluation:
    """The last quality evaluation; refuse when it has an error or does not exist."""
    warehouse = con.execute("select current_database()").fetchone()[0]
    if not publication_log.table_exists(con, warehouse, "marts", "quality_result"):
        raise PublishRefused("not published: marts.quality_result does not exist (run the quality stage first)")
    results = con.execute(f"select * from {quality.RESULT_TABLE}").df()
    if results.empty:
        raise PublishRefused("not published: marts.quality_result is empty")
    errors = quality.describe_failures(results, "error")
    if errors:
        raise PublishRefused("not published: quality checks failed with severity error: " + "; ".join(errors))
    return _Evaluation(str(results["evaluation_id"].iloc[0]), quality.summary_line(results), quality.counts(results))


def _write_copy(con: duckdb.DuckDBPyConnection, target: Path, tables: list[str], log: dict[str, pd.DataFrame]) -> Path:
    """Write the tables and the log into a new file beside target; checkpointed, fsynced, not yet in place."""
    staged = staged_beside(target)
    con.execute(f"attach {quote(str(staged))} as staged_copy")
    try:
        for schema in PUBLISHED_SCHEMAS:
            con.execute(f"create schema staged_copy.{schema}")
        for table in tables:
            con.execute(f"create table staged_copy.{table} as select * from {table}")
            comments.copy_comments(con, table, "staged_copy")
        publication_log.create_tables(con, log, "staged_copy.marts")
        con.execute("checkpoint staged_copy")
    except BaseException:
        con.execute("detach staged_copy")
        staged.unlink(missing_ok=True)
        raise
    con.execute("detach staged_copy")
    fsync_file(staged)
    return staged


def _write_document(write: Callable[[Path, Path], Path], serving_copy: Path, target: Path) -> Path:
    """Write a document of a serving copy (`write(serving_copy, out_path)`) into a new file beside target.

    Fsynced, not yet in place. A failure removes the half-written file and raises.
    """
    staged = staged_beside(target)
    try:
        write(serving_copy, staged)
        fsync_file(staged)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise
    return staged


def _write_workbook(serving_copy: Path, target: Path) -> Path:
    """The tabellenrapport of a serving copy, staged beside target (see `_write_document`)."""
    return _write_document(tabellenrapport.write_workbook, serving_copy, target)


def _write_factsheet(serving_copy: Path, target: Path) -> Path:
    """The factsheet PDF of a serving copy, staged beside target (see `_write_document`)."""
    return _write_document(factsheet_pdf.write_factsheet, serving_copy, target)


def _new_log_rows(
    con: duckdb.DuckDBPyConnection,
    publication_id: int,
    evaluation: _Evaluation,
    changes: pd.DataFrame,
    tables: list[tuple[str, bool]],
    raw_dir: Path,
) -> dict[str, pd.DataFrame]:
    """The rows of every log table that describe one new publication."""
    checksums = [(table, serving, *publication_log.table_checksum(con, table)) for table, serving in tables]
    publication = {
        "publication_id": publication_id,
        "published_at": datetime.now(UTC).replace(tzinfo=None),
        "project_commit": publication_log.project_commit(),
        "is_synthetic_sample": raw_dir.resolve() == EMBEDDED_SAMPLE_DIR.resolve(),
        "quality_evaluation_id": evaluation.evaluation_id,
        "quality_summary": evaluation.summary,
        "n_checks": evaluation.counts.checks,
        "n_errors": evaluation.counts.errors,
        "n_warnings": evaluation.counts.warnings,
        "n_changes": len(changes),
    }
    return {
        "publication": pd.DataFrame([publication]),
        "publication_input": publication_log.input_files(con, raw_dir).assign(publication_id=publication_id),
        "publication_table": pd.DataFrame(
            checksums, columns=["table_name", "in_serving_copy", "row_count", "checksum"]
        ).assign(publication_id=publication_id),
        "publication_change": changes.assign(publication_id=publication_id),
    }


def publish(con: duckdb.DuckDBPyConnection, serving_path: Path, analyst_path: Path, raw_dir: Path) -> Publication:
    """Check the quality gates, then write both copies and the workbook with the log extended, and swap them in."""
    evaluation = _check_quality(con)
    tables = published_tables(con, con.execute("select current_database()").fetchone()[0])
    serving_tables = tables.loc[~tables["has_respondent_rows"], "table_name"].tolist()
    analyst_tables = tables["table_name"].tolist()

    previous = None
    if serving_path.exists():
        con.execute(f"attach {quote(str(serving_path))} as previous_serving (read_only)")
        previous = "previous_serving"
    try:
        log = publication_log.read_log(con, previous)
        changes = errata.figure_changes(con, previous) if previous else errata.no_changes()
    finally:
        if previous:
            con.execute(f"detach {previous}")

    publication_id = publication_log.next_publication_id(con, log)
    in_serving = [(table, table in serving_tables) for table in analyst_tables]
    log = publication_log.extended(log, _new_log_rows(con, publication_id, evaluation, changes, in_serving, raw_dir))

    # Every new file is complete before any replaces its predecessor: both copies, then the workbook
    # and the factsheet made from the new serving copy, so that the four always describe the same publication.
    staged_serving = _write_copy(con, serving_path, serving_tables, log)
    staged_analyst = _write_copy(con, analyst_path, analyst_tables, log)
    workbook, factsheet = workbook_path(serving_path), factsheet_path(serving_path)
    staged_files = [(staged_serving, serving_path), (staged_analyst, analyst_path)]
    for write, target, what in (
        (_write_workbook, workbook, "the tabellenrapport workbook"),
        (_write_factsheet, factsheet, "the factsheet PDF"),
    ):
        try:
            staged_files.append((write(staged_serving, target), target))
        except Exception as error:
            for staged, _ in staged_files:
                staged.unlink(missing_ok=True)
            raise PublishRefused(f"not published: {what} could not be written: {error}") from error
    for staged, target in staged_files:
        swap_in(staged, target)
    for folder in {serving_path.parent, analyst_path.parent}:
        fsync_folder(folder)
    publication_log.store_in_warehouse(con, log)
    return Publication(
        publication_id,
        serving_path,
        analyst_path,
        serving_tables,
        analyst_tables,
        len(changes),
        evaluation.summary,
        workbook,
        factsheet,
    )


def rollback(serving_path: Path, analyst_path: Path) -> int:
    """Put the kept previous copies, workbook and factsheet back in place, atomically each; return the publication.

    The rolled-back files become the new `.previous`, so a second rollback undoes the first. Every
    file is staged before any is swapped. A publication kept from before the workbook (or the
    factsheet) was published has none kept: one is written from its serving copy (or, if that fails,
    none is served), so neither ever describes another publication than the copies.
    """
    for target in (serving_path, analyst_path):
        if not previous_path(target).exists():
            raise PublishRefused(f"no previous publication kept beside {target}: nothing to roll back to")
    documents = ((workbook_path(serving_path), _write_workbook), (factsheet_path(serving_path), _write_factsheet))
    staged: dict[Path, Path | None] = {}
    try:
        for target in (serving_path, analyst_path):
            staged[target] = staged_copy_of(previous_path(target), target)
        for document, write in documents:
            if previous_path(document).exists():
                staged[document] = staged_copy_of(previous_path(document), document)
            else:
                staged[document] = _document_for_rollback(write, staged[serving_path], document)
    except BaseException:
        for path in staged.values():
            if path is not None:
                path.unlink(missing_ok=True)
        raise
    for target, new in staged.items():
        if new is None:
            keep_previous(target)
            target.unlink(missing_ok=True)
        else:
            swap_in(new, target)
        fsync_folder(target.parent)
    with duckdb.connect(str(serving_path), read_only=True) as con:
        return int(con.execute("select max(publication_id) from marts.publication").fetchone()[0])


def _document_for_rollback(write: Callable[[Path, Path], Path], serving_copy: Path, target: Path) -> Path | None:
    """A staged document of a rolled-back serving copy that has none kept; None if it cannot be written.

    A rollback must not fail for want of a workbook or a factsheet (the copies matter more): without
    one, none is served.
    """
    try:
        return write(serving_copy, target)
    except Exception:
        return None
