"""Report fidelity of the statistics on the embedded sample: the report's findings come out of the marts."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from dagster_project.sample_data.report_reference import ReportReference

# R's answers for the same cases, made by the scripts in tests/reference/r/.
REFERENCE_DIR = Path(__file__).parent / "reference"

pytestmark = pytest.mark.slow
COMPARED_GROUPS = ("basisscholen", "kov_organisaties", "schoolbesturen")


@pytest.fixture(scope="module")
def wave_tests(con) -> pd.DataFrame:
    return con.execute("select * from marts.test_wave_change where is_default_method").df()


@pytest.fixture(scope="module")
def subgroup_tests(con) -> pd.DataFrame:
    return con.execute("select * from marts.test_subgroup where is_default_method").df()


def _test_of(tests: pd.DataFrame, group: str, item_id: str, codes: tuple[int, ...]) -> pd.DataFrame:
    rows = tests[(tests["respondent_group"] == group) & (tests["item_id"] == item_id)]
    if not codes:
        return rows[rows["answer_code"].isna()]
    return rows[rows["answer_code"].isin(codes)]


def test_every_change_the_report_calls_significant_is_significant_in_the_same_direction(wave_tests):
    misses = []
    for change in ReportReference().changes.itertuples():
        rows = _test_of(wave_tests, change.respondent_group, change.item_id, change.codes)
        direction = 1 if change.direction == "up" else -1
        for row in rows.itertuples():
            if not (row.is_significant and direction * (row.value_to - row.value_from) > 0):
                misses.append(f"{change.respondent_group}/{change.item_id}={row.answer_code}: p={row.p_value:.4f}")
        if rows.empty:
            misses.append(f"{change.respondent_group}/{change.item_id}: no test")
    assert not misses, "\n".join(misses)


def test_no_item_without_a_named_change_has_a_significant_per_answer_change(wave_tests):
    # Within a question with a named change the other answers must move too (shares sum to one), so
    # "no other change" is read per item: every item the report names no change for stays quiet.
    named = set(zip(ReportReference().changes["respondent_group"], ReportReference().changes["item_id"], strict=True))
    per_answer = wave_tests[wave_tests["answer_code"].notna() & wave_tests["is_tested"]]
    compared = per_answer[per_answer["respondent_group"].isin(COMPARED_GROUPS)]
    quiet = compared[
        [(g, i) not in named for g, i in zip(compared["respondent_group"], compared["item_id"], strict=True)]
    ]
    loud = quiet[quiet["is_significant"].eq(True)]
    assert len(quiet) > 300
    assert loud.empty, loud[["respondent_group", "item_id", "answer_code", "p_value"]].to_string()


def test_the_childcare_boards_are_not_compared_between_waves_and_the_reason_is_recorded(con):
    rows = con.execute("select * from marts.test_wave_change where respondent_group = 'kov_besturen'").df()
    assert len(rows) > 100
    assert not rows["is_tested"].any() and rows["p_value"].isna().all()
    assert rows["not_tested_reason"].str.startswith("base below 30: 2016 n=").all()


def test_every_kindcentrum_difference_the_report_names_is_significant_and_higher(subgroup_tests):
    misses = []
    for difference in ReportReference().kindcentrum_differences.itertuples():
        rows = _test_of(
            subgroup_tests[subgroup_tests["wave"] == 2019],
            difference.respondent_group,
            difference.item_id,
            difference.codes,
        )
        if len(difference.codes) > 1:
            # A named combination ('overwegend wel' + 'zeker wel'): together higher, and significantly so on
            # at least one part (the shift moves kindcentra from 'overwegend' to 'zeker' too).
            ok = rows["value_in"].sum() > rows["value_out"].sum() and rows["is_significant"].eq(True).any()
        else:
            ok = (
                len(rows) == 1 and bool(rows["is_significant"].iloc[0]) and (rows["value_in"] > rows["value_out"]).all()
            )
        if not ok:
            misses.append(
                f"{difference.respondent_group}/{difference.item_id} {difference.codes}: {rows.p_value.tolist()}"
            )
    assert not misses, "\n".join(misses)


def test_subgroup_tests_cover_every_item_of_both_groups(con):
    covered = con.execute(
        "select respondent_group, count(distinct item_id) from marts.test_subgroup where wave = 2019 group by all"
    ).fetchall()
    assert dict(covered) == {"basisscholen": 99, "kov_organisaties": 101}


def test_hand_in_hand_is_the_most_common_model_all_in_one_rare_and_a_quarter_fits_none(con):
    shares = con.execute("select * from marts.agg_cooperation_model where wave = 2019").df()
    for group, rows in shares.groupby("respondent_group"):
        by_model = rows.set_index("cooperation_model")["share"]
        models = by_model[["stand_alone", "face_to_face", "hand_in_hand", "all_in_one"]]
        assert models.idxmax() == "hand_in_hand", group
        assert by_model["all_in_one"] < 0.10, group
        assert 0.20 <= by_model["niet_in_te_delen"] <= 0.30, group


def test_every_test_has_its_effect_size_and_minimum_detectable_difference(con):
    rows = con.execute("select * from marts.test_wave_change where is_tested and answer_code is not null").df()
    assert rows["difference"].notna().all() and rows["min_detectable_difference"].notna().all()
    assert (rows["difference_ci_low"] <= rows["difference"]).all() and (
        rows["difference"] <= rows["difference_ci_high"]
    ).all()
    grades = con.execute("select * from marts.test_wave_change where method = 'svyttest' and is_tested").df()
    assert grades["cohens_d"].notna().all() and len(grades) == 3


def test_the_marts_carry_the_p_values_r_computes_for_the_same_tests(con):
    """The assets feed the verified statistics the right design: R's golden numbers come out of the marts."""
    cases = pd.read_csv(REFERENCE_DIR / "r_test_cases.csv", dtype={"answer_code": "Int64"})
    golden = cases.merge(pd.read_csv(REFERENCE_DIR / "r_tests.csv"), on="case_id")
    wave = con.execute("select * from marts.test_wave_change where is_tested").df()
    subgroup = con.execute("select * from marts.test_subgroup where is_tested and wave = 2019").df()
    checked = 0
    for case in golden.itertuples():
        marts = wave if case.comparison == "wave" else subgroup
        rows = marts[
            (marts["respondent_group"] == case.respondent_group)
            & (marts["item_id"] == case.item_id)
            & (marts["method"] == case.method)
        ]
        code = case.answer_code
        rows = rows[rows["answer_code"].isna()] if pd.isna(code) else rows[rows["answer_code"] == code]
        if rows.empty or pd.isna(case.p_value):
            continue  # a case the marts leave untested (small base) or R cannot test
        assert rows["p_value"].iloc[0] == pytest.approx(case.p_value, abs=1e-8), case.case_id
        assert rows["statistic"].iloc[0] == pytest.approx(case.statistic, rel=1e-6), case.case_id
        checked += 1
    assert checked >= 40


def test_the_warehouse_and_the_generators_classifier_assign_the_same_models(con):
    # Two implementations of bijlage 1's rule, dbt SQL for the warehouse and Python for the generator's
    # checks, must agree on every respondent.
    from tests.cooperation_model_oracle import classify, load_rules

    answers = con.execute(
        "select wave, respondent_group, respondent_id, question_id, answer_code from marts.fct_answer "
        "where question_id in (select distinct question_id from codebook.cooperation_model_rules)"
    ).df()
    respondents = con.execute(
        "select * from marts.fct_respondent where cooperation_model is not null order by all"
    ).df()
    for wave, in_wave in respondents.groupby("wave"):
        wide = (
            answers[answers["wave"] == wave]
            .pivot_table(index=["respondent_group", "respondent_id"], columns="question_id", values="answer_code")
            .reindex(pd.MultiIndex.from_frame(in_wave[["respondent_group", "respondent_id"]]))
        )
        python = classify(wide.reset_index(drop=True), load_rules(int(wave)))
        assert (python["cooperation_model"].to_numpy() == in_wave["cooperation_model"].to_numpy()).all()
        for model in ("stand_alone", "face_to_face", "hand_in_hand", "all_in_one"):
            assert (python[f"matches_{model}"].to_numpy() == in_wave[f"matches_{model}"].to_numpy()).all()
