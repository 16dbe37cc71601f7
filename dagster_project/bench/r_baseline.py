"""The statistics stage's tests timed against R's survey package on the same data, with the p-values compared.

The warehouse computes its significance tests from cell sums (`significance`, `survey_tests`); the
design page fixes the answer to what R's survey package gives on the respondents' rows. This module
exports those rows and the list of tests the warehouse ran from a built warehouse, runs
`dagster_project/bench/r/survey_tests.R` on them (svychisq with statistic = "F" for the categorical
tests, svyttest for the grade, with the designs of tests/reference/r/make_test_reference.R), times the
same tests in Python in this process, and joins R's p-values to the warehouse's rows of
`stats.test_wave_change` and `stats.test_subgroup`.

Only the default methods are compared (`rao_scott_f`, `svyttest`): the other categorical method,
`pearson_weighted`, is `chisq.test` on a weighted table in R, not a test of the survey package, so it
is no part of R's baseline. The Python figure is what the statistics assets compute, `pearson_weighted`
included, so the ratio does not flatter Python.

R is not installed where the project's tests run in CI: `unavailable_reason()` says why R cannot run,
and callers skip the comparison then.
"""

from __future__ import annotations

import re
import shutil
import statistics
import subprocess
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from dagster_project.lib import significance

SCRIPT = Path(__file__).resolve().parent / "r" / "survey_tests.R"

# Where run() leaves its files in `work`.
ANSWERS_FILE = "answers.csv"
PLAN_FILE = "plan.csv"
RESULTS_FILE = "r_results.csv"
TIMING_FILE = "r_timing.csv"
COMPARISON_FILE = "comparison.csv"

# R's figures per test in RESULTS_FILE, beside the plan's keys.
R_FIGURES = ["n_a", "n_b", "statistic", "df_num", "df_den", "p_value"]

# The tests' rows: the grade's value, every other item's answer code, as the cells have them
# (int_significance_cells: answer_value for numeric items, answer_code for the rest). The kindcentrum
# flag as 1/0 so that no CSV reader has to guess what true means.
ANSWERS_QUERY = """
select
    wave,
    respondent_group,
    item_id,
    case when question_type = 'numeric' then answer_value else answer_code end::double as y,
    weight,
    is_kindcentrum::integer as is_kindcentrum
from intermediate.int_significance_answers
order by wave, respondent_group, item_id, respondent_id
"""

# The tests R runs: every tested row of the default methods, with the keys that identify it in its table.
TESTS_QUERY = """
select
    'wave' as comparison, respondent_group, question_id, item_id, answer_code, answer_grouping,
    wave_from, wave_to, method, p_value, n_from as n_a, n_to as n_b
from stats.test_wave_change
where is_tested and is_default_method
union all by name
select
    'kindcentrum' as comparison, respondent_group, question_id, item_id, answer_code, answer_grouping,
    wave as wave_from, wave as wave_to, method, p_value, n_out as n_a, n_in as n_b
from stats.test_subgroup
where is_tested and is_default_method
order by comparison desc, respondent_group, wave_from, wave_to, item_id, answer_code nulls first,
    answer_grouping nulls first, method
"""

# Rscript's own check of the survey package: prints its version, fails where it is not installed.
_SURVEY_VERSION = 'suppressPackageStartupMessages(library(survey)); cat(as.character(packageVersion("survey")))'


def unavailable_reason() -> str | None:
    """None when Rscript and R's survey package are there; otherwise why the R baseline cannot run."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript is not on the PATH (R is not installed)"
    if not SCRIPT.is_file():
        return f"the R script {SCRIPT} is missing"
    try:
        check = subprocess.run([rscript, "-e", _SURVEY_VERSION], capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"Rscript could not be run: {error}"
    if check.returncode != 0:
        return "R's survey package is not installed (library(survey) fails in Rscript)"
    return None


def export_answers(con: duckdb.DuckDBPyConnection, path: Path) -> int:
    """Write the respondent-level rows the tests add up (ANSWERS_QUERY) to a CSV; return the row count.

    DuckDB writes each double in its shortest form that reads back to the same bits, so R gets the
    warehouse's weights exactly.
    """
    # COPY answers with the number of rows it wrote.
    return int(con.execute(f"copy ({ANSWERS_QUERY}) to '{_sql_path(path)}' (header, delimiter ',')").fetchone()[0])


def load_plan(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """The tests the warehouse ran with its default method, one row each, as the R script reads them.

    Besides the keys and the warehouse's p-value and bases: `test_id`, `unit` (the tests of one
    comparison of one item, which share R's design) and `codes`, what the R script tests as 1 against
    the rest ("" for the whole question and the grade).
    """
    plan = con.execute(TESTS_QUERY).df()
    groupings = significance.load_groupings(con)

    def codes(row: pd.Series) -> str:
        if pd.notna(row["answer_code"]):
            return str(int(row["answer_code"]))
        if pd.notna(row["answer_grouping"]):
            members = dict(groupings.get(row["question_id"], []))
            if row["answer_grouping"] not in members:
                raise KeyError(
                    f"answer grouping {row['answer_grouping']!r} of {row['question_id']} is not in "
                    "codebook.codebook_answer_groupings"
                )
            return ";".join(str(code) for code in members[row["answer_grouping"]])
        return ""

    plan["codes"] = plan.apply(codes, axis=1) if len(plan) else pd.Series(dtype=str)
    plan.insert(0, "test_id", np.arange(1, len(plan) + 1))
    unit_keys = ["comparison", "respondent_group", "wave_from", "wave_to", "item_id"]
    plan.insert(1, "unit", plan.groupby(unit_keys, sort=False).ngroup() + 1)
    return plan


def warehouse_min_base(con: duckdb.DuckDBPyConnection) -> int:
    """The minimum base the warehouse's tests ran with, read from a not-tested reason ('base below 30: ...')."""
    # A trend break (grade C) is not tested whatever the bases: only a base's reason names the minimum.
    reason = con.execute(
        "select not_tested_reason from stats.test_wave_change where not_tested_reason like 'base below %' "
        "union all select not_tested_reason from stats.test_subgroup where not_tested_reason like 'base below %' "
        "limit 1"
    ).fetchone()
    match = re.match(r"base below (\d+)", reason[0]) if reason else None
    return int(match.group(1)) if match else significance.DEFAULT_MIN_BASE


def time_python(con: duckdb.DuckDBPyConnection, repeats: int = 3) -> tuple[list[float], pd.DataFrame, pd.DataFrame]:
    """Seconds of each run of the statistics assets' compute, and the last run's test rows.

    Timed: `load_cells`, `load_calibration_cells` and both test functions, as the assets call them
    (every method, the calibrated ones included); not the groupings and comparability grades (a few
    codebook rows) nor the writing of the rows.
    """
    groupings = significance.load_groupings(con)
    comparability = significance.load_comparability(con)
    min_base = warehouse_min_base(con)
    seconds = []
    for _ in range(repeats):
        started = time.perf_counter()
        cells = significance.load_cells(con)
        calibration = significance.load_calibration_cells(con)
        wave_change = significance.wave_change_tests(cells, min_base, groupings, comparability, calibration)
        subgroup = significance.subgroup_tests(cells, min_base, groupings, calibration)
        seconds.append(time.perf_counter() - started)
    return seconds, wave_change, subgroup


def run_r(answers: Path, plan: Path, results: Path, timing: Path) -> float:
    """Run the R script on the exported files; return the seconds of the whole Rscript process."""
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"R baseline unavailable: {reason}")
    for path in (answers, plan):
        if not path.is_file():
            raise FileNotFoundError(f"R baseline input {path} is missing")
    started = time.perf_counter()
    process = subprocess.run(
        [shutil.which("Rscript") or "Rscript", str(SCRIPT), str(answers), str(plan), str(results), str(timing)],
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        tail = "\n".join(process.stderr.strip().splitlines()[-15:])
        raise RuntimeError(f"{SCRIPT} failed (exit {process.returncode}):\n{tail}")
    for path in (results, timing):
        if not path.is_file():
            raise FileNotFoundError(f"{SCRIPT} ran but did not write {path}")
    return seconds


def compare(plan: pd.DataFrame, r_results: pd.DataFrame) -> pd.DataFrame:
    """The plan with R's figures beside the warehouse's (`r_` columns) and the absolute p difference."""
    missing = set(plan["test_id"]) - set(r_results["test_id"])
    if missing:
        raise ValueError(f"R returned no result for {len(missing)} of {len(plan)} tests")
    r_results = r_results[["test_id", *R_FIGURES]]
    r_results = r_results.rename(columns={column: f"r_{column}" for column in r_results.columns if column != "test_id"})
    joined = plan.merge(r_results, on="test_id", how="left", validate="one_to_one")
    joined["p_difference"] = (joined["r_p_value"] - joined["p_value"]).abs()
    return joined


def python_against_warehouse(con: duckdb.DuckDBPyConnection, wave: pd.DataFrame, sub: pd.DataFrame) -> float:
    """Largest |p| difference between this process's test rows and the warehouse's (0 if it ran this code)."""
    keys = ["respondent_group", "item_id", "answer_code", "answer_grouping", "method"]
    differences = []
    for table, frame, extra in (("test_wave_change", wave, ["wave_from", "wave_to"]), ("test_subgroup", sub, ["wave"])):
        stored = con.execute(f"select {', '.join([*keys, *extra])}, p_value from stats.{table}").df()
        columns = [*keys, *extra]
        ours = frame[[*columns, "p_value"]].astype({"answer_code": "float64"})
        stored = stored.astype({"answer_code": "float64"})
        both = ours.merge(stored, on=columns, how="outer", suffixes=("", "_stored"), indicator=True)
        if (both["_merge"] != "both").any():
            return float("inf")  # not the same tests: the warehouse was built by other code or settings
        differences.append((both["p_value"] - both["p_value_stored"]).abs().max())
    return float(np.nanmax(differences)) if differences else float("nan")


def run(warehouse: Path, work: Path, python_repeats: int = 3) -> dict:
    """Time the warehouse's tests in R and in Python, compare their p-values, and return the figures.

    `warehouse` is a built warehouse (opened read-only); `work` a folder for the exported rows, R's
    output and the joined `comparison.csv`. Seconds: R's are its loop over the tests (its reading and
    splitting of the rows apart); Python's the median of `python_repeats` runs of the assets' compute.
    Raises RuntimeError when R cannot run (see `unavailable_reason`).
    """
    # Before the export and the Python runs, which would be wasted without R.
    reason = unavailable_reason()
    if reason is not None:
        raise RuntimeError(f"R baseline unavailable: {reason}")
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise FileNotFoundError(f"warehouse {warehouse} not found: build it first (make run)")
    work = Path(work)
    work.mkdir(parents=True, exist_ok=True)
    answers, plan_path = work / ANSWERS_FILE, work / PLAN_FILE
    results, timing = work / RESULTS_FILE, work / TIMING_FILE

    with duckdb.connect(str(warehouse), read_only=True) as con:
        con.execute("set enable_progress_bar = false")  # the export at scale 100 would draw one into the output
        for table in ("intermediate.int_significance_answers", "stats.test_wave_change", "stats.test_subgroup"):
            schema, name = table.split(".")
            found = con.execute(
                "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
                [schema, name],
            ).fetchone()[0]
            if not found:
                raise LookupError(f"{warehouse} has no {table}: build the warehouse through the statistics stage")
        exported = export_answers(con, answers)
        plan = load_plan(con)
        plan.drop(columns=["p_value", "n_a", "n_b", "question_id"]).to_csv(plan_path, index=False)
        python_runs, wave, sub = time_python(con, python_repeats)
        python_vs_warehouse = python_against_warehouse(con, wave, sub)

    r_process_seconds = run_r(answers, plan_path, results, timing)
    r_timing = pd.read_csv(timing).iloc[0]
    joined = compare(plan, pd.read_csv(results, na_values=["NA"]))
    joined.to_csv(work / COMPARISON_FILE, index=False)

    both = joined["p_value"].notna() & joined["r_p_value"].notna()
    worst = joined.loc[joined.loc[both, "p_difference"].idxmax()] if both.any() else None
    python_seconds = statistics.median(python_runs)
    r_seconds = float(r_timing["test_seconds"])
    return {
        "r_seconds": r_seconds,
        "python_seconds": python_seconds,
        "ratio": r_seconds / python_seconds if python_seconds > 0 else float("nan"),
        "tests": len(plan),
        "tests_by_method": {str(k): int(v) for k, v in plan["method"].value_counts().sort_index().items()},
        "max_abs_p_difference": float(joined.loc[both, "p_difference"].max()) if both.any() else float("nan"),
        "worst_test": None if worst is None else _describe(worst),
        # A test one side could compute and the other not (R's NA against a p-value, or the reverse).
        "p_missing_mismatches": int((joined["p_value"].isna() != joined["r_p_value"].isna()).sum()),
        "n_mismatches": int(((joined["n_a"] != joined["r_n_a"]) | (joined["n_b"] != joined["r_n_b"])).sum()),
        "python_seconds_runs": python_runs,
        "python_rows": len(wave) + len(sub),
        "python_vs_warehouse_max_abs_p_difference": python_vs_warehouse,
        "r_read_seconds": float(r_timing["read_seconds"]),
        "r_prepare_seconds": float(r_timing["prepare_seconds"]),
        "r_process_seconds": r_process_seconds,
        "answers_exported": exported,
        "r_version": str(r_timing["r_version"]),
        "survey_version": str(r_timing["survey_version"]),
    }


def _describe(row: pd.Series) -> str:
    """One test in words, for the report of the worst agreement."""
    waves = row["wave_from"] if row["comparison"] == "kindcentrum" else f"{row['wave_from']}-{row['wave_to']}"
    if isinstance(row["answer_grouping"], str):
        what = row["answer_grouping"]
    else:
        what = f"code {row['codes']}" if row["codes"] else "mean" if row["method"] == "svyttest" else "question"
    return (
        f"{row['comparison']} {waves} {row['respondent_group']} {row['item_id']} {what} {row['method']}: "
        f"warehouse p {row['p_value']:.17g}, R p {row['r_p_value']:.17g}"
    )


def _sql_path(path: Path) -> str:
    """A path inside a single-quoted SQL string literal."""
    return str(path).replace("'", "''")
