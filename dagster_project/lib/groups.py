"""The four respondent groups of the monitor, each with its own questionnaire.

The groups and their order are a dbt var (`respondent_groups`, read through `settings`); their labels
are data, the seed `dbt/seeds/labels_respondent_groups.csv`, which the marts join for `group_label`.
"""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from dagster_project.lib.paths import SEEDS_DIR
from publication.settings import RESPONDENT_GROUPS as _GROUPS

# Order is the report's order; file names in the input contract are these names plus `.sav`.
RESPONDENT_GROUPS: tuple[str, ...] = _GROUPS

LABELS_SEED = SEEDS_DIR / "labels_respondent_groups.csv"
LANGUAGES = ("nl", "en")


@cache
def group_labels(language: str = "nl", path: Path = LABELS_SEED) -> dict[str, str]:
    """Label of every respondent group in `language` (nl: as the 2019 report prints it, en), in group order."""
    if language not in LANGUAGES:
        raise ValueError(f"no labels in {language!r}; the seed has {', '.join(LANGUAGES)}")
    with path.open(encoding="utf-8", newline="") as handle:
        rows = sorted(csv.DictReader(handle), key=lambda row: int(row["sort_order"]))
    labels = {row["respondent_group"]: row[f"label_{language}"] for row in rows}
    if tuple(labels) != RESPONDENT_GROUPS:
        raise ValueError(f"{path}: groups {list(labels)} do not match the respondent groups {list(RESPONDENT_GROUPS)}")
    return labels
