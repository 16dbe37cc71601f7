"""The tabellenrapport: the report's tables appendix (bijlage 2) as one Excel workbook, from the serving copy.

A cover sheet (the publication, the small-base policy, the legend of the marks, the contents linking
to every chapter), then one sheet per chapter of the report, named short enough to read in Excel's tab
bar (`sheet_name`), its full title in its first row. On a chapter sheet every question has a title
row, and every item a block: the answers as rows, each group and wave as a column pair (the weighted
percentage with one decimal, and its marks), and a base row `n=`. Means (the rapportcijfer) and the
cooperation models follow in their chapters. Every figure goes through `base_policy.apply_base_policy`,
as in the viewer, its interval with it.

The 95% interval of a figure stands in the row under it, in small grey type, as two numbers in the
same column pair: the lower end in the figure's column (shown as `12,3–`) and the upper end in the
marks column (`18,9`), so that together they read `12,3–18,9`. Not a column of its own: a third
and fourth column per group and wave would make the widest tables (four groups, two waves) some 250
characters wide, and printed one page wide the figures would be too small to read; the row under the
figure keeps the width the report's tables have. Not text: as numbers they keep the figures' decimal
mark (a comma in Dutch, fixed by the number format's language, also in an English Excel) and can be
copied and computed with, like the percentages themselves.

Where a question or item was put to the groups in different words (the report prints each group's
own question), the title or heading lists each group's wording (`group_wordings`) instead of one
group's text, and a multiple-answer option's row label does the same.

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
from xlsxwriter.format import Format
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
INTERVAL_LABEL = "95%-interval"
MEAN_LABEL = "Gemiddelde"
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
    (
        INTERVAL_LABEL,
        "Het 95%-betrouwbaarheidsinterval van het cijfer erboven, van ondergrens tot bovengrens (bijvoorbeeld "
        "12,3–18,9): met 95% zekerheid ligt het percentage of gemiddelde in de populatie daartussen.",
    ),
]
CHAPTER_NOTE = (
    "Gewogen percentages, met in de rij eronder (grijs) het 95%-interval; n = ongewogen basis. "
    "De tekens staan uitgelegd op het voorblad."
)
TESTS_TEXT = (
    "Percentages en gemiddelden zijn gewogen naar de populatie. Een verandering is getoetst tegen de vorige "
    "meting waarin de vraag gesteld is; een kindcentrumverschil vergelijkt, binnen een meting, respondenten die "
    "hun samenwerking een kindcentrum noemen met de overige respondenten. Antwoordverdelingen zijn getoetst met "
    "de Rao-Scott-gecorrigeerde chikwadraattoets, gemiddelden met een t-toets die rekening houdt met de weging. "
    f"Er is alleen getoetst als elke kant ten minste {MIN_TEST_BASE} respondenten heeft."
)
SHEET_NAME_LIMIT = 31  # Excel's own limit
SHEET_NAME_LENGTH = 20  # ours: five or six tabs stay readable side by side in Excel's tab bar
_FORBIDDEN_IN_SHEET_NAMES = re.compile(r"[\[\]:*?/\\]")
# Words a shortened sheet name may lose at its start (articles) or end (words that need a next word).
_LEADING_ARTICLES = {"de", "het", "een"}
_DANGLING_WORDS = {
    *_LEADING_ARTICLES,
    "en",
    "of",
    "van",
    "met",
    "in",
    "op",
    "voor",
    "bij",
    "aan",
    "tot",
    "te",
    "over",
    "naar",
    "om",
    "door",
    "&",
}

LABEL_WIDTH = 62
FROZEN_ROWS = 2  # the chapter title and the note under it
A4 = 9  # xlsxwriter's paper code
VALUE_WIDTH = 8
MARK_WIDTH = 9
COVER_LABEL_WIDTH = 22
COVER_TEXT_WIDTH = 80
LINE_HEIGHT = 15  # points, Excel's default row at 11 pt
TITLE_ROW_HEIGHT = 20  # the chapter title at 14 pt
POINTS_PER_PIXEL = 0.75
# Landscape A4 (842 by 595 points) less xlsxwriter's default margins (0.7 inch left and right, 0.75
# inch top and bottom), and the share of it the layout plans for: the rest absorbs the difference
# between these estimates and what Excel or LibreOffice measure with their own fonts.
PRINTABLE_WIDTH = 842 - 2 * 0.7 * 72
PRINTABLE_HEIGHT = 595 - 2 * 0.75 * 72
PAGE_FILL = 0.93
# Characters of running text per unit of column width: a column's width counts digits, and text is a
# little narrower (measured on LibreOffice's printout, whose fallback font is wider than Excel's
# Calibri). Rather one line too many than a line hidden under the next row.
CHARACTERS_PER_WIDTH = 1.2
# The interval's two ends as numbers that read as one range across the figure's two columns; the
# language code (413, Dutch) makes the decimal mark a comma whatever the reader's Excel language is.
PERCENT_FORMAT = "[$-413]0.0"
LOW_FORMAT = '[$-413]0.0"–"'


# --------------------------------------------------------------------------------------------------
# blocks: one table of the appendix, independent of Excel

Column = tuple[str, int]  # (group label, wave)


@dataclass(frozen=True)
class Figure:
    """One cell of a table: the figure, its 95% interval (None when hidden or not published) and its marks."""

    value: float | None
    low: float | None
    high: float | None
    marks: str


@dataclass(frozen=True)
class Block:
    """One table: answers as rows, a (group, wave) column pair per figure, its marks, and a base per column."""

    heading: list[str]  # lines above the table: an item's text, or each group's wording of it; [] for none
    row_header: str
    rows: list[str]
    columns: list[Column]
    cells: dict[tuple[str, Column], Figure]  # (row, column): the figure
    bases: dict[Column, tuple[int, str]]  # column: (base, small-base mark)

    @property
    def has_intervals(self) -> bool:
        """Whether any figure of the table has an interval (then every answer gets an interval row)."""
        return any(figure.low is not None for figure in self.cells.values())


@dataclass(frozen=True)
class Question:
    """A question's title row, each group's wording when the groups were asked it differently, its blocks."""

    topic: str
    title: str
    wordings: list[str]
    blocks: list[Block]


def dutch_list(words: list[str]) -> str:
    """`a`, `a en b`, `a, b en c`."""
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} en {words[-1]}"


def group_wordings(rows: pd.DataFrame, text_column: str) -> list[str]:
    """Each group's wording in `text_column` as `Groep: ‘…’` lines, or [] when every group was asked alike.

    A group's wording is the one of its latest wave; groups asked in the same words share a line, in
    the report's order of the groups (`group_sort_order`).
    """
    latest = (
        rows.dropna(subset=[text_column])
        .sort_values(["group_sort_order", "wave"], kind="stable")
        .drop_duplicates("group_label", keep="last")
    )
    groups_by_text: dict[str, list[str]] = {}
    for text, group in zip(latest[text_column], latest["group_label"], strict=True):
        groups_by_text.setdefault(text, []).append(group)
    if len(groups_by_text) < 2:
        return []
    return [f"{dutch_list(groups)}: ‘{text}’" for text, groups in groups_by_text.items()]


def police(long: pd.DataFrame) -> pd.DataFrame:
    """Long figures under the small-base policy, with the marks of each figure and of its base.

    `long` has a `value`, its interval `ci_low` and `ci_high`, a `base_n`, and `change_since_previous_wave`
    and `kindcentrum_difference` ('hoger', 'lager' or null). A value on a base under 10 is blanked with
    its interval, as everywhere in the viewer.
    """
    policed = apply_base_policy(long, "base_n", ["value", "ci_low", "ci_high"])
    base_mark = policed[STATUS_COLUMN].map(POLICY_MARKS).fillna("")
    change = policed["change_since_previous_wave"].map(CHANGE_MARKS).fillna("")
    kindcentrum = policed["kindcentrum_difference"].map(KINDCENTRUM_MARKS).fillna("")
    policed["base_mark"] = base_mark
    policed["marks"] = (base_mark + " " + change + " " + kindcentrum).str.split().str.join(" ")
    return policed


def _number(value: object) -> float | None:
    """A figure as a float, None when it is missing or hidden."""
    return None if pd.isna(value) else float(value)


def build_block(policed: pd.DataFrame, *, heading: list[str], row_header: str) -> Block:
    """A block from policed long rows (row_label, row_order, group_label, group_sort_order, wave, ...)."""
    ordered = policed.sort_values(["row_order", "group_sort_order", "wave"], kind="stable")
    column_order = (
        ordered[["group_sort_order", "wave", "group_label"]].drop_duplicates().sort_values(["group_sort_order", "wave"])
    )
    cells, bases = {}, {}
    for row in ordered.itertuples(index=False):
        column = (row.group_label, int(row.wave))
        cells[(row.row_label, column)] = Figure(
            _number(row.value), _number(row.ci_low), _number(row.ci_high), row.marks
        )
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

    A multiple-answer question is one table whose rows are its options (each an item of its own,
    labelled with each group's wording where the groups read it differently); any other question has
    a table per item whose rows are the answers.
    """
    multi = shares["question_type"] == "multi"
    option_wordings = {
        item_id: "\n".join(lines)
        for item_id, option in shares[multi].groupby("item_id", sort=False)
        if (lines := group_wordings(option, "group_item_text"))
    }
    option_labels = shares["item_id"].map(option_wordings).fillna(shares["item_text"])
    long = shares.assign(
        row_label=shares["answer_label"].where(~multi, option_labels),
        row_order=shares["answer_sort_order"].where(~multi, shares["item_order"]),
        block=shares["item_id"].where(~multi, shares["question_id"]),
        value=shares["share_pct"],
        ci_low=shares["ci_low_pct"],
        ci_high=shares["ci_high_pct"],
    )
    return police(long)


def share_blocks(question: pd.DataFrame) -> list[Block]:
    """The blocks of one question's policed shares, in the order of its items (a multiple-answer question: one)."""
    blocks = []
    # A block's place is its first item's: a multiple-answer block spans all its options' item orders.
    order = question.groupby("block", sort=False)["item_order"].min().sort_values(kind="stable", na_position="last")
    for block in order.index:
        item = question[question["block"] == block]
        first = item.iloc[0]
        is_grid_item = first["question_type"] != "multi" and first["item_text"] != first["question_text"]
        heading = (group_wordings(item, "group_item_text") or [first["item_text"]]) if is_grid_item else []
        blocks.append(build_block(item, heading=heading, row_header="Antwoord"))
    return blocks


def mean_figures(means: pd.DataFrame) -> pd.DataFrame:
    """Every published mean with its 95% interval, as policed figures (one row per group and wave)."""
    return police(means.assign(row_label=MEAN_LABEL, row_order=0, value=means["mean"]))


def model_figures(models: pd.DataFrame) -> pd.DataFrame:
    """The cooperation models per group and wave (bijlage 1's classification), as policed percentages."""
    return police(
        models.assign(
            row_label=models["model_label"],
            row_order=models["model_sort_order"],
            value=models["share_pct"],
            ci_low=models["ci_low_pct"],
            ci_high=models["ci_high_pct"],
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
            blocks.append(build_block(question_means, heading=[MEANS_HEADING], row_header=""))
        first = question.iloc[0]
        # Asked in different words, the question is titled by its label and each group's wording follows.
        wordings = group_wordings(question, "group_question_text")
        title = first["question_label"] if wordings and pd.notna(first["question_label"]) else first["question_text"]
        yield Question(first["topic"], title, wordings, blocks)
    chapter_models = models[models["chapter"] == chapter]
    if not chapter_models.empty:
        yield Question(
            MODELS_TOPIC, MODELS_TITLE, [], [build_block(chapter_models, heading=[], row_header="Samenwerkingsmodel")]
        )


def sheet_name(chapter: str, taken: set[str]) -> str:
    """A short, valid sheet name for a chapter, unique among `taken` (and added to it).

    At most `SHEET_NAME_LENGTH` characters, so the tab bar shows every chapter; none of Excel's
    forbidden []:*?/\\. A longer title keeps its chapter number and as many whole words as fit, without
    a leading article or a dangling last word ("4 De meerwaarde van de samenwerking" is "4 Meerwaarde");
    the sheet's first row and the cover's contents hold it in full. Excel compares sheet names without
    regard to case; a name already taken gets a number.
    """
    name = " ".join(_FORBIDDEN_IN_SHEET_NAMES.sub(" ", chapter).split()).strip("'") or "Hoofdstuk"
    candidate, number = _shortened(name, SHEET_NAME_LENGTH), 2
    while candidate.casefold() in {existing.casefold() for existing in taken}:
        suffix = f" ({number})"
        candidate, number = _shortened(name, SHEET_NAME_LENGTH - len(suffix)) + suffix, number + 1
    taken.add(candidate)
    return candidate


def _shortened(name: str, room: int) -> str:
    """`name` in at most `room` characters: whole words where they fit, else cut with an ellipsis."""
    if len(name) <= room:
        return name
    words = name.split()
    number = [words.pop(0)] if words[0][0].isdigit() and len(words) > 1 else []
    if len(words) > 1 and words[0].casefold() in _LEADING_ARTICLES:
        words = [words[1][0].upper() + words[1][1:], *words[2:]]
    kept = list(number)
    for word in words:
        if len(" ".join([*kept, word])) > room:
            break
        kept.append(word)
    while len(kept) > len(number) + 1 and kept[-1].casefold() in _DANGLING_WORDS:
        kept.pop()
    if len(kept) > len(number):
        return " ".join(kept)
    return " ".join([*number, words[0]])[: room - 1].rstrip() + "…"  # not even one word fits


# --------------------------------------------------------------------------------------------------
# Excel


class Formats:
    """The cell formats of the workbook, made once per workbook."""

    def __init__(self, workbook: Workbook) -> None:
        """Register every format with the workbook."""
        self.title = workbook.add_format({"bold": True, "font_size": 16})
        self.chapter = workbook.add_format({"bold": True, "font_size": 14})
        self.topic = workbook.add_format({"bold": True, "font_size": 12, "font_color": "#0072B2"})
        self.question = workbook.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.wording = workbook.add_format({"text_wrap": True, "valign": "top", "indent": 1})
        self.heading = workbook.add_format({"italic": True, "text_wrap": True, "valign": "top"})
        self.header = workbook.add_format({"bold": True, "bottom": 1, "align": "center"})
        self.header_left = workbook.add_format({"bold": True, "bottom": 1})
        self.group = workbook.add_format({"bold": True, "align": "center", "text_wrap": True})
        # An answer's label, figure and marks sit at the foot of their row, right above the interval row
        # that belongs to them, however many lines a long label takes.
        self.label = workbook.add_format({"text_wrap": True, "valign": "bottom"})
        self.percent = workbook.add_format({"num_format": PERCENT_FORMAT, "valign": "bottom"})
        grey = {"font_color": "#595959", "font_size": 9, "valign": "top"}  # 7:1 on white, still readable
        self.interval_label = workbook.add_format({**grey, "italic": True, "indent": 1})
        self.interval_low = workbook.add_format({**grey, "num_format": LOW_FORMAT, "align": "right"})
        self.interval_high = workbook.add_format({**grey, "num_format": PERCENT_FORMAT, "align": "left"})
        self.mark = workbook.add_format({"font_color": "#D55E00", "valign": "bottom"})
        self.base_label = workbook.add_format({"italic": True, "top": 1})
        self.base = workbook.add_format({"num_format": '"n="0', "italic": True, "top": 1})
        self.base_mark = workbook.add_format({"font_color": "#D55E00", "italic": True, "top": 1})
        self.text = workbook.add_format({"text_wrap": True, "valign": "top"})
        self.warning = workbook.add_format({"bold": True, "font_color": "#D55E00", "text_wrap": True, "valign": "top"})
        self.bold = workbook.add_format({"bold": True, "valign": "top"})
        self.link = workbook.add_format({"font_color": "#0072B2", "underline": 1})


def wrapped_lines(text: str, per_line: int) -> int:
    """The lines `text` takes when wrapped at word boundaries, at most `per_line` characters a line."""
    lines, used = 1, 0
    for word in text.split():
        if used and used + 1 + len(word) > per_line:
            lines, used = lines + 1, 0
        used += (1 if used else 0) + len(word)
    return lines


def write_wrapped(
    sheet: Worksheet,
    row: int,
    column: int,
    text: str,
    cell_format: Format,
    width: float,
    heights: dict[int, float] | None = None,
) -> None:
    """Write text that wraps in a column `width` wide, and make its row tall enough for every line.

    Neither Excel nor LibreOffice reliably grows a row for wrapped text in a file it did not lay out
    itself: without a height, the second line hides under the next row. A row made taller is noted
    in `heights` (row: points), for the page breaks.
    """
    per_line = max(1, int(width * CHARACTERS_PER_WIDTH))
    lines = sum(wrapped_lines(paragraph, per_line) for paragraph in text.split("\n"))
    sheet.write(row, column, text, cell_format)
    if lines > 1:
        sheet.set_row(row, LINE_HEIGHT * lines)
        if heights is not None:
            heights[row] = LINE_HEIGHT * lines


def write_block(
    sheet: Worksheet, row: int, block: Block, formats: Formats, heights: dict[int, float] | None = None
) -> int:
    """Write one block from `row`; return the first free row after it (one blank row included).

    Column 0 holds the labels; group and wave i take column 1 + 2i (the figure) and 2 + 2i (its marks).
    When the table has intervals, each answer's row is followed by its interval row: the lower end in
    column 1 + 2i, the upper end in 2 + 2i.
    """
    for line in block.heading:
        write_wrapped(sheet, row, 0, line, formats.heading, LABEL_WIDTH, heights)
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
        write_wrapped(sheet, row, 0, label, formats.label, LABEL_WIDTH, heights)
        figures = [block.cells.get((label, column), Figure(None, None, None, "")) for column in block.columns]
        for index, figure in enumerate(figures):
            if figure.value is not None:
                sheet.write_number(row, 1 + 2 * index, round(figure.value, 1), formats.percent)
            if figure.marks:
                sheet.write_string(row, 2 + 2 * index, figure.marks, formats.mark)
        row += 1
        if block.has_intervals:
            sheet.write(row, 0, INTERVAL_LABEL, formats.interval_label)
            for index, figure in enumerate(figures):
                if figure.low is not None and figure.high is not None:
                    sheet.write_number(row, 1 + 2 * index, round(figure.low, 1), formats.interval_low)
                    sheet.write_number(row, 2 + 2 * index, round(figure.high, 1), formats.interval_high)
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
    heights = {0: TITLE_ROW_HEIGHT}
    sheet.set_row(0, TITLE_ROW_HEIGHT)
    sheet.write(0, 0, chapter, formats.chapter)
    sheet.write(1, 0, CHAPTER_NOTE)
    # The title rows and the label column stay in view while scrolling, and on paper every page is
    # landscape A4, as wide as the sheet, under the repeated title rows. Only the width is fitted
    # (no height): so Excel keeps the manual page breaks that keep each table whole.
    sheet.freeze_panes(FROZEN_ROWS, 1)
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(0, FROZEN_ROWS - 1)
    row, topic = 3, None
    parts: list[int] = []  # the first row of each part that should not be cut by a page break
    for question in questions:
        parts.append(row)  # the question's title stays with its first table
        if question.topic != topic:
            topic = question.topic
            sheet.write(row, 0, topic, formats.topic)
            row += 1
        write_wrapped(sheet, row, 0, question.title, formats.question, LABEL_WIDTH, heights)
        row += 1
        for line in question.wordings:
            write_wrapped(sheet, row, 0, line, formats.wording, LABEL_WIDTH, heights)
            row += 1
        for index, block in enumerate(question.blocks):
            if index:
                parts.append(row)
            row = write_block(sheet, row, block, formats, heights)
        row += 1
    columns = [LABEL_WIDTH, *[VALUE_WIDTH, MARK_WIDTH] * width]
    sheet.set_h_pagebreaks(page_breaks(parts, row, heights, fitted_scale(columns)))


def fitted_scale(widths: list[float]) -> float:
    """The scale at which columns of these widths (in characters) fit the printed page's width.

    Excel draws a column `w` characters wide `7w + 5` pixels wide (Calibri 11). LibreOffice without
    Calibri's metrics draws it wider and scales further down: its pages then hold more rows than
    planned, so the breaks still fall between tables.
    """
    points = sum(7 * width + 5 for width in widths) * POINTS_PER_PIXEL
    return min(1.0, PRINTABLE_WIDTH / points)


def page_breaks(parts: list[int], end: int, heights: dict[int, float], scale: float) -> list[int]:
    """The rows before which a printed page should break, so that no table is cut from its headings.

    `parts` holds the first row of each part that should stay on one page (a question's title with its
    first table, each further table with its heading), `end` the row after the last; `heights` the rows
    that are not one line high. A part that does not fit on what is left of a page starts the next
    one; a part longer than a page runs on, and Excel breaks it under the repeated title rows.
    """

    def height(first: int, last: int) -> float:
        return sum(heights.get(row, LINE_HEIGHT) for row in range(first, last))

    page = PRINTABLE_HEIGHT * PAGE_FILL / scale - height(0, FROZEN_ROWS)
    breaks: list[int] = []
    used = height(FROZEN_ROWS, parts[0]) if parts else 0.0
    for first, last in zip(parts, [*parts[1:], end], strict=True):
        part = height(first, last)
        if used and used + part > page:
            breaks.append(first)
            used = 0.0
        used = (used + part) % page
    return breaks


def write_cover(sheet: Worksheet, publication: pd.Series, chapters: list[tuple[str, str]], formats: Formats) -> None:
    """The cover: title, publication, synthetic-sample warning, small-base policy, legend, tests, contents.

    `chapters` holds each chapter's (sheet name, full title).
    """
    sheet.set_column(0, 0, COVER_LABEL_WIDTH)
    sheet.set_column(1, 1, COVER_TEXT_WIDTH)
    # On paper: A4 portrait, one page wide.
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)
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
        write_wrapped(sheet, row, 1, SYNTHETIC_TEXT, formats.warning, COVER_TEXT_WIDTH)
        row += 2
    sheet.write(row, 0, "Kleine basis", formats.bold)
    write_wrapped(sheet, row, 1, POLICY_TEXT, formats.text, COVER_TEXT_WIDTH)
    row += 2
    sheet.write(row, 0, "Toetsen", formats.bold)
    write_wrapped(sheet, row, 1, TESTS_TEXT, formats.text, COVER_TEXT_WIDTH)
    row += 2
    sheet.write(row, 0, "Tekens", formats.question)
    row += 1
    for mark, meaning in LEGEND:
        sheet.write(row, 0, mark, formats.bold)
        write_wrapped(sheet, row, 1, meaning, formats.text, COVER_TEXT_WIDTH)
        row += 1
    row += 1
    sheet.write(row, 0, "Inhoud", formats.question)
    row += 1
    # The tab's short name and the chapter's full title, both a link to the sheet.
    for name, chapter in chapters:
        sheet.write_url(row, 0, f"internal:'{name}'!A1", formats.link, string=name)
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
