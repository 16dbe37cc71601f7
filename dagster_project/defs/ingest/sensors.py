"""Watch the raw folder: a new wave folder adds a partition, a new or changed wave is loaded."""

import json

import dagster as dg

from dagster_project.defs.automation import sensor_interval
from dagster_project.defs.ingest.assets import FINGERPRINT_METADATA, RAW_SIDE_KEYS, ingest_job
from dagster_project.defs.ingest.partitions import waves
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.wave_files import discover_waves, wave_fingerprint


def _loaded_fingerprint(instance: dg.DagsterInstance, wave: str, warehouse: WarehouseResource) -> str | None:
    """The fingerprint of the files the last successful load of a wave read, if the warehouse is still there."""
    if not warehouse.database().exists():
        return None
    records = instance.fetch_materializations(
        dg.AssetRecordsFilter(asset_key=RAW_SIDE_KEYS["source_files"], asset_partitions=[wave]), limit=1
    ).records
    if not records or records[0].asset_materialization is None:
        return None
    value = records[0].asset_materialization.metadata.get(FINGERPRINT_METADATA)
    return getattr(value, "value", value)


@dg.sensor(job=ingest_job, minimum_interval_seconds=sensor_interval(60), default_status=dg.DefaultSensorStatus.RUNNING)
def wave_files_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
    """Request a load for every wave whose files are new or changed since the last evaluation.

    The cursor keeps a fingerprint (names and sha256 of the files) per wave; the run key carries it,
    so the same files are never loaded twice and a corrected file is loaded again. A wave the sensor
    has not evaluated yet is compared with the fingerprint its last load recorded, so that `make dev`
    after `make run` does not load every wave again. It starts RUNNING
    with the daemon (`make dev`), every 60 s or SENSOR_INTERVAL_SECONDS; the automation sensor of
    `defs/automation.py` then builds and publishes what follows.
    """
    raw_dir = warehouse.raw_dir()
    seen: dict[str, str] = json.loads(context.cursor) if context.cursor else {}
    present = discover_waves(raw_dir)
    known = set(context.instance.get_dynamic_partitions(waves.name))
    new_partitions = [wave for wave in present if wave not in known]
    requests = []
    fingerprints = {}
    for wave in present:
        fingerprints[wave] = wave_fingerprint(raw_dir, wave)
        if wave not in seen and wave in known:
            # Not evaluated before: loaded already (by `make run` into this instance) from the same files?
            seen[wave] = _loaded_fingerprint(context.instance, wave, warehouse)
        if seen.get(wave) != fingerprints[wave]:
            requests.append(dg.RunRequest(run_key=f"{wave}:{fingerprints[wave][:16]}", partition_key=wave))
    return dg.SensorResult(
        run_requests=requests,
        dynamic_partitions_requests=[waves.build_add_request(new_partitions)] if new_partitions else [],
        cursor=json.dumps(fingerprints, sort_keys=True),
    )
