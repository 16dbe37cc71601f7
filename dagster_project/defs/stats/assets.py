"""Significance test assets: `marts.test_wave_change` and `marts.test_subgroup`."""

import dagster as dg

from dagster_project.defs.resources import WAREHOUSE_WRITER_POOL, WarehouseResource
from dagster_project.lib.significance import (
    DEFAULT_MIN_BASE,
    load_answers,
    replace_table,
    subgroup_tests,
    wave_change_tests,
)

_UPSTREAM = [dg.AssetKey(["marts", name]) for name in ("fct_answer", "fct_respondent", "dim_question")]


class TestConfig(dg.Config):
    """Run configuration of the test assets."""

    min_base: int = DEFAULT_MIN_BASE  # a side with fewer respondents is recorded as not tested


def _summary(frame) -> dict:
    tested = frame[frame["is_tested"]]
    default = tested[tested["is_default_method"]]
    return {
        "tests": len(frame),
        "tested": len(tested),
        "not_tested": int((~frame["is_tested"]).sum()),
        "significant (default method)": int(default["is_significant"].eq(True).sum()),
    }


@dg.asset(
    key=["marts", "test_wave_change"],
    deps=_UPSTREAM,
    group_name="stats",
    pool=WAREHOUSE_WRITER_POOL,
)
def test_wave_change(context: dg.AssetExecutionContext, config: TestConfig, warehouse: WarehouseResource):
    """Every item asked in two consecutive waves: whole question and per answer code, both methods."""
    with warehouse.connect() as con:
        frame = wave_change_tests(load_answers(con), config.min_base)
        replace_table(con, "test_wave_change", frame)
    context.log.info(f"{len(frame)} wave-change tests written")
    return dg.MaterializeResult(metadata=_summary(frame))


@dg.asset(
    key=["marts", "test_subgroup"],
    deps=_UPSTREAM,
    group_name="stats",
    pool=WAREHOUSE_WRITER_POOL,
)
def test_subgroup(context: dg.AssetExecutionContext, config: TestConfig, warehouse: WarehouseResource):
    """Kindcentra against the rest within each wave, every item, both methods."""
    with warehouse.connect() as con:
        frame = subgroup_tests(load_answers(con), config.min_base)
        replace_table(con, "test_subgroup", frame)
    context.log.info(f"{len(frame)} subgroup tests written")
    return dg.MaterializeResult(metadata=_summary(frame))
