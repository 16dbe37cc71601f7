"""The one dbt project of the warehouse, with its manifest kept up to date.

dagster-dbt builds the asset graph from `target/manifest.json`. A fresh clone has none, and an
edited model makes it stale, so the manifest is parsed again whenever any dbt source file is newer.
"""

from __future__ import annotations

import os
import subprocess
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.lib.paths import DBT_DIR, warehouse_path

_SOURCE_DIRS = ("models", "seeds", "macros", "tests")
_SOURCE_FILES = ("dbt_project.yml", "profiles.yml")


def dbt_executable() -> str:
    """The dbt of this interpreter's environment, whatever the PATH says."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def _newest_source_mtime() -> float:
    times = [(DBT_DIR / name).stat().st_mtime for name in _SOURCE_FILES]
    for folder in _SOURCE_DIRS:
        times += [path.stat().st_mtime for path in (DBT_DIR / folder).rglob("*") if path.is_file()]
    return max(times)


def dbt_environment() -> dict[str, str]:
    """The environment for a dbt subprocess: the warehouse path made absolute."""
    return {**os.environ, "WAREHOUSE_PATH": str(warehouse_path())}


@cache
def dbt_project() -> DbtProject:
    """The dbt project, its manifest parsed again when missing or older than a dbt source file."""
    project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
    manifest = project.manifest_path
    if not manifest.exists() or manifest.stat().st_mtime < _newest_source_mtime():
        subprocess.run(
            [dbt_executable(), "parse", "--quiet", "--profiles-dir", str(DBT_DIR)],
            cwd=DBT_DIR,
            env=dbt_environment(),
            check=True,
        )
    return project
