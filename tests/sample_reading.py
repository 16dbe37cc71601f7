"""Read a sample folder back as harmonised answers with raking weights, for the generator's tests.

Deliberately independent of the generator's own structures: it goes through the files, the codebook
and the raking module only, as the pipeline does.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from dagster_project.lib.codebook import Codebook
from dagster_project.lib.raking import margins_from_population_frame, rake


@dataclass
class WaveGroup:
    """One wave and group as read from the files."""

    wave: int
    group: str
    answers: pd.DataFrame  # one column per item_id, harmonised codes
    raw: pd.DataFrame  # the file as read
    meta: object  # pyreadstat metadata
    weight: np.ndarray
    population: pd.DataFrame | None

    def weighted_share(self, item_id: str, codes: tuple[int, ...]) -> float:
        """Weighted share (0..1) of the codes among those who answered the item."""
        column = self.answers[item_id]
        answered = column.notna().to_numpy()
        chosen = column.isin(codes).to_numpy() & answered
        return float(self.weight[chosen].sum() / self.weight[answered].sum())

    def unweighted_share(self, item_id: str, codes: tuple[int, ...]) -> float:
        """Unweighted share (0..1) of the codes among those who answered the item."""
        column = self.answers[item_id].dropna()
        return float(column.isin(codes).mean())

    def base(self, item_id: str) -> int:
        """Respondents who answered the item."""
        return int(self.answers[item_id].notna().sum())

    def weighted_mean(self, item_id: str, mask: np.ndarray | None = None) -> float:
        """Weighted mean of an item's codes among those who answered (within the mask)."""
        column = self.answers[item_id]
        keep = column.notna().to_numpy() if mask is None else column.notna().to_numpy() & mask
        return float(np.average(column[keep], weights=self.weight[keep]))


def read_sample(root: Path, codebook: Codebook | None = None) -> dict[tuple[int, str], WaveGroup]:
    """Every wave and group under `root/waves`, harmonised through the codebook."""
    codebook = codebook or Codebook()
    result = {}
    for sav in sorted((root / "waves").glob("*/*.sav")):
        wave, group = int(sav.parent.name), sav.stem
        raw, meta = pyreadstat.read_sav(str(sav))
        variables = codebook.variables_of(wave, group)
        answers = {}
        for row in variables.itertuples(index=False):
            to_harmonised = {raw_code: code for code, raw_code in codebook.raw_code_of(wave, row.question_id).items()}
            answers[row.item_id] = raw[row.raw_variable].map(to_harmonised)
        population_path = root / "population" / str(wave) / f"{group}.csv"
        population = pd.read_csv(population_path) if population_path.exists() else None
        margins = margins_from_population_frame(population) if population is not None else {}
        weight = rake(raw, margins).weight
        result[(wave, group)] = WaveGroup(wave, group, pd.DataFrame(answers), raw, meta, weight, population)
    return result
