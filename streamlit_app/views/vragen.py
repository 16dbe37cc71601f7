"""Vragen: one question of the report for the chosen groups and waves, as bars and as bijlage 2's table.

A reader finds the question by topic or by searching the catalogue, picks groups and waves, and sees the
answers as the report draws them (stacked bars for one answer, a bar per item for several answers and
grids, the mean for the grade), the combined answers the report uses, and a table with n, base, share,
interval and the significance markers; all under the one small-base policy, all in the address.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from publication.base_policy import POLICY_TEXT, STATUS_COLUMN, apply_base_policy
from streamlit_app import address, charts, data, widgets

ALL_TOPICS = "Alle onderwerpen"
# Bijlage 2 opens with this question; the page opens on it when the address names none (or a wrong one).
DEFAULT_QUESTION = "samenwerking"
# A multiple-answer item is a 0/1 variable per option: code 1 means the option was named.
NAMED = 1
QUESTION_TYPES = {
    "single": "één antwoord",
    "multi": "meerdere antwoorden mogelijk",
    "grid": "stellingen met een schaal",
    "numeric": "cijfer",
}
MARKERS = {"hoger": "▲ hoger", "lager": "▼ lager"}
SHARE_COLUMNS = {
    "group_label": "Groep",
    "meting": "Meting",
    "item_text": "Item",
    "answer": "Antwoord",
    "n": "Aantal (n)",
    "base_n": "Basis (n)",
    "share": "Aandeel (%)",
    "interval": "95%-interval",
    "change": "Verandering t.o.v. vorige meting",
    "kindcentrum": "Kindcentra t.o.v. de rest",
}
MEAN_COLUMNS = {
    "group_label": "Groep",
    "meting": "Meting",
    "mean_shown": "Gemiddelde",
    "interval": "95%-interval",
    "base_n": "Basis (n)",
    "change": "Verandering t.o.v. vorige meting",
    "kindcentrum": "Kindcentra t.o.v. de rest",
}
SHARE_VALUES = ["share", "interval", "n", "change", "kindcentrum"]
# Items of a grid or a multiple-answer question run to 150 characters: the axis shows them on lines of 60.
AXIS_LINE_CHARACTERS = 60
LINE_BREAK = "|"
LABEL_LIMIT = 420
# Room per statement of a grid for three lines of label.
GRID_ROW_STEP = 46


def interval_text(lows: pd.Series, highs: pd.Series, decimals: int = 1) -> list[str]:
    """Each 95% interval as "low – high", with a decimal point like the table's number columns.

    Streamlit's table formats numbers printf-style, with a point; an interval written with commas beside
    them would mix two decimal marks in one row. The CSV downloads use Dutch decimal commas throughout.
    """
    return [f"{low:.{decimals}f} – {high:.{decimals}f}" for low, high in zip(lows, highs, strict=True)]


def axis_label(text: str) -> str:
    """A long label broken into lines for a chart's axis (joined by LINE_BREAK; `draw` splits them again)."""
    return LINE_BREAK.join(textwrap.wrap(text, AXIS_LINE_CHARACTERS)) if isinstance(text, str) else text


def draw(chart: alt.TopLevelMixin) -> None:
    """Show a chart with room for the report's long Dutch labels: axis labels on several lines, legends wide."""
    configured = chart.configure_axisY(
        labelExpr=f"split(datum.value, '{LINE_BREAK}')", labelLimit=LABEL_LIMIT, labelOverlap=False
    ).configure_legend(labelLimit=LABEL_LIMIT, columns=2)
    st.altair_chart(configured, width="stretch")


# --------------------------------------------------------------------------------------------------
# Choosing a question, groups and waves


def question_list(pub: int) -> pd.DataFrame:
    """One row per question of the catalogue (by chapter and topic), with every group and wave it was asked."""
    catalog = data.frame(pub, "catalog")
    per_question = catalog.groupby("question_id", sort=False)
    questions = per_question.first()[["question_label", "question_type", "topic", "chapter"]]
    questions["groups"] = per_question["respondent_groups"].agg(lambda lists: {g for each in lists for g in each})
    questions["waves"] = per_question["waves"].agg(lambda lists: {int(w) for each in lists for w in each})
    questions["meaning_differs"] = per_question["meaning_differs_between_groups"].any()
    return questions


def search_hits(pub: int, text: str) -> set[str] | None:
    """The questions whose catalogue text contains `text` (accents and case folded); None without a search."""
    text = text.strip()
    if not text:
        return None
    return set(data.frame(pub, "catalog_search", text=text)["question_id"])


def pick_question(pub: int, questions: pd.DataFrame) -> str | None:
    """The search box, the topic and the question pickers; the chosen question, or None when none matches."""
    search, topic_column, question_column = st.columns([2, 2, 3])
    text = search.text_input("Zoek een vraag", key="vragen_zoek", placeholder="bijvoorbeeld: één team")
    hits = search_hits(pub, text)
    found = questions if hits is None else questions[questions.index.isin(hits)]
    if found.empty:
        st.info(f"Geen vraag gevonden met '{text.strip()}'. Probeer een ander woord of maak het zoekvak leeg.")
        return None
    topics = [ALL_TOPICS, *found["topic"].drop_duplicates()]
    topic = address.select("Onderwerp", "onderwerp", topics, container=topic_column)
    options = list(found.index if topic == ALL_TOPICS else found.index[found["topic"] == topic])
    default = DEFAULT_QUESTION if DEFAULT_QUESTION in options else None
    return address.select(
        "Vraag",
        "vraag",
        options,
        format_func=lambda question: question_name(questions, question),
        default=default,
        container=question_column,
    )


def question_name(questions: pd.DataFrame, question: str) -> str:
    """The question's Dutch label, with its topic when that says something more."""
    label, topic = questions.at[question, "question_label"], questions.at[question, "topic"]
    return label if label == topic else f"{label} ({topic})"


def from_address(name: str, options: Sequence) -> list:
    """The options the address lists under `name` (comma-separated, compared as text); all when none is valid."""
    wanted = set(st.query_params.get(name, "").split(","))
    chosen = [option for option in options if str(option) in wanted]
    return chosen or list(options)


def pick_many(label: str, name: str, options: Sequence, format_func, key: str, container) -> list:
    """A multiselect that starts on the address's choice and writes the choice back (left out when all)."""
    chosen = container.multiselect(
        label, options, default=from_address(name, options), format_func=format_func, key=key
    )
    address.remember(**{name: None if len(chosen) == len(options) else ",".join(str(option) for option in chosen)})
    return chosen


def pick_groups_and_waves(pub: int, question: str, asked: pd.Series) -> tuple[list[str], list[int]]:
    """The groups and waves to show, side by side; only those the question was asked of and in."""
    groups = data.frame(pub, "groups")
    labels = dict(zip(groups["respondent_group"], groups["label_nl"], strict=True))
    group_options = [group for group in groups["respondent_group"] if group in asked["groups"]]
    wave_options = sorted(asked["waves"])
    left, right = st.columns(2)
    chosen_groups = pick_many("Groepen", "groep", group_options, labels.get, f"vragen_groepen_{question}", left)
    chosen_waves = pick_many("Metingen", "meting", wave_options, str, f"vragen_metingen_{question}", right)
    return chosen_groups, chosen_waves


# --------------------------------------------------------------------------------------------------
# What the question is and who was asked


def show_wording(pub: int, question: str, groups: list[str], meaning_differs: bool) -> None:
    """The question as each chosen group was asked it, who was asked (routing), and a note when meanings differ."""
    wordings = data.frame(pub, "vragen_wordings", question_id=question)
    wordings = wordings[wordings["respondent_group"].isin(groups)]
    if wordings["question_text"].nunique() == 1:
        st.markdown(f"*{wordings['question_text'].iloc[0]}*")
    else:
        st.markdown("\n".join(f"- {row.group_label}: *{row.question_text}*" for row in wordings.itertuples()))
    if meaning_differs:
        st.info(
            "Deze vraag (of een van de items) is niet aan elke groep in dezelfde woorden gesteld. Vergelijk de "
            "groepen met zorg: de tabel toont per groep de tekst zoals die gevraagd is."
        )
    routing = data.frame(pub, "vragen_routing", question_id=question)
    routing = routing[routing["respondent_group"].isin(groups)]
    for text, rows in routing.groupby("routing_text", sort=False):
        st.caption(f"Gevraagd: {text[0].lower() + text[1:]} ({', '.join(rows['group_label'])}).")


# --------------------------------------------------------------------------------------------------
# Shares: prepared once, charted and tabled


def marker(value: object) -> str:
    """▲ hoger / ▼ lager for a significant difference, else nothing."""
    return MARKERS.get(value, "") if isinstance(value, str) else ""


def prepare_shares(shares: pd.DataFrame) -> pd.DataFrame:
    """The share rows with what the chart and the table show: row label, rounded share, interval, markers."""
    frame = shares.copy()
    frame["meting"] = frame["wave"].astype(str)
    frame["rij"] = frame["group_label"] + " " + frame["meting"]
    frame["item_axis"] = frame["item_label"].map(axis_label)
    frame["is_combined"] = frame["answer_grouping"].notna()
    frame["answer"] = frame["answer_label"].where(~frame["is_combined"], frame["answer_label"] + " (samengevoegd)")
    frame["share"] = frame["share_pct"].round(1)
    frame["interval"] = interval_text(frame["ci_low_pct"], frame["ci_high_pct"])
    frame["change"] = frame["change_since_previous_wave"].map(marker)
    frame["kindcentrum"] = frame["kindcentrum_difference"].map(marker)
    return frame


def policed(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame a chart draws from: values on a base under 10 blanked (and left out), under 30 marked."""
    return apply_base_policy(frame, "base_n", ["share_pct", "ci_low_pct", "ci_high_pct"])


def answer_order(frame: pd.DataFrame) -> list[str]:
    """The single answers' labels in the questionnaire's order."""
    return frame.sort_values("answer_sort_order")["answer_label"].drop_duplicates().tolist()


def share_tooltip(with_item: bool) -> list[alt.Tooltip]:
    """What hovering a bar tells, in Dutch: where it belongs, the share, its interval and the base."""
    item = [alt.Tooltip("item_label:N", title="Item")] if with_item else []
    return [
        *item,
        alt.Tooltip("rij:N", title="Groep en meting"),
        alt.Tooltip("answer_label:N", title="Antwoord"),
        alt.Tooltip("share:Q", title="Aandeel (%)", format=".1f"),
        alt.Tooltip("interval:N", title="95%-interval"),
        alt.Tooltip("base_n:Q", title="Basis (n)"),
        alt.Tooltip(f"{STATUS_COLUMN}:N", title="Basis"),
    ]


def show_combined(frame: pd.DataFrame, category: str) -> None:
    """The report's combined answers as their own bars, beside (not inside) the 100% of the single answers."""
    combined = frame[frame["is_combined"]]
    if combined.empty:
        return
    st.markdown("**Samengevoegde antwoorden** (zoals het rapport ze noemt; ze tellen niet mee in de 100%)")
    chart = charts.bars_with_interval(
        policed(combined),
        category=category,
        value="share_pct",
        low="ci_low_pct",
        high="ci_high_pct",
        colour="rij",
        tooltip=share_tooltip(with_item=category == "item_axis"),
    )
    draw(chart)


def show_single(frame: pd.DataFrame) -> None:
    """One answer per respondent: a bar per group and wave stacked to 100%, as in the report."""
    singles = frame[~frame["is_combined"]]
    chart = charts.stacked_shares(
        policed(singles),
        row="rij",
        answer="answer_label",
        answer_order=answer_order(singles),
        ordered=False,
        tooltip=share_tooltip(with_item=False),
    )
    draw(chart)
    show_combined(frame, "answer_label")


def show_multi(frame: pd.DataFrame) -> None:
    """Several answers possible: per option the share that named it, a bar per group and wave."""
    st.caption("Per antwoord het percentage dat het noemde; samen meer dan 100%.")
    chart = charts.bars_with_interval(
        policed(frame),
        category="item_axis",
        value="share_pct",
        low="ci_low_pct",
        high="ci_high_pct",
        colour="rij",
        tooltip=share_tooltip(with_item=True),
    )
    draw(chart)


def show_grid(frame: pd.DataFrame) -> None:
    """Statements on one scale: per group and wave a stacked bar per statement, then the combined answers."""
    singles = frame[~frame["is_combined"]]
    order = answer_order(singles)
    for row_label, rows in singles.groupby("rij", sort=False):
        st.markdown(f"**{row_label}**")
        chart = charts.stacked_shares(
            policed(rows),
            row="item_axis",
            answer="answer_label",
            answer_order=order,
            ordered=False,
            tooltip=share_tooltip(with_item=True),
        )
        draw(chart.properties(height=alt.Step(GRID_ROW_STEP)))
    show_combined(frame, "item_axis")


def share_table(frame: pd.DataFrame, question: str, with_item: bool, key: str) -> None:
    """Bijlage 2's table: n, base, share, interval and both markers, under the small-base policy."""
    columns = {name: header for name, header in SHARE_COLUMNS.items() if with_item or name != "item_text"}
    widgets.table(
        frame,
        name=f"vraag_{question}",
        columns=columns,
        base_column="base_n",
        value_columns=SHARE_VALUES,
        key=key,
        column_config={
            SHARE_COLUMNS["share"]: st.column_config.NumberColumn(format="%.1f"),
            SHARE_COLUMNS["n"]: st.column_config.NumberColumn(format="%d"),
        },
    )


# --------------------------------------------------------------------------------------------------
# The grade


def prepare_means(means: pd.DataFrame) -> pd.DataFrame:
    """The mean grades with what the chart and the table show."""
    frame = means.copy()
    frame["meting"] = frame["wave"].astype(str)
    frame["mean_shown"] = frame["mean"].round(1)
    frame["interval"] = interval_text(frame["ci_low"], frame["ci_high"], decimals=2)
    frame["change"] = frame["change_since_previous_wave"].map(marker)
    frame["kindcentrum"] = frame["kindcentrum_difference"].map(marker)
    return frame


def show_numeric(pub: int, question: str, groups: list[str], waves: list[int], shares: pd.DataFrame) -> None:
    """The grade: its mean per group and wave with interval, then the distribution as bijlage 2 shows it."""
    means = prepare_means(data.frame(pub, "vragen_means", question_id=question, groups=groups, waves=waves))
    if means.empty:
        st.info("Voor deze keuze is geen gemiddelde gepubliceerd.")
        return
    chart = charts.bars_with_interval(
        apply_base_policy(means, "base_n", ["mean", "ci_low", "ci_high"]),
        category="group_label",
        value="mean",
        low="ci_low",
        high="ci_high",
        colour="meting",
        title="Gemiddeld cijfer",
        domain=(0, 10),
        tooltip=[
            alt.Tooltip("group_label:N", title="Groep"),
            alt.Tooltip("meting:N", title="Meting"),
            alt.Tooltip("mean_shown:Q", title="Gemiddelde", format=".1f"),
            alt.Tooltip("interval:N", title="95%-interval"),
            alt.Tooltip("base_n:Q", title="Basis (n)"),
            alt.Tooltip(f"{STATUS_COLUMN}:N", title="Basis"),
        ],
    )
    draw(chart)
    widgets.table(
        means,
        name=f"vraag_{question}_gemiddelde",
        columns=MEAN_COLUMNS,
        base_column="base_n",
        value_columns=["mean_shown", "interval", "change", "kindcentrum"],
        key="vragen_gemiddelden",
        column_config={MEAN_COLUMNS["mean_shown"]: st.column_config.NumberColumn(format="%.1f")},
    )
    if not shares.empty:
        with st.expander("Verdeling van de cijfers"):
            share_table(shares, question, with_item=False, key="vragen_verdeling")


# --------------------------------------------------------------------------------------------------
# The page


def show_question(pub: int, question: str, about: pd.Series, groups: list[str], waves: list[int]) -> None:
    """The chart and the table of one question for the chosen groups and waves, in the report's form."""
    kind = about["question_type"]
    shares = data.frame(pub, "vragen_shares", question_id=question, groups=groups, waves=waves)
    shares = prepare_shares(shares)
    if kind == "numeric":
        show_numeric(pub, question, groups, waves, shares)
        return
    if shares.empty:
        st.info("Voor deze keuze zijn geen cijfers gepubliceerd.")
        return
    if kind == "multi":
        # The report shows per option who named it; "niet genoemd" is its complement.
        shares = shares[shares["answer_code"].eq(NAMED).fillna(False)]
        show_multi(shares)
    elif kind == "grid":
        show_grid(shares)
    else:
        show_single(shares)
    share_table(shares, question, with_item=kind in ("multi", "grid"), key="vragen_tabel")


def main() -> None:
    """Search or pick a question, pick groups and waves, and show it as the report does."""
    pub = widgets.current_publication()["publication_id"]
    st.title("Vragen")
    questions = question_list(pub)
    question = pick_question(pub, questions)
    if question is None:
        return
    about = questions.loc[question]
    st.subheader(about["question_label"])
    st.caption(f"{about['chapter']} · {about['topic']} · {QUESTION_TYPES.get(about['question_type'], '')}")
    groups, waves = pick_groups_and_waves(pub, question, about)
    if not groups or not waves:
        st.info("Kies ten minste één groep en één meting.")
        return
    show_wording(pub, question, groups, bool(about["meaning_differs"]))
    show_question(pub, question, about, groups, waves)
    st.caption(POLICY_TEXT)


main()
