"""The tests are computed from per-cell sums, and those give what the answers themselves give.

`survey_tests` computes every statistic from `Cells` (per stratum, side and value: n, sum of weights,
sum of squared weights); the functions on rows add their rows up first. Here: the expansion of the
linearised variance into cell sums equals the centred sum over respondents; how the cells are split
or ordered changes nothing; and, on the warehouse of the embedded sample, the SQL cells
(`int_significance_cells`) are the answers added up and give the tests the answers give.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib import significance
from dagster_project.lib.survey_tests import (
    Cells,
    _linearised_variance,
    cells_from_rows,
    mean_effect,
    mean_effect_cells,
    pearson_weighted_cells,
    rao_scott_f,
    rao_scott_f_cells,
    run_test,
    run_test_cells,
    share_effect_cells,
    svyttest,
    svyttest_cells,
)

RNG_SEED = 20190


def _rows(n_a: int = 60, n_b: int = 90, codes: int = 4, seed: int = RNG_SEED) -> dict:
    """Complete cases of one item between two waves, wave as stratum, weights like raked ones."""
    rng = np.random.default_rng(seed)
    group = np.array([2016] * n_a + [2019] * n_b)
    y = rng.integers(1, codes + 1, size=n_a + n_b).astype(float)
    weight = rng.lognormal(0.0, 0.3, size=n_a + n_b)
    return {"y": y, "group": group, "weight": weight, "strata": group}


def _row_variance(influence: np.ndarray, stratum: np.ndarray) -> np.ndarray:
    """R's svyrecvar on rows: centred within each stratum, scaled by n_h / (n_h - 1)."""
    z = influence.reshape(len(influence), -1)
    covariance = np.zeros((z.shape[1], z.shape[1]))
    for h in np.unique(stratum):
        z_h = z[stratum == h]
        centred = z_h - z_h.mean(axis=0)
        covariance += len(z_h) / (len(z_h) - 1) * centred.T @ centred
    return covariance


def _same_result(left, right, rel: float = 1e-12) -> None:
    for field in ("statistic", "df_num", "df_den", "p_value", "n_a", "n_b"):
        a, b = getattr(left, field), getattr(right, field)
        if a is None or b is None or (isinstance(a, float) and math.isnan(a)):
            assert a is b or (a is not None and b is not None and math.isnan(b)), field
        else:
            assert a == pytest.approx(b, rel=rel, abs=1e-300), field
    assert type(left.effect) is type(right.effect)
    if left.effect is not None:
        for field, value in vars(left.effect).items():
            expected = getattr(right.effect, field)
            assert value == pytest.approx(expected, rel=rel, abs=1e-15, nan_ok=True), field


# ---- the algebra ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("with_strata", [True, False], ids=["wave as stratum", "no strata"])
def test_the_variance_from_cell_sums_is_the_centred_sum_over_respondents(with_strata):
    # Influence values w_i·g_c, as the shares of the Rao-Scott F and a domain mean's residuals have.
    rows = _rows()
    strata = rows["strata"] if with_strata else None
    cells = cells_from_rows(rows["y"], rows["group"], rows["weight"], strata)
    rng = np.random.default_rng(1)
    g = rng.normal(size=(len(cells.value), 3))
    # Each respondent's g is its cell's.
    stratum = np.unique(strata, return_inverse=True)[1] if with_strata else np.zeros(len(rows["y"]), dtype=int)
    in_b = rows["group"] == 2019
    cell_of_row = [
        int(np.flatnonzero((cells.stratum == h) & (cells.in_b == b) & (cells.value == v))[0])
        for h, b, v in zip(stratum, in_b, rows["y"], strict=True)
    ]
    expected = _row_variance(rows["weight"][:, None] * g[cell_of_row], stratum)
    np.testing.assert_allclose(_linearised_variance(g, cells), expected, rtol=1e-12, atol=1e-15)


def test_cells_hold_n_sum_of_weights_and_sum_of_squared_weights_per_stratum_side_and_value():
    cells = cells_from_rows([1, 1, 2, 1, 2, 2], [0, 0, 0, 1, 1, 1], [1.0, 2.0, 0.5, 1.5, 1.0, 3.0])
    got = {
        (bool(b), float(v)): (int(n), float(w), float(w2))
        for b, v, n, w, w2 in zip(cells.in_b, cells.value, cells.n, cells.sum_w, cells.sum_w2, strict=True)
    }
    assert got == {
        (False, 1.0): (2, 3.0, 5.0),
        (False, 2.0): (1, 0.5, 0.25),
        (True, 1.0): (1, 1.5, 2.25),
        (True, 2.0): (2, 4.0, 10.0),
    }
    assert (cells.n_a, cells.n_b, cells.n_strata, cells.levels) == (3, 3, 1, (0, 1))


# ---- splitting, ordering and collapsing cells ----------------------------------------------------------


@pytest.mark.parametrize("method", ["rao_scott_f", "pearson_weighted", "svyttest"])
def test_a_cell_split_in_parts_gives_the_same_test_as_the_whole_cell(method):
    # A wave comparison pools the cells of each kindcentrum flag: Cells.of adds them up.
    rows = _rows()
    whole = cells_from_rows(rows["y"], rows["group"], rows["weight"], rows["strata"])
    flag = np.random.default_rng(2).integers(0, 3, size=len(rows["y"]))
    parts = [
        cells_from_rows(
            rows["y"][flag == f], rows["group"][flag == f], rows["weight"][flag == f], rows["group"][flag == f]
        )
        for f in range(3)
    ]
    labels = {0: 2016, 1: 2019}
    pooled = Cells.of(
        np.concatenate([[labels[h] for h in part.stratum] for part in parts]),
        np.concatenate([part.in_b for part in parts]),
        np.concatenate([part.value for part in parts]),
        np.concatenate([part.n for part in parts]),
        np.concatenate([part.sum_w for part in parts]),
        np.concatenate([part.sum_w2 for part in parts]),
        levels=(2016, 2019),
    )
    assert len(pooled.value) == len(whole.value)
    _same_result(run_test_cells(method, pooled), run_test_cells(method, whole))


@pytest.mark.parametrize("method", ["rao_scott_f", "pearson_weighted", "svyttest"])
def test_the_order_of_the_respondents_changes_nothing_beyond_rounding(method):
    rows = _rows()
    order = np.random.default_rng(3).permutation(len(rows["y"]))
    shuffled = {name: values[order] for name, values in rows.items()}
    _same_result(run_test(method, **shuffled), run_test(method, **rows), rel=1e-12)


@pytest.mark.parametrize("code", [1.0, 2.0, 3.0, 4.0])
def test_a_2x2_of_one_code_from_the_whole_question_cells_is_the_2x2_of_the_recoded_rows(code):
    rows = _rows()
    whole = cells_from_rows(rows["y"], rows["group"], rows["weight"], rows["strata"])
    collapsed = whole.recode((whole.value == code).astype(float))
    assert sorted(set(collapsed.value)) == [0.0, 1.0] and len(collapsed.value) == 4
    chosen = (rows["y"] == code).astype(float)
    for method in ("rao_scott_f", "pearson_weighted"):
        _same_result(
            run_test_cells(method, collapsed), run_test(method, chosen, rows["group"], rows["weight"], rows["strata"])
        )
    assert share_effect_cells(collapsed).value_a == pytest.approx(
        rows["weight"][(rows["group"] == 2016) & (rows["y"] == code)].sum()
        / rows["weight"][rows["group"] == 2016].sum(),
        rel=1e-14,
    )


def test_more_respondents_with_the_same_answers_give_cells_with_larger_sums_not_more_cells():
    rows = _rows(n_a=40, n_b=50)
    once = cells_from_rows(rows["y"], rows["group"], rows["weight"], rows["strata"])
    tenfold = cells_from_rows(*(np.tile(rows[name], 10) for name in ("y", "group", "weight", "strata")))
    assert len(tenfold.value) == len(once.value)
    np.testing.assert_array_equal(tenfold.n, 10 * once.n)
    np.testing.assert_allclose(tenfold.sum_w2, 10 * once.sum_w2, rtol=1e-14)
    # Same shares and means; the variance shrinks about tenfold (n_h / (n_h - 1) aside).
    assert rao_scott_f_cells(tenfold).effect is None
    grade_once, grade_tenfold = mean_effect_cells(once), mean_effect_cells(tenfold)
    assert grade_tenfold.difference == pytest.approx(grade_once.difference, rel=1e-13)
    assert grade_tenfold.se_difference == pytest.approx(grade_once.se_difference / math.sqrt(10), rel=2e-2)


# ---- the degenerate cases, on cells --------------------------------------------------------------------


def test_a_stratum_of_one_respondent_gives_no_test():
    cells = Cells.of(
        [0, 0, 1], [False, False, True], [1.0, 2.0, 1.0], [3, 2, 1], [3.0, 2.5, 0.8], [3.5, 3.2, 0.64], (0, 1)
    )
    for method in ("rao_scott_f", "svyttest"):
        result = run_test_cells(method, cells)
        assert math.isnan(result.p_value) and math.isnan(result.statistic), method
    assert math.isnan(share_effect_cells(cells.recode(cells.value - 1)).se_difference)


def test_one_side_without_respondents_gives_no_test():
    cells = Cells.of([0, 0], [True, True], [1.0, 2.0], [5, 7], [5.0, 7.0], [5.0, 7.0], (2016, 2019))
    for method in ("rao_scott_f", "pearson_weighted", "svyttest"):
        result = run_test_cells(method, cells)
        assert math.isnan(result.p_value) and (result.n_a, result.n_b) == (0, 12), method


def test_a_constant_item_gives_no_test_and_a_separated_2x2_an_infinite_statistic():
    constant = Cells.of([0, 0], [False, True], [7.0, 7.0], [6, 6], [5.8, 6.3], [6.1, 7.0], (0, 1))
    for method in ("rao_scott_f", "pearson_weighted", "svyttest"):
        assert math.isnan(run_test_cells(method, constant).p_value), method
    assert svyttest_cells(constant).effect.difference == 0.0

    separated = Cells.of([0, 0], [False, True], [1.0, 2.0], [3, 3], [4.0, 4.0], [6.0, 6.0], (0, 1))
    chi = rao_scott_f_cells(separated)
    assert (chi.statistic, chi.df_num, chi.df_den, chi.p_value) == (math.inf, 1.0, 5.0, 0.0)
    assert pearson_weighted_cells(separated).statistic == pytest.approx(8.0)  # X² of [[4, 0], [0, 4]] = 8
    t = svyttest_cells(separated)
    assert t.statistic == math.inf and t.p_value == 0.0


def test_empty_cells_of_a_table_stay_in_it_as_in_r():
    # Code 3 only in group b: the same numbers whether the rows or the cells go in.
    y = [1, 2, 1, 2, 1, 2, 3, 1, 2, 2]
    group = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    weight = [1.0, 0.8, 1.2, 1.1, 0.9, 1.3, 0.7, 1.0, 1.05, 0.95]
    rows_result = rao_scott_f(y, group, weight)
    cells = cells_from_rows(y, group, weight)
    assert len(cells.value) == 5  # (a, 3) has no respondents and no cell
    _same_result(rao_scott_f_cells(cells), rows_result, rel=0)


@pytest.mark.parametrize(
    "arrays, message",
    [
        (([0], [False], [1.0], [0], [1.0], [1.0]), "whole number"),
        (([0], [False], [1.0], [1.5], [1.0], [1.0]), "whole number"),
        (([0], [False], [np.nan], [1], [1.0], [1.0]), "missing"),
        (([0], [False], [1.0], [1], [-1.0], [1.0]), "positive"),
        (([0, 0], [False], [1.0], [1], [1.0], [1.0]), "same length"),
    ],
)
def test_cells_that_cannot_be_sums_of_respondents_are_refused(arrays, message):
    with pytest.raises(ValueError, match=message):
        Cells.of(*arrays, levels=(0, 1))


def test_the_row_functions_are_the_cell_functions_on_the_rows_added_up():
    rows = _rows(codes=10)
    cells = cells_from_rows(rows["y"], rows["group"], rows["weight"], rows["strata"])
    _same_result(svyttest(**rows), svyttest_cells(cells), rel=0)
    assert mean_effect(rows["y"], rows["group"], rows["weight"], rows["strata"]) == mean_effect_cells(cells)


# ---- the warehouse: SQL cells against the answers ------------------------------------------------------


@pytest.mark.slow
def test_the_sql_cells_are_the_answers_added_up(con):
    cells = significance.load_cells(con)
    from_answers = significance.cells_from_answers(significance.load_answers(con))
    assert len(cells) == len(from_answers)
    assert int(cells["n"].sum()) == con.execute("select count(*) from marts.fct_answer").fetchone()[0]
    key = ["wave", "respondent_group", "item_id", "is_kindcentrum", "answer_code", "answer_value"]
    merged = cells.merge(from_answers, on=key, how="outer", suffixes=("", "_py"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert (merged["n"] == merged["n_py"]).all()
    for column in ("weight_sum", "weight_squares"):
        np.testing.assert_allclose(merged[column], merged[f"{column}_py"], rtol=1e-13)
    # A few thousand cells stand for some 170,000 answers.
    assert len(cells) * 20 < cells["n"].sum()


@pytest.mark.slow
@pytest.mark.parametrize("table", ["test_wave_change", "test_subgroup"])
def test_the_stats_tables_are_the_tests_of_the_sql_cells_and_agree_with_the_answers(con, table):
    compute = {"test_wave_change": significance.wave_change_tests, "test_subgroup": significance.subgroup_tests}[table]
    groupings = significance.load_groupings(con)
    # The wave changes read the comparability grades too, as the asset does.
    grades = (significance.load_comparability(con),) if table == "test_wave_change" else ()
    stored = con.execute(f"select * from stats.{table}").df()
    # The calibrated methods read int_calibration_cells (tests/test_calibrated_variance.py); here the rest.
    stored = stored[~stored["method"].isin(significance.CALIBRATED.values())].reset_index(drop=True)
    from_cells = compute(significance.load_cells(con), significance.DEFAULT_MIN_BASE, groupings, *grades)
    from_answers = compute(significance.load_answers(con), significance.DEFAULT_MIN_BASE, groupings, *grades)
    assert list(stored.columns) == list(from_cells.columns) == list(from_answers.columns)
    assert len(stored) == len(from_cells) == len(from_answers)
    for column in stored.columns:
        left, middle, right = stored[column], from_cells[column], from_answers[column]
        if pd.api.types.is_float_dtype(left) and column != "answer_code":
            # Bit for bit what the asset stored; from the answers (double instead of decimal sums)
            # the same up to rounding, which near-zero statistics and differences magnify.
            np.testing.assert_array_equal(left.to_numpy(float), middle.to_numpy(float), err_msg=column)
            np.testing.assert_allclose(left.to_numpy(float), right.to_numpy(float), rtol=1e-9, atol=1e-13)
        else:
            as_list = [None if pd.isna(value) else value for value in left.astype(object)]
            assert as_list == [None if pd.isna(value) else value for value in middle.astype(object)], column
            assert as_list == [None if pd.isna(value) else value for value in right.astype(object)], column
