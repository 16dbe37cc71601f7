"""The R baseline of `make bench` (lib/r_baseline.py): what it gives R, and R's p-values against the warehouse's.

Everything but the last test runs without R, on the warehouse of the embedded sample: the exported
rows are the answers the cells add up (same cells, n, sums of weights; weights to the bit), the plan is
every test the warehouse ran with its default method, and the Python side times the very rows the
warehouse stored. The last test runs R's survey package on them, and is skipped where R or the survey
package is not installed (CI).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dagster_project.bench import r_baseline
from dagster_project.lib import significance

# R's p-values against the warehouse's, absolute. Measured on the sample: 1.9e-14 (R 4.2.2, survey
# 4.1.1), the worst a svyttest; the rest is room for another R, BLAS or machine, still far below any
# digit a p-value is read to.
P_TOLERANCE = 1e-10


def _default_tested(con) -> int:
    return sum(
        con.execute(f"select count(*) from stats.{table} where is_tested and is_default_method").fetchone()[0]
        for table in ("test_wave_change", "test_subgroup")
    )


@pytest.mark.slow
def test_exported_answers_add_up_to_the_cells(con, tmp_path):
    path = tmp_path / "answers.csv"
    written = r_baseline.export_answers(con, path)
    # round_trip: the parser that reads a double back exactly, so the comparison of weights can be exact.
    exported = pd.read_csv(path, float_precision="round_trip")
    assert (
        written
        == len(exported)
        == con.execute("select count(*) from intermediate.int_significance_answers").fetchone()[0]
    )
    assert list(exported.columns) == ["wave", "respondent_group", "item_id", "y", "weight", "is_kindcentrum"]
    assert exported["y"].notna().all() and exported["weight"].gt(0).all()

    # Weights as the warehouse has them, to the bit: DuckDB writes the shortest form that reads back exactly.
    stored = con.execute(r_baseline.ANSWERS_QUERY).df()
    assert np.array_equal(exported["weight"].to_numpy(), stored["weight"].to_numpy())

    keys = ["wave", "respondent_group", "item_id", "is_kindcentrum", "y"]
    ours = (
        exported.assign(weight_squares=exported["weight"] ** 2)
        .groupby(keys, dropna=False)
        .agg(n=("weight", "size"), weight_sum=("weight", "sum"), weight_squares=("weight_squares", "sum"))
        .reset_index()
    )
    cells = significance.load_cells(con)
    cells["y"] = np.where(cells["question_type"] == "numeric", cells["answer_value"], cells["answer_code"])
    cells["is_kindcentrum"] = cells["is_kindcentrum"].astype("Float64").to_numpy(dtype=float, na_value=np.nan)
    both = cells[[*keys, "n", "weight_sum", "weight_squares"]].merge(
        ours, on=keys, how="outer", suffixes=("", "_exported"), indicator=True
    )
    assert (both["_merge"] == "both").all(), both[both["_merge"] != "both"].head()
    assert (both["n"] == both["n_exported"]).all()
    np.testing.assert_allclose(both["weight_sum_exported"], both["weight_sum"], rtol=1e-12)
    np.testing.assert_allclose(both["weight_squares_exported"], both["weight_squares"], rtol=1e-12)


@pytest.mark.slow
def test_plan_is_every_default_test_the_warehouse_ran(con):
    plan = r_baseline.load_plan(con)
    assert len(plan) == _default_tested(con)
    assert plan["test_id"].is_unique
    assert set(plan["method"]) == {"rao_scott_f", "svyttest"}
    assert set(plan["comparison"]) == {"wave", "kindcentrum"}
    # A unit is one comparison of one item: one design in R.
    unit_keys = ["comparison", "respondent_group", "wave_from", "wave_to", "item_id"]
    assert (plan.groupby("unit")[unit_keys].nunique() == 1).all().all()

    whole = plan["answer_code"].isna() & plan["answer_grouping"].isna()
    assert (plan.loc[whole, "codes"] == "").all()
    coded = plan["answer_code"].notna()
    assert (plan.loc[coded, "codes"] == plan.loc[coded, "answer_code"].astype(int).astype(str)).all()
    grouped = plan["answer_grouping"].notna()
    assert grouped.any()
    assert plan.loc[grouped, "codes"].str.contains(";").all()
    assert (plan.loc[plan["method"] == "svyttest", "codes"] == "").all()


@pytest.mark.slow
def test_python_side_times_the_tests_the_warehouse_stored(con):
    seconds, wave_change, subgroup = r_baseline.time_python(con, repeats=1)
    assert len(seconds) == 1 and seconds[0] > 0
    assert r_baseline.warehouse_min_base(con) == significance.DEFAULT_MIN_BASE
    assert r_baseline.python_against_warehouse(con, wave_change, subgroup) == 0.0


def test_unavailable_without_rscript(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    reason = r_baseline.unavailable_reason()
    assert reason is not None and "Rscript" in reason and "\n" not in reason
    with pytest.raises(RuntimeError, match="R baseline unavailable"):
        r_baseline.run_r(tmp_path / "a.csv", tmp_path / "p.csv", tmp_path / "r.csv", tmp_path / "t.csv")


@pytest.mark.slow
def test_r_survey_package_agrees_with_the_warehouse(built, con, tmp_path):
    reason = r_baseline.unavailable_reason()
    if reason is not None:
        pytest.skip(f"R baseline: {reason}")
    result = r_baseline.run(built[0], tmp_path, python_repeats=1)
    assert result["tests"] == _default_tested(con)
    assert result["p_missing_mismatches"] == 0
    assert result["n_mismatches"] == 0
    assert result["max_abs_p_difference"] < P_TOLERANCE, result["worst_test"]
    assert result["python_vs_warehouse_max_abs_p_difference"] == 0.0
    assert result["r_seconds"] > 0 and result["python_seconds"] > 0
    assert (tmp_path / r_baseline.COMPARISON_FILE).is_file()
