"""The published figures of the 2019 report, as transcribed under `data/report_2019/`.

One transcription serves two readers: the sample generator calibrates the synthetic waves to it, and
the tests check the generator and the warehouse against it. Every row cites where in the report it
stands, so a figure can be traced back to the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import pandas as pd

from dagster_project.lib.paths import DATA_DIR

# Each row cites its page of the report.
REPORT_2019_DIR = DATA_DIR / "report_2019"


def parse_codes(text: object) -> tuple[int, ...]:
    """Read a `;`-separated list of answer codes (`4;5`); empty for a mean."""
    if text is None or (isinstance(text, float) and pd.isna(text)) or str(text).strip() == "":
        return ()
    return tuple(int(code) for code in str(text).split(";"))


@dataclass(frozen=True)
class ReportReference:
    """Read-only access to the reference fixtures."""

    directory: Path = REPORT_2019_DIR

    def _read(self, name: str) -> pd.DataFrame:
        return pd.read_csv(self.directory / f"{name}.csv", keep_default_na=False, na_values=[""])

    @cached_property
    def shares(self) -> pd.DataFrame:
        """Every percentage of bijlage 2 with its base."""
        return self._read("published_shares")

    @cached_property
    def means(self) -> pd.DataFrame:
        """The published mean grades."""
        return self._read("published_means")

    @cached_property
    def changes(self) -> pd.DataFrame:
        """2016 figures the text states, with the 2019 figure and whether it calls the change significant."""
        frame = self._read("changes_2016_2019")
        frame["codes"] = frame["answer_codes"].map(parse_codes)
        return frame

    @cached_property
    def kindcentrum_differences(self) -> pd.DataFrame:
        """Where the report says kindcentra differ from the rest."""
        frame = self._read("kindcentrum_differences")
        frame["codes"] = frame["answer_codes"].map(parse_codes)
        return frame

    @cached_property
    def strata(self) -> pd.DataFrame:
        """Response and population counts per stratification category (bijlage 1)."""
        return self._read("bijlage1_strata")

    @cached_property
    def response(self) -> pd.DataFrame:
        """Sample size and response per group (bijlage 1)."""
        return self._read("bijlage1_response")
