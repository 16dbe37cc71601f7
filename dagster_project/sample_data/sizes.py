"""How many respondents each synthetic wave and group has, and where that number comes from."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

WAVE_SIZES_PATH = Path(__file__).with_name("wave_sizes.csv")


def respondents_per_wave(path: Path = WAVE_SIZES_PATH) -> dict[tuple[int, str], int]:
    """`{(wave, group): respondents}`: 2019 from bijlage 1, 2016 assumed (the report gives none)."""
    frame = pd.read_csv(path)
    return {(int(row.wave), str(row.respondent_group)): int(row.respondents) for row in frame.itertuples()}
