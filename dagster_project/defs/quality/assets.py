"""The quality stage: every Great Expectations suite in `expectations/`, as blocking asset checks.

One asset, `marts/quality_result`, runs every check once the warehouse is built and writes one row
per check, expectation, wave and group. Each suite is also a Dagster asset check on that asset,
blocking: an error-severity failure stops the run before publishing, and a warning is recorded (in
the table and as a WARN check) without blocking. The checks sit on the asset that evaluates them,
not on the raw and mart assets they look at, so that they run in one step after everything they
read is built; each result names the assets it is about.
"""

import uuid

import dagster as dg
from dagster_dbt import get_asset_key_for_model

from dagster_project.defs.dbt.assets import warehouse_dbt_models
from dagster_project.defs.ingest.assets import RAW_GROUP_KEYS
from dagster_project.defs.resources import AFTER_UPSTREAM, WarehouseResource
from dagster_project.lib import quality
from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL

QUALITY_RESULT_KEY = dg.AssetKey(["marts", "quality_result"])
CHECKS = quality.load_checks()
# Both dbt assets share one manifest and translator, so either maps any model to its key.
_DBT_ASSETS = [warehouse_dbt_models]
_SEVERITY = {"error": dg.AssetCheckSeverity.ERROR, "warning": dg.AssetCheckSeverity.WARN}
# Everything a check reads: the raw waves, the weights, the dbt marts and the significance tests.
_UPSTREAM = [
    *RAW_GROUP_KEYS.values(),
    dg.AssetKey(["weights", "respondent_weights"]),
    *(
        get_asset_key_for_model(_DBT_ASSETS, name)
        for name in (
            "fct_respondent",
            "fct_answer",
            "agg_answer_share",
            "agg_numeric",
            "agg_cooperation_model",
            "weighting_margins",
            "test_wave_change",
            "test_subgroup",
        )
    ),
]


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            QUALITY_RESULT_KEY,
            deps=_UPSTREAM,
            description="One row per quality check, expectation, wave and group of the last evaluation.",
            automation_condition=AFTER_UPSTREAM,
        )
    ],
    check_specs=[
        dg.AssetCheckSpec(check.name, asset=QUALITY_RESULT_KEY, description=check.description, blocking=True)
        for check in CHECKS
    ],
    group_name="quality",
    pool=WAREHOUSE_WRITER_POOL,
)
def quality_result(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    """Evaluate every suite against the warehouse, replace `marts.quality_result`, report each check."""
    evaluation_id = uuid.uuid4().hex
    with warehouse.connect() as con:
        results = quality.evaluate_all(con, CHECKS, evaluation_id)
        quality.replace_results(con, results)
    context.log.info(quality.summary_line(results))
    yield dg.MaterializeResult(
        asset_key=QUALITY_RESULT_KEY,
        metadata={"evaluation_id": evaluation_id, "summary": quality.summary_line(results), "rows": len(results)},
    )
    for check in CHECKS:
        rows = results[results["check_name"] == check.name]
        failed = quality.describe_failures(rows, check.severity)
        yield dg.AssetCheckResult(
            asset_key=QUALITY_RESULT_KEY,
            check_name=check.name,
            passed=bool(rows["passed"].all()),
            severity=_SEVERITY[check.severity],
            description=failed[0] if failed else check.description,
            metadata={
                "assets": ", ".join(check.assets),
                "batches": len(rows),
                "failed_batches": int((~rows["passed"]).sum()),
            },
        )
