"""Significance test assets: `stats.test_wave_change` and `stats.test_subgroup`.

They read the dbt table `intermediate.int_significance_cells` (per-cell sums of the answers: a few
thousand rows whatever the number of respondents), the codebook's combined answers and, for the wave
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
from dagster_project.lib.significance import (
    DEFAULT_MIN_BASE,
    SCHEMA,
    load_cells,
    load_comparability,
    load_groupings,
    replace_table,
    subgroup_tests,
    wave_change_tests,
)
from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL

# What both sets of tests read: the cell sums and the combined answers (a codebook seed).
_UPSTREAM = [
    get_asset_key_for_model([warehouse_dbt_models], "int_significance_cells"),
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
    return wave_change_tests(load_cells(con), min_base, load_groupings(con), load_comparability(con))


def _subgroups(con: duckdb.DuckDBPyConnection, min_base: int) -> pd.DataFrame:
    return subgroup_tests(load_cells(con), min_base, load_groupings(con))


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
