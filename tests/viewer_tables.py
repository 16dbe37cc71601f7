"""The viewer's Dutch text tables read back as numbers, so that tests compare them with the serving copy.

On screen every number is text with a decimal comma ("12,3"), no value is "–", an interval is one
column "12,3 – 15,6" and a tiny p-value is "< 0,001". `as_numbers` undoes that: numbers become floats,
"–" NaN, and each interval column two columns, "<header> van" and "<header> tot" (a header's trailing
" van het verschil" is dropped first). Text that is not a number stays text.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

NUMBER = re.compile(r"^-?\d+(,\d+)?$")
INTERVAL = re.compile(r"^(-?\d+(?:,\d+)?) – (-?\d+(?:,\d+)?)$")


def dutch(text: str) -> float:
    """One Dutch number ("12,3") as a float."""
    return float(text.replace(",", "."))


def _cell(value: object) -> object:
    if isinstance(value, str) and NUMBER.match(value):
        return dutch(value)
    if value == "–":
        return np.nan
    return value


def as_numbers(table: pd.DataFrame) -> pd.DataFrame:
    """The table with its Dutch numbers as floats and each interval split in two columns."""
    out = pd.DataFrame(index=table.index)
    for header in table.columns:
        column = table[header]
        texts = column.dropna().astype(str)
        if (
            "interval" in header
            and len(texts)
            and texts.map(lambda text: bool(INTERVAL.match(text)) or text == "–").all()
        ):
            base = header.replace(" van het verschil", "")
            bounds = column.map(lambda text: INTERVAL.match(text) if isinstance(text, str) else None)
            out[f"{base} van"] = [dutch(match.group(1)) if match else np.nan for match in bounds]
            out[f"{base} tot"] = [dutch(match.group(2)) if match else np.nan for match in bounds]
            continue
        converted = column.map(_cell)
        if converted.map(lambda value: isinstance(value, float)).all():
            converted = converted.astype("float64")
        out[header] = converted
    return out


def dutch_p(value: float) -> str:
    """A p-value as the page must show it."""
    return "< 0,001" if value < 0.001 else f"{value:.3f}".replace(".", ",")


def shown_p(value: float) -> object:
    """A p-value as `as_numbers` reads it back from the page: three decimals, or "< 0,001" when tiny."""
    return _cell(dutch_p(value))


def rounded(values: pd.Series, decimals: int) -> list[float]:
    """Values rounded as the page's text rounds them (Python's correctly rounded format)."""
    return [float(f"{value:.{decimals}f}") for value in values]
