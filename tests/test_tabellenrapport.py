"""The tabellenrapport workbook the publish stage writes beside the serving copy: sheets, figures, marks, failures.

Every expected figure is read from the serving copy with DuckDB; the workbook is read back with openpyxl.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from published_documents import cover_value
from warehouse_build import copy_built, published_paths, sha256

import publication.workbook as tabellenrapport
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.lib.publish import PublishRefused, publish
from publication.base_policy import HIDDEN, MARKED, POLICY_TEXT
from publication.locations import factsheet_path
from publication.locations import workbook_path as published_workbook_path
from publication.workbook import (
    CHANGE_MARKS,
    COVER_SHEET,
    INTERVAL_LABEL,
    KINDCENTRUM_MARKS,
    LEGEND,
    MEAN_LABEL,
    POLICY_MARKS,
    SHEET_NAME_LENGTH,
    group_wordings,
    page_breaks,
    sheet_name,
    wrapped_lines,
)

FORBIDDEN = set("[]:*?/\\")


def read(serving: Path, query: str, params: list | None = None) -> pd.DataFrame:
    """A query on the serving copy, read-only."""
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(query, params or []).df()


@dataclass
class SheetBlock:
    """A block of a chapter sheet as read back: where each answer row, each (group, wave) column and the base are.

    Under each answer's row is its interval row: the lower end in the figure's column, the upper end
    in the marks column.
    """

    rows: list[tuple]
    columns: dict[tuple[str, int], int]
    answers: dict[str, int]
    base_row: int

    def value(self, answer: str, column: tuple[str, int]):
        return self.rows[self.answers[answer]][self.columns[column]]

    def mark(self, answer: str, column: tuple[str, int]) -> str:
        return self.rows[self.answers[answer]][self.columns[column] + 1] or ""

    def interval(self, answer: str, column: tuple[str, int]) -> tuple:
        row = self.rows[self.answers[answer] + 1]
        assert row[0] == INTERVAL_LABEL, row
        return row[self.columns[column]], row[self.columns[column] + 1]

    def base(self, column: tuple[str, int]):
        return self.rows[self.base_row][self.columns[column]]

    def base_mark(self, column: tuple[str, int]) -> str:
        return self.rows[self.base_row][self.columns[column] + 1] or ""


def read_block(sheet, titles: str | tuple[str, ...], heading: str | None = None) -> SheetBlock:
    """The block under a question's title row (and an item's heading row, for a grid item).

    `titles` is the question's title, or its candidates (its text, and its label, which titles a
    question asked in different words).
    """
    titles = (titles,) if isinstance(titles, str) else titles
    rows = list(sheet.iter_rows(values_only=True))
    start = next(index for index, row in enumerate(rows) if row[0] in titles)
    if heading is not None:
        start = next(index for index in range(start + 1, len(rows)) if rows[index][0] == heading)
    # the wave row is the first with a year beside its label (title, wordings and headings come first)
    wave_index = next(index for index in range(start + 1, len(rows)) if isinstance(rows[index][1], int))
    group_row, wave_row = rows[wave_index - 1], rows[wave_index]
    columns, group = {}, None
    for column in range(1, len(wave_row), 2):
        if wave_row[column] is None:
            break
        group = group_row[column] or group  # a group's label is merged over its waves: only the first cell has it
        columns[(group, int(wave_row[column]))] = column
    answers, index = {}, wave_index + 1
    while rows[index][0] != tabellenrapport.BASE_LABEL:
        if rows[index][0] != INTERVAL_LABEL:
            answers[rows[index][0]] = index
        index += 1
    return SheetBlock(rows, columns, answers, index)


def lines_under(sheet, title: str) -> list[str]:
    """The text rows under a question's title row, up to its first table (its wordings, an item's heading)."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(index for index, row in enumerate(rows) if row[0] == title)
    if rows[start + 1][0] == title:  # the topic's name above it may be the question's label too
        start += 1
    lines = []
    for row in rows[start + 1 :]:
        if row[0] is None or any(cell is not None for cell in row[1:]):
            break
        lines.append(row[0])
    return lines


@pytest.fixture(scope="module")
def workbook(serving_copy):
    path = published_workbook_path(serving_copy)
    assert path.exists(), "the publish stage wrote no workbook beside the serving copy"
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def chapters(workbook) -> dict[str, object]:
    """Every chapter sheet by the chapter title in its first cell."""
    return {sheet["A1"].value: sheet for sheet in workbook.worksheets if sheet.title != COVER_SHEET}


# --------------------------------------------------------------------------------------------------
# sheets and the cover


def test_sheet_names_are_short_valid_unique_and_keep_the_chapter_number_and_whole_words():
    taken = {COVER_SHEET}
    names = [sheet_name("5 De [intensiteit]: van/de samenwerking*? en meer", taken) for _ in range(3)]
    assert names == ["5 Intensiteit", "5 Intensiteit (2)", "5 Intensiteit (3)"]
    assert sheet_name("4 De meerwaarde van de samenwerking", taken) == "4 Meerwaarde"
    assert sheet_name("3 Facts & figures", taken) == "3 Facts & figures"  # short enough as it is
    assert sheet_name("Samenwerkingsverbandsgegevensoverzicht", taken) == "Samenwerkingsverban…"
    assert sheet_name("voorblad", taken) != "voorblad"  # Excel compares sheet names without case
    for name in taken:
        assert len(name) <= SHEET_NAME_LENGTH and not FORBIDDEN & set(name), name


def test_group_wordings_list_each_wording_with_its_groups_in_the_reports_order_or_nothing_when_alike():
    rows = pd.DataFrame(
        {
            "group_label": ["Schoolbesturen", "Basisscholen", "Basisscholen", "Kov-besturen"],
            "group_sort_order": [3, 1, 1, 4],
            "wave": [2019, 2016, 2019, 2019],
            "text": ["Werkt uw bestuur samen?", "Oud", "Werkt uw school samen?", "Werkt uw bestuur samen?"],
        }
    )
    assert group_wordings(rows, "text") == [
        "Basisscholen: ‘Werkt uw school samen?’",  # its latest wave's words, not 2016's
        "Schoolbesturen en Kov-besturen: ‘Werkt uw bestuur samen?’",
    ]
    assert group_wordings(rows[rows["group_label"] != "Basisscholen"], "text") == []


def test_wrapped_lines_count_words_that_fit_on_each_line():
    assert wrapped_lines("een twee drie", 8) == 2  # "een twee" | "drie"
    assert wrapped_lines("een twee drie", 13) == 1
    assert wrapped_lines("", 10) == 1


def test_page_breaks_fall_before_a_part_that_no_longer_fits_and_never_inside_one():
    # at scale 1 a page holds (487 * 0.93 - 20 - 15) / 15 = 27.8 one-line rows under the title rows
    parts, end = [3, 13, 23, 30, 70], 75
    breaks = page_breaks(parts, end, {0: 20}, 1.0)
    # row 2 and 3-22 fill 21 rows; 23-29 would make 28: a new page; 30-69 (40 rows) would not fit beside
    # them either and starts one, running on over the next; 70-74 fits on what that leaves
    assert breaks == [23, 30]
    assert page_breaks(parts, end, {0: 20}, 0.25) == []  # small enough, everything fits on one page


@pytest.mark.slow
def test_the_workbook_has_a_cover_and_one_sheet_per_chapter(workbook, chapters, serving_copy):
    expected = read(serving_copy, "select distinct chapter from codebook.codebook_questions")["chapter"]
    assert workbook.sheetnames[0] == COVER_SHEET
    assert len(workbook.sheetnames) == len(expected) + 1
    assert set(chapters) == set(expected)
    for name in workbook.sheetnames:
        assert len(name) <= 31 and not FORBIDDEN & set(name), name


@pytest.mark.slow
def test_sheet_names_are_short_and_unique_and_the_cover_links_each_with_its_full_title(workbook, chapters):
    names = workbook.sheetnames[1:]
    assert all(len(name) <= SHEET_NAME_LENGTH for name in names), names
    assert len({name.casefold() for name in names}) == len(names)
    links = {}
    for row in workbook[COVER_SHEET].iter_rows():
        for cell in row:
            if cell.hyperlink is not None:
                links.setdefault(cell.hyperlink.location, []).append(cell.value)
    # each sheet is linked twice: by its tab's name and by the chapter's full title in its first cell
    assert links == {f"'{sheet.title}'!A1": [sheet.title, title] for title, sheet in chapters.items()}
    assert any(len(title) > SHEET_NAME_LENGTH for title in chapters)  # some names are indeed shorter


@pytest.mark.slow
def test_the_cover_names_the_publication_the_sample_warning_the_policy_and_every_mark(workbook, serving_copy):
    publication = read(serving_copy, "select * from marts.publication order by publication_id desc limit 1").iloc[0]
    assert int(cover_value(workbook, "Publicatie")) == publication["publication_id"]
    assert cover_value(workbook, "Gepubliceerd op").startswith(publication["published_at"].strftime("%d-%m-%Y"))
    texts = [cell for row in workbook[COVER_SHEET].iter_rows(values_only=True) for cell in row if cell]
    assert POLICY_TEXT in texts
    assert any("synthetische gegevens" in str(text) for text in texts) == bool(publication["is_synthetic_sample"])
    legend = {mark for mark, _ in LEGEND}
    assert {*CHANGE_MARKS.values(), *KINDCENTRUM_MARKS.values(), *POLICY_MARKS.values()} <= legend
    assert legend <= set(texts)


# --------------------------------------------------------------------------------------------------
# figures, bases and marks


@pytest.mark.slow
def test_duur_for_basisscholen_2019_shows_the_published_shares_bases_and_change_marks(chapters, serving_copy):
    shares = read(
        serving_copy,
        "select s.*, c.question_text as title from marts.report_shares s "
        "join marts.question_catalog c using (question_id, item_id) "
        "where question_id = 'duur' and respondent_group = 'basisscholen' and wave = 2019",
    )
    assert len(shares) >= 5 and {"hoger", "lager"} <= set(shares["change_since_previous_wave"].dropna())
    block = read_block(chapters[shares["chapter"].iloc[0]], shares["title"].iloc[0])
    column = (shares["group_label"].iloc[0], 2019)
    assert set(block.answers) >= set(shares["answer_label"])
    for row in shares.itertuples():
        assert block.value(row.answer_label, column) == pytest.approx(round(row.share_pct, 1), abs=1e-9)
        low, high = block.interval(row.answer_label, column)
        assert (low, high) == (pytest.approx(round(row.ci_low_pct, 1)), pytest.approx(round(row.ci_high_pct, 1)))
        assert low <= block.value(row.answer_label, column) <= high
        expected_mark = CHANGE_MARKS.get(row.change_since_previous_wave)
        assert (expected_mark or "") in block.mark(row.answer_label, column)
        assert not ({*CHANGE_MARKS.values()} - {expected_mark}) & set(block.mark(row.answer_label, column).split())
    assert block.base(column) == shares["base_n"].iloc[0]
    # 2016 is beside it, with no change marks (there is no earlier wave)
    earlier = (column[0], 2016)
    assert all(not set(block.mark(answer, earlier).split()) & {*CHANGE_MARKS.values()} for answer in block.answers)


@pytest.mark.slow
def test_a_base_under_10_is_blank_with_the_mark_and_one_under_30_is_shown_marked(chapters, serving_copy):
    hidden = read(
        serving_copy,
        "select s.*, c.question_text as title, c.question_label, c.item_text as heading from marts.report_shares s "
        "join marts.question_catalog c using (question_id, item_id) "
        "where s.base_n < 10 and c.question_type = 'grid' and not c.meaning_differs_between_groups "
        "order by all limit 1",
    ).iloc[0]
    block = read_block(chapters[hidden["chapter"]], (hidden["title"], hidden["question_label"]), hidden["heading"])
    column = (hidden["group_label"], int(hidden["wave"]))
    assert block.value(hidden["answer_label"], column) is None
    assert block.interval(hidden["answer_label"], column) == (None, None)  # the interval is hidden with it
    assert POLICY_MARKS[HIDDEN] in block.mark(hidden["answer_label"], column)
    assert block.base(column) == hidden["base_n"]
    assert block.base_mark(column) == POLICY_MARKS[HIDDEN]

    small = read(
        serving_copy,
        "select s.*, c.question_text as title, c.question_label from marts.report_shares s "
        "join marts.question_catalog c using (question_id, item_id) "
        "where s.base_n between 10 and 29 and c.question_type = 'single' order by all limit 1",
    ).iloc[0]
    block = read_block(chapters[small["chapter"]], (small["title"], small["question_label"]))
    column = (small["group_label"], int(small["wave"]))
    assert block.value(small["answer_label"], column) == pytest.approx(round(small["share_pct"], 1), abs=1e-9)
    assert block.interval(small["answer_label"], column) == (
        pytest.approx(round(small["ci_low_pct"], 1)),
        pytest.approx(round(small["ci_high_pct"], 1)),
    )
    assert POLICY_MARKS[MARKED] in block.mark(small["answer_label"], column)
    assert block.base_mark(column) == POLICY_MARKS[MARKED]


@pytest.mark.slow
def test_the_means_carry_their_change_and_kindcentrum_marks(chapters, serving_copy):
    means = read(
        serving_copy,
        "select m.*, q.chapter, c.question_text as title from marts.report_means m "
        "join codebook.codebook_questions q using (question_id) "
        "join marts.question_catalog c using (question_id, item_id)",
    )
    assert means["kindcentrum_difference"].notna().any() and means["change_since_previous_wave"].notna().any()
    for row in means.itertuples():
        block = read_block(chapters[row.chapter], row.title, tabellenrapport.MEANS_HEADING)
        column = (row.group_label, row.wave)
        if row.base_n < 10:
            assert block.value(MEAN_LABEL, column) is None
            assert block.interval(MEAN_LABEL, column) == (None, None)
            continue
        assert block.value(MEAN_LABEL, column) == pytest.approx(round(row.mean, 1), abs=1e-9)
        assert block.interval(MEAN_LABEL, column) == (
            pytest.approx(round(row.ci_low, 1), abs=1e-9),
            pytest.approx(round(row.ci_high, 1), abs=1e-9),
        )
        marks = block.mark(MEAN_LABEL, column).split()
        assert (CHANGE_MARKS.get(row.change_since_previous_wave) in marks) == pd.notna(row.change_since_previous_wave)
        assert (KINDCENTRUM_MARKS.get(row.kindcentrum_difference) in marks) == pd.notna(row.kindcentrum_difference)


@pytest.mark.slow
def test_the_cooperation_models_are_in_the_chapter_of_their_questions(chapters, serving_copy):
    models = read(serving_copy, "select * from marts.report_models")
    chapter = read(
        serving_copy,
        "select mode(q.chapter) from codebook.cooperation_model_rules r "
        "join codebook.codebook_questions q using (question_id)",
    ).iloc[0, 0]
    block = read_block(chapters[chapter], tabellenrapport.MODELS_TITLE)
    assert set(block.answers) == set(models["model_label"])
    for row in models.itertuples():
        column = (row.group_label, row.wave)
        assert block.value(row.model_label, column) == pytest.approx(round(row.share_pct, 1), abs=1e-9)
        assert block.interval(row.model_label, column) == (
            pytest.approx(round(row.ci_low_pct, 1), abs=1e-9),
            pytest.approx(round(row.ci_high_pct, 1), abs=1e-9),
        )
        assert block.base(column) == row.base_n


# --------------------------------------------------------------------------------------------------
# each group's own wording


def wordings_of(serving: Path, text: str, where: str) -> dict[str, str]:
    """Each group's `text` (question_text or item_text) in its latest wave, by the group's label."""
    rows = read(
        serving,
        f"select group_label, arg_max({text}, wave) as text from marts.report_shares where {where} group by all",
    )
    return dict(zip(rows["group_label"], rows["text"], strict=True))


@pytest.mark.slow
def test_a_question_asked_in_different_words_shows_each_groups_wording_under_its_label(chapters, serving_copy):
    catalog = read(
        serving_copy,
        "select * from marts.question_catalog where meaning_differs_between_groups and question_type = 'single' "
        "order by question_id",
    )
    assert "innovatie" in set(catalog["question_id"])  # innovation of teaching, or of the pedagogical approach
    for question in catalog.itertuples():
        sheet = chapters[question.chapter]
        by_group = wordings_of(serving_copy, "question_text", f"question_id = '{question.question_id}'")
        assert len(set(by_group.values())) > 1
        lines = lines_under(sheet, question.question_label)
        assert len(lines) == len(set(by_group.values()))
        for group, text in by_group.items():
            assert any(group in line and f"‘{text}’" in line for line in lines), (group, text, lines)
        # and the table under it is the question's
        block = read_block(sheet, question.question_label)
        assert {group for group, _ in block.columns} == set(by_group)


@pytest.mark.slow
def test_a_grid_item_and_a_multiple_answer_option_show_each_groups_wording(chapters, serving_copy):
    item = read(
        serving_copy,
        "select * from marts.question_catalog where meaning_differs_between_groups and question_type = 'grid' "
        "order by item_id limit 1",
    ).iloc[0]
    by_group = wordings_of(serving_copy, "item_text", f"item_id = '{item['item_id']}'")
    rows = list(chapters[item["chapter"]].iter_rows(values_only=True))
    # the heading's lines follow each other, one per wording, each naming its groups
    first = next(index for index, row in enumerate(rows) if row[0] and f"‘{by_group['Basisscholen']}’" in row[0])
    heading = [row[0] for row in rows[first : first + len(set(by_group.values()))]]
    for group, text in by_group.items():
        assert any(group in line and f"‘{text}’" in line for line in heading), (group, text, heading)

    option = read(
        serving_copy,
        "select * from marts.question_catalog where meaning_differs_between_groups and question_type = 'multi' "
        "order by item_id limit 1",
    ).iloc[0]
    by_group = wordings_of(serving_copy, "item_text", f"item_id = '{option['item_id']}'")
    shares = read(
        serving_copy,
        "select * from marts.report_shares where item_id = ? and answer_code = 1 order by group_sort_order, wave",
        [option["item_id"]],
    )
    sheet = chapters[option["chapter"]]
    question = read(
        serving_copy, "select * from marts.question_catalog where question_id = ?", [option["question_id"]]
    ).iloc[0]
    block = read_block(sheet, (question["question_text"], question["question_label"]))
    label = next(answer for answer in block.answers if f"‘{by_group['Basisscholen']}’" in answer)
    for group, text in by_group.items():
        assert any(group in line and f"‘{text}’" in line for line in label.split("\n")), (group, text, label)
    for row in shares.itertuples():
        column = (row.group_label, row.wave)
        if row.base_n >= 10:
            assert block.value(label, column) == pytest.approx(round(row.share_pct, 1), abs=1e-9)


@pytest.mark.slow
def test_a_multiple_answer_question_is_one_table_with_every_option_as_a_row(chapters, serving_copy):
    options = read(
        serving_copy,
        "select s.*, c.question_text as title, c.question_label from marts.report_shares s "
        "join marts.question_catalog c using (question_id, item_id) "
        "where c.question_type = 'multi' and s.answer_code = 1 and question_id = 'knelpunten_aard' "
        "and s.respondent_group = 'basisscholen' and s.wave = 2019",
    )
    assert len(options) >= 5
    block = read_block(
        chapters[options["chapter"].iloc[0]], (options["title"].iloc[0], options["question_label"].iloc[0])
    )
    column = ("Basisscholen", 2019)
    assert len(block.answers) == len(options)
    for row in options.itertuples():
        assert block.value(row.item_text, column) == pytest.approx(round(row.share_pct, 1), abs=1e-9)


# --------------------------------------------------------------------------------------------------
# publishing and rolling back the workbook with the copies


@pytest.mark.slow
def test_a_failing_workbook_refuses_the_publish_and_leaves_every_published_file_as_it_was(built, tmp_path, monkeypatch):
    warehouse = copy_built(built, tmp_path)
    serving, analyst = published_paths(warehouse)
    workbook = published_workbook_path(serving)
    before = {path: sha256(path) for path in (serving, analyst, workbook, factsheet_path(serving))}

    def half_written(serving_path: Path, out_path: Path) -> Path:
        Path(out_path).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError("disk full")

    monkeypatch.setattr(tabellenrapport, "write_workbook", half_written)
    with duckdb.connect(str(warehouse)) as con, pytest.raises(PublishRefused, match="tabellenrapport.*disk full"):
        publish(con, serving, analyst, EMBEDDED_SAMPLE_DIR)
    assert {path: sha256(path) for path in before} == before
    assert sorted(path.name for path in serving.parent.iterdir()) == sorted(path.name for path in before)


@pytest.mark.slow
def test_every_chapter_sheet_freezes_its_title_rows_and_labels_and_prints_landscape_fit_to_width(chapters):
    for sheet in chapters.values():
        assert sheet.freeze_panes == "B3", sheet.title
        assert sheet.page_setup.orientation == "landscape"
        # one page wide (1 is Excel's default, which the file leaves out), as many pages tall as needed
        assert sheet.page_setup.fitToWidth in (None, 1) and sheet.page_setup.fitToHeight == 0
        assert sheet.sheet_properties.pageSetUpPr.fitToPage
        assert sheet.print_title_rows == "$1:$2"


@pytest.mark.slow
def test_a_printed_page_breaks_only_before_a_question_or_a_table_never_inside_one(chapters):
    for sheet in chapters.values():
        rows = list(sheet.iter_rows(values_only=True))
        breaks = [brk.id for brk in sheet.row_breaks.brk]  # the last row of a page (1-based), 0-based: the next
        assert breaks or len(rows) < 40, sheet.title
        for row in breaks:
            first, previous = rows[row], rows[row - 1]
            # the new page starts with a title, topic or heading (text alone), after a blank row
            assert first[0] and all(cell is None for cell in first[1:]), (sheet.title, row, first)
            assert all(cell is None for cell in previous), (sheet.title, row, previous)
