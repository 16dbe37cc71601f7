"""Build a warehouse as `make run` does, in-process, for the end-to-end tests; and what the build said."""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from dagster_project.bench.measure import TWO_WAVES_DBT, quick_run_dir
from dagster_project.lib.paths import DBT_DIR, PROJECT_ROOT
from dagster_project.pipeline import run_pipeline
from publication.schema import LOG_TABLES


def published_paths(warehouse: Path) -> tuple[Path, Path]:
    """The serving and analyst copies of a test warehouse: beside it, in `published/`."""
    folder = warehouse.parent / "published"
    return folder / "serving.duckdb", folder / "analyst.duckdb"


def copy_built(built: tuple[Path, object], target: Path) -> Path:
    """A copy of the built warehouse in target, with its published folder (copies and documents) beside it."""
    target.mkdir(parents=True, exist_ok=True)
    warehouse = Path(shutil.copy(built[0], target / "warehouse.duckdb"))
    shutil.copytree(published_paths(built[0])[0].parent, published_paths(warehouse)[0].parent)
    return warehouse


def sha256(path: Path) -> str:
    """A file's content hash, to tell whether a published file changed by one byte."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class CheckOutcome:
    """One asset check of a build: its name, severity (ERROR or WARN) and whether it passed."""

    name: str
    severity: str
    passed: bool


@dataclass(frozen=True)
class BuildOutcome:
    """What a build's Dagster runs said, in a form that outlives the process that built it (JSON)."""

    stage_success: list[bool]
    checks: list[CheckOutcome]
    # Why the first failed stage failed (a refused file's description, or the innermost error); "" if none.
    failure: str = ""
    # The dbt project the build ran in (each pytest-xdist worker has its own copy): its target/ holds
    # the build's dbt invocations, whichever worker reads them.
    dbt_project_dir: str = ""

    def write(self, path: Path) -> None:
        """Store the outcome beside the warehouse, for the other test processes that share it."""
        path.write_text(
            json.dumps(
                {
                    "stage_success": self.stage_success,
                    "checks": [vars(check) for check in self.checks],
                    "failure": self.failure,
                    "dbt_project_dir": self.dbt_project_dir,
                }
            )
        )

    @classmethod
    def read(cls, path: Path) -> BuildOutcome:
        """The outcome a build stored."""
        stored = json.loads(path.read_text())
        checks = [CheckOutcome(**check) for check in stored["checks"]]
        return cls(stored["stage_success"], checks, stored["failure"], stored["dbt_project_dir"])


def dagster_home(warehouse: Path) -> Path:
    """The Dagster instance a test warehouse was built with, when it was built with one: beside it."""
    return warehouse.parent / "dagster_home"


def build_warehouse(raw_dir: Path, warehouse: Path) -> BuildOutcome:
    """Materialise and publish every asset into the given warehouse, in this process; return what each stage said."""
    serving, analyst = published_paths(warehouse)
    stages = run_pipeline(raw_dir, warehouse, serving=serving, analyst=analyst)
    return BuildOutcome(
        [stage.result.success for stage in stages],
        [
            CheckOutcome(check.asset_check_key.name, check.severity.value, check.passed)
            for stage in stages
            for check in stage.result.get_asset_check_evaluations()
        ],
        next((stage.message for stage in stages if not stage.success), ""),
        str(DBT_DIR),
    )


def bench_warehouse(work: Path) -> Path:
    """The warehouse of the bench's quick build in `work`: published copies and Dagster instance beside it."""
    return quick_run_dir(work) / "warehouse" / "warehouse.duckdb"


def bench_build(work: Path) -> BuildOutcome:
    """`make bench --quick` into `work`: one build of the embedded sample in a fresh process, measured; what it said.

    The tests' shared warehouse is this build: a fresh process with a Dagster instance of its own (as
    `make run` on a new machine), measured by the bench and kept with its figures, its floor and the
    dbt project copy it ran in. A bench that fails still leaves an outcome naming why.
    """
    out = work / "bench.md"
    work.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [sys.executable, "-m", "dagster_project.bench", "--quick", "--work", str(work), "--out", str(out)],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    result = quick_run_dir(work) / "result.json"
    if run.returncode != 0 or not result.exists():
        return BuildOutcome([False], [], f"make bench --quick failed:\n{run.stdout[-3000:]}{run.stderr[-3000:]}")
    stages = json.loads(result.read_text())["stages"]
    return BuildOutcome(
        [stage["success"] for stage in stages],
        [CheckOutcome(**check) for stage in stages for check in stage["checks"]],
        next((stage["message"] for stage in stages if not stage["success"]), ""),
        str(work / TWO_WAVES_DBT),
    )


def published_tables(path: Path) -> dict[str, pd.DataFrame]:
    """Every published table of a copy except the publication log's, sorted on all columns."""
    with duckdb.connect(str(path), read_only=True) as con:
        names = [
            f"{schema}.{table}"
            for schema, table in con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
            if table not in LOG_TABLES
        ]
        return {name: con.execute(f"select * from {name} order by all").df() for name in names}
