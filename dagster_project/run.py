"""`make run`: materialise everything there is to materialise, stage by stage, then a short summary.

Runs in-process (no daemon, no subprocess per step), against the Dagster instance in DAGSTER_HOME when
that is set, so that `make dev` shows the same runs afterwards.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time

import dagster as dg
import duckdb

from dagster_project.lib import paths
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.raw_store import row_counts
from dagster_project.lib.wave_files import discover_waves

QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}
# After the waves are loaded: (label printed, job) in order.
STAGES = (("weights", "build_weights"), ("dbt build", "build_models"), ("statistics", "build_statistics"))


def _instance() -> dg.DagsterInstance:
    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def _failure_message(result: dg.ExecuteInProcessResult) -> str:
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


def main() -> int:
    """Load every wave under RAW_DATA_DIR, weight and build WAREHOUSE_PATH; print progress and a summary."""
    started = time.perf_counter()
    raw_dir, warehouse = paths.raw_data_dir(), paths.warehouse_path()
    synthetic = raw_dir == paths.EMBEDDED_SAMPLE_DIR.resolve()
    print("Samenwerking in beeld warehouse")
    print(f"  raw data : {raw_dir}" + ("  (embedded SYNTHETIC sample, not real respondents)" if synthetic else ""))
    print(f"  warehouse: {warehouse}")

    waves = discover_waves(raw_dir)
    if not waves:
        print(f"error: no wave folders under {raw_dir / 'waves'}", file=sys.stderr)
        return 1

    from dagster_project.definitions import defs  # loading the code location takes a few seconds

    definitions = defs()
    instance = _instance()
    known = set(instance.get_dynamic_partitions("wave"))
    instance.add_dynamic_partitions("wave", [wave for wave in waves if wave not in known])

    ingest = definitions.resolve_job_def("ingest_wave")
    for number, wave in enumerate(waves, start=1):
        step_started = time.perf_counter()
        print(f"[ingest {number}/{len(waves)}] wave {wave} ...", end=" ", flush=True)
        result = ingest.execute_in_process(
            instance=instance, partition_key=wave, run_config=QUIET, raise_on_error=False
        )
        if not result.success:
            print("refused")
            print(f"error: {_failure_message(result)}", file=sys.stderr)
            return 1
        print(f"loaded in {time.perf_counter() - step_started:.1f}s")

    for label, job_name in STAGES:
        step_started = time.perf_counter()
        print(f"[{label}] ...", end=" ", flush=True)
        # dagster-dbt echoes every dbt event to stdout; keep it in a log file and the terminal short.
        log_path = paths.DBT_DIR / "logs" / f"make_run_{job_name}.log"
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("w") as log, contextlib.redirect_stdout(log):
            result = definitions.resolve_job_def(job_name).execute_in_process(
                instance=instance, run_config=QUIET, raise_on_error=False
            )
        checks = result.get_asset_check_evaluations()
        failed = [check.asset_check_key.to_user_string() for check in checks if not check.passed]
        if not result.success or failed:
            print("failed")
            reason = _failure_message(result) if not result.success else "checks failed: " + ", ".join(failed)
            print(f"error: {reason}\n(full log: {log_path})", file=sys.stderr)
            return 1
        materialized = len(result.get_asset_materialization_events())
        tested = f", {len(checks)} checks passed" if checks else ""
        print(f"{materialized} assets{tested} in {time.perf_counter() - step_started:.1f}s")

    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = row_counts(con)
        marts = con.execute(
            "select table_name, estimated_size from duckdb_tables() where schema_name = 'marts' order by table_name"
        ).fetchall()
    print("\nRespondents per wave and group (schema raw):")
    table = counts.pivot(index="respondent_group", columns="wave", values="respondents")
    table = table.reindex([group for group in RESPONDENT_GROUPS if group in table.index]).fillna(0).astype(int)
    print(table.to_string())
    print("\nMarts (rows): " + ", ".join(f"{name} {rows}" for name, rows in marts))
    print(f"\nWarehouse: {warehouse}  ({time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
