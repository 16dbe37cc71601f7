"""The one dbt project of the warehouse, prepared the way dagster-dbt prepares its projects.

dagster-dbt builds the asset graph from `target/manifest.json`, which its own preparer writes
(`dbt parse` behind a guard against two processes parsing at once):
- `make` runs `dagster-dbt project prepare-and-package --file` on this file whenever a dbt source
  file is newer than the manifest (the Makefile's `$(MANIFEST)` rule), before `run`, `test`, `dev`
  and `bench`;
- under `dagster dev`, `prepare_if_dev()` parses again at every code reload, so an edited model
  shows up without a restart;
- a copy of the project without a manifest (`DBT_PROJECT_DIR`, as the third-wave test uses) is
  prepared when it is first loaded.
"""

from __future__ import annotations

import os
import sys
from functools import cache
from pathlib import Path

from dagster_dbt import DbtProject

from dagster_project.lib.paths import DBT_DIR


def dbt_executable() -> str:
    """The dbt of this interpreter's environment, whatever the PATH says."""
    candidate = Path(sys.executable).with_name("dbt")
    return str(candidate) if candidate.exists() else "dbt"


def _put_this_environments_dbt_first_on_path() -> None:
    """The preparer calls `dbt` from the PATH; make that this interpreter's dbt (make does too)."""
    bin_dir = str(Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bin_dir:
        os.environ["PATH"] = os.pathsep.join([bin_dir, os.environ.get("PATH", "")])


# Module level, so that `dagster-dbt project prepare-and-package --file` finds it.
DBT_PROJECT = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)


@cache
def dbt_project() -> DbtProject:
    """The dbt project with a manifest: parsed again under `dagster dev`, prepared here if it has none."""
    _put_this_environments_dbt_first_on_path()
    DBT_PROJECT.prepare_if_dev()
    if not DBT_PROJECT.manifest_path.exists():
        DBT_PROJECT.preparer.prepare(DBT_PROJECT)
    return DBT_PROJECT
