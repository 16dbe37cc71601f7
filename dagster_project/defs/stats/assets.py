"""Significance test assets: `marts.test_wave_change` and `marts.test_subgroup`."""

from collections.abc import Callable

import dagster as dg
import pandas as pd

from dagster_project.defs.resources import AFTER_UPSTREAM, WarehouseResource
from dagster_project.lib.significance import (
    DEFAULT_MIN_BASE,
    load_answers,
    replace_table,
    subgroup_tests,
    wave_change_tests,
)
from dagster_project.lib.stages import WAREHOUSE_WRITER_POOL

_UPSTREAM = [dg.AssetKey(["marts", name]) for name in ("fct_answer", "fct_respondent", "dim_question")]


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


def _test_asset(table: str, compute: Callable[[pd.DataFrame, int], pd.DataFrame], description: str):
    """An asset that computes one set of tests from the marts and replaces `marts.<table>`."""

    @dg.asset(
        key=["marts", table],
        deps=_UPSTREAM,
        group_name="stats",
        pool=WAREHOUSE_WRITER_POOL,
        description=description,
        automation_condition=AFTER_UPSTREAM,
    )
    def _asset(context: dg.AssetExecutionContext, config: TestConfig, warehouse: WarehouseResource):
        with warehouse.connect() as con:
            frame = compute(load_answers(con), config.min_base)
            replace_table(con, table, frame)
        context.log.info(f"{len(frame)} tests written to marts.{table}")
        return dg.MaterializeResult(metadata=_summary(frame))

    return _asset


test_wave_change = _test_asset(
    "test_wave_change",
    wave_change_tests,
    "Every item asked in two consecutive waves: whole question and per answer code, both methods.",
)
test_subgroup = _test_asset(
    "test_subgroup",
    subgroup_tests,
    "Kindcentra against the rest within each wave, every item, both methods.",
)
