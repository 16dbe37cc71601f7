"""The Dagster code location loads, with the ingest assets, job, partitions and sensor in place."""

from __future__ import annotations

import os
import subprocess
from types import SimpleNamespace

import dagster as dg

from dagster_project.definitions import defs
from dagster_project.defs.dbt.assets import codebook_seeds, seeds_first_arguments, seeds_left_out, warehouse_dbt_models
from dagster_project.defs.ingest.assets import RAW_GROUP_KEYS
from dagster_project.lib.dbt_project import dbt_executable
from dagster_project.lib.paths import DBT_DIR, SEEDS_DIR


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


def _automation_selection_after_a_load() -> SimpleNamespace:
    """What the automation's run after a wave's load selects of the warehouse dbt asset: what follows the raw waves."""
    graph = defs().resolve_asset_graph()
    downstream = dg.AssetSelection.assets(*RAW_GROUP_KEYS.values()).downstream().resolve(graph)
    selected = downstream & set(warehouse_dbt_models.keys)
    return SimpleNamespace(assets_def=warehouse_dbt_models, selected_asset_keys=selected)


def test_a_run_after_a_load_builds_the_codebook_seeds_and_what_follows_only_them_first(tmp_path):
    context = _automation_selection_after_a_load()
    assert seeds_left_out(context)
    arguments = seeds_first_arguments(context)

    # What dbt itself selects with those arguments (its parse written to a temporary target, not the project's).
    listed = subprocess.run(
        [dbt_executable(), "ls", "--resource-type", "seed", "--resource-type", "model", "--output", "name",
         "--quiet", "--target-path", str(tmp_path / "target"), *arguments[1:]],
        cwd=DBT_DIR, capture_output=True, text=True, timeout=300,
        env={**os.environ, "WAREHOUSE_PATH": str(tmp_path / "warehouse.duckdb")},
    )  # fmt: skip
    assert listed.returncode == 0, listed.stdout + listed.stderr
    names = set(listed.stdout.split())
    seeds = {path.stem for path in SEEDS_DIR.glob("*.csv")}
    # every seed, and the dimensions read from the codebook alone; nothing the load changed
    assert seeds <= names
    assert {"dim_answer_option", "dim_question"} <= names
    assert not {"stg_raw__answers", "int_answers_recoded", "fct_answer", "agg_answer_share"} & names
    assert not {name for name in names if name.startswith(("report_", "test_", "robustness"))}


def test_make_run_and_a_run_of_the_seeds_alone_load_no_seed_first():
    every = SimpleNamespace(assets_def=warehouse_dbt_models, selected_asset_keys=set(warehouse_dbt_models.keys))
    assert not seeds_left_out(every)
    seeds = codebook_seeds(warehouse_dbt_models)
    assert seeds and not seeds_left_out(SimpleNamespace(assets_def=warehouse_dbt_models, selected_asset_keys=seeds))
