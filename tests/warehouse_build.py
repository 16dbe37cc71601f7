"""Build a warehouse as `make run` does, in-process, for the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.pipeline import run_pipeline


def build_warehouse(raw_dir: Path, warehouse: Path) -> list[dg.ExecuteInProcessResult]:
    """Materialise every asset into the given warehouse; return each stage's job result."""
    return [stage.result for stage in run_pipeline(raw_dir, warehouse)]
