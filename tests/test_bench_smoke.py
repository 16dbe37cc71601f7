"""`make bench --quick`: one full build in a fresh process, every stage timed, and the floor equal to dbt.

That build is the tests' shared warehouse (tests/conftest.py, `built`): these tests read the figures
the bench wrote beside it.
"""

from __future__ import annotations

import json

import pytest
from warehouse_build import bench_warehouse, dagster_home

from dagster_project.bench.measure import STAGES

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def quick_bench(built):
    """The bench's table and figures of the shared build, and its work folder."""
    warehouse, outcome = built
    assert all(outcome.stage_success), outcome.failure
    work = warehouse.parents[3]  # <work>/scale_1/run1/warehouse/warehouse.duckdb
    assert bench_warehouse(work) == warehouse
    out = work / "bench.md"
    return out.read_text(), json.loads(out.with_suffix(".json").read_text()), work


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
    runs = dagster_home(bench_warehouse(work)) / "history" / "runs.db"
    assert runs.is_file() and runs.stat().st_size > 0


def test_the_quick_run_leaves_r_out_and_says_so(quick_bench):
    text, results, _ = quick_bench
    assert "against the statistics stage: skipped: left out (--no-r)." in text
    assert not [name for name in results["scale 1"] if name.startswith("R survey")]
