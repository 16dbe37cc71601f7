"""Dutch texts that the viewer and the workbook both show, so they say the same thing in both.

No Streamlit here: the workbook is written by the publish stage, outside any Streamlit session.
"""

from __future__ import annotations

import re

SYNTHETIC_TITLE = "Let op: synthetische gegevens."
SYNTHETIC_BODY = (
    "Deze cijfers komen uit de ingebouwde synthetische steekproef van het project, niet uit de echte meting. "
    "Ze lijken op het rapport van 2019 maar zeggen niets over scholen of kinderopvang."
)
SYNTHETIC_TEXT = f"{SYNTHETIC_TITLE} {SYNTHETIC_BODY}"

# The publication log writes its quality summary in English (for data engineers): `12 checks: 0 errors, 1 warnings`.
_QUALITY_SUMMARY = re.compile(r"(\d+) checks: (\d+) errors, (\d+) warnings")


def dutch_quality_summary(summary: str) -> str:
    """The publication log's `N checks: E errors, W warnings` in Dutch; any other text as it is."""
    found = _QUALITY_SUMMARY.fullmatch(summary.strip()) if summary else None
    if not found:
        return summary
    checks, errors, warnings = (int(number) for number in found.groups())
    return (
        f"{checks} controles: {errors} {'fout' if errors == 1 else 'fouten'}, "
        f"{warnings} {'waarschuwing' if warnings == 1 else 'waarschuwingen'}"
    )
