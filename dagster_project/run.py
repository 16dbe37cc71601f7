"""`make run`: materialise everything there is to materialise, stage by stage, then a short summary.

Runs in-process against the Dagster instance in DAGSTER_HOME when that is set, so that `make dev`
shows the same runs afterwards.

When nothing it depends on changed since the last publication (lib/fingerprint.py), it says so and
publishes nothing, before Dagster is even imported; `FORCE=1` builds anyway.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

from dagster_project.lib import fingerprint, paths

# Dagster, pandas and the rest are imported only when there is something to build (seconds).
if TYPE_CHECKING:
    import dagster as dg

    from dagster_project.pipeline import StageResult


def _instance() -> dg.DagsterInstance:
    import dagster as dg

    return dg.DagsterInstance.get() if os.environ.get("DAGSTER_HOME") else dg.DagsterInstance.ephemeral()


def _report(stage: StageResult) -> None:
    if not stage.success:
        # A wave that breaks the input contract is refused; anything else failed.
        print("refused" if stage.label.startswith("ingest") else "failed")
        return
    materialized = len(stage.result.get_asset_materialization_events())
    warned = len(stage.warned_checks)
    checks = f", {len(stage.checks) - warned} checks passed" if stage.checks else ""
    checks += f", {warned} with a warning" if warned else ""
    print(f"{materialized} assets{checks} in {stage.seconds:.1f}s")


def _print_publication(serving: Path, analyst: Path) -> tuple[int, str]:
    """The published copies, the publication's number and what the quality checks found; (number, time)."""
    import duckdb

    from dagster_project.lib import publish, quality

    with duckdb.connect(str(serving), read_only=True) as con:
        publication_id, changes, published_at = con.execute(
            "select publication_id, n_changes, published_at from marts.publication order by publication_id desc limit 1"
        ).fetchone()
        results = con.execute("select * from marts.quality_result").df()
    print(f"\nPublished (publication {publication_id}, {changes} figures changed since the previous one):")
    print(f"  serving copy: {serving}  (the viewer's; no respondent rows)")
    print(f"  analyst copy: {analyst}  (all marts; open it read-only)")
    print(f"  workbook:     {publish.workbook_path(serving)}  (the tabellenrapport, a sheet per chapter)")
    print(f"  factsheet:    {publish.factsheet_path(serving)}  (the Overzicht's blocks for the newest wave, PDF)")
    print(f"Quality: {quality.summary_line(results)}")
    for severity in quality.SEVERITIES:
        for line in quality.describe_failures(results, severity):
            print(f"  {severity}: {line}")
    return int(publication_id), f"{published_at:%Y-%m-%d %H:%M:%S} UTC"


def main() -> int:
    """Build WAREHOUSE_PATH from the waves under RAW_DATA_DIR, check and publish it; print a summary."""
    started = time.perf_counter()
    raw_dir, warehouse = paths.raw_data_dir(), paths.warehouse_path()
    serving, analyst = paths.serving_path(), paths.analyst_path()
    synthetic = raw_dir == paths.EMBEDDED_SAMPLE_DIR.resolve()
    print("Samenwerking in beeld warehouse")
    print(f"  raw data : {raw_dir}" + ("  (embedded SYNTHETIC sample, not real respondents)" if synthetic else ""))
    print(f"  warehouse: {warehouse}")
    unchanged, inputs = fingerprint.unchanged_since_publication(raw_dir, warehouse, serving, analyst)
    if unchanged:
        print(unchanged)
        return 0
    return _build(raw_dir, warehouse, serving, analyst, inputs, started)


def _build(
    raw_dir: Path, warehouse: Path, serving: Path, analyst: Path, inputs: fingerprint.Fingerprint, started: float
) -> int:
    """Every stage, the summary, and the record of the publication's inputs when it published."""
    import duckdb

    from dagster_project.lib import publish
    from dagster_project.lib.dead_runs import describe_slot_holders, release_dead_runs
    from dagster_project.lib.groups import RESPONDENT_GROUPS
    from dagster_project.lib.raw_store import row_counts
    from dagster_project.lib.wave_files import discover_waves
    from dagster_project.pipeline import run_pipeline

    if not discover_waves(raw_dir):
        print(f"error: no wave folders under {raw_dir / 'waves'}", file=sys.stderr)
        return 1
    # Until this build publishes, nothing may be skipped: a failed or refused run leaves no record.
    fingerprint.forget(warehouse)

    instance = _instance()
    if instance.is_persistent:
        # A killed earlier run would otherwise keep the warehouse_writer slot, and this one wait forever.
        for line in release_dead_runs(instance):
            print(f"recovered: {line}")
        for line in describe_slot_holders(instance):
            print(f"waiting: {line}")
    log_dir = paths.DBT_DIR / "logs" / "make_run"
    stages = run_pipeline(
        raw_dir,
        warehouse,
        instance,
        serving=serving,
        analyst=analyst,
        log_dir=log_dir,
        on_stage_start=lambda label: print(f"[{label}] ...", end=" ", flush=True),
        on_stage_end=_report,
    )
    if not stages[-1].success:
        print(f"error: {stages[-1].message}\n(logs: {log_dir})", file=sys.stderr)
        return 1

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
    publication_id, published_at = _print_publication(serving, analyst)
    fingerprint.write_record(
        warehouse, inputs, publication_id, published_at, publish.workbook_path(serving), publish.factsheet_path(serving)
    )
    print(f"\nWarehouse: {warehouse}  ({time.perf_counter() - started:.1f}s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
