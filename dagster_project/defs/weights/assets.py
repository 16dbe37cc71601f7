"""The weights asset: raked respondent weights and their diagnostics in schema `weights`."""

import dagster as dg

from dagster_project.defs.ingest.assets import RAW_GROUP_KEYS, RAW_SIDE_KEYS
from dagster_project.defs.resources import AFTER_UPSTREAM, WarehouseResource
from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL
from dagster_project.lib.weighting import compute_weights, replace_weights

WEIGHT_KEYS = {
    "respondent_weights": dg.AssetKey(["weights", "respondent_weights"]),
    "raking_runs": dg.AssetKey(["weights", "raking_runs"]),
    "raking_margins": dg.AssetKey(["weights", "raking_margins"]),
}
_UPSTREAM = [*RAW_GROUP_KEYS.values(), RAW_SIDE_KEYS["population"]]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            WEIGHT_KEYS["respondent_weights"],
            deps=_UPSTREAM,
            description="Raked weight per respondent (mean 1 per wave and group) and scaled to the population.",
            automation_condition=AFTER_UPSTREAM,
        ),
        dg.AssetSpec(
            WEIGHT_KEYS["raking_runs"],
            deps=_UPSTREAM,
            description="Per wave and group: method, iterations.",
            automation_condition=AFTER_UPSTREAM,
        ),
        dg.AssetSpec(
            WEIGHT_KEYS["raking_margins"],
            deps=_UPSTREAM,
            description="Per wave, group and stratification category: population and weighted totals.",
            automation_condition=AFTER_UPSTREAM,
        ),
    ],
    group_name="weights",
    pool=WAREHOUSE_WRITER_POOL,
    can_subset=False,
)
def raking_weights(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Rake every wave and group in schema `raw` and replace schema `weights`."""
    with warehouse.connect() as con:
        tables = compute_weights(con)
        replace_weights(con, tables)
    runs = tables.raking_runs
    for row in runs.itertuples():
        context.log.info(f"{row.wave} {row.respondent_group}: {row.method}, {row.iterations} iterations")
    yield dg.MaterializeResult(
        asset_key=WEIGHT_KEYS["respondent_weights"],
        metadata={"respondents": len(tables.respondent_weights)},
    )
    yield dg.MaterializeResult(
        asset_key=WEIGHT_KEYS["raking_runs"],
        metadata={"runs": dg.MetadataValue.md(runs.to_markdown(index=False))},
    )
    yield dg.MaterializeResult(asset_key=WEIGHT_KEYS["raking_margins"], metadata={"rows": len(tables.raking_margins)})
