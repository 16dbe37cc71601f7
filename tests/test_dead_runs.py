"""A `make run` killed in the middle does not leave the next one waiting forever for its pool slot."""

from __future__ import annotations

import contextlib
import hashlib
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import duckdb
import pytest
from warehouse_build import published_paths

from dagster_project.lib.dead_runs import (
    HOST_TAG,
    PID_TAG,
    WAREHOUSE_WRITER_POOL,
    describe_slot_holders,
    release_dead_runs,
    run_tags,
)
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR, PROJECT_ROOT

# The instance of `make run`: every pool admits one step at a time.
INSTANCE_YAML = "concurrency:\n  pools:\n    default_limit: 1\ntelemetry:\n  enabled: false\n"
NEXT_RUN_TIMEOUT = 240


@dg.op
def write():
    """Stands for a step that writes the warehouse."""


@dg.job
def writer():
    """Stands for a job of `make run`."""
    write()


@pytest.fixture
def instance(tmp_path):
    """A persistent instance in a temporary DAGSTER_HOME, configured as `make run`'s."""
    (tmp_path / "dagster.yaml").write_text(INSTANCE_YAML)
    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        yield instance


@pytest.fixture
def dead_pid():
    """The pid of a process that has ended (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _started_run(instance, tags):
    return instance.create_run_for_job(writer, status=dg.DagsterRunStatus.STARTED, tags=tags)


def _claim(instance, run):
    # What the executor does before a step of the pool runs.
    storage = instance.event_log_storage
    storage.initialize_concurrency_limit_to_default(WAREHOUSE_WRITER_POOL)
    return storage.claim_concurrency_slot(WAREHOUSE_WRITER_POOL, run.run_id, "write", 0)


def _status(instance, run):
    return instance.get_run_by_id(run.run_id).status


def test_a_run_whose_process_is_gone_is_marked_failed_and_its_slot_freed(instance, dead_pid):
    dead = _started_run(instance, {**run_tags(), PID_TAG: str(dead_pid)})
    assert _claim(instance, dead).is_claimed

    lines = release_dead_runs(instance)

    assert _status(instance, dead) == dg.DagsterRunStatus.FAILURE
    pool = instance.event_log_storage.get_concurrency_info(WAREHOUSE_WRITER_POOL)
    assert (pool.claimed_slots, pool.pending_steps) == ([], [])
    assert len(lines) == 1
    assert dead.run_id in lines[0] and str(dead_pid) in lines[0] and WAREHOUSE_WRITER_POOL in lines[0]


def test_a_run_waiting_behind_a_dead_one_gets_the_slot(instance, dead_pid):
    dead = _started_run(instance, {**run_tags(), PID_TAG: str(dead_pid)})
    waiting = _started_run(instance, run_tags())
    assert _claim(instance, dead).is_claimed
    assert not _claim(instance, waiting).is_claimed

    release_dead_runs(instance)

    assert _claim(instance, waiting).is_claimed
    assert _status(instance, waiting) == dg.DagsterRunStatus.STARTED


def test_a_run_of_a_live_process_keeps_its_status_and_its_slot(instance):
    live = _started_run(instance, run_tags())
    assert _claim(instance, live).is_claimed

    assert release_dead_runs(instance) == []

    assert _status(instance, live) == dg.DagsterRunStatus.STARTED
    pool = instance.event_log_storage.get_concurrency_info(WAREHOUSE_WRITER_POOL)
    assert pool.active_run_ids == {live.run_id}


def test_runs_without_our_tags_or_from_another_host_are_left_alone(instance, dead_pid):
    untagged = _started_run(instance, {})
    elsewhere = _started_run(instance, {PID_TAG: str(dead_pid), HOST_TAG: "another-host"})
    assert _claim(instance, untagged).is_claimed

    assert release_dead_runs(instance) == []

    assert _status(instance, untagged) == _status(instance, elsewhere) == dg.DagsterRunStatus.STARTED
    assert instance.event_log_storage.get_concurrency_info(WAREHOUSE_WRITER_POOL).active_run_ids == {untagged.run_id}


def test_slot_holders_and_waiters_are_named_with_their_process_and_what_to_do(instance):
    live = _started_run(instance, run_tags())
    untagged = _started_run(instance, {})
    _claim(instance, live)
    _claim(instance, untagged)

    holder, waiter = describe_slot_holders(instance)

    assert live.run_id in holder and "holds" in holder and f"kill {os.getpid()}" in holder
    assert untagged.run_id in waiter and "waits for" in waiter and f"dagster run delete -f {untagged.run_id}" in waiter


def _read_until(process, text, timeout):
    """What the process printed up to and including text; fails if it does not come within timeout."""
    output, deadline = b"", time.monotonic() + timeout
    # The stage label is printed without a newline until the stage ends: read bytes, not lines.
    while text.encode() not in output:
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
        if not chunk:
            pytest.fail(f"{text!r} did not appear within {timeout} s:\n{output.decode()}")
        output += chunk
    return output.decode()


def _dbt_build_running(pgid):
    """Whether a `dbt build` process runs in the process group."""
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            # The process group is the fifth field of stat; the second (the name) may hold spaces.
            group = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2])
            args = (proc / "cmdline").read_bytes().split(b"\0")
            if group == pgid and b"build" in args and any(Path(arg.decode()).name == "dbt" for arg in args):
                return True
    return False


@pytest.mark.slow
def test_a_make_run_killed_during_dbt_leaves_the_published_copies_intact_and_does_not_block_the_next_one(
    tmp_path, built
):
    # published copies from an earlier publication (the session's build of the sample)
    serving, analyst = (shutil.copy(path, tmp_path / path.name) for path in published_paths(built[0]))
    published = {path: hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in (serving, analyst)}
    home = tmp_path / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home)
    warehouse = tmp_path / "warehouse.duckdb"
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "RAW_DATA_DIR": str(EMBEDDED_SAMPLE_DIR),
        "WAREHOUSE_PATH": str(warehouse),
        "SERVING_PATH": str(serving),
        "ANALYST_PATH": str(analyst),
        "PYTHONUNBUFFERED": "1",
    }
    command = [sys.executable, "-m", "dagster_project.run"]

    # Its own process group, so that one SIGKILL ends the runner and dbt together, as a killed terminal would.
    first = subprocess.Popen(
        command, cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        _read_until(first, "[dbt build]", timeout=180)
        if Path("/proc").is_dir():
            deadline = time.monotonic() + 60
            while not _dbt_build_running(first.pid):
                assert time.monotonic() < deadline, "dbt build did not start within 60 s"
                time.sleep(0.2)
        time.sleep(2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        first.stdout.close()

    # the killed build never reached publishing: both copies are the files they were, and open
    assert {path: hashlib.sha256(Path(path).read_bytes()).hexdigest() for path in published} == published
    for path in published:
        with duckdb.connect(str(path), read_only=True) as copy:
            assert copy.execute("select max(publication_id) from marts.publication").fetchone()[0] == 1

    with dg.DagsterInstance.from_config(str(home)) as instance:
        # What blocked the next run: the killed run still STARTED and holding the pool's only slot.
        (killed,) = instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED]))
        assert killed.tags.get(PID_TAG) == str(first.pid), "the runs of make run carry no pid tag"
        held = instance.event_log_storage.get_concurrency_info(WAREHOUSE_WRITER_POOL).active_run_ids
        assert held == {killed.run_id}

    second = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = second.communicate(timeout=NEXT_RUN_TIMEOUT)
    except subprocess.TimeoutExpired:
        os.killpg(second.pid, signal.SIGKILL)
        output, _ = second.communicate()
        pytest.fail(
            f"the next make run did not end within {NEXT_RUN_TIMEOUT} s: it still waits for the "
            f"{WAREHOUSE_WRITER_POOL} slot of the killed run {killed.run_id}\n{output}"
        )

    assert second.returncode == 0, output
    recovered = [line for line in output.splitlines() if line.startswith("recovered: ")]
    assert any(killed.run_id in line for line in recovered), output
    with dg.DagsterInstance.from_config(str(home)) as instance:
        assert instance.get_run_by_id(killed.run_id).status == dg.DagsterRunStatus.FAILURE
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_answer").fetchone()[0] > 0
    with duckdb.connect(str(serving), read_only=True) as copy:
        assert copy.execute("select max(publication_id) from marts.publication").fetchone()[0] == 2
