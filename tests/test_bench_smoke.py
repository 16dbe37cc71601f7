"""`make bench --quick`: one full build in a fresh process, every stage timed, and the floor equal to dbt."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest
from warehouse_build import published_paths, published_tables

from dagster_project.bench.measure import STAGES
from dagster_project.lib.paths import PROJECT_ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_bench(tmp_path_factory):
    root = tmp_path_factory.mktemp("bench")
    out = root / "bench.md"
    run = subprocess.run(
        [sys.executable, "-m", "dagster_project.bench", "--quick", "--work", str(root / "work"), "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return out.read_text(), json.loads(out.with_suffix(".json").read_text()), root / "work"


def test_the_table_has_every_stage_with_a_positive_time(quick_bench):
    text, results, _ = quick_bench
    figures = results["scale 1"]
    for stage in STAGES:
        median, low, _, runs = figures[f"{stage} (s)"]
        assert runs == 1 and low > 0, stage
        assert f"| {stage} (s) |" in text
    assert figures["whole build (s)"][0] > sum(figures[f"{stage} (s)"][0] for stage in STAGES)
    assert figures["whole build peak, largest process (MB)"][0] > 0


def test_the_floor_builds_every_model_of_the_dbt_stage_with_dbts_row_counts(quick_bench):
    # The bench stops a case whose floor gives any model another row count than dbt did.
    _, results, _ = quick_bench
    figures = results["scale 1"]
    assert figures["floor (s)"][0] > 0
    assert figures["floor models with dbt's row count"][0] >= 20
    assert figures["floor (s)"][0] < figures["dbt build (s)"][0]


def test_the_build_keeps_its_runs_in_a_dagster_instance_of_its_own_as_make_run_does(quick_bench):
    # make run stores runs and events in SQLite under DAGSTER_HOME; an in-memory instance would be faster.
    _, _, work = quick_bench
    runs = work / "scale_1" / "run1" / "dagster_home" / "history" / "runs.db"
    assert runs.is_file() and runs.stat().st_size > 0


def test_the_quick_run_leaves_r_out_and_says_so(quick_bench):
    text, results, _ = quick_bench
    assert "against the statistics stage: skipped: left out (--no-r)." in text
    assert not [name for name in results["scale 1"] if name.startswith("R survey")]


def test_a_build_of_the_same_files_in_another_process_publishes_the_same_tables(quick_bench, built):
    # The bench's build of the embedded sample (a fresh process, its own Dagster instance and dbt
    # project copy) against the session's: every published table equal, bit for bit, but the quality
    # results' evaluation id and time (formerly test_publish.py's own rebuild of the sample).
    _, _, work = quick_bench
    for ours in published_paths(built[0]):
        theirs = published_tables(work / "scale_1" / "run1" / "published" / ours.name)
        mine = published_tables(ours)
        assert theirs.keys() == mine.keys()
        for name, frame in mine.items():
            other = theirs[name]
            if name == "marts.quality_result":
                frame = frame.drop(columns=["evaluation_id", "evaluated_at"])
                other = other.drop(columns=["evaluation_id", "evaluated_at"])
            pd.testing.assert_frame_equal(frame, other, check_exact=True, obj=f"{ours.name} {name}")
