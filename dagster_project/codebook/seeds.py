"""The codebook seeds as the draft reads and extends them: rows are added, never changed.

A row whose key is already in a seed stays exactly as it is, whoever wrote it: a person's edit to a
drafted row survives every later draft. Files are read and written as text, so a seed that gains no
rows is written back byte for byte.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

# Each seed the draft extends, with the columns that identify a row.
SEED_KEYS: dict[str, tuple[str, ...]] = {
    "codebook_questions": ("question_id",),
    "codebook_variables": ("wave", "respondent_group", "raw_variable"),
    "codebook_answer_options": ("question_id", "answer_code"),
    "codebook_recodes": ("wave", "question_id", "raw_code"),
    "codebook_comparability": ("wave", "respondent_group", "item_id", "compared_with_wave"),
    "codebook_excluded_variables": ("wave", "respondent_group", "raw_variable"),
}


def read_seed(seeds_dir: Path, name: str) -> pd.DataFrame:
    """A seed as text columns (empty cells as empty strings)."""
    return pd.read_csv(seeds_dir / f"{name}.csv", dtype=str, keep_default_na=False)


def key_of(row: dict | pd.Series, name: str) -> tuple[str, ...]:
    """The key of a row of seed `name`, as text (codes as the seeds write them: `1`, not `1.0`)."""
    return tuple(_text(row[column]) for column in SEED_KEYS[name])


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class SeedChange:
    """What adding rows to one seed did."""

    seed: str
    added: int
    kept: int  # drafted rows whose key a seed row already had: the seed's row stays


def add_rows(seeds_dir: Path, name: str, rows: list[dict], write: bool = True) -> SeedChange:
    """Append the rows whose key the seed does not have yet; keep every existing row as it is."""
    existing = read_seed(seeds_dir, name)
    known = {key_of(row, name) for _, row in existing.iterrows()}
    new_rows, kept = [], 0
    for row in rows:
        key = key_of(row, name)
        if key in known:
            kept += 1
            continue
        known.add(key)
        new_rows.append({column: _text(row.get(column, "")) for column in existing.columns})
    if new_rows and write:
        frame = pd.concat([existing, pd.DataFrame(new_rows, columns=existing.columns)], ignore_index=True)
        frame.to_csv(seeds_dir / f"{name}.csv", index=False, lineterminator="\n")
    return SeedChange(name, len(new_rows), kept)
