"""The dbt var `default_variance: calibrated` moves the default to the calibrated methods, and the report follows.

Both variances are always computed, so the shared warehouse (built with `fixed`) already holds every
p-value the calibrated setting must show. The statistics stage runs again, in a process of its own, on
a copy of that warehouse and of the dbt project with the var edited (Python reads the var from
`DBT_PROJECT_DIR`'s dbt_project.yml when it is imported, so the setting must be in the file, not on
dbt's command line); the copy's marts are then compared with the shared warehouse's calibrated rows.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from publication.locations import DBT_DIR

CALIBRATED_METHODS = {"rao_scott_f_calibrated", "svyttest_calibrated"}
SETTING = "  default_variance: fixed\n"
RUN_STATISTICS = """
import sys
import dagster as dg
from dagster_project.definitions import defs
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib.significance import DEFAULT_VARIANCE

assert DEFAULT_VARIANCE == "calibrated", DEFAULT_VARIANCE
raw, warehouse, folder = sys.argv[1:4]
resource = WarehouseResource(
    raw_data_dir=raw, warehouse_path=warehouse, serving_path=folder + "/serving.duckdb",
    analyst_path=folder + "/analyst.duckdb",
)
result = defs().resolve_job_def("build_statistics").execute_in_process(
    instance=dg.DagsterInstance.ephemeral(), resources={"warehouse": resource}, raise_on_error=False
)
sys.exit(0 if result.success else 1)
"""
ANSWER_KEYS = ["wave", "respondent_group", "item_id", "answer_code", "answer_grouping"]


def _calibrated_project(folder: Path) -> Path:
    """A copy of the dbt project (with its manifest) whose dbt_project.yml says `default_variance: calibrated`."""
    copy = Path(shutil.copytree(DBT_DIR, folder / "dbt", ignore=shutil.ignore_patterns("target", "logs")))
    (copy / "target").mkdir()
    for name in ("manifest.json", "partial_parse.msgpack"):
        if (DBT_DIR / "target" / name).exists():
            shutil.copy2(DBT_DIR / "target" / name, copy / "target" / name)
    project = copy / "dbt_project.yml"
    text = project.read_text(encoding="utf-8")
    assert text.count(SETTING) == 1, "dbt_project.yml no longer says `default_variance: fixed` once"
    project.write_text(text.replace(SETTING, "  default_variance: calibrated\n"), encoding="utf-8")
    return copy


@pytest.fixture(scope="module")
def calibrated(built, tmp_path_factory):
    """A read-only connection to a copy of the shared warehouse whose statistics ran under `calibrated`."""
    from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR

    folder = tmp_path_factory.mktemp("calibrated")
    warehouse = Path(shutil.copy(built[0], folder / "warehouse.duckdb"))
    project = _calibrated_project(folder)
    done = subprocess.run(
        [sys.executable, "-c", RUN_STATISTICS, str(EMBEDDED_SAMPLE_DIR), str(warehouse), str(folder)],
        env={**os.environ, "DBT_PROJECT_DIR": str(project), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, (done.stdout + done.stderr)[-5000:]
    connection = duckdb.connect(str(warehouse), read_only=True)
    yield connection
    connection.close()


def _frame(connection, sql: str) -> pd.DataFrame:
    frame = connection.execute(sql).df()
    frame["answer_grouping"] = frame["answer_grouping"].fillna("")
    frame["answer_code"] = frame["answer_code"].astype("Int64")
    return frame


@pytest.mark.slow
@pytest.mark.parametrize("mart", ["test_wave_change", "test_subgroup"])
def test_is_default_method_marks_the_calibrated_methods_and_the_rows_stay(con, calibrated, mart):
    before = con.execute(f"select method, is_default_method, count(*) from marts.{mart} group by all").fetchall()
    after = calibrated.execute(f"select method, is_default_method, count(*) from marts.{mart} group by all").fetchall()
    assert {(m, n) for m, _, n in after} == {(m, n) for m, _, n in before}
    assert {m for m, default, _ in after if default} == CALIBRATED_METHODS
    assert {m for m, default, _ in before if default} == {"rao_scott_f", "svyttest"}
    # the calibrated grade is a mean like the fixed one (the report's tables pick their rows by test_level)
    levels = f"select distinct method, test_level, value_unit from marts.{mart} where method like 'svyttest%'"
    assert set(calibrated.execute(levels).fetchall()) == {
        ("svyttest", "mean", "mean"),
        ("svyttest_calibrated", "mean", "mean"),
    }
    # the p-values themselves do not depend on the setting
    p = f"select method, sum(p_value) from marts.{mart} group by all order by all"
    assert dict(calibrated.execute(p).fetchall()) == pytest.approx(dict(con.execute(p).fetchall()), abs=1e-12)


@pytest.mark.slow
def test_report_changes_holds_the_significant_calibrated_tests(con, calibrated):
    changes = calibrated.execute("select method, p_value, comparison from marts.report_changes").df()
    assert set(changes["method"]) == CALIBRATED_METHODS
    significant = con.execute(
        "select count(*) from (select p_value from marts.test_wave_change where is_significant and method like "
        "'%_calibrated' union all select p_value from marts.test_subgroup where is_significant and method like "
        "'%_calibrated')"
    ).fetchone()[0]
    assert len(changes) == significant > 0
    panel = calibrated.execute("select method, count(*) from marts.robustness group by all").fetchall()
    assert {method for method, _ in panel} == CALIBRATED_METHODS and sum(n for _, n in panel) == significant


@pytest.mark.slow
def test_report_shares_and_means_carry_the_calibrated_p_values(con, calibrated):
    shares = _frame(
        calibrated, f"select {', '.join(ANSWER_KEYS)}, change_p_value, kindcentrum_p_value from marts.report_shares"
    )
    changes = _frame(
        con,
        "select wave_to as wave, respondent_group, item_id, answer_code, answer_grouping, p_value as change "
        "from marts.test_wave_change where method = 'rao_scott_f_calibrated' and test_level in "
        "('answer', 'combined answer')",
    )
    differences = _frame(
        con,
        "select wave, respondent_group, item_id, answer_code, answer_grouping, p_value as kindcentrum "
        "from marts.test_subgroup where method = 'rao_scott_f_calibrated' and test_level in "
        "('answer', 'combined answer')",
    )
    merged = shares.merge(changes, on=ANSWER_KEYS, how="left").merge(differences, on=ANSWER_KEYS, how="left")
    assert len(merged) == len(shares)
    for reported, expected in (("change_p_value", "change"), ("kindcentrum_p_value", "kindcentrum")):
        tested = merged[merged[reported].notna()]
        assert len(tested) > 100
        assert (tested[reported] - tested[expected]).abs().max() < 1e-12, reported
    means = calibrated.execute("select wave, respondent_group, item_id, change_p_value from marts.report_means").df()
    assert len(means) == len(means.drop_duplicates(["wave", "respondent_group", "item_id"])) > 0
    grade = con.execute(
        "select wave_to as wave, respondent_group, item_id, p_value from marts.test_wave_change "
        "where method = 'svyttest_calibrated'"
    ).df()
    means = means[means["change_p_value"].notna()].merge(grade, on=["wave", "respondent_group", "item_id"])
    assert len(means) > 0 and (means["change_p_value"] - means["p_value"]).abs().max() < 1e-12
