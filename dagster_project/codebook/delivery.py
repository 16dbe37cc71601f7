"""What a wave's delivered `.sav` files say of their variables, for the draft.

Names, positions, variable labels, value labels, SPSS formats, declared user-missing values, the file
label and, for the numeric variables only, which codes occur. Text and date variables are described
from the file's dictionary alone: their values are never read, so no e-mail address or remark passes
through the draft.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dagster_project.codebook.exclusions import exclusion_reason
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.wave_files import ID_COLUMN, POPULATION_COLUMNS


@dataclass(frozen=True)
class DeliveredVariable:
    """One variable of a delivered file, as its dictionary describes it."""

    group: str
    name: str
    position: int  # 1-based, in the file's order
    label: str
    value_labels: dict[float, str]
    spss_format: str
    is_text: bool
    user_missing: tuple[str, ...]  # the declared missing values or ranges, as text
    codes: tuple[float, ...] = ()  # the codes that occur (numeric variables), user-missing left out
    exclusion: str | None = None  # why it must never be loaded, when it must not


@dataclass(frozen=True)
class DeliveredFile:
    """One group's file of the wave: its variables in order, and the stratification variables."""

    group: str
    path: Path
    file_label: str
    variables: tuple[DeliveredVariable, ...]
    stratification: frozenset[str] = field(default_factory=frozenset)

    def position_fraction(self, variable: DeliveredVariable) -> float:
        """A variable's place in the file from 0 to 1."""
        return (variable.position - 1) / max(1, len(self.variables) - 1)


def _missing_text(ranges: list[dict]) -> tuple[str, ...]:
    texts = []
    for entry in ranges:
        low, high = entry["lo"], entry["hi"]
        texts.append(f"{low:g}" if low == high else f"{low:g} thru {high:g}")
    return tuple(texts)


def read_delivered_file(group: str, path: Path, stratification: frozenset[str]) -> DeliveredFile:
    """Describe one `.sav` file: its dictionary, and the codes its numeric variables use."""
    import pyreadstat

    _, meta = pyreadstat.read_sav(str(path), metadataonly=True, user_missing=True)
    types = meta.readstat_variable_types
    formats = meta.original_variable_types
    labels = meta.column_names_to_labels
    missing = meta.missing_ranges
    text_or_date = {
        name
        for name in meta.column_names
        if types.get(name) == "string" or exclusion_reason(name, "", formats.get(name, ""), False) is not None
    }
    numeric = [name for name in meta.column_names if name not in text_or_date]
    # Declared user-missing values come back as NaN, as SPSS treats them (user_missing=False).
    data, _ = pyreadstat.read_sav(str(path), usecols=numeric, user_missing=False)

    variables = []
    for position, name in enumerate(meta.column_names, start=1):
        label = labels.get(name) or ""
        is_text = types.get(name) == "string"
        spss_format = formats.get(name, "")
        codes: tuple[float, ...] = ()
        if name in data.columns and pd.api.types.is_numeric_dtype(data[name]):
            codes = tuple(sorted(float(code) for code in data[name].dropna().unique()))
        variables.append(
            DeliveredVariable(
                group=group,
                name=name,
                position=position,
                label=label.strip(),
                value_labels={
                    float(code): str(text) for code, text in meta.variable_value_labels.get(name, {}).items()
                },
                spss_format=spss_format,
                is_text=is_text,
                user_missing=_missing_text(missing.get(name, [])),
                codes=codes,
                exclusion=None if name == ID_COLUMN else exclusion_reason(name, label, spss_format, is_text),
            )
        )
    return DeliveredFile(group, path, str(meta.file_label or ""), tuple(variables), stratification)


def stratification_variables(raw_dir: Path, wave: str, group: str) -> frozenset[str]:
    """The variables the group's population file weights on (this wave's file, else the newest earlier one)."""
    population_root = raw_dir / "population"
    candidates = [population_root / wave / f"{group}.csv"]
    if population_root.is_dir():
        earlier = sorted((p for p in population_root.iterdir() if p.is_dir() and p.name < wave), reverse=True)
        candidates += [folder / f"{group}.csv" for folder in earlier]
    for path in candidates:
        if path.is_file():
            frame = pd.read_csv(path)
            if list(frame.columns) == POPULATION_COLUMNS:
                return frozenset(str(name) for name in frame["variable"].unique())
    return frozenset()


def read_delivery(raw_dir: Path, wave: str) -> list[DeliveredFile]:
    """Every group's file of the wave under `raw_dir/waves/<wave>/`, in the groups' order."""
    wave_dir = raw_dir / "waves" / wave
    if not wave_dir.is_dir():
        raise FileNotFoundError(f"{wave_dir}: no such wave folder; drop the files as waves/{wave}/<group>.sav")
    files = []
    for group in RESPONDENT_GROUPS:
        path = wave_dir / f"{group}.sav"
        if path.is_file():
            files.append(read_delivered_file(group, path, stratification_variables(raw_dir, wave, group)))
    if not files:
        raise FileNotFoundError(f"{wave_dir}: no answer files; expected one or more of {list(RESPONDENT_GROUPS)} .sav")
    return files
