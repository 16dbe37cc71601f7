"""Dutch texts that the viewer and the workbook both show, so they say the same thing in both.

No Streamlit here: the workbook is written by the publish stage, outside any Streamlit session.
"""

from __future__ import annotations

import math

import pandas as pd

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


# --------------------------------------------------------------------------------------------------
# Reading help, glossary and quality-check titles (viewer pages Vragen, Trends, Kindcentra,
# Samenwerkingsmodellen, Methode; reusable by the workbook and the factsheet)

READING_HELP_TITLE = "Hoe lees ik dit?"
# One short paragraph per notion a figure on a page may carry; a page shows the ones it uses.
READING_HELP = {
    "basis": (
        "**Basis (n)**: het aantal respondenten dat de vraag beantwoordde. Wie de vraag niet kreeg (routing) of "
        "niet beantwoordde, telt niet mee. De percentages zijn gewogen naar de populatie; de basis is een gewoon "
        "aantal respondenten."
    ),
    "markers": (
        "**▲ en ▼** staan bij een verschil dat significant is (p < 0,05): ▲ hoger, ▼ lager dan waarmee vergeleken "
        "wordt (de vorige meting, of bij Kindcentra de overige respondenten). Zonder teken is er geen aantoonbaar "
        "verschil; dat wil niet zeggen dat er geen verschil is."
    ),
    "interval": (
        "**Het 95%-interval** is de onzekerheidsmarge van een cijfer: de echte waarde ligt met 95% zekerheid "
        "tussen de twee grenzen. Hoe kleiner de basis, hoe breder het interval. In de grafieken is het de streep "
        "bij een balk of stip."
    ),
    "pale": (
        "**Een lichtere balk of stip** rust op minder dan 30 respondenten (⚠ kleine basis): lees hem met "
        "voorzichtigheid. Rust een cijfer op minder dan 10 respondenten, dan tonen we het niet."
    ),
    "adjusted": (
        "**Houdt stand na correctie**: het verschil blijft significant nadat de p-waarden zijn gecorrigeerd voor "
        "het grote aantal toetsen (Benjamini-Hochberg). Wie zeker wil zijn dat een verschil geen toevalstreffer "
        "is, kijkt naar deze kolom."
    ),
    "procentpunt": (
        "**Procentpunt**: het verschil tussen twee percentages. Van 30% naar 36% is 6 procentpunten (niet 6%)."
    ),
    "p_value": (
        "**p-waarde**: hoe waarschijnlijk een verschil van deze grootte is als er in werkelijkheid geen verschil "
        "is. Onder 0,05 heet het verschil significant; heel kleine waarden staan er als < 0,001."
    ),
    "robust": (
        "**Houdt stand bij elke weging**: een significant verschil is ook getoetst zonder weging, met de "
        "ophoging (kalibratie) meegerekend in de onzekerheid en met afgetopte gewichten. *ja*: significant op alle "
        "vier manieren. *nee* noemt de manieren waarop het niet significant is: dan hangt de uitkomst af van hoe "
        "er gewogen is, en is voorzichtigheid geboden."
    ),
    "difference_interval": (
        "**Het interval van een verschil** komt hier uit dezelfde toets als het teken: ligt 0 buiten het "
        "interval, dan staat er ▲ of ▼; ligt 0 erbinnen, dan niet."
    ),
}
# Which notions each page explains, in this order.
READING_HELP_PAGES = {
    "vragen": ["basis", "interval", "markers", "pale", "procentpunt"],
    "trends": ["markers", "interval", "procentpunt", "p_value", "adjusted", "robust", "basis", "pale"],
    "kindcentra": ["markers", "difference_interval", "interval", "procentpunt", "p_value", "robust", "basis", "pale"],
    "samenwerkingsmodellen": ["basis", "interval", "pale"],
    "methode": ["basis", "interval", "markers", "adjusted", "pale"],
}


def reading_help(page: str) -> str:
    """The "Hoe lees ik dit?" text of a page (see READING_HELP_PAGES) as Markdown paragraphs."""
    return "\n\n".join(READING_HELP[notion] for notion in READING_HELP_PAGES[page])


# The glossary ("Begrippen") of the Methode en kwaliteit page: term, explanation.
GLOSSARY = {
    "Basis": (
        "Het aantal respondenten dat een vraag beantwoordde; daarover gaat een percentage. Bij een vergelijking "
        "telt de kleinste kant."
    ),
    "Kov": "Kinderopvang: kinderdagverblijf, peuteropvang en buitenschoolse opvang. Een kov-organisatie biedt die "
    "opvang aan; een kov-bestuur is het bestuur van een of meer kov-organisaties.",
    "Routing": (
        "De regel in de vragenlijst wie een vraag krijgt, bijvoorbeeld alleen wie samenwerkt. Wie een vraag niet "
        "kreeg, telt niet mee in de basis."
    ),
    "Kindcentrum": (
        "Een school of kov-organisatie die haar samenwerking naar buiten presenteert als (integraal) kindcentrum. "
        "Op de pagina Kindcentra vergeleken met de overige respondenten."
    ),
    "Samengevoegd antwoord": (
        "Twee of meer antwoorden samen, zoals het rapport ze noemt (bijvoorbeeld *meer dan 5 jaar* = 5-10 jaar en "
        "langer dan 10 jaar). Ze staan apart van de losse antwoorden en tellen niet mee in de 100%."
    ),
    "Procentpunt": "Het verschil tussen twee percentages: van 30% naar 36% is 6 procentpunten.",
    "Significant": (
        "Een verschil heet significant als het bij een p-waarde onder 0,05 niet aan toeval in de steekproef toe te "
        "schrijven is; aangegeven met ▲ (hoger) of ▼ (lager)."
    ),
    "95%-interval": "De onzekerheidsmarge: de echte waarde ligt met 95% zekerheid tussen de twee grenzen.",
    "Houdt stand na correctie": (
        "Nog significant na de Benjamini-Hochberg-correctie voor het aantal toetsen per groep en vergelijking."
    ),
}

# The quality checks (expectations/<check>.json) as a reader sees them: a title that reads as a Dutch sentence.
CHECK_TITLES = {
    "raw_required_columns": "Alle variabelen uit het codeboek staan in de bestanden",
    "raw_respondent_id_unique": "Elke respondent komt één keer voor",
    "raw_codes_known": "Alle antwoordcodes staan in het codeboek",
    "raw_grades_in_range": "Rapportcijfers liggen tussen 1 en 10",
    "raw_strata_in_population": "Alle strata staan in het populatiebestand",
    "raw_routing_respected": "Antwoorden buiten de routing van het codeboek geteld",
    "weights_positive_finite": "Alle gewichten zijn geldig",
    "weighted_totals_equal_population": "Gewogen aantallen kloppen met de populatie",
    "single_answer_shares_sum_to_one": "Percentages van één antwoord tellen op tot 100%",
    "bases_within_group_size": "Geen basis groter dan de groep",
    "p_values_in_unit_interval": "Elke p-waarde ligt tussen 0 en 1",
    "published_figures_within_interval": "Elk cijfer ligt binnen zijn 95%-interval",
}
# What a reader should know when a check warns; only where the warning is not a defect of the figures.
CHECK_WARNING_NOTES = {
    "raw_routing_respected": (
        "Sommige respondenten beantwoordden een vraag die ze volgens de routing in het codeboek niet hoefden te "
        "krijgen. Die antwoorden tellen mee, zoals in het rapport (de bases van het rapport gaan er ook van uit); "
        "de cijfers zijn dus niet fout. De waarschuwing vraagt alleen om bij een nieuwe meting na te gaan of de "
        "routing in het codeboek overeenkomt met de vragenlijst."
    ),
}


def check_title(check_name: str) -> str:
    """A quality check's Dutch title; the check's own name only for a check this list does not know yet."""
    return CHECK_TITLES.get(check_name, check_name)


# Group names short enough for a chart's row at phone width (the report says "kov-organisaties" too).
SHORT_GROUP_LABELS = {
    "basisscholen": "Basisscholen",
    "kov_organisaties": "Kov-organisaties",
    "schoolbesturen": "Schoolbesturen",
    "kov_besturen": "Kov-besturen",
}

# A shared address naming a value the page does not know: said, then the default shown.
UNKNOWN_ADDRESS_VALUE = (
    "Het adres noemt bij *{parameter}* de waarde “{value}”, die hier niet bestaat. We tonen {shown}."
)


# The four ways marts.robustness tests a significant finding, as a reader would say them.
ROBUSTNESS_TREATMENTS = {
    "unweighted": "ongewogen",
    "fixed": "met vaste gewichten",
    "calibrated": "met de kalibratie meegerekend",
    "trimmed": "met afgetopte gewichten",
}
ROBUSTNESS_HEADER = "Houdt stand bij elke weging"


def robustness_text(robust: object, fragile_under: object) -> str:
    """`ja`, or `nee: niet significant …` naming the treatments under which it is not; a dash when unknown."""
    if robust is None or (isinstance(robust, float) and math.isnan(robust)) or robust is pd.NA:
        return "–"
    if bool(robust):
        return "ja"
    names = [ROBUSTNESS_TREATMENTS.get(name.strip(), name.strip()) for name in str(fragile_under or "").split(",")]
    names = [name for name in names if name]
    listed = " en ".join(names) if len(names) < 3 else ", ".join(names[:-1]) + " en " + names[-1]
    return f"nee: niet significant {listed}"
