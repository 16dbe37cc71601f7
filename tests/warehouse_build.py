"""Build a warehouse as `make run` does, in-process, for the end-to-end tests; and what the build said."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from dagster_project.pipeline import run_pipeline


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

    def write(self, path: Path) -> None:
        """Store the outcome beside the warehouse, for the other test processes that share it."""
        path.write_text(
            json.dumps(
                {
                    "stage_success": self.stage_success,
                    "checks": [vars(check) for check in self.checks],
                    "failure": self.failure,
                }
            )
        )

    @classmethod
    def read(cls, path: Path) -> BuildOutcome:
        """The outcome a build stored."""
        stored = json.loads(path.read_text())
        return cls(stored["stage_success"], [CheckOutcome(**check) for check in stored["checks"]], stored["failure"])


def build_warehouse(raw_dir: Path, warehouse: Path) -> BuildOutcome:
    """Materialise and publish every asset into the given warehouse; return what each stage's runs said."""
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
    )
