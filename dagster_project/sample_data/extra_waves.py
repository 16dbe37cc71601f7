"""Extra synthetic waves after 2019 (2022, 2025, ...): 2019's questionnaire and calibration with a small drift.

A new wave needs codebook rows before the pipeline can read it (the codebook maps each wave's raw
variable names to items). `add_codebook_rows` writes them into a copy of the dbt seeds: the 2019 rows
under the new wave, exported with the wave's own variable names (`Q22_001`, ...) and 2019's raw
codes, with comparability grade A against the wave before. The generator then makes each extra wave from 2019's targets,
each answer distribution mixed a little more with the uniform one per wave, so that trends exist
without moving any figure far from the report.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from dagster_project.codebook.draft import Codebook as DraftCodebook
from dagster_project.codebook.draft import grade_wave
from dagster_project.codebook.seeds import add_rows
from dagster_project.lib.codebook import Codebook
from dagster_project.sample_data.calibration import BASE_WAVE, CalibrationTargets, ItemTarget
from dagster_project.sample_data.generator import DEFAULT_SEED, SampleGenerator

FIRST_EXTRA_WAVE = 2022
WAVE_INTERVAL = 3
# Share of each extra wave's answer distribution that moves towards uniform, per wave after 2019.
DRIFT_PER_WAVE = 0.01
# The waves the embedded sample has; extra waves come after them.
BASE_WAVE_COUNT = 2


def extra_waves(total_waves: int) -> list[int]:
    """The waves to add so that there are `total_waves` in all: 2022, 2025, ..."""
    return [FIRST_EXTRA_WAVE + WAVE_INTERVAL * n for n in range(max(0, total_waves - BASE_WAVE_COUNT))]


def add_codebook_rows(seeds: Path, waves: list[int]) -> None:
    """Append each wave's codebook rows to the seeds under `seeds`: 2019's, with the wave's variable names."""
    variables = pd.read_csv(seeds / "codebook_variables.csv", dtype=str, keep_default_na=False)
    recodes = pd.read_csv(seeds / "codebook_recodes.csv", dtype=str)
    base = variables[variables["wave"] == str(BASE_WAVE)]
    base_recodes = recodes[recodes["wave"] == str(BASE_WAVE)]
    new_variables, new_recodes = [variables], [recodes]
    for wave in waves:
        if str(wave) in set(variables["wave"]):
            continue
        rows = base.copy()
        rows["wave"] = str(wave)
        number = (rows.groupby("respondent_group").cumcount() + 1).map("{:03d}".format)
        rows["raw_variable"] = f"Q{wave % 100:02d}_" + number
        new_variables.append(rows)
        new_recodes.append(base_recodes.assign(wave=str(wave)))
    pd.concat(new_variables).to_csv(seeds / "codebook_variables.csv", index=False)
    pd.concat(new_recodes).to_csv(seeds / "codebook_recodes.csv", index=False)
    # Each extra wave asks 2019's questions in 2019's words: graded A against the wave before, as
    # `make codebook` grades them.
    codebook = DraftCodebook(seeds)
    for wave in waves:
        add_rows(seeds, "codebook_comparability", grade_wave(codebook, codebook.variables, [], wave))


class DriftingTargets(CalibrationTargets):
    """2019's targets for every wave after it, drifting towards uniform by DRIFT_PER_WAVE a wave."""

    def target(self, wave: int, group: str, item_id: str) -> ItemTarget:
        """The wave's target: unchanged up to 2019, then a little flatter each wave."""
        target = super().target(wave, group, item_id)
        if wave <= BASE_WAVE:
            return target
        drift = min(0.5, DRIFT_PER_WAVE * (wave - BASE_WAVE) / WAVE_INTERVAL)
        uniform = 1.0 / len(target.shares)
        shares = tuple((1 - drift) * share + drift * uniform for share in target.shares)
        return ItemTarget(target.item_id, target.question_id, target.codes, shares, target.base_n)


def generator_with_waves(
    seeds: Path, total_waves: int, seed: int = DEFAULT_SEED, scale: float = 1.0
) -> SampleGenerator:
    """A generator of `total_waves` waves whose codebook is read from `seeds` (with add_codebook_rows' rows).

    The extra waves have 2019's respondents per group; 2016 and 2019 come out as without extra waves.
    """
    waves = extra_waves(total_waves)
    codebook = Codebook(seeds)
    missing = [wave for wave in waves if wave not in codebook.waves()]
    if missing:
        raise ValueError(f"the codebook under {seeds} has no rows for waves {missing}: call add_codebook_rows first")
    generator = SampleGenerator(seed=seed, scale=scale, codebook=codebook)
    generator.targets = DriftingTargets(codebook, generator.reference)
    base_sizes = {group: n for (wave, group), n in generator.sizes.items() if wave == BASE_WAVE}
    generator.sizes.update({(wave, group): n for wave in waves for group, n in base_sizes.items()})
    # Waves the codebook knows beyond `total_waves` are left out.
    for wave in codebook.waves():
        if wave > BASE_WAVE and wave not in waves:
            for group in base_sizes:
                generator.sizes.pop((wave, group), None)
    return generator
