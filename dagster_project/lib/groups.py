"""The four respondent groups of the monitor, each with its own questionnaire."""

from __future__ import annotations

# Order is the report's order; file names in the input contract are these names plus `.sav`.
RESPONDENT_GROUPS: tuple[str, ...] = (
    "basisscholen",
    "kov_organisaties",
    "schoolbesturen",
    "kov_besturen",
)

GROUP_LABELS_NL: dict[str, str] = {
    "basisscholen": "Basisscholen",
    "kov_organisaties": "Kinderopvangorganisaties",
    "schoolbesturen": "Schoolbesturen",
    "kov_besturen": "Besturen kinderopvang",
}
