"""Give back what the runs of a killed `make run` still hold in the Dagster instance.

`make run` executes its jobs in-process against the persistent instance in DAGSTER_HOME. A process
killed in the middle (SIGKILL, a closed terminal, the OOM killer) never marks its run as ended nor
frees the slot its step claimed in the pool `warehouse_writer`, whose limit is 1, so every later run
would wait for that slot forever and say nothing. Runs are therefore tagged with the process that
launched them, and the next process releases the runs whose process no longer exists.
"""

from __future__ import annotations

import os
import socket

import dagster as dg

from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL

PID_TAG = "sib/pid"
HOST_TAG = "sib/host"
# Every status a run has before it ends. SUSPENDED is left out: a suspended run waits on purpose.
UNFINISHED = [
    dg.DagsterRunStatus.NOT_STARTED,
    dg.DagsterRunStatus.QUEUED,
    dg.DagsterRunStatus.STARTING,
    dg.DagsterRunStatus.STARTED,
    dg.DagsterRunStatus.CANCELING,
]


def run_tags() -> dict[str, str]:
    """Tags naming this process, for every run it launches.

    A later process reads them to tell whether the run's process still exists.
    """
    return {PID_TAG: str(os.getpid()), HOST_TAG: socket.gethostname()}


def _alive(pid: int) -> bool:
    # Signal 0 checks that the process exists without touching it. A pid that exists counts as
    # alive even if it was reused by another program: a run wrongly kept waits visibly (see
    # describe_slot_holders), a run wrongly released would let two processes write the warehouse.
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _local_pid(run: dg.DagsterRun) -> int | None:
    """The pid of the process that launched the run, if that process ran on this host.

    Runs without our tags (those of `dagster dev`) or from another host cannot be judged here.
    """
    pid = run.tags.get(PID_TAG, "")
    return int(pid) if pid.isdigit() and run.tags.get(HOST_TAG) == socket.gethostname() else None


def _pools_by_run(instance: dg.DagsterInstance) -> dict[str, set[str]]:
    """For every run holding or waiting on a slot, the pools it is in."""
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return {}
    pools: dict[str, set[str]] = {}
    for info in storage.get_concurrency_infos(sorted(storage.get_concurrency_keys())).values():
        for entry in [*info.claimed_slots, *info.pending_steps]:
            pools.setdefault(entry.run_id, set()).add(info.concurrency_key)
    return pools


def _name(run: dg.DagsterRun) -> str:
    partition = run.tags.get("dagster/partition")
    return f"run {run.run_id} ({run.job_name}{' ' + partition if partition else ''})"


def release_dead_runs(instance: dg.DagsterInstance) -> list[str]:
    """Mark failed every unfinished run whose process is gone, and free its concurrency slots.

    Only runs tagged by run_tags() on this host are judged. Returns one line per released run.
    """
    pools = _pools_by_run(instance)
    released = []
    for record in instance.get_run_records(filters=dg.RunsFilter(statuses=UNFINISHED)):
        run = record.dagster_run
        pid = _local_pid(run)
        if pid is None or _alive(pid):
            continue
        instance.report_run_failed(run, message=f"The process that ran it ({pid}) ended without finishing it.")
        # Failing the run does not free its slots (only the daemon of `dagster dev` would, and
        # `make run` runs without it), nor drop the steps it had queued for a slot.
        if instance.event_log_storage.supports_global_concurrency_limits:
            instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        held = f", freed its slots in {', '.join(sorted(pools[run.run_id]))}" if run.run_id in pools else ""
        released.append(f"{_name(run)} of process {pid}, which no longer exists: marked failed{held}")
    return released


def describe_slot_holders(instance: dg.DagsterInstance, pool: str = WAREHOUSE_WRITER_POOL) -> list[str]:
    """One line per run that holds or waits on a slot of the pool: which process, and what to do.

    So that a run that has to wait says why, instead of waiting silently.
    """
    storage = instance.event_log_storage
    if not storage.supports_global_concurrency_limits:
        return []
    info = storage.get_concurrency_info(pool)
    holders = list(dict.fromkeys(slot.run_id for slot in info.claimed_slots))
    waiters = [run_id for run_id in dict.fromkeys(step.run_id for step in info.pending_steps) if run_id not in holders]
    lines = []
    for run_id, what in [(run_id, "holds") for run_id in holders] + [(run_id, "waits for") for run_id in waiters]:
        run = instance.get_run_by_id(run_id)
        if run is None:
            continue
        pid = _local_pid(run)
        delete = f"`DAGSTER_HOME={instance.root_directory} dagster run delete -f {run_id}` frees its slot"
        if pid is not None and _alive(pid):
            advice = f"its process {pid} is still running: wait for it to finish, or stop it (kill {pid})"
        elif pid is not None:
            # A status release_dead_runs leaves alone, such as SUSPENDED: deleting the run frees it.
            advice = f"its process {pid} no longer exists: {delete}"
        else:
            # Not ours to judge (another host, or launched by `dagster dev`).
            origin = (
                f"by process {run.tags[PID_TAG]} on {run.tags.get(HOST_TAG)}"
                if PID_TAG in run.tags
                else "outside make run"
            )
            advice = f"it was launched {origin}: wait for it, or if it is gone, {delete}"
        lines.append(f"{_name(run)} {what} a slot in pool {pool}; {advice}")
    return lines
