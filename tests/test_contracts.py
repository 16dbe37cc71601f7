"""The models' contracts: DuckDB enforces their not-null columns when dbt builds the table.

Every table model with a column that must never be null has an enforced contract, and such a column
carries `constraints: [{type: not_null}]` in it instead of a `not_null` data test; a null stops the build
at the model, with DuckDB's message naming the column. Plain `not_null` tests remain only on views
(DuckDB enforces no constraint on a view) and seeds (no contract); one with a `config` (where,
severity: warn) says more than a constraint can and stays a test.
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


def _models_with_materialization() -> list[tuple[dict, str]]:
    """Every model of the project's yml files with its materialization (dbt_project.yml's folder default or its own)."""
    dbt_project = yaml.safe_load((DBT_DIR / "dbt_project.yml").read_text())
    project = dbt_project["models"][dbt_project["name"]]
    models = []
    for path in sorted((DBT_DIR / "models").rglob("*.yml")):
        folder = path.relative_to(DBT_DIR / "models").parts[0]
        default = project.get(folder, {}).get("+materialized", project.get("+materialized", "view"))
        for model in yaml.safe_load(path.read_text()).get("models", []):
            models.append((model, model.get("config", {}).get("materialized", default)))
    return models


def test_every_enforced_contract_states_not_null_as_a_constraint_not_a_data_test():
    models = yaml.safe_load(SIGNIFICANCE_YML.read_text())["models"]
    for model in models:
        assert model["config"]["contract"]["enforced"]
        constrained = [c["name"] for c in model["columns"] if {"type": "not_null"} in c.get("constraints", [])]
        assert {"wave", "respondent_group", "item_id", "method", "is_tested"} <= set(constrained), model["name"]
    for model, materialized in _models_with_materialization():
        plain_not_null = [c["name"] for c in model.get("columns", []) if "not_null" in c.get("data_tests", [])]
        if materialized == "table" and plain_not_null:
            pytest.fail(f"{model['name']}: a table with not_null data tests {plain_not_null}; make them constraints")
        if model.get("config", {}).get("contract", {}).get("enforced"):
            # only a not_null test that says more (a where, a warning) may remain beside the contract
            assert not plain_not_null, (model["name"], plain_not_null)
            assert all("data_type" in column for column in model["columns"]), model["name"]


@pytest.mark.slow
def test_a_null_in_a_not_null_column_stops_the_build_of_the_model_with_the_column_named(built, tmp_path):
    """From a source the statistics stage writes (test_wave_change) and from a seed (dim_answer_option)."""
    warehouse = Path(shutil.copy(built[0], tmp_path / "warehouse.duckdb"))
    with duckdb.connect(str(warehouse)) as con:
        con.execute(
            "update stats.test_wave_change set item_id = null "
            "where rowid = (select min(rowid) from stats.test_wave_change)"
        )
        con.execute(
            "update codebook.codebook_answer_options set answer_label = null "
            "where rowid = (select min(rowid) from codebook.codebook_answer_options)"
        )
    done = subprocess.run(
        [
            str(Path(sys.executable).with_name("dbt")),
            "run",
            "--select",
            "test_wave_change",
            "dim_answer_option",
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
    assert "NOT NULL constraint failed: test_wave_change__dbt_tmp.item_id" in output, output
    assert "NOT NULL constraint failed: dim_answer_option__dbt_tmp.answer_label" in output, output
