"""Constants that Python and dbt share, read from the one place both see: `vars:` in dbt/dbt_project.yml.

Why: the respondent groups, the kindcentrum question and its answer code, the minimum base of a test,
the cooperation-model threshold and the raw metadata columns were written twice, once in a dbt model
and once in Python, and a change to one copy would silently leave the other behind (a different
threshold for the cooperation models in dbt than in Python, a new raw column unpivoted as an answer).
dbt reads them with `var('...')`; Python imports the names below, read from the same file when this
module is first imported. Change a value in dbt/dbt_project.yml only.

The file is found through `locations.DBT_DIR`, so a run on a copy of the dbt project (`DBT_PROJECT_DIR`)
reads that copy's values, as dbt does.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from publication.locations import DBT_DIR

DBT_PROJECT_FILE = DBT_DIR / "dbt_project.yml"


def dbt_vars(path: Path = DBT_PROJECT_FILE) -> dict[str, Any]:
    """The `vars:` block of a dbt_project.yml."""
    with path.open(encoding="utf-8") as handle:
        project = yaml.safe_load(handle) or {}
    values = project.get("vars")
    if not isinstance(values, dict):
        raise KeyError(f"{path}: no `vars:` block")
    return values


def _var(values: dict[str, Any], name: str, kind: type) -> Any:
    if name not in values:
        raise KeyError(f"{DBT_PROJECT_FILE}: `vars:` has no `{name}`")
    value = values[name]
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if not isinstance(value, kind) or isinstance(value, bool):
        raise TypeError(f"{DBT_PROJECT_FILE}: var `{name}` must be {kind.__name__}, not {value!r}")
    return value


def _names(values: dict[str, Any], name: str) -> tuple[str, ...]:
    names = _var(values, name, list)
    if not names or not all(isinstance(item, str) for item in names):
        raise TypeError(f"{DBT_PROJECT_FILE}: var `{name}` must be a list of names, not {names!r}")
    return tuple(names)


_VARS = dbt_vars()

# The four respondent groups in the report's order; the input contract names their files after them.
RESPONDENT_GROUPS: tuple[str, ...] = _names(_VARS, "respondent_groups")
# Normal quantile of the 95% intervals.
Z_95: float = _var(_VARS, "z_95", float)
# The question `noemer` (how the cooperation presents itself) and the code of "(integraal) kindcentrum".
KINDCENTRUM_ITEM: str = _var(_VARS, "kindcentrum_item", str)
KINDCENTRUM_CODE: int = _var(_VARS, "kindcentrum_code", int)
# Fewer respondents than this: a share or mean is flagged as a small base.
SMALL_BASE: int = _var(_VARS, "small_base", int)
# Fewer respondents than this on a side: a significance test is not run.
MIN_TEST_BASE: int = _var(_VARS, "min_test_base", int)
# Answers (of the six A-F) that must fit a cooperation model for a respondent to get it.
MODEL_THRESHOLD: int = _var(_VARS, "model_threshold", int)
# The columns every raw.<group> table starts with, before the file's own variables.
RAW_METADATA_COLUMNS: tuple[str, ...] = _names(_VARS, "raw_metadata_columns")
