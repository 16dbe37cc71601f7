"""What a publication holds: the published tables, the publication log's tables and the errata's figures.

- Published: every table of the schemas `marts` and `codebook`. The serving copy leaves out every table
  with a `respondent_id` column (respondent rows); the analyst copy has them all.
- The publication log: four tables (`LOG_TABLES`), carried from publication to publication, with their
  columns, types and descriptions in one place; the counts of the quality evaluation are columns, so no
  reader parses a sentence.
- The errata: the figures a stakeholder was shown (`COMPARED_FIGURES`), each named by its mart's grain,
  which is read from the `unique_combination` test of the mart's dbt yml (`grain`): a mart whose grain
  changes in dbt changes its errata key with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd
import yaml

from publication.locations import DBT_DIR

PUBLISHED_SCHEMAS = ("marts", "codebook")
# A table with this column holds respondent rows: analyst copy only.
RESPONDENT_COLUMN = "respondent_id"


@dataclass(frozen=True)
class Column:
    """One column of a log table: its name, DuckDB type and description."""

    name: str
    type: str
    description: str


@dataclass(frozen=True)
class LogTable:
    """One table of the publication log."""

    name: str
    description: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> list[str]:
        """The columns in order."""
        return [column.name for column in self.columns]


_PUBLICATION_ID = Column("publication_id", "integer", "The publication.")

LOG_TABLES: dict[str, LogTable] = {
    table.name: table
    for table in (
        LogTable(
            "publication",
            "The publication log: one row per publication of the serving and analyst copies.",
            (
                Column("publication_id", "integer", "Number of the publication, never reused (also after a rollback)."),
                Column("published_at", "timestamp", "When the copies were swapped in (UTC)."),
                Column(
                    "project_commit",
                    "varchar",
                    "The project's git commit (-dirty: with local changes), or PROJECT_COMMIT.",
                ),
                Column(
                    "is_synthetic_sample",
                    "boolean",
                    "True when the inputs were the embedded synthetic sample, not real respondents.",
                ),
                Column(
                    "quality_evaluation_id",
                    "varchar",
                    "The quality evaluation (marts.quality_result) the publication passed.",
                ),
                Column("quality_summary", "varchar", "Checks, errors and warnings of that evaluation, as one line."),
                Column(
                    "n_checks",
                    "integer",
                    "Quality checks of that evaluation (null in rows logged before the column existed).",
                ),
                Column("n_errors", "integer", "Checks of severity error that failed (0: an error blocks publishing)."),
                Column("n_warnings", "integer", "Checks of severity warning that failed (recorded, not blocking)."),
                Column(
                    "n_changes",
                    "integer",
                    "Figures an earlier publication showed that this one changed (marts.publication_change).",
                ),
            ),
        ),
        LogTable(
            "publication_input",
            "One row per publication and input file: the answer, population and codebook files it was made from.",
            (
                _PUBLICATION_ID,
                Column("kind", "varchar", "answers, population or codebook."),
                Column("wave", "integer", "The wave of an answer or population file; null for the codebook."),
                Column(
                    "respondent_group",
                    "varchar",
                    "The group of an answer or population file; null for the codebook.",
                ),
                Column(
                    "path", "varchar", "Relative to RAW_DATA_DIR (answers, population) or to dbt/ (codebook seeds)."
                ),
                Column("sha256", "varchar", "Content hash of the file."),
                Column(
                    "loaded_at",
                    "timestamp",
                    "When the file was loaded into the warehouse (UTC); null for the codebook.",
                ),
            ),
        ),
        LogTable(
            "publication_table",
            "One row per publication and published table: its size and a checksum of its content.",
            (
                _PUBLICATION_ID,
                Column("table_name", "varchar", "schema.table."),
                Column(
                    "in_serving_copy", "boolean", "The table is in the serving copy too (it has no respondent rows)."
                ),
                Column("row_count", "bigint", "Rows of the table."),
                Column(
                    "checksum", "varchar", "Sum of row hashes mod 2^64, hex: equal for equal content, in any row order."
                ),
            ),
        ),
        LogTable(
            "publication_change",
            "The errata log: every figure an earlier publication showed that a later one changed.",
            (
                Column("publication_id", "integer", "The publication that changed the figure."),
                Column("table_name", "varchar", "The mart the figure is in."),
                Column("figure_key", "varchar", "The row, as column=value pairs of the mart's grain."),
                Column("figure", "varchar", "share, n, base_n, mean or is_significant."),
                Column("old_value", "double", "The value the previous publication showed (significance as 1/0)."),
                Column("new_value", "double", "The value now; null when the row is gone."),
            ),
        ),
    )
}

# What a stakeholder was shown, per mart: shares, means, bases and whether a test was significant.
COMPARED_FIGURES: dict[str, tuple[str, ...]] = {
    "agg_answer_share": ("share", "n", "base_n"),
    "agg_numeric": ("mean", "n"),
    "agg_cooperation_model": ("share", "n"),
    "test_wave_change": ("is_significant",),
    "test_subgroup": ("is_significant",),
}


@cache
def _grains(models_dir: Path) -> dict[str, tuple[str, ...]]:
    """Every model's `unique_combination` columns, from the dbt yml files under models_dir."""
    grains: dict[str, tuple[str, ...]] = {}
    for path in sorted(models_dir.rglob("*.yml")):
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for model in document.get("models") or []:
            for test in model.get("data_tests") or []:
                if isinstance(test, dict) and "unique_combination" in test:
                    arguments = test["unique_combination"].get("arguments") or test["unique_combination"]
                    grains[model["name"]] = tuple(arguments["combination_of_columns"])
    return grains


def grain(model: str, models_dir: Path = DBT_DIR / "models") -> tuple[str, ...]:
    """The columns that name one row of a mart: its `unique_combination` test in the dbt yml."""
    grains = _grains(models_dir)
    if model not in grains:
        raise KeyError(f"{models_dir}: model {model} has no unique_combination test, so it has no declared grain")
    return grains[model]


def published_tables(con: duckdb.DuckDBPyConnection, database: str) -> pd.DataFrame:
    """Every table of the published schemas in a database (log tables aside), and whether it holds respondent rows."""
    return con.execute(
        """
        select
            schema_name || '.' || table_name as table_name,
            bool_or(column_name = ?) as has_respondent_rows
        from duckdb_columns()
        where database_name = ? and schema_name in ? and table_name not in ?
        group by all
        order by table_name
        """,
        [RESPONDENT_COLUMN, database, list(PUBLISHED_SCHEMAS), list(LOG_TABLES)],
    ).df()
