"""The tabellenrapport: the report's tables appendix (bijlage 2) as one Excel workbook, from the serving copy.

A cover sheet (the publication, the small-base policy, the legend of the marks), then one sheet per
chapter of the report. On a chapter sheet every question has a title row, and every item a block:
the answers as rows, each group and wave as a column pair (the weighted percentage with one decimal,
and its marks), and a base row `n=`. Means (the rapportcijfer) and the cooperation models follow in
their chapters. Every figure goes through `base_policy.apply_base_policy`, as in the viewer.

The publish stage writes the workbook beside the serving copy (`locations.workbook_path`); the
viewer's Methode page offers it for download. No Streamlit and no pipeline import here.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import xlsxwriter
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from publication import queries
from publication.base_policy import (
    HIDDEN,
    HIDE_BELOW,
    MARK_BELOW,
    MARKED,
    POLICY_TEXT,
    STATUS_COLUMN,
    apply_base_policy,
)
from publication.settings import MIN_TEST_BASE
from publication.texts import SYNTHETIC_TEXT, dutch_quality_summary

TITLE = "Samenwerking in beeld: tabellenrapport"
COVER_SHEET = "Voorblad"

# The marks beside a figure. The significance marks use the default methods (Rao-Scott F for answers,
# the design-based t-test for means) at p < 0.05 unadjusted, as the report does.
CHANGE_MARKS = {"hoger": "▲", "lager": "▼"}
KINDCENTRUM_MARKS = {"hoger": "K↑", "lager": "K↓"}
POLICY_MARKS = {HIDDEN: "verborgen", MARKED: "⚠"}
BASE_LABEL = "Basis"
MEANS_HEADING = "Gemiddelde en 95%-interval"
MODELS_TOPIC = "Samenwerkingsmodellen"
MODELS_TITLE = "Indeling in samenwerkingsmodellen (respondenten die alle zes kernvragen beantwoordden)"
LEGEND = [
    ("▲", "Significant hoger dan in de vorige meting (p < 0,05)."),
    ("▼", "Significant lager dan in de vorige meting (p < 0,05)."),
    ("K↑", "Bij kindcentra significant hoger dan bij de overige respondenten van deze groep en meting (p < 0,05)."),
    ("K↓", "Bij kindcentra significant lager dan bij de overige respondenten van deze groep en meting (p < 0,05)."),
    ("⚠", f"Kleine basis: {HIDE_BELOW} tot {MARK_BELOW} respondenten. Lees het cijfer met voorzichtigheid."),
    ("verborgen", f"Basis onder {HIDE_BELOW} respondenten: het cijfer wordt niet getoond (de cel is leeg)."),
    ("n=", "De basis: het aantal respondenten (ongewogen) dat de vraag beantwoordde."),
]
TESTS_TEXT = (
    "Percentages en gemiddelden zijn gewogen naar de populatie. Een verandering is getoetst tegen de vorige "
    "meting waarin de vraag gesteld is; een kindcentrumverschil vergelijkt, binnen een meting, respondenten die "
    "hun samenwerking een kindcentrum noemen met de overige respondenten. Antwoordverdelingen zijn getoetst met "
    "de Rao-Scott-gecorrigeerde chikwadraattoets, gemiddelden met een t-toets die rekening houdt met de weging. "
    f"Er is alleen getoetst als elke kant ten minste {MIN_TEST_BASE} respondenten heeft."
)
SHEET_NAME_LIMIT = 31
_FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")

LABEL_WIDTH = 62
FROZEN_ROWS = 2  # the chapter title and the note under it
A4 = 9  # xlsxwriter's paper code
VALUE_WIDTH = 8
MARK_WIDTH = 9


# --------------------------------------------------------------------------------------------------
# blocks: one table of the appendix, independent of Excel

Column = tuple[str, int]  # (group label, wave)


@dataclass(frozen=True)
class Block:
    """One table: answers as rows, a (group, wave) column pair per figure, its marks, and a base per column."""

    heading: str | None  # an item's text above its table (grid items); None when the question says it all
    row_header: str
    rows: list[str]
    columns: list[Column]
    cells: dict[tuple[str, Column], tuple[float | None, str]]  # (row, column): (value or None if hidden, marks)
    bases: dict[Column, tuple[int, str]]  # column: (base, small-base mark)


@dataclass(frozen=True)
class Question:
    """A question's title row and its blocks, under its topic."""

    topic: str
    title: str
    blocks: list[Block]


def police(long: pd.DataFrame) -> pd.DataFrame:
    """Long figures under the small-base policy, with the marks of each figure and of its base.

    `long` has a `value`, a `base_n`, and `change_since_previous_wave` and `kindcentrum_difference`
    ('hoger', 'lager' or null). A value on a base under 10 is blanked, as everywhere in the viewer.
    """
    policed = apply_base_policy(long, "base_n", ["value"])
    base_mark = policed[STATUS_COLUMN].map(POLICY_MARKS).fillna("")
    change = policed["change_since_previous_wave"].map(CHANGE_MARKS).fillna("")
    kindcentrum = policed["kindcentrum_difference"].map(KINDCENTRUM_MARKS).fillna("")
    policed["base_mark"] = base_mark
    policed["marks"] = (base_mark + " " + change + " " + kindcentrum).str.split().str.join(" ")
    return policed


def build_block(policed: pd.DataFrame, *, heading: str | None, row_header: str) -> Block:
    """A block from policed long rows (row_label, row_order, group_label, group_sort_order, wave, ...)."""
    ordered = policed.sort_values(["row_order", "group_sort_order", "wave"], kind="stable")
    column_order = (
        ordered[["group_sort_order", "wave", "group_label"]].drop_duplicates().sort_values(["group_sort_order", "wave"])
    )
    cells, bases = {}, {}
    for row in ordered.itertuples(index=False):
        column = (row.group_label, int(row.wave))
        cells[(row.row_label, column)] = (None if pd.isna(row.value) else float(row.value), row.marks)
        bases[column] = (int(row.base_n), row.base_mark)
    return Block(
        heading=heading,
        row_header=row_header,
        rows=ordered["row_label"].drop_duplicates().tolist(),
        columns=[(group, int(wave)) for _, wave, group in column_order.itertuples(index=False)],
        cells=cells,
        bases=bases,
    )


def share_figures(shares: pd.DataFrame) -> pd.DataFrame:
    """Every published share as a policed figure, labelled as its row in the appendix.

    A multiple-answer question is one table whose rows are its options (each an item of its own);
    any other question has a table per item whose rows are the answers.
    """
    multi = shares["question_type"] == "multi"
    long = shares.assign(
        row_label=shares["answer_label"].where(~multi, shares["item_text"]),
        row_order=shares["answer_sort_order"].where(~multi, shares["item_order"]),
        block=shares["item_id"].where(~multi, shares["question_id"]),
        value=shares["share_pct"],
    )
    return police(long)


def share_blocks(question: pd.DataFrame) -> list[Block]:
    """The blocks of one question's policed shares, in the order of its items."""
    blocks = []
    for _, item in question.groupby(["item_order", "block"], sort=True, dropna=False):
        first = item.iloc[0]
        is_grid_item = first["question_type"] != "multi" and first["item_text"] != first["question_text"]
        blocks.append(build_block(item, heading=first["item_text"] if is_grid_item else None, row_header="Antwoord"))
    return blocks


def mean_figures(means: pd.DataFrame) -> pd.DataFrame:
    """Every published mean with its 95% interval, as policed figures (three rows per group and wave)."""
    parts = []
    for order, (label, column) in enumerate(
        [("Gemiddelde", "mean"), ("95%-interval, ondergrens", "ci_low"), ("95%-interval, bovengrens", "ci_high")]
    ):
        part = means.assign(row_label=label, row_order=order, value=means[column])
        if column != "mean":  # the significance marks belong to the mean itself
            part = part.assign(change_since_previous_wave=None, kindcentrum_difference=None)
        parts.append(part)
    return police(pd.concat(parts, ignore_index=True))


def model_figures(models: pd.DataFrame) -> pd.DataFrame:
    """The cooperation models per group and wave (bijlage 1's classification), as policed percentages."""
    return police(
        models.assign(
            row_label=models["model_label"],
            row_order=models["model_sort_order"],
            value=models["share_pct"],
            change_since_previous_wave=None,
            kindcentrum_difference=None,
        )
    )


def chapter_questions(
    chapter: str, shares: pd.DataFrame, means: pd.DataFrame, models: pd.DataFrame
) -> Iterator[Question]:
    """The questions of one chapter in the report's order, then the cooperation models if they belong here.

    Takes the policed figures of `share_figures`, `mean_figures` and `model_figures`.
    """
    for _, question in shares[shares["chapter"] == chapter].groupby("question_order", sort=True):
        blocks = share_blocks(question)
        question_means = means[means["question_id"] == question["question_id"].iloc[0]]
        if not question_means.empty:
            blocks.append(build_block(question_means, heading=MEANS_HEADING, row_header=""))
        yield Question(question["topic"].iloc[0], question["question_text"].iloc[0], blocks)
    chapter_models = models[models["chapter"] == chapter]
    if not chapter_models.empty:
        yield Question(
            MODELS_TOPIC, MODELS_TITLE, [build_block(chapter_models, heading=None, row_header="Samenwerkingsmodel")]
        )


def sheet_name(chapter: str, taken: set[str]) -> str:
    """A valid sheet name for a chapter, unique among `taken` (and added to it).

    Excel allows at most 31 characters and none of []:*?/\\; a longer title ends in an ellipsis (the
    sheet's first cell holds it in full). Excel compares sheet names without regard to case.
    """
    name = " ".join(_FORBIDDEN_IN_SHEET_NAMES.sub(" ", chapter).split()).strip("'") or "Hoofdstuk"
    candidate, number = _shortened(name, ""), 2
    while candidate.casefold() in {existing.casefold() for existing in taken}:
        candidate, number = _shortened(name, f" ({number})"), number + 1
    taken.add(candidate)
    return candidate


def _shortened(name: str, suffix: str) -> str:
    """`name` + `suffix` within the sheet name limit, the name cut with an ellipsis when it is too long."""
    room = SHEET_NAME_LIMIT - len(suffix)
    return (name if len(name) <= room else name[: room - 1].rstrip() + "…") + suffix


# --------------------------------------------------------------------------------------------------
# Excel


class Formats:
    """The cell formats of the workbook, made once per workbook."""

    def __init__(self, workbook: Workbook) -> None:
        """Register every format with the workbook."""
        self.title = workbook.add_format({"bold": True, "font_size": 16})
        self.chapter = workbook.add_format({"bold": True, "font_size": 14})
        self.topic = workbook.add_format({"bold": True, "font_size": 12, "font_color": "#0072B2"})
        self.question = workbook.add_format({"bold": True})
        self.heading = workbook.add_format({"italic": True, "text_wrap": True, "valign": "top"})
        self.header = workbook.add_format({"bold": True, "bottom": 1, "align": "center"})
        self.header_left = workbook.add_format({"bold": True, "bottom": 1})
        self.group = workbook.add_format({"bold": True, "align": "center", "text_wrap": True})
        self.label = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.percent = workbook.add_format({"num_format": "0.0", "valign": "top"})
        self.mark = workbook.add_format({"font_color": "#D55E00", "valign": "top"})
        self.base_label = workbook.add_format({"italic": True, "top": 1})
        self.base = workbook.add_format({"num_format": '"n="0', "italic": True, "top": 1})
        self.base_mark = workbook.add_format({"font_color": "#D55E00", "italic": True, "top": 1})
        self.text = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.warning = workbook.add_format({"bold": True, "font_color": "#D55E00", "text_wrap": True, "valign": "top"})
        self.bold = workbook.add_format({"bold": True, "valign": "top"})
        self.link = workbook.add_format({"font_color": "#0072B2", "underline": 1})


def write_block(sheet: Worksheet, row: int, block: Block, formats: Formats) -> int:
    """Write one block from `row`; return the first free row after it (one blank row included).

    Column 0 holds the labels; group and wave i take column 1 + 2i (the figure) and 2 + 2i (its marks).
    """
    if block.heading:
        sheet.write(row, 0, block.heading, formats.heading)
        row += 1
    groups: dict[str, list[int]] = {}
    for index, (group, _) in enumerate(block.columns):
        groups.setdefault(group, []).append(1 + 2 * index)
    for group, value_columns in groups.items():
        sheet.merge_range(row, value_columns[0], row, value_columns[-1] + 1, group, formats.group)
    sheet.write(row + 1, 0, block.row_header, formats.header_left)
    for index, (_, wave) in enumerate(block.columns):
        sheet.write_number(row + 1, 1 + 2 * index, wave, formats.header)
        sheet.write_blank(row + 1, 2 + 2 * index, None, formats.header)
    row += 2
    for label in block.rows:
        sheet.write(row, 0, label, formats.label)
        for index, column in enumerate(block.columns):
            value, marks = block.cells.get((label, column), (None, ""))
            if value is not None:
                sheet.write_number(row, 1 + 2 * index, round(value, 1), formats.percent)
            if marks:
                sheet.write_string(row, 2 + 2 * index, marks, formats.mark)
        row += 1
    sheet.write(row, 0, BASE_LABEL, formats.base_label)
    for index, column in enumerate(block.columns):
        base, mark = block.bases[column]
        sheet.write_number(row, 1 + 2 * index, base, formats.base)
        sheet.write(row, 2 + 2 * index, mark, formats.base_mark)
    return row + 2


def write_chapter(sheet: Worksheet, chapter: str, questions: list[Question], formats: Formats) -> None:
    """A chapter sheet: its title, then per topic its questions, each with its blocks."""
    width = max((len(block.columns) for question in questions for block in question.blocks), default=1)
    sheet.set_column(0, 0, LABEL_WIDTH)
    for index in range(width):
        sheet.set_column(1 + 2 * index, 1 + 2 * index, VALUE_WIDTH)
        sheet.set_column(2 + 2 * index, 2 + 2 * index, MARK_WIDTH)
    sheet.write(0, 0, chapter, formats.chapter)
    sheet.write(1, 0, "Gewogen percentages; n = ongewogen basis. De tekens staan uitgelegd op het voorblad.")
    # The title rows and the label column stay in view while scrolling, and on paper every page is
    # landscape A4, as wide as the sheet, under the repeated title rows.
    sheet.freeze_panes(FROZEN_ROWS, 1)
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0, FROZEN_ROWS - 1)
    row, topic = 3, None
    for question in questions:
        if question.topic != topic:
            topic = question.topic
            sheet.write(row, 0, topic, formats.topic)
            row += 1
        sheet.write(row, 0, question.title, formats.question)
        row += 1
        for block in question.blocks:
            row = write_block(sheet, row, block, formats)
        row += 1


def write_cover(sheet: Worksheet, publication: pd.Series, chapters: list[tuple[str, str]], formats: Formats) -> None:
    """The cover: title, publication, synthetic-sample warning, small-base policy, legend, tests, contents."""
    sheet.set_column(0, 0, 22)
    sheet.set_column(1, 1, 100)
    sheet.write(0, 0, TITLE, formats.title)
    published_at = pd.Timestamp(publication["published_at"]).strftime("%d-%m-%Y %H:%M")
    facts = [
        ("Publicatie", f"{int(publication['publication_id'])}"),
        ("Gepubliceerd op", f"{published_at} (UTC)"),
        ("Projectversie", publication["project_commit"] or "onbekend"),
        (
            "Kwaliteitscontroles",
            dutch_quality_summary(publication["n_checks"], publication["n_errors"], publication["n_warnings"]),
        ),
    ]
    row = 2
    for label, value in facts:
        sheet.write(row, 0, label, formats.bold)
        sheet.write_string(row, 1, str(value), formats.text)
        row += 1
    row += 1
    if publication["is_synthetic_sample"]:
        sheet.write(row, 0, "Let op", formats.warning)
        sheet.write(row, 1, SYNTHETIC_TEXT, formats.warning)
        row += 2
    sheet.write(row, 0, "Kleine basis", formats.bold)
    sheet.write(row, 1, POLICY_TEXT, formats.text)
    row += 2
    sheet.write(row, 0, "Toetsen", formats.bold)
    sheet.write(row, 1, TESTS_TEXT, formats.text)
    row += 2
    sheet.write(row, 0, "Tekens", formats.question)
    row += 1
    for mark, meaning in LEGEND:
        sheet.write(row, 0, mark, formats.bold)
        sheet.write(row, 1, meaning, formats.text)
        row += 1
    row += 1
    sheet.write(row, 0, "Inhoud", formats.question)
    row += 1
    for name, chapter in chapters:
        sheet.write_url(row, 1, f"internal:'{name}'!A1", formats.link, string=chapter)
        row += 1


def _read(serving_path: Path) -> dict[str, pd.DataFrame]:
    """Everything the workbook shows, read from the serving copy through the viewer's statements, policed."""
    return {
        "publication": queries.fetch("publication", path=serving_path),
        "chapters": queries.fetch("tabellenrapport_chapters", path=serving_path),
        "shares": share_figures(queries.fetch("tabellenrapport_shares", path=serving_path)),
        "means": mean_figures(queries.fetch("tabellenrapport_means", path=serving_path)),
        "models": model_figures(queries.fetch("tabellenrapport_models", path=serving_path)),
    }


def write_workbook(serving_path: Path, out_path: Path) -> Path:
    """Write the tabellenrapport of the serving copy at `serving_path` to `out_path` (.xlsx); return out_path."""
    frames = _read(Path(serving_path))
    if frames["publication"].empty:
        raise ValueError(f"{serving_path} holds no publication")
    chapters = frames["chapters"]["chapter"].tolist()
    taken: set[str] = {COVER_SHEET}
    names = [(sheet_name(chapter, taken), chapter) for chapter in chapters]
    # xlsxwriter keeps the workbook in memory and writes the file only on close: a failure before
    # that leaves no file at all.
    workbook = xlsxwriter.Workbook(str(out_path))
    formats = Formats(workbook)
    write_cover(workbook.add_worksheet(COVER_SHEET), frames["publication"].iloc[0], names, formats)
    for name, chapter in names:
        questions = list(chapter_questions(chapter, frames["shares"], frames["means"], frames["models"]))
        write_chapter(workbook.add_worksheet(name), chapter, questions, formats)
    workbook.close()
    return Path(out_path)
