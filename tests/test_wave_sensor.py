"""The wave sensor: a new wave folder becomes a partition, a new or changed wave is loaded once."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import dagster as dg
import pytest

from dagster_project.defs.ingest.sensors import wave_files_sensor
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR


@pytest.fixture
def raw(tmp_path) -> Path:
    """A private copy of the embedded sample."""
    return Path(shutil.copytree(EMBEDDED_SAMPLE_DIR, tmp_path / "raw"))


@pytest.fixture
def instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.ephemeral()


def evaluate(raw: Path, instance: dg.DagsterInstance, cursor: str | None) -> dg.SensorResult:
    """One evaluation of the sensor, then what the daemon does with it: add the requested partitions."""
    context = dg.build_sensor_context(
        instance=instance,
        cursor=cursor,
        resources={"warehouse": WarehouseResource(raw_data_dir=str(raw), warehouse_path=str(raw.parent / "w.duckdb"))},
    )
    result = wave_files_sensor(context)
    assert isinstance(result, dg.SensorResult)
    for request in result.dynamic_partitions_requests:
        assert isinstance(request, dg.AddDynamicPartitionsRequest)
        instance.add_dynamic_partitions(request.partitions_def_name, list(request.partition_keys))
    return result


def added_partitions(result: dg.SensorResult) -> list[str]:
    keys = []
    for request in result.dynamic_partitions_requests:
        assert request.partitions_def_name == "wave"
        keys.extend(request.partition_keys)
    return keys


def requested(result: dg.SensorResult) -> list[str]:
    return [request.partition_key for request in result.run_requests]


def test_first_evaluation_adds_a_partition_and_requests_one_run_per_wave(raw, instance):
    result = evaluate(raw, instance, cursor=None)

    assert added_partitions(result) == ["2016", "2019"]
    assert requested(result) == ["2016", "2019"]
    run_keys = [request.run_key for request in result.run_requests]
    assert len(set(run_keys)) == 2
    assert all(key.startswith(f"{wave}:") for key, wave in zip(run_keys, ["2016", "2019"], strict=True))
    assert all(request.job_name in (None, "ingest_wave") for request in result.run_requests)
    assert sorted(json.loads(result.cursor)) == ["2016", "2019"]
    assert instance.get_dynamic_partitions("wave") == ["2016", "2019"]


def test_evaluating_again_with_the_returned_cursor_requests_nothing(raw, instance):
    first = evaluate(raw, instance, cursor=None)
    second = evaluate(raw, instance, cursor=first.cursor)

    assert second.run_requests == []
    assert added_partitions(second) == []
    assert second.cursor == first.cursor


def test_known_partitions_are_not_added_again_even_without_a_cursor(raw, instance):
    instance.add_dynamic_partitions("wave", ["2016", "2019"])
    result = evaluate(raw, instance, cursor=None)

    assert added_partitions(result) == []
    assert requested(result) == ["2016", "2019"]


def test_a_changed_file_requests_exactly_its_wave_again_with_a_new_run_key(raw, instance):
    first = evaluate(raw, instance, cursor=None)
    first_keys = {request.partition_key: request.run_key for request in first.run_requests}
    population = raw / "population" / "2019" / "schoolbesturen.csv"
    text = population.read_text()
    population.write_text(text.replace("bestuursgrootte,1,359", "bestuursgrootte,1,358"))
    assert population.read_text() != text

    result = evaluate(raw, instance, cursor=first.cursor)

    assert requested(result) == ["2019"]
    assert result.run_requests[0].run_key != first_keys["2019"]
    assert result.run_requests[0].run_key.startswith("2019:")
    assert added_partitions(result) == []
    assert json.loads(result.cursor)["2016"] == json.loads(first.cursor)["2016"]
    # and once seen, the corrected file is not requested again
    assert evaluate(raw, instance, cursor=result.cursor).run_requests == []


def test_one_changed_byte_in_an_answer_file_requests_its_wave_again(raw, instance):
    first = evaluate(raw, instance, cursor=None)
    answers = raw / "waves" / "2016" / "kov_besturen.sav"
    content = bytearray(answers.read_bytes())
    content[-1] ^= 0xFF
    answers.write_bytes(bytes(content))

    assert requested(evaluate(raw, instance, cursor=first.cursor)) == ["2016"]


def test_a_new_wave_folder_adds_a_partition_and_requests_its_run(raw, instance):
    first = evaluate(raw, instance, cursor=None)
    shutil.copytree(raw / "waves" / "2019", raw / "waves" / "2022")
    shutil.copytree(raw / "population" / "2019", raw / "population" / "2022")

    result = evaluate(raw, instance, cursor=first.cursor)

    assert added_partitions(result) == ["2022"]
    assert requested(result) == ["2022"]
    assert result.run_requests[0].run_key.startswith("2022:")
    assert instance.get_dynamic_partitions("wave") == ["2016", "2019", "2022"]


def test_no_wave_folders_means_no_requests(tmp_path, instance):
    result = evaluate(tmp_path / "empty", instance, cursor=None)

    assert result.run_requests == []
    assert added_partitions(result) == []


def test_the_run_requests_resolve_to_partitions_of_the_ingest_job(raw):
    # evaluate_tick resolves each request against the job, as the daemon does; that needs an instance
    # with a ref (instance_for_test) and the code location's definitions
    from dagster_project.definitions import defs

    definitions = defs()
    sensor = definitions.resolve_sensor_def("wave_files_sensor")
    assert sensor.job_name == "ingest_wave"
    with dg.instance_for_test() as instance:
        context = dg.build_sensor_context(
            instance_ref=instance.get_ref(),
            definitions=definitions,
            resources={
                "warehouse": WarehouseResource(raw_data_dir=str(raw), warehouse_path=str(raw.parent / "w.duckdb"))
            },
        )
        data = sensor.evaluate_tick(context)

    assert [request.partition_key for request in data.run_requests] == ["2016", "2019"]
    for request in data.run_requests:
        assert request.tags["dagster/partition"] == request.partition_key


def test_the_sensors_and_the_weekly_rebuild_start_running_and_the_rebuild_covers_every_stage():
    # under `make dev` nothing is switched on by hand: dropping a wave's files is the whole routine
    from dagster_project.definitions import defs
    from dagster_project.defs.automation import AUTOMATION_SENSOR, REBUILD_JOB, WEEKLY_SCHEDULE
    from dagster_project.lib.stages import STAGES

    definitions = defs()
    sensors = {sensor.name: sensor for sensor in definitions.get_repository_def().sensor_defs}
    # one automation sensor over every asset: Dagster adds no default one beside it
    assert set(sensors) == {"wave_files_sensor", AUTOMATION_SENSOR}
    assert all(sensor.default_status == dg.DefaultSensorStatus.RUNNING for sensor in sensors.values())
    schedule = definitions.resolve_schedule_def(WEEKLY_SCHEDULE)
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == REBUILD_JOB

    graph = definitions.resolve_asset_graph()
    by_stage = {
        stage.label: {key for key in graph.get_all_asset_keys() if graph.get(key).group_name in stage.groups}
        for stage in STAGES
    }
    assert all(by_stage.values()), by_stage
    job = definitions.resolve_job_def(REBUILD_JOB)
    assert set(job.asset_layer.selected_asset_keys) == set().union(*by_stage.values())
    # daemon-launched runs execute their steps in one process, not one process per step
    assert job.executor_def is dg.in_process_executor


def _load_in_process(raw: Path, instance: dg.DagsterInstance, wave: str) -> None:
    """Load one wave with the ingest job into this instance, as `make run` does before `make dev`."""
    from dagster_project.definitions import defs

    instance.add_dynamic_partitions("wave", [wave])
    resource = WarehouseResource(raw_data_dir=str(raw), warehouse_path=str(raw.parent / "w.duckdb"))
    result = (
        defs()
        .resolve_job_def("ingest_wave")
        .execute_in_process(instance=instance, partition_key=wave, resources={"warehouse": resource})
    )
    assert result.success


def test_a_wave_make_run_loaded_from_the_same_files_is_not_loaded_again_and_a_changed_one_is(raw, instance):
    _load_in_process(raw, instance, "2016")

    result = evaluate(raw, instance, cursor=None)
    assert requested(result) == ["2019"]
    assert sorted(json.loads(result.cursor)) == ["2016", "2019"]

    # The same wave changed since it was loaded (a fresh daemon, no cursor): loaded again.
    population = raw / "population" / "2016" / "basisscholen.csv"
    population.write_text(population.read_text().replace("stedelijkheid,1,1681", "stedelijkheid,1,1682", 1))
    assert requested(evaluate(raw, instance, cursor=None)) == ["2016", "2019"]

    # Without the warehouse the load is gone too, whatever the instance remembers.
    population.write_text(population.read_text().replace("stedelijkheid,1,1682", "stedelijkheid,1,1681", 1))
    (raw.parent / "w.duckdb").unlink()
    assert requested(evaluate(raw, instance, cursor=None)) == ["2016", "2019"]
