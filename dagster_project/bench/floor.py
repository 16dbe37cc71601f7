"""The floor of the dbt stage: its transformations as one plain SQL script in one DuckDB connection.

The script is rendered from what the dbt stage itself ran, so that it cannot drift from the models:
dagster-dbt gives every `dbt build` its own target folder (`target/warehouse_dbt_models-*`), whose
`run_results.json` lists the seeds and models that invocation built and whose `manifest.json` holds
each model's compiled SQL and dependencies. In dependency order, each seed becomes a `read_csv` with
the column types `dbt_project.yml` gives it, each view a `create view` and each table a
`create table ... as` of the compiled SQL. What dbt adds on top (its start-up and parse, one statement
and transaction per model, the documentation comments and the data tests) is what the floor leaves out.
"""

from __future__ import annotations

import json
import time
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

# The dbt stage's asset (dagster_project/defs/dbt/assets.py); the other dbt asset belongs to statistics.
DBT_STAGE_ASSET = "warehouse_dbt_models"


def latest_target(dbt_dir: Path, asset: str = DBT_STAGE_ASSET) -> Path:
    """The target folder of the newest `dbt build` the given dbt asset ran in this project."""
    folders = [path for path in (dbt_dir / "target").glob(f"{asset}-*") if (path / "run_results.json").exists()]
    if not folders:
        raise FileNotFoundError(f"no target folder of {asset} with run results under {dbt_dir / 'target'}")
    return max(folders, key=lambda path: (path / "run_results.json").stat().st_mtime)


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _seed_statement(node: dict, dbt_dir: Path) -> str:
    path = dbt_dir / node["original_file_path"]
    types = node["config"].get("column_types") or {}
    options = "header = true"
    if types:
        options += ", types = {" + ", ".join(f"{_quote(name)}: {_quote(kind)}" for name, kind in types.items()) + "}"
    return f"create or replace table {node['relation_name']} as select * from read_csv({_quote(str(path))}, {options})"


def _model_statement(node: dict) -> str:
    kind = node["config"]["materialized"]
    if kind not in ("table", "view"):
        raise ValueError(f"{node['unique_id']}: materialization {kind} has no floor equivalent here")
    return f"create or replace {kind} {node['relation_name']} as (\n{node['compiled_code'].strip()}\n)"


def floor_script(dbt_dir: Path, target: Path | None = None) -> tuple[str, list[str]]:
    """The SQL script of the dbt stage's last build under `dbt_dir`, and the tables and views it creates."""
    target = target or latest_target(dbt_dir)
    manifest = json.loads((target / "manifest.json").read_text())
    built = {
        result["unique_id"]
        for result in json.loads((target / "run_results.json").read_text())["results"]
        if result["unique_id"].split(".")[0] in ("model", "seed")
    }
    nodes = {unique_id: manifest["nodes"][unique_id] for unique_id in built}
    # Seeds depend on nothing: their depends_on has no "nodes".
    upstream = {unique_id: node["depends_on"].get("nodes", []) for unique_id, node in nodes.items()}
    order = TopologicalSorter(
        {unique_id: [dep for dep in deps if dep in nodes] for unique_id, deps in upstream.items()}
    )
    order = order.static_order()
    schemas = sorted({node["schema"] for node in nodes.values()})
    statements = [f"create schema if not exists {schema}" for schema in schemas]
    relations = []
    for unique_id in order:
        node = nodes[unique_id]
        if node["resource_type"] == "seed":
            statements.append(_seed_statement(node, dbt_dir))
        else:
            statements.append(_model_statement(node))
        relations.append(node["relation_name"])
    return ";\n\n".join(statements) + ";\n", relations


def run_floor(database: Path, script: str) -> float:
    """Seconds to run the script in one connection to `database` (a copy of the warehouse before dbt)."""
    started = time.perf_counter()
    with duckdb.connect(str(database)) as con:
        con.execute(script)
    return time.perf_counter() - started


def row_counts(database: Path, relations: list[str]) -> dict[str, int]:
    """Rows of each relation (`"catalog"."schema"."name"`) in `database`."""
    with duckdb.connect(str(database), read_only=True) as con:
        return {relation: con.execute(f"select count(*) from {relation}").fetchone()[0] for relation in relations}
