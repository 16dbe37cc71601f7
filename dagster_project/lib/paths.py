"""Where the pipeline reads and writes.

Every path comes from one environment variable or from this file's location, never from the
current directory, so that dbt (which runs inside `dbt/`), Dagster and the tests agree.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DATA_DIR = PROJECT_ROOT / "data"
# DBT_PROJECT_DIR lets a test (or a trial of new codebook rows) run a copy of the dbt project.
DBT_DIR = Path(os.environ.get("DBT_PROJECT_DIR") or PROJECT_ROOT / "dbt").expanduser().resolve()
SEEDS_DIR = DBT_DIR / "seeds"
REFERENCE_DIR = PROJECT_ROOT / "tests" / "reference"

# The embedded synthetic sample: what runs when nobody points RAW_DATA_DIR elsewhere.
EMBEDDED_SAMPLE_DIR = DATA_DIR / "sample"
DEFAULT_WAREHOUSE_PATH = DATA_DIR / "warehouse" / "warehouse.duckdb"
# The published copies: swapped in whole after the quality gates pass, so readers never see a build.
DEFAULT_SERVING_PATH = DATA_DIR / "published" / "serving.duckdb"
DEFAULT_ANALYST_PATH = DATA_DIR / "published" / "analyst.duckdb"


def _absolute(value: str | os.PathLike[str]) -> Path:
    return Path(value).expanduser().resolve()


def raw_data_dir() -> Path:
    """The input folder (`waves/`, `population/`), from RAW_DATA_DIR, made absolute."""
    return _absolute(os.environ.get("RAW_DATA_DIR") or EMBEDDED_SAMPLE_DIR)


def warehouse_path() -> Path:
    """The pipeline's own DuckDB file, from WAREHOUSE_PATH, made absolute."""
    return _absolute(os.environ.get("WAREHOUSE_PATH") or DEFAULT_WAREHOUSE_PATH)


def serving_path() -> Path:
    """The viewer's published copy (aggregates only), from SERVING_PATH, made absolute."""
    return _absolute(os.environ.get("SERVING_PATH") or DEFAULT_SERVING_PATH)


def analyst_path() -> Path:
    """The analysts' published copy (all of `marts`), from ANALYST_PATH, made absolute."""
    return _absolute(os.environ.get("ANALYST_PATH") or DEFAULT_ANALYST_PATH)
