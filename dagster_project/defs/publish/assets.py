"""The publish stage: the serving and analyst copies, swapped in once every blocking check has passed."""

import json

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.defs.dbt.assets import warehouse_dbt_models
from dagster_project.defs.quality.assets import QUALITY_RESULT_KEY
from dagster_project.defs.resources import AFTER_UPSTREAM, WarehouseResource
from dagster_project.lib.dbt_project import dbt_project
from dagster_project.lib.publish import PublishRefused, publish
from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL

SERVING_KEY = dg.AssetKey(["published", "serving_copy"])
ANALYST_KEY = dg.AssetKey(["published", "analyst_copy"])


def _mart_keys() -> list[dg.AssetKey]:
    """Every dbt model of the marts folder, from the manifest: what the copies are made of.

    The key comes from the warehouse dbt asset for models of either dbt asset: both share one manifest
    and translator.
    """
    manifest = json.loads(dbt_project().manifest_path.read_text())
    return sorted(
        get_asset_key_for_model([warehouse_dbt_models], node["name"])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["fqn"][1:2] == ["marts"]
    )


# The quality result comes last in a build and depends on every table it checks; the dbt marts (the
# test marts among them) are listed too so that the lineage shows what a copy holds.
_UPSTREAM = [QUALITY_RESULT_KEY, *_mart_keys()]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            SERVING_KEY,
            deps=_UPSTREAM,
            description="SERVING_PATH: aggregates, dimensions, tests, quality results and the publication log; "
            "no respondent rows. What the viewer reads.",
            automation_condition=AFTER_UPSTREAM,
        ),
        dg.AssetSpec(
            ANALYST_KEY,
            deps=_UPSTREAM,
            description="ANALYST_PATH: all of marts, respondent rows included, for analysts (open read-only).",
            automation_condition=AFTER_UPSTREAM,
        ),
    ],
    group_name="publish",
    pool=WAREHOUSE_WRITER_POOL,
    can_subset=False,
)
def published_copies(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Refuse unless the last quality evaluation passed; write both copies beside the old; swap them in."""
    with warehouse.connect() as con:
        try:
            publication = publish(con, warehouse.serving(), warehouse.analyst(), warehouse.raw_dir())
        except PublishRefused as refused:
            raise dg.Failure(description=str(refused)) from refused
    context.log.info(
        f"publication {publication.publication_id}: {publication.n_changes} changed figures; "
        f"{publication.quality_summary}"
    )
    common = {
        "publication_id": publication.publication_id,
        "changed_figures": publication.n_changes,
        "quality": publication.quality_summary,
    }
    yield dg.MaterializeResult(
        asset_key=SERVING_KEY,
        metadata={
            **common,
            "path": str(publication.serving_path),
            "tables": len(publication.serving_tables),
            "tabellenrapport": str(publication.workbook_path),
        },
    )
    yield dg.MaterializeResult(
        asset_key=ANALYST_KEY,
        metadata={**common, "path": str(publication.analyst_path), "tables": len(publication.analyst_tables)},
    )
