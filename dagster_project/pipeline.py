"""Materialise the whole warehouse in-process, stage by stage.

What `make run`, the benchmark and the end-to-end tests all do.

In-process execution (no daemon, no subprocess per step) takes about half the time of Dagster's
default multiprocess executor, which reloads the code location for every step.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg

from dagster_project.lib import paths
from dagster_project.lib.dead_runs import run_tags
from dagster_project.lib.stages import INGEST_JOB, STAGES
from dagster_project.lib.wave_files import discover_waves

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


@dataclass
class StageResult:
    """One stage of a pipeline run: what ran, how long, and whether it passed."""

    label: str
    seconds: float
    result: dg.ExecuteInProcessResult
    checks: list = field(default_factory=list)

    def _failed_with(self, severity: dg.AssetCheckSeverity) -> list[str]:
        return [
            check.asset_check_key.to_user_string()
            for check in self.checks
            if not check.passed and check.severity == severity
        ]

    @property
    def failed_checks(self) -> list[str]:
        """Asset checks (dbt tests, quality gates) that failed with severity error; warnings do not fail a stage."""
        return self._failed_with(dg.AssetCheckSeverity.ERROR)

    @property
    def warned_checks(self) -> list[str]:
        """Asset checks that failed with severity warning: recorded and shown, not blocking."""
        return self._failed_with(dg.AssetCheckSeverity.WARN)

    @property
    def success(self) -> bool:
        """The run succeeded and every check passed."""
        return self.result.success and not self.failed_checks

    @property
    def message(self) -> str:
        """Why the stage failed, in one line, or an empty string."""
        if not self.result.success:
            return failure_message(self.result)
        return "checks failed: " + ", ".join(self.failed_checks) if self.failed_checks else ""


def failure_message(result: dg.ExecuteInProcessResult) -> str:
    """The reason a run failed: a refused file's description, or the innermost error."""
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.STEP_FAILURE:
            data = event.step_failure_data
            if data.user_failure_data is not None and data.user_failure_data.description:
                return data.user_failure_data.description
            error = data.error
            # The step's own message wraps the exception; the cause says what went wrong.
            while error is not None and error.cause is not None:
                error = error.cause
            return error.message.strip() if error else "step failed"
    return "run failed"


def run_pipeline(
    raw_dir: Path,
    warehouse: Path,
    instance: dg.DagsterInstance | None = None,
    serving: Path | None = None,
    analyst: Path | None = None,
    log_dir: Path | None = None,
    waves: list[str] | None = None,
    on_stage_start: Callable[[str], None] = lambda label: None,
    on_stage_end: Callable[[StageResult], None] = lambda stage: None,
) -> list[StageResult]:
    """Load every wave under raw_dir (or only `waves`), then every stage of `lib/stages.py`; stop at the first failure.

    The jobs are those the daemon runs (`ingest_wave` per wave partition, then one job per stage), in
    this process. The published copies default to SERVING_PATH and ANALYST_PATH.

    dagster-dbt echoes every dbt event to stdout: with a log_dir, each stage's output goes to a file there.
    """
    from dagster_project.definitions import defs  # loading the code location takes a few seconds
    from dagster_project.defs.resources import WarehouseResource

    definitions = defs()
    instance = instance or dg.DagsterInstance.ephemeral()
    found = discover_waves(raw_dir)
    waves = found if waves is None else [wave for wave in found if wave in waves]
    known = set(instance.get_dynamic_partitions("wave"))
    instance.add_dynamic_partitions("wave", [wave for wave in waves if wave not in known])
    resource = WarehouseResource(
        raw_data_dir=str(raw_dir),
        warehouse_path=str(warehouse),
        serving_path=str(serving or paths.serving_path()),
        analyst_path=str(analyst or paths.analyst_path()),
    )
    resources = {"warehouse": resource}

    plan = [(f"ingest {n}/{len(waves)}: wave {wave}", INGEST_JOB, wave) for n, wave in enumerate(waves, 1)]
    plan += [(stage.label, stage.job_name, None) for stage in STAGES]
    stages: list[StageResult] = []
    for label, job_name, partition in plan:
        on_stage_start(label)
        started = time.perf_counter()
        log = contextlib.nullcontext()
        if log_dir is not None:
            log_dir.mkdir(parents=True, exist_ok=True)
            log = (log_dir / f"{job_name}{'_' + partition if partition else ''}.log").open("w")
        with log as handle, contextlib.redirect_stdout(handle) if handle else contextlib.nullcontext():
            result = definitions.resolve_job_def(job_name).execute_in_process(
                instance=instance,
                partition_key=partition,
                resources=resources,
                run_config=QUIET,
                raise_on_error=False,
                # the process's pid: a later `make run` can tell this run died with it (lib/dead_runs.py)
                tags=run_tags(),
            )
        stage = StageResult(label, time.perf_counter() - started, result, result.get_asset_check_evaluations())
        stages.append(stage)
        on_stage_end(stage)
        if not stage.success:
            break
    return stages
