"""What every page shows the same way: the banner, tables with their CSV download, notes on bases."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd
import streamlit as st

from publication import texts
from publication.base_policy import STATUS_COLUMN, apply_base_policy


def banner(publication: Mapping) -> None:
    """The synthetic-sample warning (when it applies) and which publication is shown."""
    if publication.get("is_synthetic_sample"):
        st.warning(f"**{texts.SYNTHETIC_TITLE}** {texts.SYNTHETIC_BODY}", icon="⚠️")
    published_at = pd.Timestamp(publication["published_at"]).strftime("%d-%m-%Y %H:%M")
    quality = texts.dutch_quality_summary(publication["n_checks"], publication["n_errors"], publication["n_warnings"])
    st.caption(f"Publicatie {publication['publication_id']} van {published_at} · {quality}")


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV as Dutch spreadsheet programs open it: semicolons, decimal comma, UTF-8 with a byte-order mark."""
    return frame.to_csv(index=False, sep=";", decimal=",").encode("utf-8-sig")


def table(
    frame: pd.DataFrame,
    *,
    name: str,
    columns: Mapping[str, str],
    base_column: str | Sequence[str],
    value_columns: Sequence[str],
    key: str | None = None,
    column_config: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Show `frame` under the small-base policy, with Dutch headers, and offer the same rows as CSV.

    `columns` maps the frame's columns to their Dutch headers, in the order shown. Returns what was shown.
    """
    policed = apply_base_policy(frame, base_column, value_columns)
    shown = policed[[*columns, STATUS_COLUMN]].rename(columns={**columns, STATUS_COLUMN: "Basis"})
    st.dataframe(shown, hide_index=True, column_config=dict(column_config or {}), key=key)
    st.download_button(
        "Download als CSV",
        data=csv_bytes(shown),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{key or name}",
        icon=":material/download:",
    )
    return shown


def current_publication() -> dict:
    """The publication app.py read for this run: every page runs under app.py, which stops when there is none."""
    return st.session_state["publication"]
