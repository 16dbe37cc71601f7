"""Schema `raw` of the warehouse: a wave's files as delivered, with their labels and provenance.

Answer files stay wide, one table per respondent group with a `wave` column; a variable that a later
wave introduces becomes a new column. Loading a wave replaces every row of that wave, in all raw tables,
in one transaction: readers see the old wave or the new one, never a mix, and a failure leaves the
old one in place.

File paths (`source_file`) are stored relative to the raw data folder (`waves/2019/basisscholen.sav`),
not as the absolute path of the machine that loaded them: the same files give the same rows wherever
they are loaded, and a path resolves against whatever RAW_DATA_DIR the reader has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.wave_files import ID_COLUMN, WaveFiles
from publication.settings import RAW_METADATA_COLUMNS

SCHEMA = "raw"
# The type of each metadata column; which columns these are, and their order, is the dbt var
# `raw_metadata_columns` (settings), which the staging model excludes from the answers.
_META_TYPES = {
    "wave": "integer",
    ID_COLUMN: "varchar",
    "source_file": "varchar",
    "source_sha256": "varchar",
    "loaded_at": "timestamp",
}
if set(RAW_METADATA_COLUMNS) != set(_META_TYPES):
    raise ValueError(
        f"dbt var raw_metadata_columns {list(RAW_METADATA_COLUMNS)} is not what the ingest writes {list(_META_TYPES)}"
    )
# Columns every group table starts with; all other columns are the file's variables.
META_COLUMNS = {name: _META_TYPES[name] for name in RAW_METADATA_COLUMNS}
# The input contract's top folders: every file is <raw>/<folder>/<wave>/<file>.
CONTRACT_FOLDERS = ("waves", "population")
SIDE_TABLES = {
    "variables": "wave integer, respondent_group varchar, variable varchar, position integer, variable_label varchar",
    "value_labels": "wave integer, respondent_group varchar, variable varchar, code double, label varchar",
    "population": (
        "wave integer, respondent_group varchar, variable varchar, category double, count double, "
        "source_file varchar, source_sha256 varchar, loaded_at timestamp"
    ),
    "source_files": (
        "wave integer, respondent_group varchar, kind varchar, source_file varchar, sha256 varchar, "
        "n_rows integer, n_columns integer, loaded_at timestamp"
    ),
}


def relative_source(path: Path) -> str:
    """A file's path relative to the raw data folder, as stored: `waves/<wave>/<file>` or `population/<wave>/<file>`.

    The input contract places every file two folders below the raw folder, so the last three parts of
    the path that `read_wave(raw_dir, wave)` built are its path relative to raw_dir.
    """
    parts = Path(path).parts
    if len(parts) < 3 or parts[-3] not in CONTRACT_FOLDERS:
        raise ValueError(f"{path}: not a file of the input contract (<raw>/waves|population/<wave>/<file>)")
    return Path(*parts[-3:]).as_posix()


def quote(identifier: str) -> str:
    """A DuckDB identifier, quoted."""
    return '"' + identifier.replace('"', '""') + '"'


@dataclass(frozen=True)
class LoadedGroup:
    """What a load wrote for one group."""

    group: str
    rows: int
    variables: int
    source_file: str  # relative to the raw data folder
    sha256: str


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create schema `raw` and its tables when missing."""
    con.execute(f"create schema if not exists {SCHEMA}")
    meta = ", ".join(f"{quote(name)} {kind}" for name, kind in META_COLUMNS.items())
    for group in RESPONDENT_GROUPS:
        con.execute(f"create table if not exists {SCHEMA}.{group} ({meta})")
    for table, columns in SIDE_TABLES.items():
        con.execute(f"create table if not exists {SCHEMA}.{table} ({columns})")


def _existing_columns(con: duckdb.DuckDBPyConnection, table: str) -> set[str]:
    rows = con.execute(
        "select column_name from information_schema.columns where table_schema = ? and table_name = ?",
        [SCHEMA, table],
    ).fetchall()
    return {row[0] for row in rows}


def replace_wave(con: duckdb.DuckDBPyConnection, wave_files: WaveFiles) -> list[LoadedGroup]:
    """Replace every raw row of the wave by the given files, in one transaction."""
    loaded_at = datetime.now(UTC).replace(tzinfo=None)
    wave = wave_files.wave
    ensure_schema(con)
    loaded: list[LoadedGroup] = []
    con.execute("begin transaction")
    try:
        for table in (*RESPONDENT_GROUPS, *SIDE_TABLES):
            con.execute(f"delete from {SCHEMA}.{table} where wave = ?", [wave])
        for group_file in wave_files.groups:
            group = group_file.group
            data = group_file.data
            variables = [column for column in data.columns if column != ID_COLUMN]
            existing = _existing_columns(con, group)
            for column in variables:
                if column not in existing:
                    con.execute(f"alter table {SCHEMA}.{group} add column {quote(column)} double")
            frame = data.assign(
                wave=wave,
                source_file=relative_source(group_file.source.path),
                source_sha256=group_file.source.sha256,
                loaded_at=loaded_at,
            )
            con.register("incoming", frame)
            con.execute(f"insert into {SCHEMA}.{group} by name select * from incoming")
            con.unregister("incoming")

            _insert(
                con,
                "variables",
                pd.DataFrame(
                    {
                        "wave": wave,
                        "respondent_group": group,
                        "variable": variables,
                        "position": range(1, len(variables) + 1),
                        "variable_label": [group_file.variable_labels.get(name) for name in variables],
                    }
                ),
            )
            _insert(
                con,
                "value_labels",
                pd.DataFrame(
                    [
                        {
                            "wave": wave,
                            "respondent_group": group,
                            "variable": name,
                            "code": code,
                            "label": label,
                        }
                        for name, labels in group_file.value_labels.items()
                        for code, label in labels.items()
                    ],
                    columns=["wave", "respondent_group", "variable", "code", "label"],
                ),
            )
            files = [("answers", group_file.source, len(data), len(data.columns))]
            if group_file.population is not None and group_file.population_source is not None:
                _insert(
                    con,
                    "population",
                    group_file.population.assign(
                        wave=wave,
                        respondent_group=group,
                        source_file=relative_source(group_file.population_source.path),
                        source_sha256=group_file.population_source.sha256,
                        loaded_at=loaded_at,
                    ),
                )
                files.append(("population", group_file.population_source, len(group_file.population), 3))
            _insert(
                con,
                "source_files",
                pd.DataFrame(
                    [
                        {
                            "wave": wave,
                            "respondent_group": group,
                            "kind": kind,
                            "source_file": relative_source(source.path),
                            "sha256": source.sha256,
                            "n_rows": rows,
                            "n_columns": columns,
                            "loaded_at": loaded_at,
                        }
                        for kind, source, rows, columns in files
                    ]
                ),
            )
            loaded.append(
                LoadedGroup(
                    group, len(data), len(variables), relative_source(group_file.source.path), group_file.source.sha256
                )
            )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return loaded


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pd.DataFrame) -> None:
    if frame.empty:
        return
    con.register("incoming", frame)
    con.execute(f"insert into {SCHEMA}.{table} by name select * from incoming")
    con.unregister("incoming")


def row_counts(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Respondents per wave and group in schema `raw` (which must exist)."""
    union = " union all ".join(
        f"select wave, '{group}' as respondent_group, count(*) as respondents from {SCHEMA}.{group} group by wave"
        for group in RESPONDENT_GROUPS
    )
    return con.execute(f"select * from ({union}) order by wave, respondent_group").df()
