"""Trends: every significant change between consecutive waves, and one item's course over all waves.

The table lists every row of `marts.report_changes` of the wave-change kind, filterable by group and
topic, with the difference, its 95% interval, the p-value and whether it holds after the
Benjamini-Hochberg adjustment; the bases are those of the test itself. A change whose question was
reworded between the two waves (comparability grade B) says so beside it. Below it, the shares (or the
mean) of one item with a change, over the waves, per group, with their interval bands; a group's line
stops at a trend break (grade C: the answer options or the meaning changed) and the page says why, in
the codebook's words. The trend breaks of the chosen group and topic, never tested, are listed last.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from publication import texts
from publication.base_policy import POLICY_TEXT, apply_base_policy
from streamlit_app import address, charts, data, widgets

# The empty choice means "all": address.remember drops an empty value from the address.
ALL = ""
WAVE_CHANGE = "verandering"
LEVEL_LABELS = {
    "question": "Hele vraag",
    "answer": "Antwoord",
    "combined answer": "Samengevoegd antwoord",
    "mean": "Gemiddelde",
}
WHOLE_QUESTION = "Hele vraag (verdeling over alle antwoorden)"
MEAN_ANSWER = "Gemiddelde"
UNITS = {"share": "% · procentpunten", "mean": "cijfer · punten"}
# A multiple-answer option is a 0/1 item: "niet genoemd" is the mirror image of "genoemd", so the chart
# draws only code 1.
NOT_NAMED_CODE = 0
ADJUSTMENT_TEXT = (
    "Een verandering **houdt stand na correctie** als ze significant blijft (p < 0,05) nadat de p-waarden met "
    "de Benjamini-Hochberg-methode zijn gecorrigeerd voor de honderden toetsen per groep en vergelijking, zodat "
    "er onder de standhoudende veranderingen naar verwachting hooguit 5% toevalstreffers zitten."
)
# The comparability grades of codebook_comparability that a reader must be told about.
REWORDED = "B"  # the wording changed, the options did not: tested, read with care
TREND_BREAK = "C"  # the options or the meaning changed: not tested, the line stops
REWORDED_FLAG = "vraagtekst gewijzigd"
# Counts the trend breaks of a group up to each wave: a line is drawn within one value only.
SEGMENT = "trend_segment"
# The key columns (what changed, before, after, the difference) first: at 1400 px and on a phone they are
# what a reader sees without scrolling sideways.
# The row's label (group, question, answer) and then the change, before the test's details; the item
# (empty for a question of one item) after them.
TABLE_COLUMNS = {
    "group_label": "Groep",
    "question_label": "Vraag",
    "answer": "Antwoord",
    "difference": "Verschil",
    "before": "Voor",
    "after": "Na",
    "interval": "95%-interval van het verschil",
    "holds": "Houdt stand na correctie",
    "robust": texts.ROBUSTNESS_HEADER,
    "item": "Item",
    "p_value": "p-waarde",
    "p_adjusted": "p na correctie",
    "unit": "Eenheid",
    "waves": "Metingen",
    "topic": "Onderwerp",
    "level": "Toets op",
    "comparability": "Vergelijkbaarheid",
    "n_from": "n voor",
    "n_to": "n na",
}
VALUE_COLUMNS = ["before", "after", "difference", "ci_low", "ci_high", "p_value", "p_adjusted"]
# Shares in percent (points) with one decimal, the grade's points with two: the text carries both.
DECIMALS = 2


# --------------------------------------------------------------------------------------------------
# The changes


def item_label(frame: pd.DataFrame) -> pd.Series:
    """The item's own text for grid and multiple-answer items; empty where the item is the question."""
    return frame["item_text"].where(frame["item_id"] != frame["question_id"], "").fillna("")


def answer_label(frame: pd.DataFrame) -> pd.Series:
    """The answer a change is about: the answer, the combined answer, the whole question or the mean."""
    label = frame["answer_label"].astype("object")
    label = label.where(frame["test_level"] != "question", WHOLE_QUESTION)
    return label.where(frame["test_level"] != "mean", MEAN_ANSWER).fillna("")


def scaled(frame: pd.DataFrame, column: str) -> pd.Series:
    """A value in the unit a reader reads: percent (points) for shares, grade points for means."""
    is_share = (frame["value_unit"] == "share").fillna(False).to_numpy()
    values = frame[column].astype("float64")
    return pd.Series(np.where(is_share, (values * 100).round(1), values.round(2)), index=frame.index)


def prepare_changes(changes: pd.DataFrame) -> pd.DataFrame:
    """The changes with the columns the table shows: labels, scaled values, the unit and the verdict."""
    return changes.assign(
        waves=changes["compared_with_wave"].astype("Int64").astype(str) + " → " + changes["wave"].astype(str),
        item=item_label(changes),
        answer=answer_label(changes),
        level=changes["test_level"].map(LEVEL_LABELS).fillna(changes["test_level"]),
        before=scaled(changes, "value_before"),
        after=scaled(changes, "value_after"),
        difference=scaled(changes, "difference"),
        ci_low=scaled(changes, "difference_ci_low"),
        ci_high=scaled(changes, "difference_ci_high"),
        unit=changes["value_unit"].map(UNITS).fillna("verdeling"),
        p_value=changes["p_value"].round(4),
        p_adjusted=changes["p_adjusted"].round(4),
        holds=np.where(changes["holds_after_adjustment"].fillna(False).astype(bool), "ja", "nee"),
        comparability=np.where(changes["comparability_grade"].eq(REWORDED).fillna(False), REWORDED_FLAG, ""),
        robust=[
            texts.robustness_text(robust, fragile)
            for robust, fragile in zip(changes["robust"], changes["fragile_under"], strict=True)
        ],
    )


def pick_filters(changes: pd.DataFrame, groups: pd.DataFrame) -> tuple[str, str]:
    """The group and topic pickers (address `groep`, `onderwerp`): empty means every group or topic."""
    labels = dict(zip(groups["respondent_group"], groups["label_nl"], strict=True))
    left, right = st.columns(2)
    group = address.select(
        "Groep",
        "groep",
        [ALL, *groups["respondent_group"]],
        format_func=lambda value: labels.get(value, "Alle groepen") if value else "Alle groepen",
        container=left,
    )
    in_group = changes if group == ALL else changes[changes["respondent_group"] == group]
    topics = list(dict.fromkeys(in_group["topic"].dropna()))
    topic = address.select(
        "Onderwerp",
        "onderwerp",
        [ALL, *topics],
        format_func=lambda value: value or "Alle onderwerpen",
        container=right,
    )
    return group, topic


def filtered(changes: pd.DataFrame, group: str, topic: str, adjusted_only: bool) -> pd.DataFrame:
    """The changes of the chosen group and topic, and only those that hold after adjustment if asked."""
    keep = pd.Series(True, index=changes.index)
    if group != ALL:
        keep &= changes["respondent_group"] == group
    if topic != ALL:
        keep &= changes["topic"] == topic
    if adjusted_only:
        keep &= changes["holds_after_adjustment"].fillna(False).astype(bool)
    return changes[keep]


def dutch_values(frame: pd.DataFrame, column: str) -> pd.Series:
    """A value as text in its unit's precision: one decimal for percent (points), two for grade points."""
    is_share = (frame["value_unit"] == "share").fillna(False)
    return pd.Series(
        [widgets.dutch_number(value, 1 if share else 2) for value, share in zip(frame[column], is_share, strict=True)],
        index=frame.index,
    )


def show_changes(shown: pd.DataFrame, group: str, topic: str) -> None:
    """The table of changes, or why it is empty."""
    if shown.empty:
        st.info(
            "Geen significante veranderingen bij deze keuze. Een groep wordt alleen getoetst als er in beide "
            "metingen ten minste 30 respondenten zijn; de kov-besturen waren er in 2016 minder."
        )
        return
    holds = int((shown["holds"] == "ja").sum())
    fragile = int(shown["robust"].str.startswith("nee").sum())
    st.markdown(
        f"**{len(shown)} significante veranderingen**, waarvan {holds} standhouden na correctie"
        + (
            f"; {fragile} {'hangt' if fragile == 1 else 'hangen'} af van de weging (kolom *{texts.ROBUSTNESS_HEADER}*)."
            if fragile
            else " en alle bij elke manier van wegen."
        )
    )
    widgets.dutch_table(
        shown.assign(
            decimals=np.where((shown["value_unit"] == "share").fillna(False), 1, 2),
            **{column: dutch_values(shown, column) for column in ("before", "after", "difference")},
        ),
        name=widgets.file_name("trends", group or "alle_groepen", topic),
        columns=TABLE_COLUMNS,
        base_column=["n_from", "n_to"],
        value_columns=VALUE_COLUMNS,
        decimals={"interval": "decimals"},
        p_values=["p_value", "p_adjusted"],
        intervals={"interval": ("ci_low", "ci_high")},
        counts=["n_from", "n_to"],
        key="trends_changes",
        column_config={TABLE_COLUMNS["question_label"]: st.column_config.TextColumn(width="medium")},
    )
    st.caption(
        "Voor en na: het aandeel in procenten of het gemiddelde rapportcijfer in de twee metingen; het verschil "
        "in procentpunten of cijferpunten met het 95%-interval. Een hele vraag is getoetst op de verdeling over "
        "alle antwoorden en heeft daarom geen enkel verschil. " + POLICY_TEXT
    )


def show_trend_breaks(pub: int, group: str, topic: str) -> None:
    """The items of the chosen group and topic whose trend breaks between two waves: never tested, with why."""
    breaks = data.frame(pub, "trends_breaks")
    if group != ALL:
        breaks = breaks[breaks["respondent_group"] == group]
    if topic != ALL:
        breaks = breaks[breaks["topic"] == topic]
    if breaks.empty:
        return
    st.subheader("Trendbreuken: niet vergeleken")
    st.markdown(
        f"Bij {len(breaks)} {'vraag' if len(breaks) == 1 else 'vragen'} zijn de antwoordmogelijkheden of de "
        "betekenis van de vraag tussen twee metingen veranderd. De uitkomsten zijn dan niet vergelijkbaar: er is "
        "niet getoetst of er iets veranderd is, en in de grafiek loopt de lijn niet door."
    )
    shown = breaks.assign(
        waves=breaks["wave_from"].astype("Int64").astype(str) + " → " + breaks["wave"].astype(str),
        item=item_label(breaks),
    )
    columns = {
        "waves": "Metingen",
        "group_label": "Groep",
        "topic": "Onderwerp",
        "question_label": "Vraag",
        "item": "Item",
        "reason": "Wat is er veranderd",
    }
    shown = shown[list(columns)].rename(columns=columns)
    st.dataframe(shown.fillna(widgets.NO_VALUE), hide_index=True, key="trends_breaks")
    st.download_button(
        "Download als CSV",
        data=widgets.csv_bytes(shown),
        file_name=widgets.file_name("trendbreuken", group or "alle_groepen", topic) + ".csv",
        mime="text/csv",
        key="csv_trends_breaks",
        icon=":material/download:",
    )


# --------------------------------------------------------------------------------------------------
# One item over the waves


def trend_segments(frame: pd.DataFrame) -> pd.DataFrame:
    """The figures with `SEGMENT`: per group, how many trend breaks (grade C) lie at or before each wave.

    A line joins the waves of one group and one segment only, so nothing is drawn across a break.
    """
    breaks = frame.loc[frame["comparability_grade"].eq(TREND_BREAK).fillna(False), ["respondent_group", "wave"]]
    breaks = breaks.drop_duplicates()  # one row per answer: the grade is the item's
    segment = [
        int(((breaks["respondent_group"] == group) & (breaks["wave"] <= wave)).sum())
        for group, wave in zip(frame["respondent_group"], frame["wave"], strict=True)
    ]
    return frame.assign(**{SEGMENT: segment})


def comparability_notes(frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Sentences for the trend breaks (grade C) and the rewordings (grade B) in an item's figures, in Dutch.

    One per group and wave: the grade is the item's, the same for each of its answers.
    """
    graded = frame[frame["comparability_grade"].isin([REWORDED, TREND_BREAK])]
    graded = graded.drop_duplicates(["respondent_group", "wave"]).sort_values(["group_sort_order", "wave"])
    breaks, rewordings = [], []
    for row in graded.itertuples():
        earlier = frame.loc[(frame["respondent_group"] == row.respondent_group) & (frame["wave"] < row.wave), "wave"]
        waves = f"tussen {int(earlier.max())} en {row.wave}" if len(earlier) else f"in {row.wave}"
        reason = str(row.comparability_reason).rstrip(".") if pd.notna(row.comparability_reason) else ""
        what = f": {reason}." if reason else "."
        if row.comparability_grade == TREND_BREAK:
            breaks.append(
                f"**Trendbreuk** bij {row.group_label} {waves}{what} De vraag is niet meer dezelfde: de lijn loopt "
                "daar niet door en de verandering is niet getoetst."
            )
        else:
            rewordings.append(
                f"**Vraagtekst gewijzigd** bij {row.group_label} {waves}{what} De antwoordmogelijkheden zijn gelijk "
                "gebleven en de verandering is getoetst; lees haar met die kanttekening."
            )
    return breaks, rewordings


def show_comparability(frame: pd.DataFrame) -> None:
    """Why a line stops (trend breaks) and where the question was reworded, above the item's chart."""
    breaks, rewordings = comparability_notes(frame)
    if breaks:
        st.warning("\n\n".join(breaks), icon=":material/timeline:")
    if rewordings:
        st.info("\n\n".join(rewordings), icon=":material/edit_note:")


def pick_item(shown: pd.DataFrame) -> pd.Series:
    """The question and item to draw (address `vraag`, `item`), among those in the table; first by default."""
    questions = dict(zip(shown["question_id"], shown["question_label"], strict=False))
    question_id = address.select(
        "Vraag", "vraag", list(questions), format_func=lambda value: questions.get(value, value)
    )
    rows = shown[shown["question_id"] == question_id]
    items = dict(zip(rows["item_id"], rows["item_text"], strict=False))
    if list(items) != [question_id]:
        item_id = address.select("Item", "item", list(items), format_func=lambda value: items.get(value, value))
    else:
        item_id = question_id
        address.remember(item=item_id)
    return rows[rows["item_id"] == item_id].iloc[0]


def same_answer(frame: pd.DataFrame, answer: pd.Series) -> pd.Series:
    """The rows of `frame` about the same answer code, or the same combined answer, as `answer`."""
    if pd.notna(answer["answer_grouping"]):
        return frame["answer_grouping"].eq(answer["answer_grouping"]).fillna(False)
    return frame["answer_code"].eq(answer["answer_code"]).fillna(False) & frame["answer_grouping"].isna()


def changed_groups(shown: pd.DataFrame, item: pd.Series, answer: pd.Series) -> list[str]:
    """The groups whose change of this answer (or combined answer) is in the table."""
    same = (shown["item_id"] == item["item_id"]) & (shown["question_id"] == item["question_id"])
    return list(dict.fromkeys(shown.loc[same & same_answer(shown, answer), "group_label"]))


def mean_chart(pub: int, item: pd.Series) -> pd.DataFrame:
    """The mean per group over the waves with its interval band; returns the policed figures."""
    means = data.frame(pub, "trends_means", question_id=item["question_id"], item_id=item["item_id"])
    show_comparability(means)
    policed = apply_base_policy(trend_segments(means), "base_n", ["mean", "ci_low", "ci_high"])
    charts.show_line_over_waves(
        policed,
        item["question_label"],
        chart_lines(item, policed),
        value="mean",
        low="ci_low",
        high="ci_high",
        colour="group_label",
        colours=trend_colours(pub, policed),
        title="Gemiddeld cijfer (1-10)",
        value_format=".2f",
        zero=False,
        segment=SEGMENT,
    )
    return policed.assign(answer_label=MEAN_ANSWER).rename(
        columns={"mean": "value", "ci_low": "low", "ci_high": "high"}
    )


def trend_colours(pub: int, frame: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Each group's own hue (as on Vragen), keyed by the group's label."""
    groups = data.frame(pub, "groups")
    present = groups[groups["respondent_group"].isin(frame["respondent_group"])]
    colours = charts.group_colours(present["respondent_group"].tolist(), groups["respondent_group"].tolist())
    return present["label_nl"].tolist(), colours


def chart_lines(item: pd.Series, frame: pd.DataFrame, answer: str = "") -> list[str]:
    """What a trend chart carries inside it: item, answer, base per group and wave, source and notice."""
    bases = frame.drop_duplicates(["group_label", "wave"])
    return [
        item["item_text"] if item["item_id"] != item["question_id"] else "",
        f"Antwoord: {answer}" if answer else "",
        "Basis: " + ", ".join(f"n = {row.base_n} ({row.group_label} {row.wave})" for row in bases.itertuples()),
        *charts.source_lines(widgets.current_publication()),
    ]


def share_charts(pub: int, item: pd.Series, shown: pd.DataFrame) -> pd.DataFrame:
    """One chart per answer: its share per group over the waves with the interval band; returns the figures."""
    shares = data.frame(pub, "trends_shares", question_id=item["question_id"], item_id=item["item_id"])
    if item["question_type"] == "multi":
        shares = shares[shares["answer_code"].ne(NOT_NAMED_CODE).fillna(True)]
    show_comparability(shares)
    policed = apply_base_policy(trend_segments(shares), "base_n", ["share_pct", "ci_low_pct", "ci_high_pct"])
    answers = policed.drop_duplicates(["answer_code", "answer_grouping"]).sort_values("answer_sort_order")
    columns = st.columns(2)
    for position, (_, answer) in enumerate(answers.iterrows()):
        with columns[position % 2]:
            combined = " (samengevoegd antwoord)" if pd.notna(answer["answer_grouping"]) else ""
            st.markdown(f"**{answer['answer_label']}**{combined}")
            changed = changed_groups(shown, item, answer)
            st.caption(
                "Significant veranderd bij: " + ", ".join(changed) if changed else "Geen significante verandering."
            )
            rows = policed[same_answer(policed, answer)]
            label = f"{answer['answer_label']}{combined}"
            charts.show_line_over_waves(
                rows,
                item["question_label"],
                chart_lines(item, rows, label),
                value="share_pct",
                low="ci_low_pct",
                high="ci_high_pct",
                colour="group_label",
                colours=trend_colours(pub, rows),
                segment=SEGMENT,
            )
    return policed.rename(columns={"share_pct": "value", "ci_low_pct": "low", "ci_high_pct": "high"})


def show_item_over_waves(pub: int, shown: pd.DataFrame) -> None:
    """The chosen item over all waves, per group, with the figures behind the chart."""
    st.subheader("Verloop over de metingen")
    item = pick_item(shown)
    if item["item_id"] != item["question_id"]:
        st.markdown(f"*{item['item_text']}*")
    is_mean = item["question_type"] == "numeric"
    figures = mean_chart(pub, item) if is_mean else share_charts(pub, item, shown)
    st.caption("De band om elke lijn is het 95%-interval. Met twee metingen is elke lijn twee punten.")
    with st.expander("Cijfers bij de grafiek"):
        widgets.dutch_table(
            figures,
            name=widgets.file_name("trends", item["question_id"], item["item_id"]),
            columns={
                "group_label": "Groep",
                "wave": "Meting",
                "answer_label": "Antwoord",
                "value": "Gemiddelde" if is_mean else "%",
                "interval": "95%-interval",
                "base_n": "Basis (n)",
            },
            base_column="base_n",
            value_columns=["value", "low", "high"],
            decimals={"value": 2 if is_mean else 1, "interval": 2 if is_mean else 1},
            intervals={"interval": ("low", "high")},
            counts=["base_n", "wave"],
            key="trends_figures",
        )


# --------------------------------------------------------------------------------------------------
# The page


def render() -> None:
    """The Trends page."""
    pub = widgets.current_publication()["publication_id"]
    st.title("Trends")
    widgets.reading_help("trends")
    st.markdown(
        "Alle significante veranderingen (p < 0,05, Rao-Scott-F-toets; voor het rapportcijfer de t-toets) tussen "
        "twee opeenvolgende metingen, per groep."
    )
    changes = prepare_changes(data.frame(pub, "trends_changes"))
    groups = data.frame(pub, "groups")
    group, topic = pick_filters(changes, groups)
    adjusted_only = st.checkbox("Alleen wat standhoudt na correctie", key="trends_adjusted")
    st.caption(ADJUSTMENT_TEXT)
    shown = filtered(changes, group, topic, adjusted_only)
    show_changes(shown, group, topic)
    if not shown.empty:
        show_item_over_waves(pub, shown)
    show_trend_breaks(pub, group, topic)


render()
