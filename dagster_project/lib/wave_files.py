"""The input contract: find a wave's files, read them and refuse what does not fit, with reasons.

A data engineer adds a wave by dropping `waves/<wave>/<group>.sav` and `population/<wave>/<group>.csv`
under the raw folder. Everything here only reads: a wave is read and checked as a whole before the
warehouse is touched, so a bad file never replaces what was loaded before.

Variables the codebook seed `codebook_excluded_variables` lists (open text, identifying data, the
survey tool's own metadata) are left out when the file is read: their values are never read, so they
reach no table, log or copy. Declared user-missing values (SPSS's missing values, such as 99 "geen
antwoord") are read as missing, as SPSS treats them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.lib.codebook import Codebook
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.hashing import sha256_of

WAVE_NAME = re.compile(r"^\d{4}$")
ID_COLUMN = "respondent_id"
POPULATION_COLUMNS = ["variable", "category", "count"]
# SPSS formats of dates and times: pyreadstat turns such a variable into timestamps, not codes.
_DATE_FORMATS = ("DATE", "ADATE", "EDATE", "JDATE", "SDATE", "QYR", "MOYR", "WKYR", "DATETIME", "YMDHMS", "TIME",
                 "DTIME", "MTIME", "WKDAY", "MONTH")  # fmt: skip


class InputContractError(ValueError):
    """A file of a wave does not meet the input contract; the message names the file and the problem."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = str(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclass(frozen=True)
class SourceFile:
    """A file as read: where it was and its content hash, for provenance."""

    path: Path
    sha256: str


@dataclass(frozen=True)
class GroupFile:
    """One group's answer file of a wave, read and checked."""

    group: str
    source: SourceFile
    data: pd.DataFrame  # respondent_id as text, every other variable as float
    variable_labels: dict[str, str]
    value_labels: dict[str, dict[float, str]]
    population: pd.DataFrame | None  # variable, category, count; None when the group is not weighted
    population_source: SourceFile | None


@dataclass(frozen=True)
class WaveFiles:
    """Every file of one wave."""

    wave: int
    groups: tuple[GroupFile, ...]


def discover_waves(raw_dir: Path) -> list[str]:
    """Wave folders under `waves/`, whatever their names; names are checked when a wave is read."""
    waves_dir = raw_dir / "waves"
    if not waves_dir.is_dir():
        return []
    return sorted(entry.name for entry in waves_dir.iterdir() if entry.is_dir() and not entry.name.startswith("."))


def wave_fingerprint(raw_dir: Path, wave: str) -> str:
    """A hash over the names and contents of a wave's files and its excluded variables.

    It changes when any file changes, and when a person excludes a variable of the wave: a wave refused
    for a text column loads once that column is excluded, without touching the files.
    """
    digest = hashlib.sha256()
    if WAVE_NAME.match(wave):
        for group, names in sorted(Codebook().excluded_of(int(wave)).items()):
            digest.update(f"excluded {group}: {sorted(names)}\n".encode())
    for folder in (raw_dir / "waves" / wave, raw_dir / "population" / wave):
        if folder.is_dir():
            for path in sorted(folder.iterdir()):
                if path.is_file():
                    digest.update(f"{folder.parent.name}/{path.name}:{sha256_of(path)}\n".encode())
    return digest.hexdigest()


def read_wave(raw_dir: Path, wave: str, excluded: dict[str, frozenset[str]] | None = None) -> WaveFiles:
    """Read and check every file of a wave; raise `InputContractError` at the first problem.

    `excluded` names, per group, the variables to leave out; by default the codebook seed's rows of
    the wave (`codebook_excluded_variables`).
    """
    if not WAVE_NAME.match(wave):
        raise InputContractError(raw_dir / "waves" / wave, "a wave folder must be named by its year, like 2019")
    wave_dir = raw_dir / "waves" / wave
    if not wave_dir.is_dir():
        raise InputContractError(wave_dir, "no such wave folder")
    population_dir = raw_dir / "population" / wave

    answer_files = _expected_files(wave_dir, ".sav")
    population_files = _expected_files(population_dir, ".csv") if population_dir.is_dir() else {}
    if not answer_files:
        raise InputContractError(wave_dir, f"no answer files; expected one or more of {_expected_names('.sav')}")
    orphans = sorted(set(population_files) - set(answer_files))
    if orphans:
        raise InputContractError(
            population_files[orphans[0]],
            f"population file without an answer file waves/{wave}/{orphans[0]}.sav",
        )

    if excluded is None:
        excluded = Codebook().excluded_of(int(wave))
    groups = []
    for group in RESPONDENT_GROUPS:
        if group not in answer_files:
            continue
        groups.append(
            _read_group(group, answer_files[group], population_files.get(group), excluded.get(group, frozenset()))
        )
    return WaveFiles(wave=int(wave), groups=tuple(groups))


def _expected_names(suffix: str) -> str:
    return ", ".join(f"{group}{suffix}" for group in RESPONDENT_GROUPS)


def _expected_files(folder: Path, suffix: str) -> dict[str, Path]:
    """Files of a folder by group; anything else in it is refused rather than silently skipped."""
    found: dict[str, Path] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.is_dir():
            continue
        if path.suffix.lower() != suffix or path.stem not in RESPONDENT_GROUPS:
            raise InputContractError(path, f"unexpected file; expected only {_expected_names(suffix)}")
        found[path.stem] = path
    return found


def _read_group(group: str, sav_path: Path, population_path: Path | None, excluded: frozenset[str]) -> GroupFile:
    import pyreadstat  # only where a file is actually read

    try:
        _, dictionary = pyreadstat.read_sav(str(sav_path), metadataonly=True)
        kept = [name for name in dictionary.column_names if name not in excluded]
        _refuse_text_and_dates(sav_path, dictionary, kept)
        # Excluded variables are not read at all; declared user-missing values come back as NaN.
        data, meta = pyreadstat.read_sav(str(sav_path), usecols=kept, user_missing=False)
    except InputContractError:
        raise
    except Exception as error:  # pyreadstat raises its own ReadstatError and plain OSErrors
        raise InputContractError(sav_path, f"not a readable SPSS .sav file ({error})") from error

    if ID_COLUMN not in data.columns:
        raise InputContractError(sav_path, f"no '{ID_COLUMN}' variable")
    ids = data[ID_COLUMN]
    if ids.isna().any():
        rows = (np.flatnonzero(ids.isna().to_numpy())[:5] + 1).tolist()
        raise InputContractError(sav_path, f"'{ID_COLUMN}' is empty in rows {rows}")
    ids = ids.map(_id_text)
    duplicated = ids[ids.duplicated()].unique()
    if len(duplicated):
        raise InputContractError(sav_path, f"'{ID_COLUMN}' is not unique: {list(duplicated[:5])} occur more than once")
    if data.empty:
        raise InputContractError(sav_path, "the file has no respondents")

    columns = {ID_COLUMN: ids}
    for name in data.columns:
        if name == ID_COLUMN:
            continue
        columns[name] = data[name].astype(float)
    frame = pd.DataFrame(columns)

    population = None
    population_source = None
    if population_path is not None:
        population = _read_population(population_path, frame, sav_path)
        population_source = SourceFile(population_path, sha256_of(population_path))
    return GroupFile(
        group=group,
        source=SourceFile(sav_path, sha256_of(sav_path)),
        data=frame,
        variable_labels={
            str(k): str(v) for k, v in meta.column_names_to_labels.items() if v is not None and k in frame.columns
        },
        value_labels={
            str(k): {float(code): str(label) for code, label in v.items()}
            for k, v in meta.variable_value_labels.items()
            if k in frame.columns
        },
        population=population,
        population_source=population_source,
    )


def _refuse_text_and_dates(sav_path: Path, dictionary, kept: list[str]) -> None:
    """Refuse a text or date variable that the codebook does not exclude: answers are numeric codes."""
    for name in kept:
        if name == ID_COLUMN:
            continue
        spss_format = str(dictionary.original_variable_types.get(name, "")).upper()
        if dictionary.readstat_variable_types.get(name) == "string":
            kind = "text"
        elif spss_format.startswith(_DATE_FORMATS):
            kind = f"a date or time ({spss_format})"
        else:
            continue
        wave = sav_path.parent.name
        raise InputContractError(
            sav_path,
            f"variable '{name}' is {kind}; expected numeric codes. Open text, identifying and tool variables are "
            f"left out by listing them in dbt/seeds/codebook_excluded_variables.csv: `make codebook WAVE={wave}` "
            f"drafts that list from the files (docs/new_wave.md)",
        )


def _id_text(value: object) -> str:
    """Respondent ids as text; whole numbers without a trailing `.0`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _read_population(path: Path, answers: pd.DataFrame, sav_path: Path) -> pd.DataFrame:
    try:
        population = pd.read_csv(path)
    except Exception as error:
        raise InputContractError(path, f"not a readable CSV file ({error})") from error
    if list(population.columns) != POPULATION_COLUMNS:
        raise InputContractError(path, f"columns are {list(population.columns)}; expected {POPULATION_COLUMNS}")
    if population.empty:
        raise InputContractError(path, "no rows; leave the file out for a group that is not weighted")
    for column in ("category", "count"):
        values = pd.to_numeric(population[column], errors="coerce")
        bad = population.index[values.isna()].tolist()
        if bad:
            raise InputContractError(path, f"column '{column}' is not numeric in rows {[i + 2 for i in bad[:5]]}")
        population[column] = values
    nonpositive = population.index[population["count"] <= 0].tolist()
    if nonpositive:
        raise InputContractError(path, f"counts must be positive; rows {[i + 2 for i in nonpositive[:5]]} are not")
    duplicated = population[population.duplicated(["variable", "category"])]
    if not duplicated.empty:
        first = duplicated.iloc[0]
        raise InputContractError(path, f"category {first['category']:g} of '{first['variable']}' is listed twice")

    totals = population.groupby("variable", sort=False)["count"].sum()
    if totals.nunique() > 1:
        raise InputContractError(path, f"the variables disagree on the population total: {totals.to_dict()}")
    for variable, rows in population.groupby("variable", sort=False):
        if variable not in answers.columns:
            raise InputContractError(path, f"stratification variable '{variable}' is not in {sav_path.name}")
        values = answers[variable]
        if values.isna().any():
            first = answers.loc[values.isna(), ID_COLUMN].iloc[0]
            raise InputContractError(
                sav_path, f"stratification variable '{variable}' is missing for respondent {first}"
            )
        unknown = sorted(set(values.unique()) - set(rows["category"]))
        if unknown:
            raise InputContractError(
                path,
                f"'{variable}' has codes {[f'{code:g}' for code in unknown]} in {sav_path.name} that the population "
                f"file does not list",
            )
        empty = sorted(set(rows["category"]) - set(values.unique()))
        if empty:
            raise InputContractError(
                path,
                f"category {[f'{code:g}' for code in empty]} of '{variable}' has no respondents to weight",
            )
    return population.astype({"category": float, "count": float})
