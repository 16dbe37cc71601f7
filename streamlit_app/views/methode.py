"""Methode en kwaliteit: how the figures were made and checked, and what each publication changed.

Response against the population per stratum, the weighting's diagnostics, the tests in plain Dutch,
the small-base policy, the quality checks the shown publication passed, the publication log with its
errata, and the whole tabellenrapport as one workbook.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from publication import locations, texts
from publication.base_policy import POLICY_TEXT
from streamlit_app import address, data, widgets

# What each quality check (expectations/<check>.json) verifies, in words a stakeholder reads.
CHECK_DESCRIPTIONS = {
    "raw_required_columns": "Elke variabele uit het codeboek en het populatiebestand staat in het antwoordbestand",
    "raw_respondent_id_unique": "Elke respondent komt per meting en groep één keer voor",
    "raw_codes_known": "Elke variabele en elke antwoordcode staat in het codeboek",
    "raw_grades_in_range": "Elk rapportcijfer is een heel getal van 1 tot en met 10",
    "raw_strata_in_population": "Elke stratumcode in een antwoordbestand komt voor in het populatiebestand",
    "raw_routing_respected": "Geen antwoorden van respondenten die de vraag volgens de routing niet kregen",
    "weights_positive_finite": "Elk gewicht is aanwezig, positief en eindig",
    "weighted_totals_equal_population": "De gewogen aantallen zijn gelijk aan de populatie per stratum",
    "single_answer_shares_sum_to_one": "De percentages van een vraag met één antwoord tellen op tot 100%",
    "bases_within_group_size": "Geen basis is groter dan het aantal respondenten van de groep",
    "p_values_in_unit_interval": "Elke p-waarde ligt tussen 0 en 1",
    "published_figures_within_interval": "Elk gepubliceerd percentage en gemiddelde ligt binnen zijn 95%-interval",
}
SEVERITIES = {"error": "fout (blokkeert publiceren)", "warning": "waarschuwing"}
METHODS = {
    "rao_scott_f": "Rao-Scott-gecorrigeerde chikwadraattoets (F)",
    "svyttest": "t-toets voor gewogen gemiddelden (design-based)",
    "pearson_weighted": "Pearson-chikwadraattoets op gewogen aantallen (alleen ter vergelijking)",
}
COMPARISONS = {"verandering": "Verandering sinds de vorige meting", "kindcentrum": "Kindcentra tegenover de rest"}
WEIGHTING_METHODS = {"raking": "raking (iteratief naar de populatie)", "none": "geen weging (gewicht 1)"}

TESTS_TEXT = """
- **Percentages (antwoordverdelingen)** zijn getoetst met de **Rao-Scott-gecorrigeerde chikwadraattoets**
  (tweede orde, als F-toets). Die houdt rekening met de weging: een gewone chikwadraattoets op gewogen
  aantallen doet alsof er meer respondenten zijn dan er werkelijk zijn, en vindt dan te snel een verschil.
  Getoetst is de hele vraag, elk antwoord apart (dat antwoord tegen alle andere) en elk samengevoegd
  antwoord uit het rapport (zoals *meer dan 5 jaar*).
- **Gemiddelden (het rapportcijfer)** zijn getoetst met een **t-toets voor het verschil tussen gewogen
  gemiddelden**, met standaardfouten die rekening houden met de weging (design-based).
- **Intervallen**: bij elk percentage en gemiddelde hoort een **95%-betrouwbaarheidsinterval**: de schatting
  plus en min 1,96 keer de standaardfout (Wald-interval); percentages blijven binnen 0 en 100%.
- **Wanneer heet een verschil significant?** Bij een p-waarde onder 0,05, zoals in het rapport. Omdat er per
  groep en vergelijking honderden toetsen zijn, geven we ook de **Benjamini-Hochberg-correctie** voor
  meervoudig toetsen: een verschil dat ook na die correctie significant is, *houdt stand na correctie*.
- **Welke vergelijkingen?** Elke meting tegen de vorige meting waarin de vraag gesteld werd (de metingen als
  aparte steekproeven), en binnen een meting de respondenten die hun samenwerking een **kindcentrum** noemen
  tegen de overige respondenten (basisscholen en kinderopvangorganisaties).
- **Alleen vergelijkbare vragen.** Is tussen twee metingen de vraagtekst gewijzigd maar zijn de
  antwoordmogelijkheden gelijk gebleven, dan is de verandering getoetst en staat er *vraagtekst gewijzigd* bij.
  Zijn antwoordmogelijkheden toegevoegd, weggelaten of veranderd, of is de betekenis van de vraag veranderd,
  dan is er een **trendbreuk**: er is niet getoetst, en op de pagina Trends loopt de lijn daar niet door.
- **Minimale basis voor een toets: 30.** Een toets wordt alleen uitgevoerd als beide kanten ten minste 30
  respondenten (ongewogen) hebben; anders staat erbij waarom niet getoetst is. Daarom zijn de
  kov-besturen (24 respondenten in 2016) niet tussen metingen vergeleken.
"""


def plain_table(
    frame: pd.DataFrame,
    *,
    name: str,
    columns: Mapping[str, str],
    column_config: Mapping[str, object] | None = None,
) -> pd.DataFrame:
    """A table that rests on no respondents (a log, the checks, the methods): Dutch headers and a CSV download."""
    shown = frame[list(columns)].rename(columns=dict(columns))
    # On screen: decimal commas and "–" for no value; the CSV keeps the numbers.
    screen = shown.apply(lambda column: column.map(on_screen) if column.dtype.kind in "fO" else column)
    st.dataframe(screen, hide_index=True, column_config=dict(column_config or {}), key=f"table_{name}")
    st.download_button(
        "Download als CSV",
        data=widgets.csv_bytes(shown),
        file_name=f"{name}.csv",
        mime="text/csv",
        key=f"csv_{name}",
        icon=":material/download:",
    )
    return shown


def on_screen(value: object) -> object:
    """A cell as a reader reads it: a fraction with a decimal comma (three decimals), a whole number as is."""
    if widgets.is_missing(value):
        return widgets.NO_VALUE
    if isinstance(value, float):
        return widgets.dutch_number(value, 0 if value.is_integer() else 3)
    return value


def yes_no(values: pd.Series) -> pd.Series:
    """True/False as Ja/Nee."""
    return values.map({True: "Ja", False: "Nee"})


def dutch_observed(observed: pd.Series) -> pd.Series:
    """The quality log's one-line findings (`3 of 90 rows unexpected: ...`, `observed 184`) in Dutch."""
    return observed.str.replace(
        r"^(\d+) of (\d+) rows unexpected", r"\1 van \2 rijen afwijkend", regex=True
    ).str.replace(r"^observed ", "waargenomen: ", regex=True)


def dutch_number(value: float) -> str:
    """A whole number with a Dutch thousands separator (1.212)."""
    return f"{int(value):,}".replace(",", ".")


# --------------------------------------------------------------------------------------------------
# response and weighting


def response_section(pub: int) -> None:
    """Respondents against the population per stratum, for the group and wave in the address."""
    st.header("Respons en populatie per stratum")
    groups = data.frame(pub, "groups")
    waves = data.frame(pub, "waves")["wave"].tolist()
    labels = dict(zip(groups["respondent_group"], groups["label_nl"], strict=True))
    left, right = st.columns(2)
    group = address.select(
        "Groep", "groep", groups["respondent_group"].tolist(), format_func=labels.get, container=left
    )
    wave = address.select("Meting", "meting", waves, default=max(waves), container=right)
    margins = data.frame(pub, "methode_margins", group=group, wave=int(wave))
    if margins.empty:
        st.info(
            f"{labels[group]} zijn in {wave} niet gewogen: er is geen populatiebestand voor deze groep, dus ook "
            "geen strata. Elke respondent telt even zwaar (gewicht 1)."
        )
        return
    margins["variable"] = margins["variable"].str.replace("_", " ").str.capitalize()
    widgets.dutch_table(
        margins,
        name=widgets.file_name("respons", group, wave),
        columns={
            "variable": "Weegvariabele",
            "category_label": "Categorie",
            "respondents": "Respondenten",
            "respondent_pct": "% van de respons",
            "population_count": "Populatie",
            "population_pct": "% van de populatie",
            "coverage_pct": "Respons als % van de populatie",
            "weighted_count": "Gewogen aantal",
        },
        base_column="respondents",
        value_columns=[],
        decimals={"respondent_pct": 1, "population_pct": 1, "coverage_pct": 1, "weighted_count": 1},
        counts=["respondents", "population_count"],
        key="methode_margins",
    )
    st.caption(
        "De respons wijkt per stratum af van de populatie; de weging trekt dat recht: het gewogen aantal is "
        "gelijk aan de populatie. Het responspercentage zoals het rapport dat geeft (respons gedeeld door de "
        "getrokken steekproef) staat niet in het warehouse; hier staat de respons als deel van de hele populatie."
    )


def weighting_section(pub: int) -> None:
    """The weighting's diagnostics per group and wave, with what each one means."""
    st.header("Weging")
    diagnostics = data.frame(pub, "methode_diagnostics")
    diagnostics["method"] = diagnostics["method"].map(WEIGHTING_METHODS).fillna(diagnostics["method"])
    widgets.dutch_table(
        diagnostics,
        name="weging",
        columns={
            "group_label": "Groep",
            "wave": "Meting",
            "method": "Weging",
            "stratification_variables": "Weegvariabelen",
            "respondents": "Respondenten",
            "kish_design_effect": "Designeffect (Kish)",
            "effective_sample_size": "Effectieve steekproefomvang",
            "weighting_efficiency": "Weegefficiëntie",
            "min_weight": "Kleinste gewicht",
            "max_weight": "Grootste gewicht",
            "iterations": "Iteraties",
        },
        base_column="respondents",
        value_columns=[],
        decimals={
            "kish_design_effect": 3,
            "effective_sample_size": 1,
            "weighting_efficiency": 3,
            "min_weight": 3,
            "max_weight": 3,
        },
        counts=["respondents", "wave", "iterations"],
        key="methode_diagnostics",
    )
    st.markdown(
        "De gewichten maken de respons per groep en meting gelijk aan de populatie op de weegvariabelen "
        "(raking: herhaald bijstellen tot elke verdeling klopt). Het **designeffect** zegt hoeveel onzekerder "
        "de cijfers door ongelijke gewichten worden: bij 1,15 is de variantie 15% groter dan zonder weging. "
        "De **effectieve steekproefomvang** is het aantal respondenten gedeeld door het designeffect: zoveel "
        "ongewogen respondenten geven dezelfde nauwkeurigheid. De **weegefficiëntie** is 1 gedeeld door het "
        "designeffect. De gewichten hebben gemiddelde 1; het kleinste en grootste gewicht tonen de spreiding. "
        "Kov-besturen zijn niet uit een steekproef getrokken en worden niet gewogen."
    )


# --------------------------------------------------------------------------------------------------
# tests and the small-base policy


def tests_section(pub: int) -> None:
    """The tests in plain Dutch, and how many of each the warehouse ran."""
    st.header("Toetsen")
    st.markdown(TESTS_TEXT)
    tests = data.frame(pub, "methode_tests")
    tests["comparison"] = tests["comparison"].map(COMPARISONS).fillna(tests["comparison"])
    tests["method"] = tests["method"].map(METHODS).fillna(tests["method"])
    tests["is_default_method"] = yes_no(tests["is_default_method"])
    plain_table(
        tests,
        name="toetsen",
        columns={
            "comparison": "Vergelijking",
            "method": "Toets",
            "is_default_method": "Standaard",
            "n_tests": "Toetsen",
            "n_tested": "Uitgevoerd",
            "n_not_tested": "Niet uitgevoerd (basis < 30)",
            "n_significant": "Significant (p < 0,05)",
            "n_significant_adjusted": "Houdt stand na correctie",
        },
    )
    st.caption(
        "De standaardtoetsen bepalen de markeringen van significante verschillen in de viewer en het "
        "tabellenrapport. De Pearson-toets staat er alleen ter vergelijking: zo rekent SPSS met gewichten, "
        "zoals de onderzoekers van het rapport deden."
    )


def policy_section() -> None:
    """The one small-base policy of every chart, table and download."""
    st.header("Kleine aantallen")
    st.info(POLICY_TEXT, icon=":material/info:")


# --------------------------------------------------------------------------------------------------
# quality and the publication log


def check_summary(results: pd.DataFrame) -> pd.DataFrame:
    """One row per check: severity, how many batches (wave and group) it ran on and failed, what it found."""
    found = results["unexpected_count"].fillna(results["observed_value"]).fillna(0)
    per_check = results.assign(found=found, failed=~results["passed"].astype(bool))
    summary = (
        per_check.groupby(["check_name", "severity"], sort=False)
        .agg(batches=("passed", "size"), failed=("failed", "sum"), found=("found", "sum"))
        .reset_index()
    )
    summary["passed"] = summary["failed"] == 0
    summary["description"] = summary["check_name"].map(CHECK_DESCRIPTIONS).fillna("")
    summary["title"] = summary["check_name"].map(texts.check_title)
    return summary


def failure_places(results: pd.DataFrame, check_name: str) -> str:
    """Where a check failed and how much it found there, e.g. `Basisscholen 2016: 184, ...`."""
    failed = results[(results["check_name"] == check_name) & ~results["passed"].astype(bool)]
    places = []
    for row in failed.itertuples():
        found = row.unexpected_count if pd.notna(row.unexpected_count) else row.observed_value
        place = " ".join(str(part) for part in (row.group_label, None if pd.isna(row.wave) else int(row.wave)) if part)
        places.append(f"{place or 'geheel'}: {dutch_number(found if pd.notna(found) else 0)}")
    return ", ".join(places)


def quality_section(pub: int) -> None:
    """The quality checks of the evaluation the shown publication passed; warnings shown as warnings."""
    st.header("Kwaliteitscontroles van deze publicatie")
    results = data.frame(pub, "methode_quality", shown_publication=pub)
    if results.empty:
        st.info("Bij deze publicatie zijn geen resultaten van kwaliteitscontroles bewaard.")
        return
    summary = check_summary(results)
    failed = summary[~summary["passed"]]
    columns = st.columns(3)
    columns[0].metric("Controles", len(summary))
    columns[1].metric("Fouten", int((failed["severity"] == "error").sum()))
    columns[2].metric("Waarschuwingen", int((failed["severity"] == "warning").sum()))
    for check in failed.itertuples():
        note = texts.CHECK_WARNING_NOTES.get(check.check_name, "") if check.severity == "warning" else ""
        text = (
            f"**{SEVERITIES.get(check.severity, check.severity).capitalize()}: {check.title}.** "
            f"{dutch_number(check.found)} gevonden ({failure_places(results, check.check_name)}). "
            f"{note or check.description or 'Controle niet geslaagd.'}"
        )
        (st.error if check.severity == "error" else st.warning)(text)
    st.caption(
        "Een controle met ernst *fout* houdt een publicatie tegen; een *waarschuwing* wordt vastgelegd en hier "
        f"getoond. Gecontroleerd op {pd.Timestamp(results['evaluated_at'].iloc[0]):%d-%m-%Y %H:%M} (UTC)."
    )
    summary["severity"] = summary["severity"].map(SEVERITIES).fillna(summary["severity"])
    summary["passed"] = yes_no(summary["passed"])
    plain_table(
        summary,
        name="kwaliteitscontroles",
        columns={
            "title": "Controle",
            "description": "Wat er gecontroleerd wordt",
            "severity": "Ernst",
            "passed": "Geslaagd",
            "batches": "Onderdelen (meting en groep)",
            "failed": "Niet geslaagd",
            "found": "Gevonden",
        },
    )
    with st.expander("Alle resultaten per meting en groep"):
        detail = results.assign(
            check_name=results["check_name"].map(texts.check_title),
            severity=results["severity"].map(SEVERITIES).fillna(results["severity"]),
            passed=yes_no(results["passed"]),
            observed=dutch_observed(results["observed"]),
        )
        plain_table(
            detail,
            name="kwaliteitscontroles_per_meting_en_groep",
            columns={
                "check_name": "Controle",
                "severity": "Ernst",
                "wave": "Meting",
                "group_label": "Groep",
                "passed": "Geslaagd",
                "element_count": "Gecontroleerde rijen",
                "unexpected_count": "Afwijkende rijen",
                "observed_value": "Waargenomen waarde",
                "observed": "Toelichting",
            },
        )


def publications_section(pub: int) -> None:
    """Every publication with its quality summary, and the errata log of changed figures."""
    st.header("Publicaties en wijzigingen")
    publications = data.frame(pub, "methode_publications")
    publications["is_synthetic_sample"] = yes_no(publications["is_synthetic_sample"])
    publications["quality_summary"] = [
        texts.dutch_quality_summary(*counts)
        for counts in publications[["n_checks", "n_errors", "n_warnings"]].itertuples(index=False)
    ]
    publications = publications.drop(columns=["n_checks", "n_errors", "n_warnings"])
    publications["project_commit"] = publications["project_commit"].fillna("onbekend")
    plain_table(
        publications,
        name="publicaties",
        columns={
            "publication_id": "Publicatie",
            "published_at": "Gepubliceerd op (UTC)",
            "project_commit": "Projectversie",
            "is_synthetic_sample": "Synthetische steekproef",
            "quality_summary": "Kwaliteitscontroles",
            "n_changes": "Gewijzigde cijfers",
        },
        column_config={"Gepubliceerd op (UTC)": st.column_config.DatetimeColumn(format="DD-MM-YYYY HH:mm")},
    )
    st.subheader("Wijzigingen (errata)")
    st.markdown(
        "Verandert een publicatie een cijfer dat een eerdere publicatie liet zien (een percentage, gemiddelde, "
        "basis of de significantie van een toets), dan staat dat hier, met de oude en de nieuwe waarde."
    )
    changes = data.frame(pub, "methode_changes")
    if changes.empty:
        st.success("Geen wijzigingen: geen publicatie heeft een eerder getoond cijfer veranderd.")
        return
    plain_table(
        changes,
        name="wijzigingen",
        columns={
            "publication_id": "Publicatie",
            "table_name": "Tabel",
            "figure_key": "Cijfer van",
            "figure": "Soort cijfer",
            "old_value": "Oude waarde",
            "new_value": "Nieuwe waarde",
        },
    )


def workbook_section(pub: int) -> None:
    """The whole tabellenrapport as the workbook the publish stage wrote beside the serving copy."""
    st.header("Tabellenrapport")
    path = locations.workbook_path(locations.serving_path())
    if not path.exists():
        st.info(
            "Het tabellenrapport (Excel) van deze publicatie is er niet: het wordt geschreven bij het publiceren. "
            "Draai `make run` opnieuw om het te maken."
        )
        return
    st.markdown(
        "Alle tabellen van het rapport in één Excel-bestand, zoals bijlage 2: een tabblad per hoofdstuk, per "
        "vraag de antwoorden per groep en meting, met de basis en de tekens voor significante verschillen."
    )
    st.download_button(
        "Download het tabellenrapport (.xlsx)",
        data=path.read_bytes(),
        file_name=f"tabellenrapport_publicatie_{pub}.xlsx",
        mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        key="download_tabellenrapport",
        icon=":material/download:",
    )


def glossary_section() -> None:
    """Begrippen: the words the pages use, in plain Dutch (publication/texts.py, shared with the workbook)."""
    st.header("Begrippen")
    st.markdown("\n".join(f"- **{term}**: {meaning}" for term, meaning in texts.GLOSSARY.items()))


def main() -> None:
    """The page: method, quality and the publication log of the publication shown."""
    pub = int(widgets.current_publication()["publication_id"])
    st.title("Methode en kwaliteit")
    widgets.reading_help("methode")
    st.markdown(
        "Hoe de cijfers tot stand komen en gecontroleerd zijn: de respons en de weging, de toetsen, de regel "
        "voor kleine aantallen, de kwaliteitscontroles van deze publicatie en alle publicaties met hun wijzigingen."
    )
    response_section(pub)
    weighting_section(pub)
    tests_section(pub)
    policy_section()
    glossary_section()
    quality_section(pub)
    publications_section(pub)
    workbook_section(pub)


main()
