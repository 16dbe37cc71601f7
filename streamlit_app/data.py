"""The viewer's cache over `queries.fetch`: results kept per publication, so a new one shows without a restart.

The factsheet blocks' figures, formed from those results, are kept per publication too (`wave_figures`).

`publication()` is asked on every rerun (one small query); every other result is cached under the
publication id it was read from, so a rerun after a new publication reads afresh while the old
entries age out. A reader never holds a connection open between reruns.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from publication import factsheet_blocks, locations, queries


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


def _frozen(params: dict[str, object]) -> tuple[tuple[str, object], ...]:
    """Named parameters as a cache key: sorted, lists as tuples."""
    return tuple(sorted((key, tuple(value) if isinstance(value, list) else value) for key, value in params.items()))


def frame(publication_id: int, name: str, **params: object) -> pd.DataFrame:
    """Statement `name` of `queries.QUERIES` with its named parameters, cached for this publication."""
    return _cached(str(locations.serving_path()), int(publication_id), name, _frozen(params)).copy()


def setting(publication_id: int, name: str) -> str:
    """One constant the published figures were made with (marts.warehouse_settings), as text."""
    settings = frame(publication_id, "settings").set_index("setting")["setting_value"]
    return str(settings[name])


@st.cache_data(show_spinner=False, max_entries=64)
def _cached_wave_figures(path: str, publication_id: int, wave: int) -> dict[str, pd.DataFrame]:
    def fetch(name: str, **params: object) -> pd.DataFrame:
        return _cached(path, publication_id, name, _frozen(params))

    return factsheet_blocks.wave_figures(fetch, wave)


def wave_figures(publication_id: int, wave: int) -> dict[str, pd.DataFrame]:
    """Every factsheet block's bars for a wave (`factsheet_blocks.wave_figures`), computed once per publication.

    The Overzicht page shows them on every rerun: forming them from the published rows took about a
    third of its 0.7 s.
    """
    return _cached_wave_figures(str(locations.serving_path()), int(publication_id), int(wave))
