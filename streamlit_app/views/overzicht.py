"""Overzicht: the report's factsheet rebuilt from the marts, block by block, for the wave a reader picks.

The blocks, their figures and their charts are the publication contract's (`publication.factsheet_blocks`,
`publication.factsheet_charts`), the same the factsheet PDF is made of, which this page offers for download.
Every figure carries its base and a link to its question on the Vragen page; a significant change is a
grey badge (a change is not good or bad in itself); the small-base rule is folded away at the foot.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from publication import factsheet_blocks, factsheet_charts, locations
from publication.base_policy import HIDDEN, MARKED, POLICY_TEXT, STATUS_COLUMN
from publication.factsheet_blocks import Block
from streamlit_app import address, data, widgets

VRAGEN_PAGE = "views/vragen.py"
# Narrower labels than the PDF's: at phone width the labels must leave room for the bars.
LABEL_WIDTH = 26
CHANGE_COLUMNS = {
    "group_label": "Groep",
    "question_label": "Vraag",
    "item": "Item",
    "answer": "Antwoord",
    "before": "Vorige meting",
    "after": "Deze meting",
    "difference": "Verschil",
    "unit": "Eenheid",
    "holds": "Houdt stand na correctie",
    "n_from": "Basis vorige meting (n)",
    "n_to": "Basis deze meting (n)",
}


def dutch(value: float, decimals: int = 0) -> str:
    """A number as Dutch readers write it: a decimal comma."""
    return f"{value:.{decimals}f}".replace(".", ",")


def signed(value: float, decimals: int = 0) -> str:
    """A difference with its sign always shown."""
    return ("+" if value > 0 else "") + dutch(value, decimals)


def base_caption(base: int, status: str) -> str:
    """The base of a figure, with the small-base mark or the reason it is hidden."""
    return f"Basis: n = {base}" + (f" · {status}" if status else "")


def figure_text(row: pd.Series) -> str:
    """The figure as the factsheet writes it: a whole percentage, or a grade with one decimal; a dash if hidden."""
    if pd.isna(row["value"]):
        return "–"
    return f"{dutch(row['value'])}%" if row["kind"] == "share" else dutch(row["value"], 1)


def small_base_mark(row: pd.Series) -> str:
    """The small-base warning of a figure, if any, to put after it."""
    return {MARKED: " ⚠", HIDDEN: " (basis < 10, niet getoond)"}.get(row[STATUS_COLUMN], "")


def badge(marker: object, compared_with: str) -> str:
    """A significant change or difference as a neutral grey badge (▲/▼ and words, no good/bad colour)."""
    if marker not in ("hoger", "lager"):
        return ""
    sign = "▲" if marker == "hoger" else "▼"
    return f" :gray-badge[{sign} {marker} dan {compared_with}]"


def vragen_params(question_id: str, groups: list[str], wave: int) -> dict[str, str]:
    """The Vragen page's address for one question, the block's groups and the wave (see views/vragen.py)."""
    return {"vraag": question_id, "groep": ",".join(groups), "meting": str(wave)}


def question_links(pub: int, block: Block, figures: pd.DataFrame, wave: int) -> None:
    """A link per question of the block to its view on the Vragen page, with the block's groups and wave."""
    labels = data.frame(pub, "catalog").drop_duplicates("question_id").set_index("question_id")["question_label"]
    groups = [group for group in block.groups if group in set(figures["respondent_group"])]
    for question in dict.fromkeys(figures["question_id"]):
        st.page_link(
            VRAGEN_PAGE,
            label=f"{labels.get(question, question)}: bekijk de vraag",
            icon=":material/quiz:",
            query_params=vragen_params(question, groups, wave),
        )


def show_charts(block: Block, figures: pd.DataFrame) -> None:
    """The block's charts, the groups of a two-series comparison side by side (stacked on a phone)."""
    panels = factsheet_charts.panels(figures, block.comparison != factsheet_blocks.GROUPS)
    columns = st.columns(2) if len(panels) > 1 else [st.container()]
    for index, (title, kind, rows) in enumerate(panels):
        spec = chart_spec(rows, kind, title)
        if spec is not None:
            with columns[index % len(columns)]:
                # The chart's own theme, not Streamlit's: the same chart as in the factsheet PDF.
                st.vega_lite_chart(spec, width="stretch", theme=None)


@st.cache_data(show_spinner=False, max_entries=256)
def chart_spec(rows: pd.DataFrame, kind: str, title: str | None) -> dict | None:
    """A block's chart (`factsheet_charts.block_chart`) as its Vega-Lite spec, made once per set of bars.

    Building the Altair chart and validating its spec took about half of the page's 0.7 s on every
    rerun; the bars of a publication do not change between reruns.
    """
    chart = factsheet_charts.block_chart(rows, kind, width="container", title=title, label_width=LABEL_WIDTH)
    return None if chart is None else chart.to_dict()


# --------------------------------------------------------------------------------------------------
# The key figures: metrics per group


def metric_delta(row: pd.Series, previous: int | None) -> str | None:
    """The change since the previous wave, only when it is significant (else the metric shows none)."""
    if not isinstance(row["marker"], str) or pd.isna(row["value"]):
        return None
    return f"{row['marker']} dan in {previous}" if previous else f"{row['marker']} dan de vorige meting"


def metric_help(row: pd.Series, previous: int | None) -> str:
    """The question as this group was asked it, its base, and what a badge means."""
    lines = [f"Vraag: {row['wording']}", f"Basis: n = {row['base_n']} respondenten."]
    if metric_delta(row, previous):
        lines.append(f"Significant {metric_delta(row, previous)} (p < 0,05); grijs: een verandering is geen oordeel.")
    return "\n\n".join(lines)


def show_key_figures(pub: int, block: Block, figures: pd.DataFrame, wave: int, previous: int | None) -> None:
    """One column per group with its key figures as metrics, each with its base beneath.

    A significant change is the metric's delta in grey, its arrow the direction (never red or green).
    """
    st.subheader(block.title)
    st.caption(block.lead)
    groups = figures.drop_duplicates("respondent_group")
    for column, (_, group) in zip(st.columns(len(groups)), groups.iterrows(), strict=True):
        with column:
            st.markdown(f"**{group['group_label']}**")
            for _, row in figures[figures["respondent_group"] == group["respondent_group"]].iterrows():
                st.metric(
                    row["label"],
                    figure_text(row),
                    delta=metric_delta(row, previous),
                    delta_color="off",
                    delta_arrow="up" if row["marker"] == "hoger" else "down",
                    help=metric_help(row, previous),
                )
                st.caption(base_caption(row["base_n"], row[STATUS_COLUMN]))
    with st.expander("Bekijk deze vragen"):
        question_links(pub, block, figures, wave)


# --------------------------------------------------------------------------------------------------
# The other blocks


def ranked_lines(rows: pd.DataFrame, answer_label: str, top: int) -> list[str]:
    """One group's top items as a numbered Markdown list, each in the group's own wording with share and base."""
    ranked = rows.dropna(subset=["value"]).sort_values("value", ascending=False, kind="stable").head(top)
    return [
        f"{rank}. {row['wording']}: **{dutch(row['value'])}%** {answer_label} "
        f"(n = {row['base_n']}){small_base_mark(row)}"
        for rank, (_, row) in enumerate(ranked.iterrows(), start=1)
    ]


def show_ranking(block: Block, figures: pd.DataFrame) -> None:
    """Per group its top items, ranked on the block's answer, in the group's own wording."""
    groups = figures.drop_duplicates("respondent_group")
    for column, (_, group) in zip(st.columns(len(groups)), groups.iterrows(), strict=True):
        with column:
            st.markdown(f"**{group['group_label']}**")
            rows = figures[figures["respondent_group"] == group["respondent_group"]]
            st.markdown("\n".join(ranked_lines(rows, block.ranking.answer_label, block.ranking.top)))


def figure_lines(block: Block, figures: pd.DataFrame) -> list[str]:
    """Each figure of the block in words: its value per group or series, each with its base, badges grey."""
    lines = []
    for _, rows in figures.groupby("order", sort=True):
        parts = []
        for _, group_rows in rows.groupby("group_sort_order", sort=True):
            shown = []
            for _, row in group_rows.iterrows():
                compared = "overige" if block.comparison == factsheet_blocks.KINDCENTRA else "de vorige meting"
                if block.comparison == factsheet_blocks.WAVES and pd.notna(row["compared_with"]):
                    compared = str(int(row["compared_with"]))
                name = "" if row["series"] == row["group_label"] else f"{row['series']} "
                shown.append(
                    f"{name}{figure_text(row)} (n = {row['base_n']}){small_base_mark(row)}"
                    f"{badge(row['marker'], compared)}"
                )
            separator = " → " if block.comparison == factsheet_blocks.WAVES else " · "
            parts.append(f"{group_rows['group_label'].iloc[0]}: {separator.join(shown)}")
        lines.append(f"- **{rows['label'].iloc[0]}**: " + "; ".join(parts))
    return lines


def show_block(pub: int, block: Block, figures: pd.DataFrame, wave: int, first_wave: bool) -> None:
    """One block of the factsheet: its title, what the report says, its charts, its figures with bases, links."""
    st.subheader(block.title)
    st.caption(block.lead)
    if block.comparison == factsheet_blocks.WAVES and first_wave:
        st.info(f"Meting {wave} is de eerste meting: er is geen vorige meting om mee te vergelijken.")
    if figures.empty:
        st.info(f"Geen cijfers voor dit blok in meting {wave}.")
        return
    show_charts(block, figures)
    if block.ranking:
        show_ranking(block, figures)
    else:
        st.markdown("\n".join(figure_lines(block, figures)))
    with st.expander("Bekijk de vraag" if figures["question_id"].nunique() == 1 else "Bekijk deze vragen"):
        question_links(pub, block, figures, wave)


# --------------------------------------------------------------------------------------------------
# Every significant change since the previous wave


def change_answer(row: pd.Series) -> str:
    """What changed: the answer, a combined answer (marked as such), or the mean grade."""
    if row["test_level"] == "mean":
        return "gemiddelde"
    if pd.notna(row["answer_grouping"]):
        return f"{row['answer_label']} (samengevoegd)"
    return row["answer_label"]


def change_table(changes: pd.DataFrame) -> pd.DataFrame:
    """The changes of answers, combined answers and means, in percent (points) or grade points."""
    rows = changes[changes["test_level"] != "question"].copy()
    scale = rows["value_unit"].map({"share": 100.0}).fillna(1.0)
    rows["before"] = (rows["value_before"] * scale).round(1)
    rows["after"] = (rows["value_after"] * scale).round(1)
    rows["difference"] = (rows["difference"] * scale).round(1)
    rows["unit"] = rows["value_unit"].map({"share": "%-punt"}).fillna("punt (cijfer)")
    rows["item"] = rows["item_text"].where(rows["item_id"] != rows["question_id"], "")
    rows["answer"] = rows.apply(change_answer, axis=1)
    rows["holds"] = rows["holds_after_adjustment"].map({True: "ja", False: "nee"})
    return rows


def whole_question_note(changes: pd.DataFrame) -> str | None:
    """The questions whose whole distribution changed significantly, as one Dutch sentence."""
    whole = changes[changes["test_level"] == "question"]
    if whole.empty:
        return None
    named = [f"{row['question_label']} ({row['group_label']})" for _, row in whole.iterrows()]
    return "De verdeling als geheel veranderde significant bij: " + "; ".join(named) + "."


def show_changes(pub: int, wave: int, waves: list[int]) -> None:
    """Every significant change since the previous wave, folded away, with both bases and the BH check."""
    earlier = [w for w in waves if w < wave]
    if not earlier:
        st.info(f"Meting {wave} is de eerste meting: er is geen vorige meting om mee te vergelijken.")
        return
    changes = data.frame(pub, "overzicht_changes", wave=wave)
    title = f"Alle significante veranderingen tussen {max(earlier)} en {wave}"
    if changes.empty:
        st.info(f"Geen significante veranderingen tussen {max(earlier)} en {wave}.")
        return
    with st.expander(f"{title} ({len(change_table(changes))})"):
        st.caption(
            f"Veranderingen tussen {max(earlier)} en {wave} met p < 0,05 (Rao-Scott F-toets; bij het rapportcijfer "
            "een t-toets). 'Houdt stand na correctie': nog significant na de Benjamini-Hochberg-correctie voor het "
            "aantal toetsen. De basis is het aantal respondenten in elke meting; de kleinste telt voor de regel over "
            "kleine bases."
        )
        widgets.table(
            change_table(changes),
            name=f"veranderingen_{wave}",
            columns=CHANGE_COLUMNS,
            base_column=["n_from", "n_to"],
            value_columns=["before", "after", "difference"],
            key="overzicht_veranderingen",
            column_config={
                CHANGE_COLUMNS["before"]: st.column_config.NumberColumn(format="%.1f"),
                CHANGE_COLUMNS["after"]: st.column_config.NumberColumn(format="%.1f"),
                CHANGE_COLUMNS["difference"]: st.column_config.NumberColumn(format="%+.1f"),
            },
        )
        note = whole_question_note(changes)
        if note:
            st.caption(note)


# --------------------------------------------------------------------------------------------------
# The page


def factsheet_download(pub: int, newest: int) -> None:
    """The factsheet PDF the publish stage wrote beside the serving copy (the newest wave), for download."""
    path = locations.factsheet_path(locations.serving_path())
    if not path.exists():
        st.caption("De factsheet (PDF) van deze publicatie is er niet: die wordt geschreven bij het publiceren.")
        return
    st.download_button(
        f"Download de factsheet {newest} (PDF)",
        data=path.read_bytes(),
        file_name=f"factsheet_{newest}_publicatie_{pub}.pdf",
        mime="application/pdf",
        icon=":material/picture_as_pdf:",
        key="overzicht_factsheet",
    )


def main() -> None:
    """The factsheet for the wave in the address (default: the newest)."""
    pub = widgets.current_publication()["publication_id"]
    st.title("Overzicht")
    st.caption("De factsheet van het rapport, opnieuw berekend uit de gepubliceerde gegevens.")
    waves = [int(wave) for wave in data.frame(pub, "waves")["wave"]]
    pick, download = st.columns([1, 2], vertical_alignment="bottom")
    with pick:
        wave = address.select("Meting", "meting", waves, default=waves[-1])
    with download:
        factsheet_download(pub, waves[-1])
    figures = data.wave_figures(pub, wave)
    for block in factsheet_blocks.BLOCKS:
        if block.key == "kerncijfers":
            previous = max((w for w in waves if w < wave), default=None)
            show_key_figures(pub, block, figures[block.key], wave, previous)
        else:
            show_block(pub, block, figures[block.key], wave, first_wave=wave == waves[0])
    st.subheader("Veranderingen sinds de vorige meting")
    show_changes(pub, wave, waves)
    with st.expander("Kleine bases: wat we niet of met een waarschuwing tonen"):
        st.markdown(POLICY_TEXT)


main()
