"""Which delivered variables must never be loaded: open text, identifying data and the tool's own metadata.

Judged from what the file says of a variable (its type, format, name and label), never from its
values, so that the draft reads no e-mail address or remark. A person confirms each proposal in the
review; what the seed `codebook_excluded_variables` lists is dropped by the ingest before anything
is written.
"""

from __future__ import annotations

import re

from dagster_project.codebook.wording import fold

OPEN_TEXT = "open text"
IDENTIFYING = "identifying"
TOOL_METADATA = "tool metadata"
REASONS = (OPEN_TEXT, IDENTIFYING, TOOL_METADATA)

# SPSS formats of dates, times and durations (DATE11, ADATE10, DATETIME20, TIME8, DTIME, ...).
_DATE_FORMAT = re.compile(r"^(DATE|ADATE|EDATE|JDATE|SDATE|QYR|MOYR|WKYR|DATETIME|YMDHMS|TIME|DTIME|MTIME|WKDAY|MONTH)")
_CASE_CHANGE = re.compile(r"(?<=[a-z])(?=[A-Z])")
# Words (folded name or label) that identify a person or an organisation.
_IDENTIFYING = re.compile(
    r"\b(e ?mail\w*|mail ?adres\w*|email\w*|naam|namen|voornaam|achternaam|name|firstname|lastname|"
    r"telefoon\w*|telefoonnummer|tel ?nr|mobiel\w*|phone\w*|postcode\w*|zip ?code|zip|brin\w*|"
    r"ip ?adres|ip ?address|ipaddress|ip|adres|address|straat\w*|huisnummer|woonplaats|"
    r"latitude|longitude|locationlatitude|locationlongitude|geolocatie)\b"
)
# Words of the survey tool's own bookkeeping.
_TOOL_METADATA = re.compile(
    r"\b(start ?date|end ?date|startdate|enddate|submit ?date|submitdate|datestamp|recorded ?date|"
    r"recordeddate|datum|tijdstip|duration\w*|progress|finished|status|response ?type|"
    r"distribution ?channel|distributionchannel|user ?language|userlanguage|startlanguage|lastpage|seed|"
    r"token|external ?reference|externalreference|interviewtime|q ?total ?duration|browser\w*|device\w*|"
    r"useragent|response ?id|responseid)\b"
)
# The same bookkeeping as a tool labels it in Dutch; only these phrases count in a label, since a
# question may well speak of a status or a date.
_TOOL_METADATA_LABEL = re.compile(
    r"\b(ingevuld op|invuldatum|datum van invullen|tijdstip van invullen|invulduur|duur in seconden)\b"
)


def exclusion_reason(name: str, label: str, spss_format: str, is_text: bool) -> str | None:
    """Why a variable must not be loaded, or None when it may be.

    Identifying wins over the rest (an e-mail column is text too); then dates, times and the tool's
    own bookkeeping; then any other text (open remarks).
    """
    # `StartDate` and `IPAddress` read as words too: split where case changes.
    name_words = f"{fold(name)} {fold(_CASE_CHANGE.sub(' ', name))}"
    if _IDENTIFYING.search(f"{name_words} {fold(label)}"):
        return IDENTIFYING
    if (
        _DATE_FORMAT.match(spss_format.upper())
        or _TOOL_METADATA.search(name_words)
        or _TOOL_METADATA_LABEL.search(fold(label))
    ):
        return TOOL_METADATA
    if is_text:
        return OPEN_TEXT
    return None
