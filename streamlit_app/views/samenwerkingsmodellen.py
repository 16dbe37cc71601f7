"""Samenwerkingsmodellen: the four cooperation models of the report, how they are assigned and how common they are.

The rule table of bijlage 1 (from `codebook.cooperation_model_rules`), the distribution of school directors
and childcare managers over the models per wave with intervals (`marts.report_models`), the respondents
who could not be assigned, and the boards' own estimate of how often each model occurs among their
locations (question `modellen_voorkomen`, as in the table of bijlage 2).
"""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from publication import texts
from publication.base_policy import POLICY_TEXT, apply_base_policy
from streamlit_app import address, charts, data, widgets

# The six questions A-F of bijlage 1 in the report's order; a question added by a later rule version
# goes after them, without a letter.
QUESTION_LETTERS = {
    "intensiteit_aanbod": "A",
    "intensiteit_medewerkers": "B",
    "intensiteit_kennis": "C",
    "intensiteit_management": "D",
    "intensiteit_bestuurlijk": "E",
    "visie": "F",
}
# How the report characterises each model (chapter 5).
MODEL_DESCRIPTIONS = {
    "stand_alone": "nauwelijks samenwerking",
    "face_to_face": "incidentele samenwerking",
    "hand_in_hand": "structurele samenwerking",
    "all_in_one": "één organisatie",
}
# Outcomes of the classification that are not a model, with what each means.
UNCLASSIFIED = {
    "niet_in_te_delen": "alle zes vragen beantwoord, maar bij geen enkel model vier of meer passende antwoorden",
    "niet_eenduidig": "alle zes vragen beantwoord en bij twee modellen vier of meer passende antwoorden",
    "onvolledig": "niet alle zes vragen beantwoord (ook wie niet samenwerkt en de vragen dus niet kreeg)",
}
INCOMPLETE = "onvolledig"
BOARD_QUESTION = "modellen_voorkomen"
EITHER = " óf "
REPORT_NOTE = (
    "Het rapport van 2019 heeft de modellen niet gebruikt voor vergelijkingen of verdere analyses: ongeveer een "
    "kwart van de respondenten viel in geen van de vier modellen, zodat de modellen de werkelijkheid volgens de "
    "onderzoekers niet goed genoeg vangen. De conclusies rusten op de zes onderliggende vragen (hoofdstuk 5)."
)
# Every percentage of this page's tables with one decimal (a comma on screen).
PERCENT_DECIMALS = {"share_pct": 1, "interval": 1}
INTERVAL = {"interval": ("ci_low_pct", "ci_high_pct")}


# --------------------------------------------------------------------------------------------------
# Bijlage 1: the rules


def question_header(question_id: str, question_label: str) -> str:
    """A column of the rule table: the report's letter and the question's label."""
    letter = QUESTION_LETTERS.get(question_id)
    return f"{letter}. {question_label}" if letter else question_label


def rule_table(rules: pd.DataFrame) -> pd.DataFrame:
    """Bijlage 1 as a table: a row per model, a column per question, the fitting answers in the cells."""
    order = {question: position for position, question in enumerate(QUESTION_LETTERS)}
    rules = rules.assign(
        header=[
            question_header(q, label) for q, label in zip(rules["question_id"], rules["question_label"], strict=True)
        ],
        question_order=rules["question_id"].map(order).fillna(len(order)),
    ).sort_values(["model_sort_order", "question_order", "question_id", "answer_sort_order"])
    cells = rules.groupby(["model_label", "header"], sort=False)["answer_label"].agg(EITHER.join)
    table = cells.unstack("header").reindex(
        index=list(dict.fromkeys(rules["model_label"])), columns=list(dict.fromkeys(rules["header"]))
    )
    return table.fillna("").rename_axis(index="Model", columns=None)


def show_rules(pub: int, wave: int) -> None:
    """The rule table of bijlage 1 as in force in the chosen wave, with a CSV download."""
    st.subheader("Indeling in modellen (bijlage 1)")
    rules = data.frame(pub, "modellen_rules", wave=wave)
    if rules.empty:
        st.info(f"Voor meting {wave} zijn geen indelingsregels vastgelegd.")
        return
    st.markdown(
        f"Een schooldirecteur of kov-manager hoort bij een model als **{data.setting(pub, 'model_threshold')} of "
        "meer** van de zes "
        "antwoorden op de vragen A tot en met F bij dat model passen. Een antwoord kan bij twee modellen passen; "
        "alleen wie alle zes vragen beantwoordde, is ingedeeld."
    )
    table = rule_table(rules)
    st.table(table)
    versions = sorted({int(version) for version in rules["valid_from_wave"]})
    st.caption(
        f"De regels zoals ze gelden voor meting {wave} (vastgelegd vanaf meting {', '.join(map(str, versions))}); "
        f"“{EITHER.strip()}” scheidt antwoorden die elk passen."
    )
    st.download_button(
        "Download als CSV",
        data=widgets.csv_bytes(table.reset_index()),
        file_name=widgets.file_name("modellen_regels", wave) + ".csv",
        mime="text/csv",
        key="csv_modellen_regels",
        icon=":material/download:",
    )


# --------------------------------------------------------------------------------------------------
# The distribution and what could not be classified


def pick_group(distribution: pd.DataFrame) -> tuple[str, str]:
    """The group picker (address `groep`), among the groups that were classified."""
    labels = dict(zip(distribution["respondent_group"], distribution["group_label"], strict=False))
    group = address.select("Groep", "groep", list(labels), format_func=labels.get)
    return group, labels[group]


def show_distribution(distribution: pd.DataFrame, group: str, group_label: str, wave: int) -> None:
    """The group's distribution over the models in every wave (chart) and in the chosen wave (table)."""
    st.subheader(f"Verdeling over de modellen: {group_label}")
    in_group = distribution[distribution["respondent_group"] == group].assign(
        meting=lambda frame: frame["wave"].astype(str)
    )
    policed = apply_base_policy(in_group, "base_n", ["share_pct", "ci_low_pct", "ci_high_pct"])
    # The waves in the group's own hue, the newest darkest (as on Vragen).
    waves = sorted(policed["meting"].unique(), reverse=True)
    shades = charts.GROUP_SHADES[int(in_group["group_sort_order"].iloc[0] - 1) % len(charts.GROUP_SHADES)]
    chart = charts.bars_with_interval(
        policed,
        category="model_label",
        value="share_pct",
        low="ci_low_pct",
        high="ci_high_pct",
        colour="meting",
        colours=(waves, [shades[min(position, len(shades) - 1)] for position in range(len(waves))]),
        domain=None,
        step=22,
    )
    bases = ", ".join(f"n = {row.base_n} ({row.meting})" for row in in_group.drop_duplicates("wave").itertuples())
    lines = [
        "Gewogen aandeel van wie alle zes vragen A-F beantwoordde, per meting",
        f"Basis: {bases}",
        *charts.source_lines(widgets.current_publication()),
    ]
    charts.show(charts.titled(chart, f"Samenwerkingsmodellen: {group_label}", lines))
    st.caption("Gewogen aandeel van wie alle zes vragen beantwoordde, per meting; de streep is het 95%-interval.")
    in_wave = in_group[in_group["wave"] == wave]
    if in_wave.empty:
        st.info(f"In meting {wave} is deze groep niet ingedeeld.")
        return
    widgets.dutch_table(
        in_wave,
        name=widgets.file_name("modellen", group, wave),
        columns={"model_label": "Model", "share_pct": "%", "interval": "95%-interval", "n": "n", "base_n": "Basis (n)"},
        base_column="base_n",
        value_columns=["share_pct", "ci_low_pct", "ci_high_pct"],
        decimals=PERCENT_DECIMALS,
        intervals=INTERVAL,
        counts=["n", "base_n"],
        key="modellen_distribution",
    )


def model_labels(frame: pd.DataFrame) -> dict[str, str]:
    """The four models' labels in the frame, in the report's order."""
    models = frame[frame["cooperation_model"].isin(MODEL_DESCRIPTIONS)].sort_values("model_sort_order")
    return dict(zip(models["cooperation_model"], models["model_label"], strict=False))


def unclassified_rows(distribution: pd.DataFrame, incomplete: pd.DataFrame, group: str, wave: int) -> pd.DataFrame:
    """Niet in te delen and niet eenduidig (weighted, of the complete) and onvolledig (unweighted, of everyone)."""
    classified = distribution[
        (distribution["respondent_group"] == group)
        & (distribution["wave"] == wave)
        & distribution["cooperation_model"].isin(UNCLASSIFIED)
    ].assign(of_whom="gewogen, van wie alle zes vragen beantwoordde")
    missing = incomplete[(incomplete["respondent_group"] == group) & (incomplete["wave"] == wave)]
    missing = missing.assign(
        share_pct=100 * missing["n"] / missing["respondents"],
        base_n=missing["respondents"],
        of_whom="ongewogen, van alle respondenten van de groep",
    )
    rows = pd.concat([classified, missing], ignore_index=True).sort_values("model_sort_order")
    return rows.assign(meaning=rows["cooperation_model"].map(UNCLASSIFIED))


def show_unclassified(distribution: pd.DataFrame, incomplete: pd.DataFrame, group: str, wave: int) -> None:
    """How many respondents of the group and wave fell outside the four models, and why."""
    st.subheader("Niet ingedeeld")
    rows = unclassified_rows(distribution, incomplete, group, wave)
    if rows.empty:
        return
    widgets.dutch_table(
        rows,
        name=widgets.file_name("modellen_niet_ingedeeld", group, wave),
        columns={
            "model_label": "Uitkomst",
            "share_pct": "%",
            "interval": "95%-interval",
            "n": "n",
            "meaning": "Betekenis",
            "of_whom": "Aandeel",
            "base_n": "Basis (n)",
        },
        base_column="base_n",
        value_columns=["share_pct", "ci_low_pct", "ci_high_pct"],
        decimals=PERCENT_DECIMALS,
        intervals=INTERVAL,
        counts=["n", "base_n"],
        key="modellen_unclassified",
    )
    st.info(REPORT_NOTE, icon="ℹ️")


# --------------------------------------------------------------------------------------------------
# The boards' estimates


def show_board_estimates(pub: int, wave: int) -> None:
    """The boards' estimate of how often each model occurs among their locations: table and stacked bars."""
    st.subheader("Inschatting door de besturen")
    estimates = data.frame(pub, "modellen_board_estimates", question_id=BOARD_QUESTION, wave=wave)
    if estimates.empty:
        st.info(f"In meting {wave} is deze vraag niet aan de besturen gesteld.")
        return
    st.markdown(
        "Schoolbesturen en kov-besturen schatten zelf hoe vaak elk model voorkomt bij de locaties onder hun bestuur."
    )
    # The row names the model and the group on lines of their own, short enough for a phone.
    short = estimates["respondent_group"].map(texts.SHORT_GROUP_LABELS).fillna(estimates["group_label"])
    estimates = estimates.assign(row=estimates["item_text"].map(charts.wrapped) + charts.LINE_BREAK + short)
    policed = apply_base_policy(estimates, "base_n", ["share_pct", "ci_low_pct", "ci_high_pct"])
    answers = list(dict.fromkeys(estimates.sort_values("answer_sort_order")["answer_label"]))
    # From "geen van onze locaties" to "meer dan 75%": an ordered scale, one hue from light to dark.
    chart = charts.stacked_shares(
        policed,
        row="row",
        answer="answer_label",
        answer_order=answers,
        colours=charts.answer_colours(answers, ordered=True),
    ).properties(height=alt.Step(40))
    bases = ", ".join(
        f"n = {row.base_n} ({row.group_label})" for row in estimates.drop_duplicates("respondent_group").itertuples()
    )
    lines = [
        "Hoe vaak komt elk model voor bij de locaties onder uw bestuur?",
        f"Selectie: schoolbesturen en kov-besturen · {wave}",
        f"Basis: {bases}",
        *charts.source_lines(widgets.current_publication()),
    ]
    charts.show(charts.titled(chart, "Inschatting door de besturen", lines))
    widgets.dutch_table(
        estimates,
        name=widgets.file_name("modellen_besturen", wave),
        columns={
            "item_text": "Model",
            "group_label": "Groep",
            "answer_label": "Komt voor bij",
            "share_pct": "%",
            "interval": "95%-interval",
            "n": "n",
            "base_n": "Basis (n)",
        },
        base_column="base_n",
        value_columns=["share_pct", "ci_low_pct", "ci_high_pct"],
        decimals=PERCENT_DECIMALS,
        intervals=INTERVAL,
        counts=["n", "base_n"],
        key="modellen_board_estimates",
    )


# --------------------------------------------------------------------------------------------------
# The page


def render() -> None:
    """The Samenwerkingsmodellen page."""
    pub = widgets.current_publication()["publication_id"]
    st.title("Samenwerkingsmodellen")
    widgets.reading_help("samenwerkingsmodellen")
    waves = [int(wave) for wave in data.frame(pub, "waves")["wave"]]
    distribution = data.frame(pub, "modellen_distribution")
    st.markdown(
        "Het onderzoek deelt de samenwerking van basisscholen en kinderopvangorganisaties in vier modellen in: "
        + ", ".join(f"**{label}** ({MODEL_DESCRIPTIONS[model]})" for model, label in model_labels(distribution).items())
        + "."
    )
    left, right = st.columns(2)
    wave = address.select("Meting", "meting", waves, default=waves[-1], container=left)
    show_rules(pub, wave)
    if distribution.empty:
        st.info("In deze publicatie is niemand in een model ingedeeld.")
    else:
        with right:
            group, group_label = pick_group(distribution)
        show_distribution(distribution, group, group_label, wave)
        show_unclassified(distribution, data.frame(pub, "modellen_incomplete"), group, wave)
    show_board_estimates(pub, wave)
    st.caption(POLICY_TEXT)


render()
