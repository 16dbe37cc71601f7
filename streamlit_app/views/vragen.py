"""Vragen: one question of the report for the chosen groups and waves, as bars and as bijlage 2's table.

A reader finds the question by topic or by searching the catalogue, picks groups and waves, and sees the
answers as the report draws them (stacked bars for one answer, a bar per item for several answers and
grids, the mean for the grade), the combined answers the report uses, and a table with n, base, share,
interval and the significance markers; all under the one small-base policy, all in the address.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd
import streamlit as st

from publication import texts
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
    "share": "Aandeel (%)",
    "interval": "95%-interval",
    "change": "Verandering t.o.v. vorige meting",
    "kindcentrum": "Kindcentra t.o.v. de rest",
    "n": "Aantal (n)",
    "base_n": "Basis (n)",
}
MEAN_COLUMNS = {
    "group_label": "Groep",
    "meting": "Meting",
    "mean_shown": "Gemiddelde",
    "interval": "95%-interval",
    "change": "Verandering t.o.v. vorige meting",
    "kindcentrum": "Kindcentra t.o.v. de rest",
    "base_n": "Basis (n)",
}
SHARE_VALUES = ["share", "ci_low_pct", "ci_high_pct", "n", "change", "kindcentrum"]
# Room per statement of a grid for three lines of label.
GRID_ROW_STEP = 46


def interval_text(lows: pd.Series, highs: pd.Series, decimals: int = 1) -> list[str]:
    """Each 95% interval as "low – high" with decimal commas, as every number on screen."""
    return [widgets.dutch_interval(low, high, decimals) for low, high in zip(lows, highs, strict=True)]


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
    """The search box, the topic and the question pickers; the chosen question, or None when none matches.

    The search word is in the address (`zoek`), so a shared link repeats the search, and the page says how
    many questions it found.
    """
    search, topic_column, question_column = st.columns([2, 2, 3])
    if "vragen_zoek" not in st.session_state:
        st.session_state["vragen_zoek"] = st.query_params.get("zoek", "")
    text = search.text_input("Zoek een vraag", key="vragen_zoek", placeholder="bijvoorbeeld: één team")
    address.remember(zoek=text.strip())
    hits = search_hits(pub, text)
    found = questions if hits is None else questions[questions.index.isin(hits)]
    if found.empty:
        st.info(f"Geen vraag gevonden met “{text.strip()}”. Probeer een ander woord of maak het zoekvak leeg.")
        return None
    if hits is not None:
        search.caption(f"{len(found)} {'vraag' if len(found) == 1 else 'vragen'} gevonden met “{text.strip()}”.")
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


def from_address(name: str, options: Sequence, format_func) -> list:
    """The options the address lists under `name` (comma-separated, compared as text); all when none is valid.

    A listed value that is no option is announced (on a link followed), so a reader knows the view differs.
    """
    listed = [value for value in st.query_params.get(name, "").split(",") if value]
    chosen = [option for option in options if str(option) in listed]
    strangers = [value for value in listed if value not in {str(option) for option in options}]
    if strangers and address.unknown(name, options) is not None:
        shown = ", ".join(format_func(option) for option in (chosen or options))
        address.announce_unknown(name, ", ".join(strangers), shown)
    return chosen or list(options)


def pick_many(label: str, name: str, options: Sequence, format_func, key: str, container) -> list:
    """A multiselect that starts on the address's choice and writes the choice back (left out when all)."""
    chosen = container.multiselect(
        label, options, default=from_address(name, options, format_func), format_func=format_func, key=key
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
    # The chart's row: the group's short name, so that it fits beside the bar on a phone.
    frame["rij"] = frame["respondent_group"].map(texts.SHORT_GROUP_LABELS).fillna(frame["group_label"])
    frame["rij"] = frame["rij"] + " " + frame["meting"]
    frame["item_axis"] = frame["item_label"].map(charts.wrapped)
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


def items_by_share(frame: pd.DataFrame, answer: str | None = None) -> list[str]:
    """The items (axis labels) as the report orders them: by share, largest first, open answers last.

    The share is the first row's (group and wave) of `answer`, or of the item itself for a multiple-answer
    question; an item that row does not have sorts by its mean over the rows shown.
    """
    rows = frame if answer is None else frame[frame["answer_label"] == answer]
    rows = rows[~rows["is_combined"]]
    first = rows[rows["rij"] == rows["rij"].iloc[0]].groupby("item_axis")["share_pct"].mean() if len(rows) else None
    mean = rows.groupby("item_axis")["share_pct"].mean()
    key = mean if first is None else first.reindex(mean.index).fillna(mean)
    is_open = frame.groupby("item_axis")["has_open_answer"].any().reindex(key.index).fillna(False)
    ordered = pd.DataFrame({"share": key, "open": is_open}).sort_values(["open", "share"], ascending=[True, False])
    return ordered.index.tolist()


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


def base_line(frame: pd.DataFrame) -> str:
    """The bases of the chart's rows in one line: "Basis: n = 650 (Basisscholen 2019), ..."."""
    bases = frame.groupby("rij", sort=False)["base_n"].agg(
        lambda values: f"{values.min()}–{values.max()}" if values.min() != values.max() else str(values.min())
    )
    return "Basis: " + ", ".join(f"n = {base} ({row})" for row, base in bases.items())


def in_chart(chart: alt.TopLevelMixin, title: str, frame: pd.DataFrame, context: dict) -> None:
    """Show `chart` with its title, question, selection, base, source and notice inside it."""
    lines = [context["question"], context["selection"], base_line(frame), *context["source"]]
    charts.show(charts.titled(chart, title, lines))


def show_combined(frame: pd.DataFrame, category: str, context: dict) -> None:
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
        colours=context["row_colours"],
        marker="change",
        tooltip=share_tooltip(with_item=category == "item_axis"),
    )
    in_chart(chart, f"{context['label']}: samengevoegde antwoorden", combined, context)


def show_single(frame: pd.DataFrame, context: dict) -> None:
    """One answer per respondent: a bar per group and wave stacked to 100%, as in the report."""
    singles = frame[~frame["is_combined"]]
    order = answer_order(singles)
    chart = charts.stacked_shares(
        policed(singles),
        row="rij",
        answer="answer_label",
        answer_order=order,
        colours=charts.answer_colours(order, context["ordered"], sorted(charts.OUTSIDE_SCALE)),
        marker="change",
        tooltip=share_tooltip(with_item=False),
    )
    in_chart(chart, context["label"], singles, context)
    show_combined(frame, "answer_label", context)


def show_multi(frame: pd.DataFrame, context: dict) -> None:
    """Several answers possible: per option the share that named it, largest first, a bar per group and wave."""
    st.caption("Per antwoord het percentage dat het noemde; samen meer dan 100%. Gesorteerd op het aandeel.")
    chart = charts.bars_with_interval(
        policed(frame),
        category="item_axis",
        value="share_pct",
        low="ci_low_pct",
        high="ci_high_pct",
        colour="rij",
        colours=context["row_colours"],
        marker="change",
        category_order=items_by_share(frame),
        tooltip=share_tooltip(with_item=True),
    )
    in_chart(chart, f"{context['label']} (meerdere antwoorden mogelijk)", frame, context)


def show_grid(frame: pd.DataFrame, context: dict) -> None:
    """Statements on one scale: per group and wave a stacked bar per statement, sorted by the top answer."""
    singles = frame[~frame["is_combined"]]
    order = answer_order(singles)
    top = charts.top_answer(order)
    items = items_by_share(singles, top)
    colours = charts.answer_colours(order, True, sorted(charts.OUTSIDE_SCALE))
    st.caption(f"De stellingen staan op volgorde van het aandeel “{top.lower()}”, het grootste bovenaan.")
    for row_label, rows in singles.groupby("rij", sort=False):
        chart = charts.stacked_shares(
            policed(rows),
            row="item_axis",
            answer="answer_label",
            answer_order=order,
            colours=colours,
            marker="change",
            row_order=items,
            tooltip=share_tooltip(with_item=True),
        )
        in_chart(chart.properties(height=alt.Step(GRID_ROW_STEP)), f"{context['label']}: {row_label}", rows, context)
    show_combined(frame, "item_axis", context)


def share_table(frame: pd.DataFrame, name: str, with_item: bool, key: str) -> None:
    """Bijlage 2's table: share, interval, both markers, n and base, under the small-base policy."""
    columns = {column: header for column, header in SHARE_COLUMNS.items() if with_item or column != "item_text"}
    widgets.dutch_table(
        frame,
        name=name,
        columns=columns,
        base_column="base_n",
        value_columns=SHARE_VALUES,
        decimals={"share": 1, "interval": 1},
        intervals={"interval": ("ci_low_pct", "ci_high_pct")},
        counts=["n", "base_n"],
        key=key,
    )


# --------------------------------------------------------------------------------------------------
# The grade


def prepare_means(means: pd.DataFrame) -> pd.DataFrame:
    """The mean grades with what the chart and the table show."""
    frame = means.copy()
    frame["meting"] = frame["wave"].astype(str)
    frame["rij"] = frame["respondent_group"].map(texts.SHORT_GROUP_LABELS).fillna(frame["group_label"])
    frame["rij"] = frame["rij"] + " " + frame["meting"]
    frame["mean_shown"] = frame["mean"].round(1)
    frame["interval"] = interval_text(frame["ci_low"], frame["ci_high"], decimals=2)
    frame["change"] = frame["change_since_previous_wave"].map(marker)
    frame["kindcentrum"] = frame["kindcentrum_difference"].map(marker)
    return frame


def show_numeric(
    pub: int, question: str, groups: list[str], waves: list[int], shares: pd.DataFrame, context: dict
) -> None:
    """The grade: its mean per group and wave as a dot with its interval, then the distribution."""
    means = prepare_means(data.frame(pub, "vragen_means", question_id=question, groups=groups, waves=waves))
    if means.empty:
        st.info("Voor deze keuze is geen gemiddelde gepubliceerd.")
        return
    chart = charts.dots_with_interval(
        apply_base_policy(means, "base_n", ["mean", "ci_low", "ci_high"]),
        category="rij",
        value="mean",
        low="ci_low",
        high="ci_high",
        colour="rij",
        colours=context["row_colours"],
        title="Gemiddeld cijfer (1-10)",
        marker="change",
        tooltip=[
            alt.Tooltip("group_label:N", title="Groep"),
            alt.Tooltip("meting:N", title="Meting"),
            alt.Tooltip("mean_shown:Q", title="Gemiddelde", format=".1f"),
            alt.Tooltip("interval:N", title="95%-interval"),
            alt.Tooltip("base_n:Q", title="Basis (n)"),
            alt.Tooltip(f"{STATUS_COLUMN}:N", title="Basis"),
        ],
    )
    in_chart(chart, context["label"], means, context)
    widgets.dutch_table(
        means,
        name=context["file_name"] + "_gemiddelde",
        columns=MEAN_COLUMNS,
        base_column="base_n",
        value_columns=["mean_shown", "ci_low", "ci_high", "change", "kindcentrum"],
        decimals={"mean_shown": 1, "interval": 2},
        intervals={"interval": ("ci_low", "ci_high")},
        counts=["base_n"],
        key="vragen_gemiddelden",
    )
    if not shares.empty:
        with st.expander("Verdeling van de cijfers"):
            share_table(shares, context["file_name"] + "_verdeling", with_item=False, key="vragen_verdeling")


# --------------------------------------------------------------------------------------------------
# The page


def chart_context(
    pub: int, question: str, about: pd.Series, groups: list[str], waves: list[int], shares: pd.DataFrame
) -> dict:
    """What every chart of the question carries: title, question, selection, source, colours, file name."""
    group_table = data.frame(pub, "groups")
    labels = dict(zip(group_table["respondent_group"], group_table["label_nl"], strict=True))
    wordings = data.frame(pub, "vragen_wordings", question_id=question)
    wordings = wordings[wordings["respondent_group"].isin(groups)]
    rows = pd.DataFrame(
        [
            {
                "respondent_group": group,
                "wave": wave,
                "rij": f"{texts.SHORT_GROUP_LABELS.get(group, labels.get(group, group))} {wave}",
            }
            for group in group_table["respondent_group"]
            if group in groups
            for wave in sorted(waves)
        ]
    )
    present = set(shares["rij"]) if "rij" in shares else set()
    if present:
        rows = rows[rows["rij"].isin(present)]
    return {
        "label": about["question_label"],
        "question": f"Vraag: {wordings['question_text'].iloc[0]}" if not wordings.empty else "",
        "selection": "Selectie: "
        + ", ".join(labels.get(group, group) for group in groups)
        + " · "
        + ", ".join(str(wave) for wave in sorted(waves)),
        "source": charts.source_lines(widgets.current_publication()),
        "ordered": charts.is_ordered(question, about["question_type"]),
        "row_colours": charts.row_colours(rows, list(group_table["respondent_group"])) if len(rows) else None,
        "file_name": widgets.file_name("vraag", question, *groups, *sorted(waves)),
    }


def show_question(pub: int, question: str, about: pd.Series, groups: list[str], waves: list[int]) -> None:
    """The chart and the table of one question for the chosen groups and waves, in the report's form."""
    kind = about["question_type"]
    shares = data.frame(pub, "vragen_shares", question_id=question, groups=groups, waves=waves)
    shares = prepare_shares(shares)
    context = chart_context(pub, question, about, groups, waves, shares)
    if kind == "numeric":
        show_numeric(pub, question, groups, waves, shares, context)
        return
    if shares.empty:
        st.info("Voor deze keuze zijn geen cijfers gepubliceerd.")
        return
    if kind == "multi":
        # The report shows per option who named it; "niet genoemd" is its complement.
        shares = shares[shares["answer_code"].eq(NAMED).fillna(False)]
        order = items_by_share(shares)
        shares = shares.assign(_order=shares["item_axis"].map(order.index)).sort_values(
            ["group_sort_order", "wave", "_order"], kind="stable"
        )
        show_multi(shares, context)
    elif kind == "grid":
        show_grid(shares, context)
    else:
        show_single(shares, context)
    share_table(shares, context["file_name"], with_item=kind in ("multi", "grid"), key="vragen_tabel")


def main() -> None:
    """Search or pick a question, pick groups and waves, and show it as the report does."""
    pub = widgets.current_publication()["publication_id"]
    st.title("Vragen")
    widgets.reading_help("vragen")
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
