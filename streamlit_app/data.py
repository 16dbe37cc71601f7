"""The viewer's cache over `queries.fetch`: results kept per publication, so a new one shows without a restart.

`publication()` is asked on every rerun (one small query); every other result is cached under the
publication id it was read from, so a rerun after a new publication reads afresh while the old
entries age out. A reader never holds a connection open between reruns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from publication import locations, queries


def publication() -> dict | None:
    """The newest publication of the serving copy, or None before the first one."""
    if not queries.is_published():
        return None
    rows = queries.fetch("publication")
    return None if rows.empty else rows.iloc[0].to_dict()


@st.cache_data(show_spinner=False, max_entries=512)
def _cached(path: str, publication_id: int, name: str, params: tuple[tuple[str, object], ...]) -> pd.DataFrame:
    # publication_id is not used in the body: with the path, it is what keys the cache.
    return queries.fetch(name, dict(params), Path(path))


def frame(publication_id: int, name: str, **params: object) -> pd.DataFrame:
    """Statement `name` of `queries.QUERIES` with its named parameters, cached for this publication."""
    frozen = tuple(sorted((key, tuple(value) if isinstance(value, list) else value) for key, value in params.items()))
    return _cached(str(locations.serving_path()), int(publication_id), name, frozen).copy()


def setting(publication_id: int, name: str) -> str:
    """One constant the published figures were made with (marts.warehouse_settings), as text."""
    settings = frame(publication_id, "settings").set_index("setting")["setting_value"]
    return str(settings[name])
