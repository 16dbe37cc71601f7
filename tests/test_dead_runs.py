"""A `make run` killed in the middle does not leave the next one waiting forever for its pool slot.

The release of a dead run's slot, on hand-made runs of a persistent instance. The real thing (a
`make run` killed during dbt, then the next one) is part of the new wave's routine in test_new_wave.py.
"""

from __future__ import annotations

import os
import subprocess
import sys

import dagster as dg
import pytest

from dagster_project.lib.dead_runs import (
    HOST_TAG,
    PID_TAG,
    WAREHOUSE_WRITER_POOL,
    describe_slot_holders,
    release_dead_runs,
    run_tags,
)

# The instance of `make run`: every pool admits one step at a time.
INSTANCE_YAML = "concurrency:\n  pools:\n    default_limit: 1\ntelemetry:\n  enabled: false\n"


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
