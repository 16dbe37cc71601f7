"""The significance marts' contracts: DuckDB enforces their not-null columns when dbt builds the table.

The columns that must never be null carry `constraints: [{type: not_null}]` in the contract instead of a
`not_null` data test each; a null stops the build at the model, with DuckDB's message naming the column.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from dagster_project.lib.paths import DBT_DIR

SIGNIFICANCE_YML = DBT_DIR / "models" / "marts" / "significance" / "_significance__models.yml"


def test_every_enforced_contract_states_not_null_as_a_constraint_not_a_data_test():
    models = yaml.safe_load(SIGNIFICANCE_YML.read_text())["models"]
    for model in models:
        assert model["config"]["contract"]["enforced"]
        constrained = [c["name"] for c in model["columns"] if {"type": "not_null"} in c.get("constraints", [])]
        assert {"wave", "respondent_group", "item_id", "method", "is_tested"} <= set(constrained), model["name"]
        for column in model["columns"]:
            # only a not_null test that says more (a warning) may remain beside the contract
            assert "not_null" not in column.get("data_tests", []), (model["name"], column["name"])


@pytest.mark.slow
def test_a_null_in_a_not_null_column_stops_the_build_of_the_model_with_the_column_named(built, tmp_path):
    warehouse = Path(shutil.copy(built[0], tmp_path / "warehouse.duckdb"))
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update stats.test_wave_change set item_id = null "
            "where rowid = (select min(rowid) from stats.test_wave_change)"
        )
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "run",
            "--select",
            "test_wave_change",
            "--project-dir",
            str(DBT_DIR),
            "--profiles-dir",
            str(DBT_DIR),
            "--target-path",
            str(tmp_path / "target"),
            "--log-path",
            str(tmp_path / "logs"),
        ],
        cwd=DBT_DIR,
        env={**os.environ, "WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert "NOT NULL constraint failed" in output and "item_id" in output, output
