"""The data engineer's routine under `make dev`, with the real daemon: drop a wave, get it published.

The daemon starts on what a `make run` left: a copy of the session's build of the sample (waves 2016
and 2019, publication 1) with the Dagster instance it was built in. A new wave from another tool (the
example delivery of 2022, sample_data/delivery.py) has had its codebook drafted (`make codebook`, as
docs/new_wave.md says; the seeds are not loaded into the warehouse by anyone). Then `dagster-daemon`
runs the code location, the wave's files are dropped into the raw folder, and the test waits until
the serving copy holds wave 2022 in a newer publication: the wave sensor loaded it (and only it: the
waves `make run` loaded from the same files are not loaded again), and the automation sensor loaded
the drafted codebook seeds, weighted, built, tested, checked and published everything that follows.
Readers of the serving copy during all of it (tests/serving_reader.py, as the viewer reads) never
fail and always see one complete publication, the old one and then the new one (formerly
test_publish.py's own rebuild of the sample).
"""

from __future__ import annotations

import json
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
from warehouse_build import copy_built, dagster_home, published_paths

from dagster_project.codebook.__main__ import main as draft_codebook
from dagster_project.definitions import defs
from dagster_project.defs.ingest.assets import RAW_GROUP_KEYS
from dagster_project.defs.quality.assets import QUALITY_RESULT_KEY
from dagster_project.lib import quality
from dagster_project.lib.paths import DBT_DIR, EMBEDDED_SAMPLE_DIR, PROJECT_ROOT

pytestmark = pytest.mark.slow

NEW_WAVE = 2022
DEADLINE_SECONDS = 420
# Processes reading the serving copy in a loop while the daemon publishes, as viewers would.
READERS = 2
# Between two reads of a reader: each read checksums every table (about 0.05 s of CPU), and the build
# needs the cores. A second still gives each reader some 50 reads across the build and the swap.
READ_PAUSE_SECONDS = 1.0
POLL_SECONDS = 1
# The sensors' minimum interval for this test only (production: wave sensor 60 s, automation 30 s).
# The daemon's own loops still tick every 5 s, whatever the sensors' minimum interval.
SENSOR_INTERVAL_SECONDS = "2"
# How often the daemon looks for queued runs to launch, for this test only (Dagster's default: 5 s).
# Each sensor's run waits in the queue first, so the default cost the routine 5-7 s per run.
DEQUEUE_INTERVAL_SECONDS = 1


def newest_publication(serving: Path) -> tuple[int, int] | None:
    """(id, figures changed) of the serving copy's newest publication, or None if unreadable."""
    if not serving.exists():
        return None
    try:
        con = duckdb.connect(str(serving), read_only=True)
    except duckdb.Error:
        return None
    try:
        return con.execute(
            "select publication_id, n_changes from marts.publication order by publication_id desc limit 1"
        ).fetchone()
    finally:
        con.close()


def start_readers(serving: Path, stop: Path) -> list[subprocess.Popen]:
    """READERS processes reading the serving copy in a loop until the stop file exists."""
    reader = Path(__file__).with_name("serving_reader.py")
    return [
        subprocess.Popen(
            [sys.executable, str(reader), str(serving), str(stop), str(READ_PAUSE_SECONDS)],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(READERS)
    ]


def copy_wave(source: Path, raw: Path, wave: str, staging: Path) -> None:
    """Drop a wave's files into raw as a data engineer should: each folder appears whole.

    Each folder is copied beside raw first and then renamed into place, the population before the
    answers: the sensor finds a wave by its `waves/<wave>` folder, so it never sees half a wave.
    """
    for kind in ("population", "waves"):
        shutil.copytree(source / kind / wave, staging / kind / wave)
        (raw / kind).mkdir(parents=True, exist_ok=True)
        (staging / kind / wave).rename(raw / kind / wave)


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


def stop_daemon(process: subprocess.Popen) -> None:
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


@pytest.fixture
def made_run(built, tmp_path) -> tuple[Path, Path]:
    """A copy of the session's build and of its Dagster instance: the warehouse and DAGSTER_HOME `make run` left."""
    warehouse = copy_built(built, tmp_path / "warehouse")
    home = shutil.copytree(dagster_home(built[0]), tmp_path / "dagster_home")
    with (home / "dagster.yaml").open("a") as config:
        config.write(
            "run_coordinator:\n  module: dagster._core.run_coordinator\n  class: QueuedRunCoordinator\n"
            f"  config:\n    dequeue_interval_seconds: {DEQUEUE_INTERVAL_SECONDS}\n"
        )
    return warehouse, home


@pytest.fixture
def drafted_delivery(tmp_path, example_delivery) -> tuple[Path, Path]:
    """The example delivery of wave 2022 beside the raw folder, and a dbt project with its drafted codebook rows."""
    delivery, _ = example_delivery
    dbt = shutil.copytree(DBT_DIR, tmp_path / "dbt", ignore=shutil.ignore_patterns("logs"))
    arguments = ["draft", "--wave", str(NEW_WAVE), "--raw-dir", str(delivery)]
    arguments += ["--seeds-dir", str(dbt / "seeds"), "--review-dir", str(tmp_path / "review")]
    assert draft_codebook(arguments) == 0
    return delivery, dbt


def test_a_dropped_wave_is_loaded_built_and_published_by_the_daemon_while_readers_read(
    made_run, drafted_delivery, tmp_path
):
    warehouse, home = made_run
    delivery, dbt = drafted_delivery
    raw = shutil.copytree(EMBEDDED_SAMPLE_DIR, tmp_path / "raw")
    serving, analyst = published_paths(warehouse)
    env = {
        "DAGSTER_HOME": str(home),
        "DBT_PROJECT_DIR": str(dbt),
        "RAW_DATA_DIR": str(raw),
        "WAREHOUSE_PATH": str(warehouse),
        "SERVING_PATH": str(serving),
        "ANALYST_PATH": str(analyst),
        "SENSOR_INTERVAL_SECONDS": SENSOR_INTERVAL_SECONDS,
    }
    before = newest_publication(serving)
    assert before is not None and before[0] == 1

    log, stop = tmp_path / "daemon.log", tmp_path / "stop_reading"
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
    readers = []
    try:
        deadline = time.monotonic() + DEADLINE_SECONDS
        with dg.DagsterInstance.from_config(str(home)) as instance:
            made = {run.run_id for run in instance.get_runs()}
            # drop the file into a running routine: after the daemon has looked at the raw folder once
            watch = {"instance": instance, "daemon": daemon, "log": log, "deadline": deadline}
            wait_for(lambda: wave_sensor_ticked(instance), "the wave sensor's first evaluation", **watch)
            readers = start_readers(serving, stop)
            dropped, dropped_at = time.monotonic(), time.time()
            copy_wave(delivery, raw, str(NEW_WAVE), tmp_path / "staging")

            def published() -> bool:
                state = newest_publication(serving)
                return state is not None and state[0] > before[0]

            wait_for(published, f"wave {NEW_WAVE} in a new publication of the serving copy", **watch)
            wait_for(lambda: not runs_in_progress(instance), "every automated run to finish", **watch)
            time.sleep(2)  # let every reader see the new publication for a while too
            checked = automated_check_evaluations(instance, since=dropped_at)
            launched = [run for run in instance.get_runs() if run.run_id not in made]
        runs = [f"{run.job_name} {run.tags.get('dagster/partition', '')}".strip() for run in launched]
        print(f"wave {NEW_WAVE} published {time.monotonic() - dropped:.0f} s after the drop; runs: {runs}")
    finally:
        stop.touch()
        outputs = [process.communicate(timeout=60)[0] for process in readers]
        stop_daemon(daemon)

    # the waves make run loaded were not loaded again; the new one was, once
    assert [run for run in runs if run.startswith("ingest_wave")] == [f"ingest_wave {NEW_WAVE}"]
    # One publication, or more: the automation may start its run before the ingest run has recorded
    # the wave's last table, and then publishes once more (docs/operations.md, rough edges).
    newest, _ = newest_publication(serving)
    assert newest >= 2
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
    assert waves == [2016, 2019, NEW_WAVE]
    # the automated runs ran the dbt tests and the quality gates before publishing, as make run does
    # (every test of a model downstream of the raw waves; the codebook seeds' own tests need no rerun)
    graph = defs().resolve_asset_graph()
    downstream = dg.AssetSelection.assets(*RAW_GROUP_KEYS.values()).downstream().resolve(graph)
    dbt_tests = {key for key in graph.asset_check_keys if key.asset_key in downstream - {QUALITY_RESULT_KEY}}
    assert dbt_tests - checked == set(), sorted(key.to_user_string() for key in dbt_tests - checked)
    gates = {dg.AssetCheckKey(QUALITY_RESULT_KEY, check.name) for check in quality.load_checks()}
    assert gates <= checked
    # every read of the viewer's copy was complete: the old publication, then the new one, never a mix
    reads = [[json.loads(line) for line in output.splitlines() if line.strip()] for output in outputs]
    assert len(reads) == READERS
    for lines in reads:
        errors = [line["error"] for line in lines if "error" in line]
        assert errors == [], errors[:3]
        assert len(lines) >= 20
        assert all(line["mismatched"] == [] and line["tables"] > 10 for line in lines)
        seen = [line["publication"] for line in lines]
        assert seen == sorted(seen) and seen[0] == 1 and seen[-1] == newest, sorted(set(seen))
