"""Every SQL statement of the viewer, with its parameters: the one place the viewer talks to DuckDB.

Each statement is named and takes DuckDB named parameters (`$question_id`): whatever a user types or
picks reaches DuckDB as a value, never as SQL text. `fetch` opens the serving copy read-only for one
statement and closes it again, so a publication that swaps the file in is seen by the next fetch and
never waits for a reader.

No Streamlit here: the publish stage writes the tabellenrapport workbook through the same statements.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import duckdb
import pandas as pd

# Where the publish stage puts the serving copy when SERVING_PATH is not set (as in the pipeline).
DEFAULT_SERVING_PATH = Path(__file__).resolve().parents[1] / "data" / "published" / "serving.duckdb"


def serving_path() -> Path:
    """The serving copy: SERVING_PATH, or data/published/serving.duckdb of this checkout."""
    return Path(os.environ.get("SERVING_PATH") or DEFAULT_SERVING_PATH).expanduser().resolve()


# --------------------------------------------------------------------------------------------------
# The publication and the catalogue: every page

_COMMON = {
    # The newest publication: what every cached result is keyed on.
    "publication": """
        select publication_id, published_at, project_commit, is_synthetic_sample, quality_summary, n_changes
        from marts.publication
        order by publication_id desc
        limit 1
    """,
    "groups": """
        select respondent_group, label_nl, sort_order
        from codebook.labels_respondent_groups
        order by sort_order
    """,
    "waves": """
        select distinct wave from marts.report_shares order by wave
    """,
    "catalog": """
        select question_id, item_id, question_text, item_text, question_type, question_label, topic, chapter,
               respondent_groups, group_labels, waves, meaning_differs_between_groups, has_open_answer
        from marts.question_catalog
        order by chapter, topic, question_id, item_id
    """,
    # Accent-folded, lowercase search over the catalogue: the search text is folded the same way.
    "catalog_search": """
        select distinct question_id
        from marts.question_catalog
        where contains(search_text, lower(strip_accents($text)))
    """,
}

# --------------------------------------------------------------------------------------------------
# Overzicht

_OVERZICHT: dict[str, str] = {}

# --------------------------------------------------------------------------------------------------
# Vragen

_VRAGEN: dict[str, str] = {}

# --------------------------------------------------------------------------------------------------
# Trends

_TRENDS: dict[str, str] = {}

# --------------------------------------------------------------------------------------------------
# Kindcentra

_KINDCENTRA: dict[str, str] = {}

# --------------------------------------------------------------------------------------------------
# Samenwerkingsmodellen

_MODELLEN: dict[str, str] = {}

# --------------------------------------------------------------------------------------------------
# Methode en kwaliteit

_METHODE: dict[str, str] = {}

# --------------------------------------------------------------------------------------------------
# Tabellenrapport (the workbook the publish stage writes)

_TABELLENRAPPORT: dict[str, str] = {}


QUERIES: dict[str, str] = {
    **_COMMON,
    **_OVERZICHT,
    **_VRAGEN,
    **_TRENDS,
    **_KINDCENTRA,
    **_MODELLEN,
    **_METHODE,
    **_TABELLENRAPPORT,
}


def fetch(name: str, params: Mapping[str, object] | None = None, path: Path | None = None) -> pd.DataFrame:
    """Run statement `name` with its named parameters on a fresh read-only connection to the serving copy."""
    with duckdb.connect(str(path or serving_path()), read_only=True) as con:
        return con.execute(QUERIES[name], dict(params or {})).df()


def is_published(path: Path | None = None) -> bool:
    """Whether a serving copy exists to read (before the first `make run` there is none)."""
    return (path or serving_path()).exists()
