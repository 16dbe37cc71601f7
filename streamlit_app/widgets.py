"""What every page shows the same way: the banner, tables with their CSV download, notes on bases."""

from __future__ import annotations

import math
import re
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


NO_VALUE = "–"
# A p-value below this is shown as "< 0,001": more decimals would suggest a precision the design lacks.
SMALLEST_P = 0.001


def is_missing(value: object) -> bool:
    """None, NaN and pandas' NA alike."""
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def dutch_number(value: object, decimals: int = 1) -> str:
    """A number with a decimal comma (`12,3`), or "–" when there is none."""
    if is_missing(value):
        return NO_VALUE
    return f"{float(value):.{decimals}f}".replace(".", ",") if decimals else f"{value:.0f}"


def dutch_p_value(value: object) -> str:
    """A p-value as a reader reads it: "< 0,001" when tiny, else three decimals with a comma; "–" when none."""
    if is_missing(value):
        return NO_VALUE
    return f"< {dutch_number(SMALLEST_P, 3)}" if float(value) < SMALLEST_P else dutch_number(value, 3)


def dutch_interval(low: object, high: object, decimals: int = 1) -> str:
    """An interval as "low – high" with decimal commas, or "–" when a bound is missing."""
    if is_missing(low) or is_missing(high):
        return NO_VALUE
    return f"{dutch_number(low, decimals)} – {dutch_number(high, decimals)}"


def file_name(*parts: object) -> str:
    """A download's file name from the page and its selection: lowercase words joined by underscores."""
    words = [re.sub(r"[^0-9a-z]+", "_", str(part).lower()).strip("_") for part in parts if str(part)]
    return "_".join(word for word in words if word)


def reading_help(page: str) -> None:
    """The "Hoe lees ik dit?" expander with the notions this page's figures use (texts.READING_HELP_PAGES)."""
    with st.expander(texts.READING_HELP_TITLE, icon=":material/help:"):
        st.markdown(texts.reading_help(page))


def dutch_table(
    frame: pd.DataFrame,
    *,
    name: str,
    columns: Mapping[str, str],
    base_column: str | Sequence[str],
    value_columns: Sequence[str],
    decimals: Mapping[str, int | str],
    p_values: Sequence[str] = (),
    counts: Sequence[str] = (),
    intervals: Mapping[str, tuple[str, str]] | None = None,
    key: str | None = None,
    column_config: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """Show `frame` under the small-base policy as Dutch text, and offer its numbers as CSV.

    On screen every number is text with a decimal comma (`decimals` per column; p-values as "< 0,001"), an
    interval one column "low – high", and no value a "–": Streamlit's table formats numbers printf-style,
    with a point. The CSV keeps numbers as numbers: counts as integers, each interval as two columns
    ("... van", "... tot"). `counts` names integer columns that a join made float; `intervals` maps a key
    of `columns` to the frame's low and high columns.
    `name` is the download's file name (see `file_name`). Returns what was shown.
    """
    intervals = dict(intervals or {})
    policed = apply_base_policy(frame, base_column, value_columns)
    integers = {column for column in frame if frame[column].dtype.kind in "iu"} | set(counts)
    screen, download = pd.DataFrame(index=policed.index), pd.DataFrame(index=policed.index)
    for column, header in columns.items():
        if column in intervals:
            low, high = intervals[column]
            places = decimals.get(column, 1)
            # A column name instead of a number: each row's own decimals (percent points and grade points).
            per_row = policed[places] if isinstance(places, str) else pd.Series(places, index=policed.index)
            screen[header] = [
                dutch_interval(lo, hi, int(row_places))
                for lo, hi, row_places in zip(policed[low], policed[high], per_row, strict=True)
            ]
            download[f"{header} van"] = policed[low]
            download[f"{header} tot"] = policed[high]
            continue
        values = policed[column]
        if column in p_values:
            screen[header] = values.map(dutch_p_value)
            download[header] = values
        elif column in decimals:
            screen[header] = values.map(lambda value, places=decimals[column]: dutch_number(value, places))
            download[header] = values.round(decimals[column])
        elif column in integers:
            screen[header] = values.map(lambda value: NO_VALUE if is_missing(value) else str(int(value)))
            download[header] = values.astype("Int64")
        else:
            screen[header] = values.map(lambda value: NO_VALUE if is_missing(value) else str(value))
            download[header] = values
    screen["Basis"] = download["Basis"] = policed[STATUS_COLUMN]
    st.dataframe(screen, hide_index=True, column_config=dict(column_config or {}), key=key)
    st.download_button(
        "Download als CSV",
        data=csv_bytes(download),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{key or name}",
        icon=":material/download:",
    )
    return screen


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
