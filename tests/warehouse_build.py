"""Build a warehouse as `make run` does, in-process, for the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.pipeline import run_pipeline


def published_paths(warehouse: Path) -> tuple[Path, Path]:
    """The serving and analyst copies of a test warehouse: beside it, in `published/`."""
    folder = warehouse.parent / "published"
    return folder / "serving.duckdb", folder / "analyst.duckdb"


def build_warehouse(raw_dir: Path, warehouse: Path) -> list[dg.ExecuteInProcessResult]:
    """Materialise and publish every asset into the given warehouse; return each stage's job result."""
    serving, analyst = published_paths(warehouse)
    return [stage.result for stage in run_pipeline(raw_dir, warehouse, serving=serving, analyst=analyst)]
