"""Automation under `make dev`: the daemon builds and publishes a new wave without anyone clicking.

Why: a data engineer's routine is to drop a wave's files into RAW_DATA_DIR. The wave sensor
(`defs/ingest/sensors.py`) loads it; then every downstream asset (weights, dbt models, statistics,
quality, publish) carries `AutomationCondition.eager()`, which only acts while an automation
condition sensor runs. Dagster would add a `default_automation_condition_sensor` that starts
STOPPED; the sensor here targets every asset instead, so that default is not created (no duplicate
evaluations) and it starts RUNNING with the daemon.

- `automation_condition_sensor`: evaluates the eager conditions every 30 s and launches the runs.
- `weekly_rebuild` (Monday 06:00 Europe/Amsterdam): the fallback, a job over every stage of
  `lib/stages.py` after ingest, so the published copies catch up even if an automatic run was missed.
- The code location's executor is in-process: a daemon-launched run executes its steps in its own
  process instead of starting one process per step, each of which would load the code location again
  (3-4 s a step). The steps share one DuckDB writer pool of limit 1, so they run one at a time anyway.

SENSOR_INTERVAL_SECONDS, when set, replaces the minimum interval of both this sensor and the wave
sensor (production: 30 s and 60 s); the daemon test sets it to a few seconds.
"""

import os

import dagster as dg

from dagster_project.lib.stages import STAGES

AUTOMATION_SENSOR = "automation_condition_sensor"
REBUILD_JOB = "rebuild_after_ingest"
WEEKLY_SCHEDULE = "weekly_rebuild"


def sensor_interval(default: int) -> int:
    """The minimum interval of a sensor: SENSOR_INTERVAL_SECONDS if set, else the given default."""
    value = os.environ.get("SENSOR_INTERVAL_SECONDS", "").strip()
    return int(value) if value else default


def stage_groups() -> list[str]:
    """Every asset group of every stage after ingest, in stage order."""
    return [group for stage in STAGES for group in stage.groups]


@dg.definitions
def automation() -> dg.Definitions:
    """The automation condition sensor, the weekly fallback rebuild and the in-process executor."""
    rebuild = dg.define_asset_job(
        REBUILD_JOB,
        selection=dg.AssetSelection.groups(*stage_groups()),
        description="Every stage after ingest (" + ", ".join(stage.label for stage in STAGES) + "), in one run.",
    )
    return dg.Definitions(
        jobs=[rebuild],
        sensors=[
            dg.AutomationConditionSensorDefinition(
                AUTOMATION_SENSOR,
                target=dg.AssetSelection.all(),
                default_status=dg.DefaultSensorStatus.RUNNING,
                minimum_interval_seconds=sensor_interval(30),
                description="Materialise whatever follows a loaded wave (eager conditions of every asset).",
            )
        ],
        schedules=[
            dg.ScheduleDefinition(
                name=WEEKLY_SCHEDULE,
                job=rebuild,
                cron_schedule="0 6 * * 1",
                execution_timezone="Europe/Amsterdam",
                default_status=dg.DefaultScheduleStatus.RUNNING,
                description="Fallback: rebuild and publish every Monday at 06:00, whatever the sensors did.",
            )
        ],
        executor=dg.in_process_executor,
    )
