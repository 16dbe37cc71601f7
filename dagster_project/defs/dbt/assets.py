"""The dbt models as assets: two multi-assets whose bodies run `dbt build` for the selected models.

- `warehouse_dbt_models`: seeds, staging, intermediate and marts, built before the statistics;
- `significance_dbt_models`: every model on dbt source `stats` (written by the statistics assets
  from what the first one built): the test marts and the labelled report tables over them.

Two assets rather than one, so that the asset graph has no cycle between dbt and the statistics.
A run that selects models but not the codebook seeds (the automation's, after a wave's load) loads
the seed files first: `make codebook` may have drafted rows since the last load.
"""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets
from dagster_dbt.asset_utils import get_dbt_resource_names_for_asset_keys, get_manifest_and_translator_from_dbt_assets

from dagster_project.defs.resources import AFTER_UPSTREAM, WarehouseResource
from dagster_project.lib.dbt_cli import WarehouseDbtCli, keep_partial_parse, prune_invocations
from dagster_project.lib.dbt_project import dbt_executable, dbt_project
from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL

PROJECT = dbt_project()
# The asset group of the dbt seeds: the codebook (`make codebook` drafts their rows).
CODEBOOK_GROUP = "codebook"


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
            return CODEBOOK_GROUP
        fqn = dbt_resource_props.get("fqn", [])
        return fqn[1] if len(fqn) > 2 else super().get_group_name(dbt_resource_props)


TRANSLATOR = WarehouseTranslator()

# Everything built on the statistics assets' schema (the test marts and the report tables over them),
# and the rest of the report tables' folder, so that the report tables are built in one dbt call.
SIGNIFICANCE_MODELS = "source:stats+ path:models/marts/report"


def codebook_seeds(assets_def: dg.AssetsDefinition) -> set[dg.AssetKey]:
    """The codebook seeds among a dbt asset's keys."""
    return {spec.key for spec in assets_def.specs if spec.group_name == CODEBOOK_GROUP}


def seeds_left_out(context: dg.AssetExecutionContext) -> bool:
    """Whether this run builds models of the asset but not all of its codebook seeds.

    So runs the automation launches after a wave's load: it follows loaded waves and materialised
    assets, not edited files, so it never selects a seed whose file `make codebook` changed.
    """
    seeds = codebook_seeds(context.assets_def)
    selected = context.selected_asset_keys
    return bool(seeds - selected) and bool(selected - seeds)


def seeds_first_arguments(context: dg.AssetExecutionContext) -> list[str]:
    """`dbt build` arguments for the seeds and every model of this asset that follows them but no selected model.

    Those models (the dimensions read from the codebook, such as `dim_answer_option`) follow only
    seeds, so they are built before the selected models without reading anything stale; the selected
    models and whatever follows them are the run's own `dbt build`. Tests only where every parent is
    built here (`cautious`): the others run with the selected models.
    """
    # The manifest the asset was defined from, which it holds: not the 5-10 MB file read again.
    manifest, _, _ = get_manifest_and_translator_from_dbt_assets([context.assets_def])
    selected = get_dbt_resource_names_for_asset_keys(
        TRANSLATOR, manifest, context.assets_def, context.selected_asset_keys
    )
    # One argument per option: dbt's CLI reads a selection as one space-separated string.
    excluded = " ".join([f"{name}+" for name in sorted(selected)] + [SIGNIFICANCE_MODELS])
    return ["build", "--select", "resource_type:seed+", "--exclude", excluded, "--indirect-selection", "cautious"]


def _build(context: dg.AssetExecutionContext, warehouse: WarehouseResource, dbt: DbtCliResource):
    # dbt runs inside dbt/: the profile reads the absolute warehouse path from the environment.
    os.environ["WAREHOUSE_PATH"] = str(warehouse.database())
    if seeds_left_out(context):
        # The models read the codebook from the seed tables: load the seed files first, or a wave
        # drafted since the last load stops the build as unknown to the codebook (docs/new_wave.md).
        # Not recorded as materialisations of the seeds, which this run did not select: recorded, they
        # would make the seeds' tests due again under the automation, which would start a run for them.
        arguments = seeds_first_arguments(context)
        context.log.info("the codebook seeds first: dbt " + " ".join(arguments))
        seeding = dbt.cli(arguments, manifest=PROJECT.manifest_path, dagster_dbt_translator=TRANSLATOR).wait()
        keep_partial_parse(seeding)
    invocation = dbt.cli(["build"], context=context)
    try:
        yield from invocation.stream()
    finally:
        # The parse holds whatever the build did: a build that failed (a file refused by the codebook,
        # a failed test) leaves the next one the parse too, instead of a whole parse again.
        keep_partial_parse(invocation)
    prune_invocations(invocation.project_dir / "target")


@dbt_assets(
    manifest=PROJECT.manifest_path,
    project=PROJECT,
    dagster_dbt_translator=TRANSLATOR,
    exclude=SIGNIFICANCE_MODELS,
    pool=WAREHOUSE_WRITER_POOL,
)
def warehouse_dbt_models(context: dg.AssetExecutionContext, warehouse: WarehouseResource, dbt: DbtCliResource):
    """Run `dbt build` (seeds, models and their tests) for the selected assets."""
    yield from _build(context, warehouse, dbt)


@dbt_assets(
    manifest=PROJECT.manifest_path,
    project=PROJECT,
    dagster_dbt_translator=TRANSLATOR,
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
