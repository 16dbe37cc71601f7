"""Significance test assets: `stats.test_wave_change` and `stats.test_subgroup`.

They read the dbt tables `intermediate.int_significance_cells` (per-cell sums of the answers: a few
thousand rows whatever the number of respondents) and `intermediate.int_calibration_cells` (the same
per calibration cell, for the calibrated methods), the codebook's combined answers and, for the wave
changes, the codebook's comparability grades (a grade-C pair is a trend break, not tested), and write
schema `stats`, which dbt declares as a
source: the marts `test_wave_change` and `test_subgroup` are dbt models over it (typed, documented,
key-tested, under a contract), built by the second dbt asset of `defs/dbt/`.
"""

from collections.abc import Callable

import dagster as dg
import duckdb
import pandas as pd
from dagster_dbt import get_asset_key_for_model

from dagster_project.defs.dbt.assets import warehouse_dbt_models
from dagster_project.defs.resources import AFTER_UPSTREAM, WarehouseResource
from dagster_project.lib.robustness import MARGINS_QUERY, TRIM_WEIGHT_MULTIPLE, robustness_panel
from dagster_project.lib.significance import (
    DEFAULT_MIN_BASE,
    DEFAULT_VARIANCE,
    SCHEMA,
    calibrated_standard_errors,
    load_calibration_cells,
    load_cells,
    load_comparability,
    load_groupings,
    replace_table,
    subgroup_tests,
    wave_change_tests,
)
from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL

# What both sets of tests read: the cell sums (also per calibration cell) and the combined answers.
_UPSTREAM = [
    get_asset_key_for_model([warehouse_dbt_models], "int_significance_cells"),
    get_asset_key_for_model([warehouse_dbt_models], "int_calibration_cells"),
    get_asset_key_for_model([warehouse_dbt_models], "codebook_answer_groupings"),
]
# A regraded pair changes the wave-change tests without a change in the cells.
_COMPARABILITY = get_asset_key_for_model([warehouse_dbt_models], "codebook_comparability")


class TestConfig(dg.Config):
    """Run configuration of the test assets."""

    min_base: int = DEFAULT_MIN_BASE  # a side with fewer respondents is recorded as not tested


def _summary(frame: pd.DataFrame) -> dict:
    tested = frame[frame["is_tested"]]
    default = tested[tested["is_default_method"]]
    return {
        "tests": len(frame),
        "tested": len(tested),
        "not_tested": int((~frame["is_tested"]).sum()),
        "significant (default method)": int(default["is_significant"].eq(True).sum()),
    }


def _wave_changes(con: duckdb.DuckDBPyConnection, min_base: int) -> pd.DataFrame:
    return wave_change_tests(
        load_cells(con), min_base, load_groupings(con), load_comparability(con), load_calibration_cells(con)
    )


def _subgroups(con: duckdb.DuckDBPyConnection, min_base: int) -> pd.DataFrame:
    return subgroup_tests(load_cells(con), min_base, load_groupings(con), load_calibration_cells(con))


def _test_asset(
    table: str,
    compute: Callable[[duckdb.DuckDBPyConnection, int], pd.DataFrame],
    description: str,
    deps: list[dg.AssetKey],
):
    """An asset that computes one set of tests from the warehouse's cell sums and replaces `stats.<table>`."""

    @dg.asset(
        key=[SCHEMA, table],
        deps=deps,
        group_name="stats",
        pool=WAREHOUSE_WRITER_POOL,
        description=description,
        automation_condition=AFTER_UPSTREAM,
    )
    def _asset(context: dg.AssetExecutionContext, config: TestConfig, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            frame = compute(con, config.min_base)
            replace_table(con, table, frame)
        context.log.info(f"{len(frame)} tests written to {SCHEMA}.{table}")
        return dg.MaterializeResult(metadata=_summary(frame))

    return _asset


test_wave_change = _test_asset(
    "test_wave_change",
    _wave_changes,
    "Every item asked in two consecutive waves: whole question, per answer code and per combined answer, both "
    "methods; with each pair's comparability grade, and a grade-C pair (a trend break) not tested.",
    [*_UPSTREAM, _COMPARABILITY],
)
test_subgroup = _test_asset(
    "test_subgroup",
    _subgroups,
    "Kindcentra against the rest within each wave, every item and combined answer, both methods.",
    _UPSTREAM,
)


@dg.asset(
    key=[SCHEMA, "calibrated_standard_errors"],
    deps=_UPSTREAM,
    group_name="stats",
    pool=WAREHOUSE_WRITER_POOL,
    description="The calibrated standard error of every share and mean (agg_answer_share, agg_numeric): a "
    "domain mean of each wave's raked calibrated design, from the sums per calibration cell.",
    automation_condition=AFTER_UPSTREAM,
)
def calibrated_standard_errors_asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        frame = calibrated_standard_errors(load_calibration_cells(con), load_groupings(con))
        replace_table(con, "calibrated_standard_errors", frame)
    context.log.info(f"{len(frame)} calibrated standard errors written to {SCHEMA}.calibrated_standard_errors")
    return dg.MaterializeResult(metadata={"rows": len(frame)})


@dg.asset(
    key=[SCHEMA, "robustness"],
    deps=[
        *_UPSTREAM,
        dg.AssetKey([SCHEMA, "test_wave_change"]),
        dg.AssetKey([SCHEMA, "test_subgroup"]),
        get_asset_key_for_model([warehouse_dbt_models], "weighting_margins"),
    ],
    group_name="stats",
    pool=WAREHOUSE_WRITER_POOL,
    description="Every significant finding of the default method with its p-value unweighted, with fixed "
    "weights, under the calibrated design and with trimmed weights; robust when significant under all four.",
    automation_condition=AFTER_UPSTREAM,
)
def robustness(context: dg.AssetExecutionContext, warehouse: WarehouseResource):
    with warehouse.connect() as con:
        frame = robustness_panel(
            con.execute(f"select * from {SCHEMA}.test_wave_change").df(),
            con.execute(f"select * from {SCHEMA}.test_subgroup").df(),
            load_calibration_cells(con),
            con.execute(MARGINS_QUERY).df(),
            load_groupings(con),
            TRIM_WEIGHT_MULTIPLE,
            DEFAULT_VARIANCE,
        )
        replace_table(con, "robustness", frame)
    context.log.info(f"{len(frame)} findings written to {SCHEMA}.robustness, {int(frame['robust'].sum())} robust")
    return dg.MaterializeResult(metadata={"findings": len(frame), "robust": int(frame["robust"].sum())})
