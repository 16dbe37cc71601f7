"""The dbt models as assets: two multi-assets whose bodies run `dbt build` for the selected models.

- `warehouse_dbt_models`: seeds, staging, intermediate and marts, built before the statistics;
- `significance_dbt_models`: every model on dbt source `stats` (written by the statistics assets
  from what the first one built): the test marts and the labelled report tables over them.

Two assets rather than one, so that the asset graph has no cycle between dbt and the statistics.
"""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from dagster_project.defs.resources import AFTER_UPSTREAM, WarehouseResource
from dagster_project.lib.dbt_cli import WarehouseDbtCli, keep_partial_parse, prune_invocations
from dagster_project.lib.dbt_project import dbt_executable, dbt_project
from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL

PROJECT = dbt_project()


class WarehouseTranslator(DagsterDbtTranslator):
    """Group models by folder (staging, intermediate, marts), seeds as `codebook`; all follow upstream."""

    def get_automation_condition(self, dbt_resource_props: Mapping[str, Any]) -> dg.AutomationCondition | None:
        """Every model and seed follows its upstream (new waves, weights, codebook rows)."""
        return AFTER_UPSTREAM

    def get_asset_check_spec(
        self, asset_spec: dg.AssetSpec, manifest: Mapping[str, Any], unique_id: str, project: Any
    ) -> dg.AssetCheckSpec | None:
        """Every dbt test runs whenever the model it tests does, under automation too.

        A check without an automation condition is left out of the runs the automation sensor
        launches: dbt would build the models and skip their tests.
        """
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        return spec._replace(automation_condition=dg.AutomationCondition.any_deps_updated()) if spec else None

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        """The group a model's meta names (`dagster: group:`), else its dbt folder, or `codebook` for seeds."""
        meta_group = dbt_resource_props.get("meta", {}).get("dagster", {}).get("group")
        if meta_group:
            return meta_group
        if dbt_resource_props["resource_type"] == "seed":
            return "codebook"
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


# Everything built on the statistics assets' schema (the test marts and the report tables over them),
# and the rest of the report tables' folder, so that the report tables are built in one dbt call.
SIGNIFICANCE_MODELS = "source:stats+ path:models/marts/report"


def _build(context: dg.AssetExecutionContext, warehouse: WarehouseResource, dbt: DbtCliResource):
    # dbt runs inside dbt/: the profile reads the absolute warehouse path from the environment.
    os.environ["WAREHOUSE_PATH"] = str(warehouse.database())
    invocation = dbt.cli(["build"], context=context)
    yield from invocation.stream()
    keep_partial_parse(invocation)
    prune_invocations(invocation.project_dir / "target")


@dbt_assets(
    manifest=PROJECT.manifest_path,
    project=PROJECT,
    dagster_dbt_translator=WarehouseTranslator(),
    exclude=SIGNIFICANCE_MODELS,
    pool=WAREHOUSE_WRITER_POOL,
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, warehouse: WarehouseResource, dbt: DbtCliResource):
    """Run `dbt build` (seeds, models and their tests) for the selected assets."""
    yield from _build(context, warehouse, dbt)


@dbt_assets(
    manifest=PROJECT.manifest_path,
    project=PROJECT,
    dagster_dbt_translator=WarehouseTranslator(),
    select=SIGNIFICANCE_MODELS,
    name="significance_dbt_models",
    pool=WAREHOUSE_WRITER_POOL,
)
def significance_dbt_models(context: dg.AssetExecutionContext, warehouse: WarehouseResource, dbt: DbtCliResource):
    """Run `dbt build` for the test marts over schema `stats` and the report tables, with their tests."""
    yield from _build(context, warehouse, dbt)


@dg.definitions
def dbt_definitions() -> dg.Definitions:
    """Both dbt assets, and the dbt CLI as a resource bound once for them: this project, this environment's dbt.

    A module with a definitions function is loaded through it alone, so the assets are listed here.
    """
    return dg.Definitions(
        assets=[warehouse_dbt_models, significance_dbt_models],
        resources={"dbt": WarehouseDbtCli(project_dir=PROJECT, dbt_executable=dbt_executable())},
    )
