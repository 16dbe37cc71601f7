"""Ingest assets: one wave's answer and population files into schema `raw`.

One multi-asset writes every raw table of a wave in one transaction, so the raw tables always hold
complete waves. The asset keys match the dbt sources (`raw/<table>`), which is how dbt models come to
depend on them.
"""

import dagster as dg

from dagster_project.defs.ingest.partitions import waves
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.raw_store import SIDE_TABLES, replace_wave
from dagster_project.lib.stages import INGEST_JOB, WAREHOUSE_WRITER_POOL
from dagster_project.lib.wave_files import InputContractError, read_wave, wave_fingerprint

RAW_GROUP_KEYS = {group: dg.AssetKey(["raw", group]) for group in RESPONDENT_GROUPS}
RAW_SIDE_KEYS = {table: dg.AssetKey(["raw", table]) for table in SIDE_TABLES}
# Metadata of raw/source_files: the fingerprint (lib/wave_files.wave_fingerprint) of the files a load read.
FINGERPRINT_METADATA = "wave_fingerprint"

_DESCRIPTIONS = {
    "variables": "Every variable of every answer file, with its position and SPSS variable label.",
    "value_labels": "SPSS value labels (answer texts) per wave, group, variable and code.",
    "population": "Population margins per wave, group and stratification category (weighting targets).",
    "source_files": "Provenance: every file loaded, with its sha256, size and load time.",
}


@dg.multi_asset(
    specs=[
        *(
            dg.AssetSpec(key, description=f"Answer file of the {group} per wave, as delivered (wide), with provenance.")
            for group, key in RAW_GROUP_KEYS.items()
        ),
        *(dg.AssetSpec(key, description=_DESCRIPTIONS[table]) for table, key in RAW_SIDE_KEYS.items()),
    ],
    partitions_def=waves,
    group_name="ingest",
    pool=WAREHOUSE_WRITER_POOL,
    backfill_policy=dg.BackfillPolicy.single_run(),
    can_subset=False,
)
def raw_wave(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Read and check every file of the wave(s), then replace those waves in schema `raw`."""
    raw_dir = warehouse.raw_dir()
    loaded_by_group: dict[str, list[str]] = {group: [] for group in RESPONDENT_GROUPS}
    fingerprints = {}
    for wave in context.partition_keys:
        fingerprints[wave] = wave_fingerprint(raw_dir, wave)
        try:
            files = read_wave(raw_dir, wave)
        except InputContractError as error:
            # Nothing was written: the wave stays as it was loaded before.
            raise dg.Failure(
                description=f"wave {wave} refused, nothing changed: {error}",
                metadata={"file": error.path, "problem": error.problem},
            ) from error
        with warehouse.connect() as con:
            loaded = replace_wave(con, files)
        for item in loaded:
            context.log.info(f"wave {wave}: {item.group} {item.rows} respondents, {item.variables} variables")
            loaded_by_group[item.group].append(f"{wave}: {item.rows} rows from {item.source_file} ({item.sha256[:12]})")
    for group, key in RAW_GROUP_KEYS.items():
        yield dg.MaterializeResult(
            asset_key=key,
            metadata={
                "loaded": dg.MetadataValue.md("\n".join(f"- {line}" for line in loaded_by_group[group]) or "none")
            },
        )
    for table, key in RAW_SIDE_KEYS.items():
        # The files' fingerprint as loaded: the wave sensor's first evaluation under `make dev` skips a
        # wave that `make run` already loaded from the same files (defs/ingest/sensors.py).
        # A run over several waves (a backfill) records none: the sensor then loads those waves again.
        metadata = {}
        if table == "source_files" and len(fingerprints) == 1:
            metadata[FINGERPRINT_METADATA] = next(iter(fingerprints.values()))
        yield dg.MaterializeResult(asset_key=key, metadata=metadata)


ingest_job = dg.define_asset_job(
    INGEST_JOB,
    selection=dg.AssetSelection.assets(raw_wave),
    description="Load one wave's files into schema raw (replacing that wave only).",
)
