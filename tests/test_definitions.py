"""The Dagster code location loads, with the ingest assets, job, partitions and sensor in place."""

from __future__ import annotations

import dagster as dg

from dagster_project.definitions import defs


def test_the_code_location_loads_with_ingest_assets_job_and_sensor():
    definitions = defs()
    keys = {key.to_user_string() for key in definitions.resolve_asset_graph().get_all_asset_keys()}
    expected = {f"raw/{name}" for name in ("basisscholen", "kov_organisaties", "schoolbesturen", "kov_besturen")}
    assert expected | {"raw/population", "raw/value_labels", "raw/variables", "raw/source_files"} <= keys
    job = definitions.resolve_job_def("ingest_wave")
    assert isinstance(job.partitions_def, dg.DynamicPartitionsDefinition)
    assert job.partitions_def.name == "wave"
    assert definitions.resolve_sensor_def("wave_files_sensor") is not None


def test_everything_downstream_of_the_raw_files_follows_its_upstream_and_raw_waves_load_by_sensor():
    graph = defs().resolve_asset_graph()
    for key in graph.get_all_asset_keys():
        condition = graph.get(key).automation_condition
        if key.path[0] == "raw":
            assert condition is None, key  # loaded by the sensor or by hand, per wave
        else:
            assert condition is not None, key
