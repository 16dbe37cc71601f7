"""Comparability grades reach the wave-change tests and the marts: a grade-C pair is a trend break, not tested.

The seed `codebook_comparability` grades each (wave, group, item) against the group's previous wave:
A same wording and options, B wording changed (tested, flagged), C options or meaning changed (not
tested). First the plan on made-up answers (no warehouse), then the shared warehouse of the sample,
whose 284 pairs 2016 -> 2019 are all graded A, with one pair regraded C where the plan is run again.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import false_discovery_control

from dagster_project.lib import significance

GROUP = "basisscholen"
WAVES = (2016, 2019, 2022)
BREAK_REASON = "Antwoordoptie 'Weet niet' toegevoegd"
# Every column of a test row but the grade: what a grade other than C must leave exactly as it was.
RESULT_COLUMNS = [column for column in significance.WAVE_CHANGE_COLUMNS if column != "comparability_grade"]


def _answers(seed: int = 15) -> pd.DataFrame:
    """One group in three waves: two single questions (codes 1-3, one with a combined answer) and the grade."""
    rng = np.random.default_rng(seed)
    rows = []
    for wave in WAVES:
        for respondent in range(80):
            weight = float(rng.lognormal(0.0, 0.3))
            base = {"wave": wave, "respondent_group": GROUP, "respondent_id": f"{wave}-{respondent}"}
            base |= {"weight": weight, "is_kindcentrum": bool(respondent % 3 == 0)}
            # fase shifts towards code 3 over the waves, so its tests are not all alike
            for item, shift in (("duur", 0.0), ("fase", 0.15 * WAVES.index(wave))):
                code = int(rng.choice([1, 2, 3], p=[0.4 - shift, 0.35, 0.25 + shift]))
                rows.append({**base, "question_id": item, "item_id": item, "question_type": "single"})
                rows[-1] |= {"answer_code": code, "answer_value": np.nan}
            grade = int(rng.integers(4, 11))
            rows.append({**base, "question_id": "rapportcijfer", "item_id": "rapportcijfer"})
            rows[-1] |= {"question_type": "numeric", "answer_code": grade, "answer_value": float(grade)}
    return pd.DataFrame(rows)


GROUPINGS = {"duur": [("lang", (2, 3))]}


@pytest.fixture(scope="module")
def cells() -> pd.DataFrame:
    return significance.cells_from_answers(_answers())


@pytest.fixture(scope="module")
def ungraded(cells) -> pd.DataFrame:
    """The tests as they ran before grades existed: no comparability argument at all."""
    return significance.wave_change_tests(cells, 30, GROUPINGS)


def _pair(frame: pd.DataFrame, item: str, wave_from: int, wave_to: int) -> pd.DataFrame:
    keep = (frame["item_id"] == item) & (frame["wave_from"] == wave_from) & (frame["wave_to"] == wave_to)
    return frame[keep]


def _same_values(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Equal row for row and bit for bit (NaN equal to NaN, None to None) in every column but the grade."""
    assert len(left) == len(right)
    for column in RESULT_COLUMNS:
        a, b = left[column].reset_index(drop=True), right[column].reset_index(drop=True)
        if pd.api.types.is_float_dtype(a):
            np.testing.assert_array_equal(a.to_numpy(float), b.to_numpy(float), err_msg=column)
        else:
            assert [None if pd.isna(v) else v for v in a] == [None if pd.isna(v) else v for v in b], column


def test_without_grades_every_row_has_a_null_grade_and_the_pairs_are_tested(ungraded):
    assert "comparability_grade" in ungraded.columns
    assert ungraded["comparability_grade"].isna().all()
    assert ungraded["is_tested"].all()
    # three items, two wave pairs
    assert set(map(tuple, ungraded[["wave_from", "wave_to"]].drop_duplicates().to_numpy())) == {
        (2016, 2019),
        (2019, 2022),
    }


def test_grades_a_and_b_change_no_test_and_every_row_carries_its_pairs_grade(cells, ungraded):
    grades = {
        (GROUP, "duur", 2016, 2019): ("A", "Zelfde vraagtekst en antwoordopties"),
        (GROUP, "fase", 2019, 2022): ("B", "Vraagtekst ingekort"),
        (GROUP, "rapportcijfer", 2019, 2022): ("B", "Ander woord voor rapportcijfer"),
    }
    graded = significance.wave_change_tests(cells, 30, GROUPINGS, grades)
    _same_values(graded, ungraded)
    expected = [
        grades.get((GROUP, item, wave_from, wave_to), (None,))[0]
        for item, wave_from, wave_to in graded[["item_id", "wave_from", "wave_to"]].itertuples(index=False)
    ]
    assert [None if pd.isna(grade) else grade for grade in graded["comparability_grade"]] == expected
    assert set(graded["comparability_grade"].dropna()) == {"A", "B"}


@pytest.fixture(scope="module")
def with_break(cells) -> pd.DataFrame:
    grades = {
        (GROUP, "fase", 2016, 2019): ("C", BREAK_REASON),
        (GROUP, "fase", 2019, 2022): ("A", "Zelfde vraagtekst en antwoordopties"),
        (GROUP, "duur", 2016, 2019): ("B", "Vraagtekst ingekort"),
    }
    return significance.wave_change_tests(cells, 30, GROUPINGS, grades)


def test_a_grade_c_pair_keeps_every_planned_row_untested_with_the_break_as_reason(with_break, ungraded):
    broken = _pair(with_break, "fase", 2016, 2019)
    planned = _pair(ungraded, "fase", 2016, 2019)
    # the whole question and codes 1-3, both methods: the rows the pair would have had
    assert len(broken) == len(planned) == 8
    assert (
        broken[["answer_code", "answer_grouping", "method"]]
        .astype(object)
        .equals(planned[["answer_code", "answer_grouping", "method"]].astype(object))
    )
    assert not broken["is_tested"].any()
    assert broken["not_tested_reason"].eq(f"trend break (grade C): {BREAK_REASON}").all()
    assert broken["comparability_grade"].eq("C").all()
    for column in ("statistic", "df_num", "df_den", "p_value", "p_adjusted", "value_from", "value_to", "difference"):
        assert broken[column].isna().all(), column
    assert broken["is_significant"].isna().all()
    # the bases stay: they say what would have been compared
    assert broken["n_from"].tolist() == planned["n_from"].tolist() == [80] * 8
    assert broken["n_to"].tolist() == planned["n_to"].tolist() == [80] * 8


def test_a_break_between_two_waves_leaves_the_items_next_pair_tested(with_break, ungraded):
    later = _pair(with_break, "fase", 2019, 2022)
    assert later["is_tested"].all() and later["comparability_grade"].eq("A").all()
    _same_values(later, _pair(ungraded, "fase", 2019, 2022))


def test_the_rows_keep_their_order_and_the_other_pairs_p_values(with_break, ungraded):
    keys = ["item_id", "wave_from", "wave_to", "answer_code", "answer_grouping", "method"]
    assert with_break[keys].astype(object).fillna("-").equals(ungraded[keys].astype(object).fillna("-"))
    tested = with_break["is_tested"]
    np.testing.assert_array_equal(with_break.loc[tested, "p_value"], ungraded.loc[tested, "p_value"])
    np.testing.assert_array_equal(with_break.loc[tested, "statistic"], ungraded.loc[tested, "statistic"])


def test_the_family_of_a_break_is_adjusted_over_the_tests_that_ran(with_break, ungraded):
    family = (with_break["wave_to"] == 2019) & (with_break["method"] == "rao_scott_f") & with_break["is_tested"]
    p_values = with_break.loc[family, "p_value"].to_numpy()
    np.testing.assert_allclose(
        with_break.loc[family, "p_adjusted"], false_discovery_control(p_values, method="bh"), rtol=1e-15
    )
    # without the break's four rows the family is smaller, so the adjusted p-values differ from before
    assert not np.array_equal(with_break.loc[family, "p_adjusted"], ungraded.loc[family, "p_adjusted"])


def test_a_trend_break_is_the_reason_even_where_the_base_is_too_small(cells):
    grades = {(GROUP, "rapportcijfer", 2016, 2019): ("C", "Schaal van 1-5 naar 1-10")}
    frame = significance.wave_change_tests(cells, 500, None, grades)
    grade_rows = _pair(frame, "rapportcijfer", 2016, 2019)
    assert grade_rows["method"].tolist() == ["svyttest"]
    assert grade_rows["not_tested_reason"].tolist() == ["trend break (grade C): Schaal van 1-5 naar 1-10"]
    others = frame[frame["comparability_grade"].isna()]
    assert others["not_tested_reason"].str.startswith("base below 500: ").all()


def test_a_grade_for_another_group_or_pair_than_the_tests_compare_changes_nothing(cells, ungraded):
    grades = {
        ("schoolbesturen", "fase", 2019, 2022): ("C", BREAK_REASON),
        (GROUP, "fase", 2016, 2022): ("C", BREAK_REASON),  # not consecutive waves: no such test
    }
    frame = significance.wave_change_tests(cells, 30, GROUPINGS, grades)
    _same_values(frame, ungraded)
    assert frame["comparability_grade"].isna().all()


def test_subgroup_tests_have_no_grade_column(cells):
    assert "comparability_grade" not in significance.subgroup_tests(cells, 30, GROUPINGS).columns


# --------------------------------------------------------------------------------------------------
# The warehouse of the embedded sample (the shared session build)


@pytest.mark.slow
def test_every_wave_change_row_with_a_graded_pair_has_the_seeds_grade_and_every_pair_is_graded(con):
    rows = con.execute(
        """
        select t.respondent_group, t.item_id, t.wave_from, t.wave_to, t.comparability_grade, c.grade
        from marts.test_wave_change t
        left join codebook.codebook_comparability c
          on c.wave = t.wave_to and c.compared_with_wave = t.wave_from
         and c.respondent_group = t.respondent_group and c.item_id = t.item_id
        """
    ).df()
    assert len(rows) > 1000
    assert rows["grade"].notna().all(), "a wave pair the tests compare has no row in codebook_comparability"
    assert (rows["comparability_grade"] == rows["grade"]).all()
    assert set(rows["comparability_grade"]) == {"A"}
    assert set(rows["wave_to"]) == {2019} and set(rows["wave_from"]) == {2016}
    pairs = rows[["respondent_group", "item_id"]].drop_duplicates()
    seed = con.execute("select count(*) from codebook.codebook_comparability").fetchone()[0]
    assert len(pairs) == seed == 284


@pytest.mark.slow
def test_on_the_sample_grade_a_keeps_the_pairs_tested_as_the_bases_allow(con):
    reasons = con.execute(
        "select not_tested_reason like 'base below %', count(*) from marts.test_wave_change where not is_tested "
        "group by all"
    ).fetchall()
    # every untested row of the sample is a small base (the childcare boards, routed items), none a break
    assert [is_base for is_base, _ in reasons] == [True]
    assert reasons[0][1] > 0


@pytest.mark.slow
def test_the_statistics_stage_on_the_sample_with_one_pair_regraded_c_stops_only_that_pair(con):
    cells = significance.load_cells(con)
    groupings = significance.load_groupings(con)
    grades = dict(significance.load_comparability(con))
    assert grades[(GROUP, "fase", 2016, 2019)][0] == "A"
    grades[(GROUP, "fase", 2016, 2019)] = ("C", BREAK_REASON)
    stored = con.execute("select * from stats.test_wave_change").df()
    calibration = significance.load_calibration_cells(con)
    regraded = significance.wave_change_tests(cells, significance.DEFAULT_MIN_BASE, groupings, grades, calibration)
    assert len(regraded) == len(stored)

    fase = (regraded["respondent_group"] == GROUP) & (regraded["item_id"] == "fase")
    assert fase.sum() == 21  # the whole question, 5 codes and a combined answer, three methods each
    assert not regraded.loc[fase, "is_tested"].any()
    assert regraded.loc[fase, "p_value"].isna().all()
    assert regraded.loc[fase, "not_tested_reason"].eq(f"trend break (grade C): {BREAK_REASON}").all()
    assert regraded.loc[fase, "comparability_grade"].eq("C").all()
    # the report's significant change of fase for the school directors is gone; nothing else moved
    assert stored.loc[fase & stored["is_default_method"], "is_significant"].any()
    other_groups = regraded["respondent_group"] != GROUP
    _same_values(regraded[other_groups], stored[other_groups])
    same_family = ~fase & ~other_groups
    np.testing.assert_array_equal(regraded.loc[same_family, "p_value"], stored.loc[same_family, "p_value"])
    assert (regraded.loc[same_family, "comparability_grade"] == "A").all()


@pytest.mark.slow
def test_report_changes_carries_each_changes_grade_and_none_for_kindcentra(con):
    rows = con.execute(
        """
        select c.comparison, c.comparability_grade, t.comparability_grade as tested_grade
        from marts.report_changes c
        left join marts.test_wave_change t
          on c.comparison = 'verandering' and t.wave = c.wave and t.respondent_group = c.respondent_group
         and t.item_id = c.item_id and t.method = c.method and t.test_level = c.test_level
         and t.answer_code is not distinct from c.answer_code
         and t.answer_grouping is not distinct from c.answer_grouping
        """
    ).df()
    changes = rows[rows["comparison"] == "verandering"]
    assert len(changes) > 20
    assert (changes["comparability_grade"] == changes["tested_grade"]).all()
    assert rows.loc[rows["comparison"] == "kindcentrum", "comparability_grade"].isna().all()


@pytest.mark.slow
@pytest.mark.parametrize(("table", "value"), [("report_shares", "share_pct"), ("report_means", "mean")])
def test_report_tables_carry_the_grade_and_reason_of_each_later_wave_and_none_in_the_first(con, table, value):
    rows = con.execute(
        f"""
        select r.wave, r.comparability_grade, r.comparability_note, r.comparability_reason, c.grade, c.reason
        from marts.{table} r
        left join codebook.codebook_comparability c
          on c.wave = r.wave and c.respondent_group = r.respondent_group and c.item_id = r.item_id
        where r.{value} is not null
        """
    ).df()
    first = rows[rows["wave"] == 2016]
    assert first[["comparability_grade", "comparability_note", "comparability_reason"]].isna().all().all()
    later = rows[rows["wave"] == 2019]
    assert later["grade"].notna().any()
    assert [None if pd.isna(v) else v for v in later["comparability_grade"]] == [
        None if pd.isna(v) else v for v in later["grade"]
    ]
    assert [None if pd.isna(v) else v for v in later["comparability_reason"]] == [
        None if pd.isna(v) else v for v in later["reason"]
    ]
    assert rows["comparability_note"].isna().all()  # grade A is not marked


@pytest.mark.slow
def test_the_question_catalog_shows_each_items_grade_per_wave_pair(con):
    catalog = con.execute(
        "select question_id, item_id, waves, comparability_grades, comparability, has_trend_break "
        "from marts.question_catalog"
    ).df()
    seed = con.execute(
        "select item_id, compared_with_wave, wave, list(distinct grade) as grades, count(*) as groups "
        "from codebook.codebook_comparability group by all"
    ).df()
    expected = {
        row.item_id: f"{row.compared_with_wave}→{row.wave}: {row.grades[0]}"
        for row in seed.itertuples()
        if len(row.grades) == 1
    }
    assert len(expected) == len(seed)  # one grade per item and pair on the sample
    shown = dict(zip(catalog["item_id"], catalog["comparability_grades"], strict=True))
    assert {item: text for item, text in shown.items() if pd.notna(text)} == expected
    # items asked in one wave only have no pair
    for row in catalog[catalog["comparability_grades"].isna()].itertuples():
        assert len(row.waves) == 1, row.item_id
    groups = dict(zip(seed["item_id"], seed["groups"], strict=True))
    for row in catalog[catalog["comparability_grades"].notna()].itertuples():
        assert len(row.comparability) == groups[row.item_id]
        assert {entry["grade"] for entry in row.comparability} == {"A"}
        assert all(entry["wave_from"] == 2016 and entry["wave_to"] == 2019 for entry in row.comparability)
    assert not catalog["has_trend_break"].any()


@pytest.mark.slow
def test_both_published_copies_carry_the_new_columns_with_their_descriptions(built):
    import duckdb
    from warehouse_build import published_paths

    wanted = {
        ("test_wave_change", "comparability_grade"),
        ("report_changes", "comparability_grade"),
        ("report_shares", "comparability_grade"),
        ("report_shares", "comparability_note"),
        ("report_shares", "comparability_reason"),
        ("report_means", "comparability_grade"),
        ("question_catalog", "comparability_grades"),
        ("question_catalog", "comparability"),
        ("question_catalog", "has_trend_break"),
    }
    for copy in published_paths(built[0]):
        with duckdb.connect(str(copy), read_only=True) as published:
            found = published.execute(
                "select table_name, column_name, comment from duckdb_columns() "
                "where schema_name = 'marts' and (column_name like 'comparability%' or column_name = 'has_trend_break')"
            ).fetchall()
        assert {(table, column) for table, column, _ in found} >= wanted, copy.name
        assert all(comment for _, _, comment in found), copy.name
