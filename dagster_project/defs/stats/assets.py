"""Significance test assets: `stats.test_wave_change` and `stats.test_subgroup`.

They read the dbt table `intermediate.int_significance_cells` (per-cell sums of the answers: a few
thousand rows whatever the number of respondents) and write schema `stats`, which dbt declares as a
source: the marts `test_wave_change` and `test_subgroup` are dbt models over it (typed, documented,
key-tested, under a contract), built by the second dbt asset of `defs/dbt/`.
"""

from collections.abc import Callable

import dagster as dg
import pandas as pd
from dagster_dbt import get_asset_key_for_model

from dagster_project.defs.dbt.assets import warehouse_dbt_models
from dagster_project.defs.resources import AFTER_UPSTREAM, WarehouseResource
from dagster_project.lib.significance import (
    DEFAULT_MIN_BASE,
    SCHEMA,
    Groupings,
    load_cells,
    load_groupings,
    replace_table,
    subgroup_tests,
    wave_change_tests,
)
from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL

_UPSTREAM = [get_asset_key_for_model([warehouse_dbt_models], "int_significance_cells")]


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


def _test_asset(table: str, compute: Callable[[pd.DataFrame, int, Groupings], pd.DataFrame], description: str):
    """An asset that computes one set of tests from the cell sums and replaces `stats.<table>`."""

    @dg.asset(
        key=[SCHEMA, table],
        deps=_UPSTREAM,
        group_name="stats",
        pool=WAREHOUSE_WRITER_POOL,
        description=description,
        automation_condition=AFTER_UPSTREAM,
    )
    def _asset(context: dg.AssetExecutionContext, config: TestConfig, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            frame = compute(load_cells(con), config.min_base, load_groupings(con))
            replace_table(con, table, frame)
        context.log.info(f"{len(frame)} tests written to {SCHEMA}.{table}")
        return dg.MaterializeResult(metadata=_summary(frame))

    return _asset


test_wave_change = _test_asset(
    "test_wave_change",
    wave_change_tests,
    "Every item asked in two consecutive waves: whole question, per answer code and per combined answer, both methods.",
)
test_subgroup = _test_asset(
    "test_subgroup",
    subgroup_tests,
    "Kindcentra against the rest within each wave, every item and combined answer, both methods.",
)
