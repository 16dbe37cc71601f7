"""Where the project and its publications are: one environment variable or this file's location per path.

Never the current directory, so that dbt (which runs inside `dbt/`), Dagster, the viewer and the tests
agree. The pipeline's own working paths (raw data, warehouse) are in `dagster_project.lib.paths`.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = PROJECT_ROOT / "data"
# DBT_PROJECT_DIR lets a test (or a trial of new codebook rows) run a copy of the dbt project.
DBT_DIR = Path(os.environ.get("DBT_PROJECT_DIR") or PROJECT_ROOT / "dbt").expanduser().resolve()

# The published copies: swapped in whole after the quality gates pass, so readers never see a build.
DEFAULT_SERVING_PATH = DATA_DIR / "published" / "serving.duckdb"
DEFAULT_ANALYST_PATH = DATA_DIR / "published" / "analyst.duckdb"
WORKBOOK_NAME = "tabellenrapport.xlsx"
FACTSHEET_NAME = "factsheet.pdf"


def absolute(value: str | os.PathLike[str]) -> Path:
    """A path with `~` expanded, made absolute."""
    return Path(value).expanduser().resolve()


def serving_path() -> Path:
    """The viewer's published copy (aggregates only), from SERVING_PATH, made absolute."""
    return absolute(os.environ.get("SERVING_PATH") or DEFAULT_SERVING_PATH)


def analyst_path() -> Path:
    """The analysts' published copy (all of `marts`), from ANALYST_PATH, made absolute."""
    return absolute(os.environ.get("ANALYST_PATH") or DEFAULT_ANALYST_PATH)


def workbook_path(serving: Path) -> Path:
    """Where the tabellenrapport workbook of a serving copy is published: beside it."""
    return serving.with_name(WORKBOOK_NAME)


def factsheet_path(serving: Path) -> Path:
    """Where the factsheet PDF of a serving copy is published: beside it."""
    return serving.with_name(FACTSHEET_NAME)
