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

Under the calibrated design (R's raked calibration, `calibrated_variance`) every default test runs once
more as a method of its own, `rao_scott_f_calibrated` and `svyttest_calibrated`, from
`intermediate.int_calibration_cells` (the same sums split by calibration cell, with the respondents who
did not answer). Which variance the default methods use is the dbt var `default_variance`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
from scipy.stats import false_discovery_control

from dagster_project.lib import calibrated_variance, survey_tests
from publication import settings

DEFAULT_MIN_BASE = settings.MIN_TEST_BASE
ALPHA = 0.05
CATEGORICAL_METHODS = ("rao_scott_f", "pearson_weighted")
NUMERIC_METHODS = ("svyttest",)
CALIBRATED = calibrated_variance.CALIBRATED_METHODS  # the fixed-weight method -> its calibrated twin
VARIANCES = ("fixed", "calibrated")
DEFAULT_VARIANCE = settings.dbt_vars().get("default_variance", "fixed")
if DEFAULT_VARIANCE not in VARIANCES:
    raise ValueError(f"dbt var default_variance is {DEFAULT_VARIANCE!r}, expected one of {VARIANCES}")


def default_methods(variance: str = DEFAULT_VARIANCE) -> tuple[str, ...]:
    """The methods whose rows are the default (`is_default_method`) under a variance setting."""
    fixed = ("rao_scott_f", "svyttest")
    return fixed if variance == "fixed" else tuple(CALIBRATED[method] for method in fixed)


DEFAULT_METHODS = default_methods()
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
# The same sums per calibration cell, with the non-answerers (intermediate.int_calibration_cells).
CALIBRATION_CELLS_QUERY = """
select * from intermediate.int_calibration_cells
order by wave, respondent_group, item_id, is_kindcentrum nulls first, calibration_cell, is_answered,
    answer_code, answer_value
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


def load_calibration_cells(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The sums per calibration cell, answers and non-answers: what the calibrated tests read."""
    return con.execute(CALIBRATION_CELLS_QUERY).df()


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
    calibrated: calibrated_variance.CalibratedCells | None = None  # the calibrated design's rows, if given


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

    # A plan entry's recode turns answer values into what is tested (None: the values as they are).
    codes = cells.value
    numeric_methods, categorical_methods = NUMERIC_METHODS, CATEGORICAL_METHODS
    if sides.calibrated is not None:
        numeric_methods = (*NUMERIC_METHODS, CALIBRATED["svyttest"])
        categorical_methods = (*CATEGORICAL_METHODS, CALIBRATED["rao_scott_f"])
    if numeric:
        plan = [(None, None, None, numeric_methods)]
    elif qtype == "multi":
        plan = [(1, None, _equals(1), categorical_methods)]
    else:
        plan = [(None, None, None, categorical_methods)]
        plan += [(int(code), None, _equals(code), categorical_methods) for code in np.unique(codes)]
        for grouping, members in groupings.get(common["question_id"], []):
            plan.append((None, grouping, _member_of(members), categorical_methods))

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

    for answer_code, grouping, recode, methods in plan:
        tested = cells if recode is None else cells.recode(recode(codes).astype(float))
        calibrated = sides.calibrated
        if calibrated is not None and recode is not None:
            calibrated = calibrated.recode(recode(calibrated.value).astype(float))
        # Every test computes its effect size; a whole question has one per answer code, not one of its own.
        whole_question = recode is None and not numeric
        for method in methods:
            if method in CALIBRATED.values():
                result = calibrated_variance.run_test(method, calibrated)
            else:
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


def _equals(code: float):
    """The recode of a 2x2: 1 for the code, 0 for the rest."""
    return lambda values: values == code


def _member_of(members: tuple[int, ...]):
    """The recode of a combined answer: 1 for its codes, 0 for the rest."""
    return lambda values: np.isin(values, members)


def calibrated_cells(
    rows: pd.DataFrame, numeric: bool, in_domain: np.ndarray, in_b: np.ndarray, stratum: np.ndarray, levels: tuple
) -> calibrated_variance.CalibratedCells:
    """The calibrated design's rows of one comparison of one item, from `load_calibration_cells` rows.

    Each wave is its own calibration block; `in_domain` marks the rows of respondents compared (the
    answerers, with a kindcentrum flag for that comparison), `in_b` their side.
    """
    value = rows["answer_value" if numeric else "answer_code"].to_numpy(float)
    return calibrated_variance.CalibratedCells.of(
        stratum,
        rows["wave"].to_numpy(),
        rows["calibration_cell"].to_numpy(),
        in_domain,
        in_b,
        np.nan_to_num(value),
        rows["n"].to_numpy(),
        rows["weight_sum"].to_numpy(float),
        rows["weight_squares"].to_numpy(float),
        levels,
    )


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


def _by_item(calibration: pd.DataFrame | None) -> dict:
    """Calibration rows per (respondent_group, item_id), empty without them."""
    if calibration is None:
        return {}
    return dict(tuple(calibration.groupby(["respondent_group", "item_id"], sort=False)))


def wave_change_tests(
    cells: pd.DataFrame,
    min_base: int = DEFAULT_MIN_BASE,
    groupings: Groupings | None = None,
    comparability: Comparability | None = None,
    calibration: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Each wave against the previous one, per group and item asked in both; combined answers too.

    `cells` as `load_cells` returns them (answers as `load_answers` returns them are added up first).
    `comparability` as `load_comparability` returns it: each row gets its pair's grade (null without
    one), and a grade-C pair is not tested (every planned row kept, with the break as the reason).
    `calibration` as `load_calibration_cells` returns it adds the calibrated methods: both waves' every
    respondent, wave as stratum and as calibration block, the answerers compared.
    """
    comparability = comparability or {}
    cells = _as_cells(cells)
    calibration_by_item = _by_item(calibration)
    rows = []
    for group, in_group in cells.groupby("respondent_group", sort=False):
        waves = sorted(in_group["wave"].unique())
        for wave_from, wave_to in zip(waves, waves[1:], strict=False):
            pair = in_group[in_group["wave"].isin([wave_from, wave_to])]
            for item_id, item in pair.groupby("item_id", sort=False):
                if item["wave"].nunique() < 2:
                    continue  # asked in one of the two waves only
                wave = item["wave"].to_numpy()
                calibrated = None
                if (group, item_id) in calibration_by_item:
                    design = calibration_by_item[(group, item_id)]
                    design = design[design["wave"].isin([wave_from, wave_to])]
                    design_wave = design["wave"].to_numpy()
                    calibrated = calibrated_cells(
                        design, item["question_type"].iloc[0] == "numeric", design["is_answered"].to_numpy(bool),
                        design_wave == wave_to, design_wave, (int(wave_from), int(wave_to)),
                    )  # fmt: skip
                # The kindcentrum flags of one wave and answer are cells of one stratum: Cells.of adds them up.
                sides = Sides(int(wave_from), int(wave_to), in_b=wave == wave_to, strata=wave, calibrated=calibrated)
                grade, reason = comparability.get((group, item_id, int(wave_from), int(wave_to)), (None, None))
                not_tested = trend_break_reason(reason) if grade == TREND_BREAK_GRADE else None
                pair_columns = {"respondent_group": group, "wave_from": int(wave_from), "wave_to": int(wave_to)}
                for row in _tests_of_item(item, sides, min_base, groupings or {}, not_tested):
                    rows.append({**pair_columns, **row, "comparability_grade": grade})
    renames = {"n_a": "n_from", "n_b": "n_to", "value_a": "value_from", "value_b": "value_to"}
    return _finish(rows, renames, ["respondent_group", "wave_from", "wave_to", "method"], WAVE_CHANGE_COLUMNS)


def subgroup_tests(
    cells: pd.DataFrame,
    min_base: int = DEFAULT_MIN_BASE,
    groupings: Groupings | None = None,
    calibration: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Kindcentra against the rest within each wave, per group asked the noemer question, every item.

    `cells` as `load_cells` returns them (answers as `load_answers` returns them are added up first).
    `calibration` as `load_calibration_cells` returns it adds the calibrated methods: every respondent
    of the wave, those who answered the item and noemer compared.
    """
    cells = _as_cells(cells)
    calibration_by_item = _by_item(calibration)
    rows = []
    asked = cells[cells["is_kindcentrum"].notna()]
    for (group, wave), in_wave in asked.groupby(["respondent_group", "wave"], sort=False):
        for item_id, item in in_wave.groupby("item_id", sort=False):
            if item_id == KINDCENTRUM_ITEM:
                continue  # the question that defines the subgroup
            calibrated = None
            if (group, item_id) in calibration_by_item:
                design = calibration_by_item[(group, item_id)]
                design = design[design["wave"] == wave]
                flag = design["is_kindcentrum"]
                calibrated = calibrated_cells(
                    design, item["question_type"].iloc[0] == "numeric",
                    design["is_answered"].to_numpy(bool) & flag.notna().to_numpy(),
                    flag.fillna(False).astype(bool).to_numpy(), np.zeros(len(design)), (False, True),
                )  # fmt: skip
            sides = Sides(
                False, True, in_b=item["is_kindcentrum"].astype(bool).to_numpy(), strata=None, calibrated=calibrated
            )
            for row in _tests_of_item(item, sides, min_base, groupings or {}):
                rows.append({"respondent_group": group, "wave": int(wave), "subgroup": "kindcentrum", **row})
    renames = {"n_a": "n_out", "n_b": "n_in", "value_a": "value_out", "value_b": "value_in"}
    return _finish(rows, renames, ["respondent_group", "wave", "subgroup", "method"], SUBGROUP_COLUMNS)


STANDARD_ERROR_COLUMNS = ["wave", "respondent_group", "item_id", "answer_code", "answer_grouping", "standard_error"]


def calibrated_standard_errors(calibration: pd.DataFrame, groupings: Groupings | None = None) -> pd.DataFrame:
    """The calibrated standard error of every share and mean of `agg_answer_share` and `agg_numeric`.

    One row per wave, group, item and answer code chosen, per combined answer, and per numeric item
    (answer code and grouping null): each a domain mean of one wave and group's calibrated design
    (R: SE(svymean(~I(y == code), subset(design, answered)))). A code nobody chose has a standard
    error of exactly 0 under any design and no row here.
    """
    rows = []
    groupings = groupings or {}
    for (wave, group, item_id), design in calibration.groupby(["wave", "respondent_group", "item_id"], sort=False):
        answered = design["is_answered"].to_numpy(bool)
        one_side = (np.zeros(len(design), dtype=bool), np.zeros(len(design)), (None, None))
        key = {"wave": int(wave), "respondent_group": group, "item_id": item_id}
        if design["question_type"].iloc[0] == "numeric":
            values = calibrated_cells(design, True, answered, *one_side)
            rows.append({**key, "standard_error": calibrated_variance.mean_standard_error(values)})
        # The shares of every code, the grade's values too (agg_answer_share has them).
        cells = calibrated_cells(design, False, answered, *one_side)
        values = cells.value[cells.in_domain]
        for code in np.unique(values):
            chosen = cells.recode((cells.value == code).astype(float))
            rows.append(
                {**key, "answer_code": int(code), "standard_error": calibrated_variance.mean_standard_error(chosen)}
            )
        for grouping, members in groupings.get(design["question_id"].iloc[0], []):
            chosen = cells.recode(np.isin(cells.value, members).astype(float))
            rows.append(
                {**key, "answer_grouping": grouping, "standard_error": calibrated_variance.mean_standard_error(chosen)}
            )
    frame = pd.DataFrame(rows).reindex(columns=STANDARD_ERROR_COLUMNS)
    frame["answer_code"] = frame["answer_code"].astype("Int64")
    frame["answer_grouping"] = frame["answer_grouping"].astype("string")
    return frame


def replace_table(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
    """Replace `stats.<name>` by the frame in one statement; dbt types it into `marts.<name>`."""
    con.register("incoming", frame)
    con.execute(
        f"create schema if not exists {SCHEMA}; create or replace table {SCHEMA}.{name} as select * from incoming"
    )
    con.unregister("incoming")
