"""Where the pipeline reads and writes.

Every path comes from one environment variable or from a file's location, never from the current
directory, so that dbt (which runs inside `dbt/`), Dagster and the tests agree. The project root, the
dbt project and the published copies are the publication contract's (`publication.locations`), which
the viewer shares; the raw data and the warehouse are the pipeline's own.
"""

from __future__ import annotations

import os
from pathlib import Path

from publication.locations import (
    DATA_DIR,
    DBT_DIR,
    PROJECT_ROOT,
    absolute,
    analyst_path,
    serving_path,
    workbook_path,
)

__all__ = [
    "DATA_DIR",
    "DBT_DIR",
    "EMBEDDED_SAMPLE_DIR",
    "PROJECT_ROOT",
    "SEEDS_DIR",
    "analyst_path",
    "raw_data_dir",
    "serving_path",
    "warehouse_path",
    "workbook_path",
]

SEEDS_DIR = DBT_DIR / "seeds"

# The embedded synthetic sample: what runs when nobody points RAW_DATA_DIR elsewhere.
EMBEDDED_SAMPLE_DIR = DATA_DIR / "sample"
DEFAULT_WAREHOUSE_PATH = DATA_DIR / "warehouse" / "warehouse.duckdb"


def raw_data_dir() -> Path:
    """The input folder (`waves/`, `population/`), from RAW_DATA_DIR, made absolute."""
    return absolute(os.environ.get("RAW_DATA_DIR") or EMBEDDED_SAMPLE_DIR)


def warehouse_path() -> Path:
    """The pipeline's own DuckDB file, from WAREHOUSE_PATH, made absolute."""
    return absolute(os.environ.get("WAREHOUSE_PATH") or DEFAULT_WAREHOUSE_PATH)
