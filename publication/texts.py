"""Dutch texts that the viewer and the workbook both show, so they say the same thing in both.

No Streamlit here: the workbook is written by the publish stage, outside any Streamlit session.
"""

from __future__ import annotations

import math

SYNTHETIC_TITLE = "Let op: synthetische gegevens."
SYNTHETIC_BODY = (
    "Deze cijfers komen uit de ingebouwde synthetische steekproef van het project, niet uit de echte meting. "
    "Ze lijken op het rapport van 2019 maar zeggen niets over scholen of kinderopvang."
)
SYNTHETIC_TEXT = f"{SYNTHETIC_TITLE} {SYNTHETIC_BODY}"


def _count(value: object) -> int | None:
    """A count from the log, or None when the log has none (a publication logged before the column existed)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def dutch_quality_summary(checks: object, errors: object, warnings: object) -> str:
    """The quality evaluation's counts in Dutch (`12 controles: 0 fouten, 1 waarschuwing`); a dash when unknown."""
    counted = [_count(value) for value in (checks, errors, warnings)]
    if None in counted:
        return "–"
    checks, errors, warnings = counted
    return (
        f"{checks} controles: {errors} {'fout' if errors == 1 else 'fouten'}, "
        f"{warnings} {'waarschuwing' if warnings == 1 else 'waarschuwingen'}"
    )
