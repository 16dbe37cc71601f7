"""Which significance tests the warehouse runs, on which data, and how their p-values are adjusted.

Two comparisons, both over every item (not only those the report tested):

- wave change: for every group, each wave against the previous one in which the group was asked,
  both waves pooled with wave as stratum;
- subgroup: within each wave, kindcentrum respondents against the rest, for the groups asked the
  `noemer` question (school directors and childcare managers).

Per item: the whole question (the full answer table) and one 2x2 per answer code (that code against
the rest); a multiple-answer option is its own 0/1 item; the grade gets a t-test. Each categorical
test runs with `rao_scott_f` (the default, what the warehouse calls significant) and
`pearson_weighted` (what SPSS prints with weights on, as the report did). A side with fewer than
`min_base` respondents is not tested, and the row says why. p-values are adjusted with
Benjamini-Hochberg within a family: one comparison, one group, one method.

A wave pair is tested only where the codebook says the two waves asked the same thing: the seed
`codebook_comparability` grades each (wave, group, item) against the group's previous wave A (same
wording and options), B (wording changed, options the same) or C (options or meaning changed). Every
wave-change row carries its grade (null where the pair has none, tested as before); a grade-C pair is
a trend break, and its rows are kept untested with the seed's reason, as a small base's are.

The tests read per-cell sums, not answers: `intermediate.int_significance_cells` has, per wave, group,
item, kindcentrum flag and answer, the number of respondents, their sum of weights and sum of squared
weights, and `survey_tests` computes every statistic from those (docs/statistics.md, "From cell
sums"). A wave pair adds up the kindcentrum flags of its cells; a kindcentrum comparison takes the
cells with a flag. The test statistics themselves are in `survey_tests`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from dagster_project.lib import survey_tests
from publication import settings

DEFAULT_MIN_BASE = settings.MIN_TEST_BASE
ALPHA = 0.05
CATEGORICAL_METHODS = ("rao_scott_f", "pearson_weighted")
NUMERIC_METHODS = ("svyttest",)
DEFAULT_METHODS = ("rao_scott_f", "svyttest")
KINDCENTRUM_ITEM = settings.KINDCENTRUM_ITEM

# The cell sums as dbt aggregates them (intermediate.int_significance_cells), in a fixed row order:
# pooling adds cells up in numpy, and the same inputs must give the same bits. The order also fixes
# the order of the test rows: groups as they first appear by wave, items by id.
CELLS_QUERY = """
select * from intermediate.int_significance_cells
order by wave, respondent_group, item_id, is_kindcentrum nulls first, answer_code, answer_value
"""
# The answers themselves (intermediate.int_significance_answers), for `load_answers`.
ANSWERS_QUERY = """
select * from intermediate.int_significance_answers
order by wave, respondent_group, item_id, respondent_id
"""
# What identifies a cell: the columns of int_significance_cells before its sums.
CELL_KEY = [
    "wave", "respondent_group", "question_id", "item_id", "question_type", "is_kindcentrum", "answer_code",
    "answer_value",
]  # fmt: skip
SCHEMA = "stats"


# question_id -> [(answer_grouping, its answer codes)]: the report's combined answers, tested as one.
Groupings = Mapping[str, list[tuple[str, tuple[int, ...]]]]
# (respondent_group, item_id, wave_from, wave_to) -> (grade, reason): codebook_comparability by wave pair.
Comparability = Mapping[tuple[str, str, int, int], tuple[str, str]]
# The grade of a pair that is not comparable: not tested, a break in the trend.
TREND_BREAK_GRADE = "C"


def load_cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The sums per wave, group, item, kindcentrum flag and answer: what the tests read."""
    return con.execute(CELLS_QUERY).df()


def load_answers(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every answer with its weight, question type and the respondent's kindcentrum flag.

    Not what the tests read (that is `load_cells`); the test functions still take these rows and add
    them up with `cells_from_answers` first.
    """
    return con.execute(ANSWERS_QUERY).df()


def cells_from_answers(answers: pd.DataFrame) -> pd.DataFrame:
    """The answers added up into the cells of int_significance_cells, as dbt does it, in its order.

    In double precision rather than dbt's exact decimal sums, so the same to about 1e-16.
    """
    frame = answers.assign(weight_squares=answers["weight"] ** 2)
    cells = (
        frame.groupby(CELL_KEY, dropna=False, sort=False)
        .agg(n=("weight", "size"), weight_sum=("weight", "sum"), weight_squares=("weight_squares", "sum"))
        .reset_index()
    )
    order = ["wave", "respondent_group", "item_id", "is_kindcentrum", "answer_code", "answer_value"]
    return cells.sort_values(order, na_position="first", kind="stable", ignore_index=True)


def _as_cells(data: pd.DataFrame) -> pd.DataFrame:
    """Cell sums as they are; answers (one row per respondent and item, with a weight) added up first."""
    return cells_from_answers(data) if "weight" in data.columns else data


def load_groupings(con: duckdb.DuckDBPyConnection) -> Groupings:
    """The combined answers of the codebook seed `codebook_answer_groupings`, per question."""
    rows = con.execute(
        "select question_id, answer_grouping, list(distinct answer_code order by answer_code) "
        "from codebook.codebook_answer_groupings group by all order by all"
    ).fetchall()
    groupings: dict[str, list[tuple[str, tuple[int, ...]]]] = {}
    for question_id, grouping, codes in rows:
        groupings.setdefault(question_id, []).append((grouping, tuple(int(code) for code in codes)))
    return groupings


def load_comparability(con: duckdb.DuckDBPyConnection) -> Comparability:
    """The grades of the codebook seed `codebook_comparability`, by group, item and wave pair."""
    rows = con.execute(
        "select respondent_group, item_id, compared_with_wave, wave, grade, reason "
        "from codebook.codebook_comparability order by all"
    ).fetchall()
    return {
        (group, item_id, int(wave_from), int(wave_to)): (grade, reason)
        for group, item_id, wave_from, wave_to, grade, reason in rows
    }


def trend_break_reason(reason: str | None) -> str:
    """The not-tested reason of a grade-C pair: the break, with what changed in the seed's (Dutch) words."""
    return f"trend break (grade {TREND_BREAK_GRADE}): {reason or 'no reason given'}"


@dataclass(frozen=True)
class Sides:
    """The two sides of one comparison of one item: how they are labelled and the design, per cell row."""

    label_a: object  # the reference side: the earlier wave, or the rest
    label_b: object  # the compared side: the later wave, or the kindcentra
    in_b: np.ndarray  # per cell row, whether it is on side b
    strata: np.ndarray | None  # wave as stratum when waves are pooled


def _tests_of_item(
    item: pd.DataFrame, sides: Sides, min_base: int, groupings: Groupings, not_tested: str | None = None
) -> Iterator[dict]:
    """Every test of one item between two sides, as rows (tested or with the reason it was not).

    `not_tested` keeps every planned row untested with that reason whatever the bases (a trend break);
    otherwise a side under `min_base` does.

    `item` holds the item's cell rows of both sides. A plan entry is (answer code, answer grouping, the
    value each cell row is tested as, methods): the whole question has neither code nor grouping and
    tests the cells as they are, a combined answer has its grouping and no code. A 2x2 of a code
    against the rest is the whole question's cells with each code recoded to 0/1 and added up.
    """
    qtype = item["question_type"].iloc[0]
    numeric = qtype == "numeric"
    strata = np.zeros(len(item), dtype=int) if sides.strata is None else sides.strata
    cells = survey_tests.Cells.of(
        strata,
        sides.in_b,
        item["answer_value" if numeric else "answer_code"].to_numpy(float),
        item["n"].to_numpy(),
        item["weight_sum"].to_numpy(float),
        item["weight_squares"].to_numpy(float),
        levels=(sides.label_a, sides.label_b),
    )
    n_a, n_b = cells.n_a, cells.n_b
    common = {"question_id": item["question_id"].iloc[0], "item_id": item["item_id"].iloc[0], "n_a": n_a, "n_b": n_b}

    codes = cells.value
    if numeric:
        plan = [(None, None, None, NUMERIC_METHODS)]
    elif qtype == "multi":
        plan = [(1, None, codes == 1, CATEGORICAL_METHODS)]
    else:
        plan = [(None, None, None, CATEGORICAL_METHODS)]
        plan += [(int(code), None, codes == code, CATEGORICAL_METHODS) for code in np.unique(codes)]
        for grouping, members in groupings.get(common["question_id"], []):
            plan.append((None, grouping, np.isin(codes, members), CATEGORICAL_METHODS))

    reason = not_tested
    if reason is None and min(n_a, n_b) < min_base:
        reason = f"base below {min_base}: {sides.label_a} n={n_a}, {sides.label_b} n={n_b}"
    if reason is not None:
        for answer_code, grouping, _, methods in plan:
            for method in methods:
                yield {
                    **common,
                    "answer_code": answer_code,
                    "answer_grouping": grouping,
                    "method": method,
                    "is_tested": False,
                    "not_tested_reason": reason,
                }
        return

    for answer_code, grouping, chosen, methods in plan:
        tested = cells if chosen is None else cells.recode(chosen.astype(float))
        # Every test computes its effect size; a whole question has one per answer code, not one of its own.
        whole_question = chosen is None and not numeric
        for method in methods:
            result = survey_tests.run_test_cells(method, tested)
            effect = None if whole_question else result.effect
            yield {
                **common,
                "answer_code": answer_code,
                "answer_grouping": grouping,
                "method": method,
                "statistic": result.statistic,
                "df_num": result.df_num,
                "df_den": result.df_den,
                "p_value": result.p_value,
                "is_tested": True,
                "not_tested_reason": None,
                "value_a": getattr(effect, "value_a", None),
                "value_b": getattr(effect, "value_b", None),
                "difference": getattr(effect, "difference", None),
                "difference_ci_low": getattr(effect, "ci_low", None),
                "difference_ci_high": getattr(effect, "ci_high", None),
                "min_detectable_difference": getattr(effect, "mdd", None),
                "cohens_d": getattr(effect, "cohens_d", None),
            }


def adjust(frame: pd.DataFrame, family: list[str]) -> pd.DataFrame:
    """Benjamini-Hochberg within each family; significance at ALPHA on the unadjusted p, as the report."""
    frame = frame.copy()
    frame["p_adjusted"] = np.nan
    testable = frame["p_value"].notna()
    for _, rows in frame[testable].groupby(family):
        frame.loc[rows.index, "p_adjusted"] = false_discovery_control(rows["p_value"].to_numpy(), method="bh")
    frame["is_significant"] = np.where(frame["p_value"].notna(), frame["p_value"] < ALPHA, None)
    frame["is_default_method"] = frame["method"].isin(DEFAULT_METHODS)
    return frame


# Columns every test row has after the ones that say what was compared.
_RESULT_COLUMNS = [
    "method", "statistic", "df_num", "df_den", "p_value", "p_adjusted", "is_significant", "is_default_method",
]  # fmt: skip
_EFFECT_COLUMNS = [
    "difference", "difference_ci_low", "difference_ci_high", "cohens_d", "min_detectable_difference",
    "is_tested", "not_tested_reason",
]  # fmt: skip
_ITEM_COLUMNS = ["respondent_group", "question_id", "item_id", "answer_code", "answer_grouping"]
WAVE_CHANGE_COLUMNS = [
    *_ITEM_COLUMNS, "wave_from", "wave_to", "value_from", "value_to", *_RESULT_COLUMNS, "n_from", "n_to",
    *_EFFECT_COLUMNS, "comparability_grade",
]  # fmt: skip
SUBGROUP_COLUMNS = [
    *_ITEM_COLUMNS, "wave", "subgroup", "value_in", "value_out", *_RESULT_COLUMNS, "n_in", "n_out",
    *_EFFECT_COLUMNS,
]  # fmt: skip


def _finish(rows: list[dict], renames: dict[str, str], family: list[str], columns: list[str]) -> pd.DataFrame:
    """Rows to the mart's columns (missing ones empty), with adjusted p-values and typed codes."""
    frame = pd.DataFrame(rows).rename(columns=renames).reindex(columns=[*columns, "is_tested"])
    frame = frame.loc[:, ~frame.columns.duplicated()]
    frame["answer_code"] = frame["answer_code"].astype("Int64")
    frame["is_tested"] = frame["is_tested"].astype(bool)
    return adjust(frame, family)[columns]


def wave_change_tests(
    cells: pd.DataFrame,
    min_base: int = DEFAULT_MIN_BASE,
    groupings: Groupings | None = None,
    comparability: Comparability | None = None,
) -> pd.DataFrame:
    """Each wave against the previous one, per group and item asked in both; combined answers too.

    `cells` as `load_cells` returns them (answers as `load_answers` returns them are added up first).
    `comparability` as `load_comparability` returns it: each row gets its pair's grade (null without
    one), and a grade-C pair is not tested (every planned row kept, with the break as the reason).
    """
    comparability = comparability or {}
    cells = _as_cells(cells)
    rows = []
    for group, in_group in cells.groupby("respondent_group", sort=False):
        waves = sorted(in_group["wave"].unique())
        for wave_from, wave_to in zip(waves, waves[1:], strict=False):
            pair = in_group[in_group["wave"].isin([wave_from, wave_to])]
            for item_id, item in pair.groupby("item_id", sort=False):
                if item["wave"].nunique() < 2:
                    continue  # asked in one of the two waves only
                wave = item["wave"].to_numpy()
                # The kindcentrum flags of one wave and answer are cells of one stratum: Cells.of adds them up.
                sides = Sides(int(wave_from), int(wave_to), in_b=wave == wave_to, strata=wave)
                grade, reason = comparability.get((group, item_id, int(wave_from), int(wave_to)), (None, None))
                not_tested = trend_break_reason(reason) if grade == TREND_BREAK_GRADE else None
                pair_columns = {"respondent_group": group, "wave_from": int(wave_from), "wave_to": int(wave_to)}
                for row in _tests_of_item(item, sides, min_base, groupings or {}, not_tested):
                    rows.append({**pair_columns, **row, "comparability_grade": grade})
    renames = {"n_a": "n_from", "n_b": "n_to", "value_a": "value_from", "value_b": "value_to"}
    return _finish(rows, renames, ["respondent_group", "wave_from", "wave_to", "method"], WAVE_CHANGE_COLUMNS)


def subgroup_tests(
    cells: pd.DataFrame, min_base: int = DEFAULT_MIN_BASE, groupings: Groupings | None = None
) -> pd.DataFrame:
    """Kindcentra against the rest within each wave, per group asked the noemer question, every item.

    `cells` as `load_cells` returns them (answers as `load_answers` returns them are added up first).
    """
    cells = _as_cells(cells)
    rows = []
    asked = cells[cells["is_kindcentrum"].notna()]
    for (group, wave), in_wave in asked.groupby(["respondent_group", "wave"], sort=False):
        for item_id, item in in_wave.groupby("item_id", sort=False):
            if item_id == KINDCENTRUM_ITEM:
                continue  # the question that defines the subgroup
            sides = Sides(False, True, in_b=item["is_kindcentrum"].astype(bool).to_numpy(), strata=None)
            for row in _tests_of_item(item, sides, min_base, groupings or {}):
                rows.append({"respondent_group": group, "wave": int(wave), "subgroup": "kindcentrum", **row})
    renames = {"n_a": "n_out", "n_b": "n_in", "value_a": "value_out", "value_b": "value_in"}
    return _finish(rows, renames, ["respondent_group", "wave", "subgroup", "method"], SUBGROUP_COLUMNS)


def replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Replace `stats.<name>` by the frame in one statement; dbt types it into `marts.<name>`."""
    con.register("incoming", frame)
    con.execute(
        f"create schema if not exists {SCHEMA}; create or replace table {SCHEMA}.{name} as select * from incoming"
    )
    con.unregister("incoming")
