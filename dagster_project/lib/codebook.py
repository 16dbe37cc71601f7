"""The codebook: which raw variable of which wave and group holds which harmonised question item.

The codebook lives as dbt seeds in `dbt/seeds/` (so the warehouse can join on it); this module reads
the same files for Python code that needs them before dbt runs, such as the sample generator.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from dagster_project.lib.paths import SEEDS_DIR

QUESTION_TYPES = ("single", "multi", "grid", "numeric")

_ASKED_IF = re.compile(r"^\s*(?P<item>[a-z0-9_]+)\s+in\s+\((?P<codes>[0-9,\s]+)\)\s*$")


@dataclass(frozen=True)
class Routing:
    """Who is asked an item: those whose answer to `item_id` is one of `codes`."""

    item_id: str
    codes: tuple[int, ...]

    @classmethod
    def parse(cls, text: str | float | None) -> Routing | None:
        """Read the codebook's `asked_if` text (`<item_id> in (<code>, ...)`); empty means everyone."""
        if text is None or (isinstance(text, float) and pd.isna(text)) or not str(text).strip():
            return None
        match = _ASKED_IF.match(str(text))
        if not match:
            raise ValueError(f"asked_if '{text}' is not of the form '<item_id> in (<code>, ...)'")
        codes = tuple(int(code) for code in match["codes"].split(",") if code.strip())
        return cls(item_id=match["item"], codes=codes)


class Codebook:
    """Read-only view of the codebook seeds."""

    def __init__(self, seeds_dir: Path = SEEDS_DIR) -> None:
        self.seeds_dir = Path(seeds_dir)

    def _read(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.seeds_dir / f"{name}.csv", keep_default_na=False, na_values=[""])

    @cached_property
    def questions(self) -> pd.DataFrame:
        """One row per harmonised question."""
        return self._read("codebook_questions").set_index("question_id", drop=False)

    @cached_property
    def variables(self) -> pd.DataFrame:
        """One row per wave, group and raw variable, in questionnaire order."""
        return self._read("codebook_variables")

    @cached_property
    def answer_options(self) -> pd.DataFrame:
        """One row per question and harmonised answer code."""
        return self._read("codebook_answer_options")

    @cached_property
    def recodes(self) -> pd.DataFrame:
        """Raw code to harmonised code, per wave and question."""
        return self._read("codebook_recodes")

    @cached_property
    def excluded(self) -> pd.DataFrame:
        """Raw variables that are never loaded (open text, identifying, tool metadata), per wave and group."""
        return self._read("codebook_excluded_variables")

    def excluded_of(self, wave: int) -> dict[str, frozenset[str]]:
        """`{group: raw variables}` that the ingest drops from a wave's files before anything is written."""
        rows = self.excluded[self.excluded["wave"] == wave]
        return {
            str(group): frozenset(str(name) for name in names)
            for group, names in rows.groupby("respondent_group")["raw_variable"]
        }

    def waves(self) -> list[int]:
        """Every wave the codebook knows."""
        return sorted(int(wave) for wave in self.variables["wave"].unique())

    def variables_of(self, wave: int, group: str) -> pd.DataFrame:
        """The codebook rows of one wave and group, in questionnaire order."""
        rows = self.variables[(self.variables["wave"] == wave) & (self.variables["respondent_group"] == group)]
        return rows.reset_index(drop=True)

    def question_type(self, question_id: str) -> str:
        """`single`, `multi`, `grid` or `numeric`."""
        return str(self.questions.loc[question_id, "question_type"])

    def options_of(self, question_id: str) -> pd.DataFrame:
        """The harmonised answer options of a question, in sort order."""
        rows = self.answer_options[self.answer_options["question_id"] == question_id]
        return rows.sort_values("sort_order").reset_index(drop=True)

    def raw_code_of(self, wave: int, question_id: str) -> dict[int, int]:
        """Map harmonised answer code to the raw code a wave's files use for a question."""
        rows = self.recodes[(self.recodes["wave"] == wave) & (self.recodes["question_id"] == question_id)]
        return {int(row.answer_code): int(row.raw_code) for row in rows.itertuples(index=False)}
