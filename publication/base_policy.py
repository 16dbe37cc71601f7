"""The one small-base policy of every chart, table and download of the viewer and the workbook.

A figure resting on fewer than 10 respondents is not shown (its value is blanked, its row kept so a
reader sees that something was asked); one on fewer than 30 is shown with a warning mark. The 30 is
the warehouse's own small-base threshold (dbt var `small_base`, the `is_small_base` flag of the marts),
read from `settings`; the 10 is the viewer's and the workbook's own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from publication.settings import SMALL_BASE

HIDE_BELOW = 10
MARK_BELOW = SMALL_BASE
STATUS_COLUMN = "basis"
HIDDEN = f"verborgen (basis < {HIDE_BELOW})"
MARKED = f"⚠ kleine basis (< {MARK_BELOW})"
POLICY_TEXT = (
    f"Een percentage, gemiddelde of toets die rust op minder dan {HIDE_BELOW} respondenten tonen we niet; "
    f"rust die op minder dan {MARK_BELOW} respondenten, dan staat er een waarschuwing bij ({MARKED}). "
    "De basis is het aantal respondenten dat de vraag beantwoordde; bij een vergelijking telt de kleinste kant."
)


def apply_base_policy(
    frame: pd.DataFrame, base_column: str | Sequence[str], value_columns: Sequence[str]
) -> pd.DataFrame:
    """A copy of `frame` with values on a base under 10 blanked and a `basis` column saying why.

    `base_column` names the base, or several (a comparison of two sides), of which the smallest counts.
    Rows stay: a table still lists the hidden answer, a chart leaves it out (see `visible`).
    """
    columns = [base_column] if isinstance(base_column, str) else list(base_column)
    out = frame.copy()
    base = out[columns].min(axis=1)
    hidden = (base < HIDE_BELOW).to_numpy()
    marked = (base < MARK_BELOW).to_numpy() & ~hidden
    for column in value_columns:
        out[column] = out[column].astype("float64") if out[column].dtype.kind in "iub" else out[column]
        out.loc[hidden, column] = np.nan
    out[STATUS_COLUMN] = np.select([hidden, marked], [HIDDEN, MARKED], default="")
    return out


def visible(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows a chart draws: those the policy did not hide."""
    return frame[frame[STATUS_COLUMN] != HIDDEN]
