"""Raw wave files for tests: private copies of the embedded sample, read independently, and broken on purpose.

`BAD_INPUTS` is the matrix of input-contract violations: each entry makes one bad file in a copy of
the sample and says which wave to load, which file the refusal must name and what it must say. The
ingest tests check every refusal against the contract's reader (`read_wave`, a pure function) and a
few (`THROUGH_THE_PIPELINE`) through the ingest job; the publish tests check on those few that nothing
published changes.
"""

from __future__ import annotations

import functools
import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR


def copy_sample(target: Path) -> Path:
    """A private copy of the embedded sample (tests never write into data/)."""
    shutil.copytree(EMBEDDED_SAMPLE_DIR, target)
    return target


@functools.cache
def _read_sav_cached(path: str, mtime_ns: int) -> tuple[pd.DataFrame, object]:
    return pyreadstat.read_sav(path, user_missing=False)


def read_sav(path: Path) -> tuple[pd.DataFrame, object]:
    """A .sav file as pyreadstat reads it (data, metadata), independently of the code under test."""
    return _read_sav_cached(str(path), path.stat().st_mtime_ns)


def id_text(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def rewrite_sav(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    """Write the .sav again with its data changed (labels are not needed by these checks)."""
    data, _ = pyreadstat.read_sav(str(path), user_missing=False)
    pyreadstat.write_sav(change(data.copy()), str(path))


def rewrite_csv(path: Path, change: Callable[[pd.DataFrame], pd.DataFrame]) -> None:
    change(pd.read_csv(path, dtype=str)).to_csv(path, index=False)


def set_cell(frame: pd.DataFrame, row: int, column: str, value: object) -> pd.DataFrame:
    frame.loc[frame.index[row], column] = value
    return frame


def garbage_sav(raw: Path) -> None:
    (raw / "waves/2019/basisscholen.sav").write_bytes(b"this is not an SPSS file\x00\x01\x02" * 40)


def no_respondent_id(raw: Path) -> None:
    rewrite_sav(raw / "waves/2019/basisscholen.sav", lambda d: d.rename(columns={"respondent_id": "respondent"}))


def duplicate_respondent_id(raw: Path) -> None:
    def change(data: pd.DataFrame) -> pd.DataFrame:
        return set_cell(data, 5, "respondent_id", 4242.0).pipe(set_cell, 9, "respondent_id", 4242.0)

    rewrite_sav(raw / "waves/2019/kov_organisaties.sav", change)


def empty_respondent_id(raw: Path) -> None:
    rewrite_sav(raw / "waves/2019/schoolbesturen.sav", lambda d: set_cell(d, 2, "respondent_id", np.nan))


def text_variable(raw: Path) -> None:
    rewrite_sav(raw / "waves/2019/kov_besturen.sav", lambda d: d.assign(opmerking="geen"))


def unexpected_file_name(raw: Path) -> None:
    shutil.copyfile(raw / "waves/2019/basisscholen.sav", raw / "waves/2019/basisschool.sav")


def unexpected_population_file_name(raw: Path) -> None:
    shutil.copyfile(raw / "population/2019/basisscholen.csv", raw / "population/2019/basisscholen.txt")


def wave_not_named_by_year(raw: Path) -> None:
    shutil.copytree(raw / "waves/2019", raw / "waves/latest")


def population_wrong_columns(raw: Path) -> None:
    rewrite_csv(raw / "population/2019/basisscholen.csv", lambda p: p.rename(columns={"category": "code"}))


def population_count_not_numeric(raw: Path) -> None:
    rewrite_csv(raw / "population/2019/basisscholen.csv", lambda p: set_cell(p, 1, "count", "veel"))


def population_count_zero(raw: Path) -> None:
    rewrite_csv(raw / "population/2019/schoolbesturen.csv", lambda p: set_cell(p, 0, "count", "0"))


def population_count_negative(raw: Path) -> None:
    rewrite_csv(raw / "population/2019/schoolbesturen.csv", lambda p: set_cell(p, 2, "count", "-5"))


def population_category_listed_twice(raw: Path) -> None:
    with (raw / "population/2019/schoolbesturen.csv").open("a") as handle:
        handle.write("bestuursgrootte,2,10\n")


def population_without_rows(raw: Path) -> None:
    (raw / "population/2019/schoolbesturen.csv").write_text("variable,category,count\n")


def population_category_without_respondents(raw: Path) -> None:
    # a category 3 that no school has; the total stays the same so only this check can fail
    path = raw / "population/2019/basisscholen.csv"
    population = pd.read_csv(path)
    population.loc[(population.variable == "stedelijkheid") & (population.category == 2), "count"] -= 10
    extra = pd.DataFrame([{"variable": "stedelijkheid", "category": 3, "count": 10}])
    pd.concat([population, extra]).to_csv(path, index=False)


def stratum_code_missing_from_population(raw: Path) -> None:
    # the schools' boards have size 1, 2 and 3; the population lists only 1 and 2 (same total)
    path = raw / "population/2019/schoolbesturen.csv"
    population = pd.read_csv(path)
    third = population.loc[population.category == 3, "count"].sum()
    population.loc[population.category == 2, "count"] += third
    population[population.category != 3].to_csv(path, index=False)


def stratification_missing_for_a_respondent(raw: Path) -> None:
    rewrite_sav(raw / "waves/2019/basisscholen.sav", lambda d: set_cell(d, 0, "stedelijkheid", np.nan))


def stratification_variable_absent_from_sav(raw: Path) -> None:
    rewrite_sav(raw / "waves/2019/basisscholen.sav", lambda d: d.drop(columns=["schoolgrootte"]))


def population_totals_disagree(raw: Path) -> None:
    rewrite_csv(raw / "population/2019/kov_organisaties.csv", lambda p: set_cell(p, 0, "count", "1000"))


def population_without_answer_file(raw: Path) -> None:
    (raw / "waves/2019/schoolbesturen.sav").unlink()


def wave_without_answer_files(raw: Path) -> None:
    for path in (raw / "waves/2019").glob("*.sav"):
        path.unlink()


def unreadable_population_csv(raw: Path) -> None:
    (raw / "population/2019/basisscholen.csv").write_bytes(b'variable,category,count\n"unterminated,1,2\n\xff\xfe')


def first_id_of(raw: Path, group: str) -> str:
    data, _ = pyreadstat.read_sav(str(raw / "waves/2019" / f"{group}.sav"))
    return id_text(data["respondent_id"].iloc[0])


# (make the bad input, wave to load, file named in the message, substrings of the problem)
BAD_INPUTS = {
    "unreadable sav": (garbage_sav, "2019", "waves/2019/basisscholen.sav", ["not a readable SPSS .sav file"]),
    "no respondent_id": (no_respondent_id, "2019", "waves/2019/basisscholen.sav", ["no 'respondent_id' variable"]),
    "duplicate respondent_id": (
        duplicate_respondent_id,
        "2019",
        "waves/2019/kov_organisaties.sav",
        ["'respondent_id' is not unique", "['4242']", "occur more than once"],
    ),
    "empty respondent_id": (
        empty_respondent_id,
        "2019",
        "waves/2019/schoolbesturen.sav",
        ["'respondent_id' is empty in rows [3]"],
    ),
    "text variable": (
        text_variable,
        "2019",
        "waves/2019/kov_besturen.sav",
        ["variable 'opmerking' is text", "expected numeric codes", "make codebook WAVE=2019"],
    ),
    "unexpected answer file name": (
        unexpected_file_name,
        "2019",
        "waves/2019/basisschool.sav",
        ["unexpected file", "basisscholen.sav"],
    ),
    "unexpected population file name": (
        unexpected_population_file_name,
        "2019",
        "population/2019/basisscholen.txt",
        ["unexpected file", "basisscholen.csv"],
    ),
    "wave folder not named by a year": (
        wave_not_named_by_year,
        "latest",
        "waves/latest",
        ["a wave folder must be named by its year"],
    ),
    "population wrong columns": (
        population_wrong_columns,
        "2019",
        "population/2019/basisscholen.csv",
        ["columns are ['variable', 'code', 'count']", "expected ['variable', 'category', 'count']"],
    ),
    "unreadable population csv": (
        unreadable_population_csv,
        "2019",
        "population/2019/basisscholen.csv",
        ["not a readable CSV file"],
    ),
    "population count not numeric": (
        population_count_not_numeric,
        "2019",
        "population/2019/basisscholen.csv",
        ["column 'count' is not numeric in rows [3]"],
    ),
    "population count zero": (
        population_count_zero,
        "2019",
        "population/2019/schoolbesturen.csv",
        ["counts must be positive", "[2]"],
    ),
    "population count negative": (
        population_count_negative,
        "2019",
        "population/2019/schoolbesturen.csv",
        ["counts must be positive", "[4]"],
    ),
    "population category listed twice": (
        population_category_listed_twice,
        "2019",
        "population/2019/schoolbesturen.csv",
        ["category 2 of 'bestuursgrootte' is listed twice"],
    ),
    "population file without rows": (
        population_without_rows,
        "2019",
        "population/2019/schoolbesturen.csv",
        ["no rows"],
    ),
    "population category without respondents": (
        population_category_without_respondents,
        "2019",
        "population/2019/basisscholen.csv",
        ["category ['3'] of 'stedelijkheid' has no respondents to weight"],
    ),
    "sav stratum code missing from population": (
        stratum_code_missing_from_population,
        "2019",
        "population/2019/schoolbesturen.csv",
        ["'bestuursgrootte' has codes ['3'] in schoolbesturen.sav", "does not list"],
    ),
    "stratification variable missing for a respondent": (
        stratification_missing_for_a_respondent,
        "2019",
        "waves/2019/basisscholen.sav",
        ["stratification variable 'stedelijkheid' is missing for respondent {basisscholen}"],
    ),
    "stratification variable absent from sav": (
        stratification_variable_absent_from_sav,
        "2019",
        "population/2019/basisscholen.csv",
        ["stratification variable 'schoolgrootte' is not in basisscholen.sav"],
    ),
    "population totals disagree": (
        population_totals_disagree,
        "2019",
        "population/2019/kov_organisaties.csv",
        ["the variables disagree on the population total", "organisatiegrootte", "vve_aanbod"],
    ),
    "population file without answer file": (
        population_without_answer_file,
        "2019",
        "population/2019/schoolbesturen.csv",
        ["population file without an answer file waves/2019/schoolbesturen.sav"],
    ),
    "wave folder without sav files": (
        wave_without_answer_files,
        "2019",
        "waves/2019",
        ["no answer files", "basisscholen.sav"],
    ),
}

# The cases that also go through the Dagster ingest job and the whole pipeline: one answer-file and one
# population-file problem. The contract itself is a pure function (`wave_files.read_wave`), checked on
# every case above; these show that a refusal fails the run and leaves the warehouse and both published
# copies as they were.
THROUGH_THE_PIPELINE = {name: BAD_INPUTS[name] for name in ("duplicate respondent_id", "population count zero")}
