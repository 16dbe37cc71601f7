"""The data engineer's routine under `make dev`, with the real daemon: drop a wave, get it published.

Wave 2016 is built and published in-process first (as `make run` does, into the same Dagster
instance); then `dagster-daemon` runs the code location, wave 2019's files are dropped into the raw
folder, and the test waits until the serving copy holds wave 2019 in a newer publication: the wave
sensor loaded it and the automation sensor built and published everything that follows.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from dagster_project.definitions import defs
from dagster_project.defs.ingest.assets import RAW_GROUP_KEYS
from dagster_project.defs.quality.assets import QUALITY_RESULT_KEY
from dagster_project.lib import quality
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR, PROJECT_ROOT
from dagster_project.pipeline import run_pipeline

pytestmark = pytest.mark.slow

DEADLINE_SECONDS = 420
POLL_SECONDS = 3
# The sensors' minimum interval for this test only (production: wave sensor 60 s, automation 30 s).
SENSOR_INTERVAL_SECONDS = "5"


def copy_wave(source: Path, raw: Path, wave: str, staging: Path) -> None:
    """Drop a wave's files into raw as a data engineer should: each folder appears whole.

    Each folder is copied beside raw first and then renamed into place, the population before the
    answers: the sensor finds a wave by its `waves/<wave>` folder, so it never sees half a wave.
    """
    for kind in ("population", "waves"):
        shutil.copytree(source / kind / wave, staging / kind / wave)
        (raw / kind).mkdir(parents=True, exist_ok=True)
        (staging / kind / wave).rename(raw / kind / wave)


def serving_state(serving: Path) -> tuple[int, int] | None:
    """(rows of wave 2019 in agg_answer_share, last publication id) of the serving copy, or None if unreadable."""
    if not serving.exists():
        return None
    try:
        con = duckdb.connect(str(serving), read_only=True)
    except duckdb.Error:
        return None
    try:
        rows = con.execute("select count(*) from marts.agg_answer_share where wave = 2019").fetchone()[0]
        publication = con.execute("select coalesce(max(publication_id), 0) from marts.publication").fetchone()[0]
        return rows, publication
    finally:
        con.close()


def wave_sensor_ticked(instance: dg.DagsterInstance) -> bool:
    """Whether the daemon has evaluated the wave sensor at least once."""
    return any(
        state.name == "wave_files_sensor" and instance.get_ticks(state.instigator_origin_id, state.selector_id, limit=1)
        for state in instance.all_instigator_state()
    )


def failed_runs(instance: dg.DagsterInstance) -> list[str]:
    """Job name and id of every failed run: the routine cannot finish once one has failed."""
    runs = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.FAILURE]))
    return [f"{run.job_name} {run.run_id}" for run in runs]


def wait_for(
    done: Callable[[], object],
    what: str,
    instance: dg.DagsterInstance,
    daemon: subprocess.Popen,
    log: Path,
    deadline: float,
) -> None:
    """Poll until done() holds; fail at once on a failed run or a dead daemon, or at the deadline."""
    while not done():
        failed = failed_runs(instance)
        assert not failed, f"runs failed: {failed}\n{log_tail(log)}"
        assert daemon.poll() is None, f"the daemon exited with {daemon.returncode}\n{log_tail(log)}"
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {DEADLINE_SECONDS} s\n{log_tail(log)}")
        time.sleep(POLL_SECONDS)


def automated_check_evaluations(instance: dg.DagsterInstance, since: float) -> set[dg.AssetCheckKey]:
    """Every asset check evaluated in the runs launched after a moment (several runs may share the work)."""
    evaluated = set()
    for record in instance.get_run_records(filters=dg.RunsFilter(created_after=datetime.fromtimestamp(since, UTC))):
        for event in instance.all_logs(record.dagster_run.run_id, of_type=dg.DagsterEventType.ASSET_CHECK_EVALUATION):
            evaluated.add(event.dagster_event.event_specific_data.asset_check_key)
    return evaluated


def runs_in_progress(instance: dg.DagsterInstance) -> list[str]:
    """Runs not finished yet: the automation may start a second run while the first publishes."""
    unfinished = [
        dg.DagsterRunStatus.QUEUED,
        dg.DagsterRunStatus.NOT_STARTED,
        dg.DagsterRunStatus.STARTING,
        dg.DagsterRunStatus.STARTED,
    ]
    return [run.run_id for run in instance.get_runs(filters=dg.RunsFilter(statuses=unfinished))]


def log_tail(log: Path, lines: int = 60) -> str:
    """The end of the daemon's output, for a failure message."""
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else "(no log)"


def stop(process: subprocess.Popen) -> None:
    """SIGTERM to the daemon's process group (daemon, code server, runs), then SIGKILL if it lingers."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)
    except ProcessLookupError:
        pass


def test_a_dropped_wave_is_loaded_built_and_published_by_the_daemon(tmp_path, monkeypatch):
    raw = tmp_path / "raw"
    copy_wave(EMBEDDED_SAMPLE_DIR, raw, "2016", tmp_path / "staging")
    warehouse = tmp_path / "warehouse" / "warehouse.duckdb"
    serving = tmp_path / "published" / "serving.duckdb"
    analyst = tmp_path / "published" / "analyst.duckdb"
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home / "dagster.yaml")
    env = {
        "DAGSTER_HOME": str(home),
        "RAW_DATA_DIR": str(raw),
        "WAREHOUSE_PATH": str(warehouse),
        "SERVING_PATH": str(serving),
        "ANALYST_PATH": str(analyst),
        "SENSOR_INTERVAL_SECONDS": SENSOR_INTERVAL_SECONDS,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)

    started = time.monotonic()
    with dg.DagsterInstance.get() as instance:
        stages = run_pipeline(raw, warehouse, instance=instance, serving=serving, analyst=analyst)
    assert all(stage.success for stage in stages), [stage.message for stage in stages if not stage.success]
    before = serving_state(serving)
    assert before is not None and before[0] == 0 and before[1] >= 1
    print(f"\nwave 2016 built in-process in {time.monotonic() - started:.0f} s")

    log = tmp_path / "daemon.log"
    daemon_bin = Path(sys.executable).with_name("dagster-daemon")
    with log.open("w") as output:
        daemon = subprocess.Popen(
            [str(daemon_bin), "run", "-m", "dagster_project.definitions"],
            cwd=PROJECT_ROOT,
            env={**os.environ, **env},
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        with dg.DagsterInstance.get() as instance:
            # drop the wave into a running routine: after the daemon has looked at the raw folder once
            watch = {"instance": instance, "daemon": daemon, "log": log, "deadline": deadline}
            wait_for(lambda: wave_sensor_ticked(instance), "the wave sensor's first evaluation", **watch)
            dropped, dropped_at = time.monotonic(), time.time()
            copy_wave(EMBEDDED_SAMPLE_DIR, raw, "2019", tmp_path / "staging")

            def published() -> bool:
                state = serving_state(serving)
                return state is not None and state[0] > 0 and state[1] > before[1]

            wait_for(published, "wave 2019 in a new publication of the serving copy", **watch)
            wait_for(lambda: not runs_in_progress(instance), "every automated run to finish", **watch)
            checked = automated_check_evaluations(instance, since=dropped_at)
            runs = [f"{run.job_name} {run.tags.get('dagster/partition', '')}".strip() for run in instance.get_runs()]
        print(f"wave 2019 published {time.monotonic() - dropped:.0f} s after the drop; runs, last first: {runs}")
    finally:
        stop(daemon)

    con = duckdb.connect(str(serving), read_only=True)
    try:
        with_respondents = con.execute(
            "select schema_name || '.' || table_name from duckdb_columns() where column_name = 'respondent_id'"
        ).fetchall()
        waves = [
            row[0] for row in con.execute("select distinct wave from marts.agg_answer_share order by wave").fetchall()
        ]
    finally:
        con.close()
    assert with_respondents == []
    assert waves == [2016, 2019]
    # the automated runs ran the dbt tests and the quality gates before publishing, as make run does
    # (every test of a model downstream of the raw waves; the codebook seeds' own tests need no rerun)
    graph = defs().resolve_asset_graph()
    downstream = dg.AssetSelection.assets(*RAW_GROUP_KEYS.values()).downstream().resolve(graph)
    dbt_tests = {key for key in graph.asset_check_keys if key.asset_key in downstream - {QUALITY_RESULT_KEY}}
    assert dbt_tests - checked == set(), sorted(key.to_user_string() for key in dbt_tests - checked)
    gates = {dg.AssetCheckKey(QUALITY_RESULT_KEY, check.name) for check in quality.load_checks()}
    assert gates <= checked
