"""The code location: every definition under `defs/`, loaded by folder."""

from pathlib import Path

import dagster as dg
from dagster.components import load_from_defs_folder

PROJECT_ROOT = Path(__file__).resolve().parents[1]


@dg.definitions
def defs() -> dg.Definitions:
    """Load the `defs/` folder: one subfolder per concern (ingest, later dbt, stats, quality, publish)."""
    return load_from_defs_folder(path_within_project=PROJECT_ROOT)
