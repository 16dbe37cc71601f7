"""Build a warehouse as `make run` does, in-process, for the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from dagster_project.defs.resources import WarehouseResource

JOBS_AFTER_INGEST = ("build_weights", "build_models", "build_statistics")


def build_warehouse(raw_dir: Path, warehouse: Path) -> list[dg.ExecuteInProcessResult]:
    """Materialise every asset, as `make run` does, into the given warehouse; return the job results."""
    from dagster_project.definitions import defs

    definitions = defs()
    instance = dg.DagsterInstance.ephemeral()
    waves = sorted(path.name for path in (raw_dir / "waves").iterdir())
    instance.add_dynamic_partitions("wave", waves)
    resources = {"warehouse": WarehouseResource(raw_data_dir=str(raw_dir), warehouse_path=str(warehouse))}
    results = []
    for wave in waves:
        results.append(
            definitions.resolve_job_def("ingest_wave").execute_in_process(
                instance=instance, partition_key=wave, resources=resources
            )
        )
    for job in JOBS_AFTER_INGEST:
        results.append(
            definitions.resolve_job_def(job).execute_in_process(
                instance=instance, resources=resources, raise_on_error=False
            )
        )
    return results
