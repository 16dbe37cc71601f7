"""The tabellenrapport workbook the publish stage writes beside the serving copy: sheets, figures, marks, rollback.

Every expected figure is read from the serving copy with DuckDB; the workbook is read back with openpyxl.
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb
import openpyxl
import pandas as pd
import pytest
from warehouse_build import published_paths

import publication.workbook as tabellenrapport
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.lib.publish import PublishRefused, publish, rollback
from publication.base_policy import HIDDEN, MARKED, POLICY_TEXT
from publication.locations import factsheet_path
from publication.locations import workbook_path as published_workbook_path
from publication.workbook import (
    CHANGE_MARKS,
    COVER_SHEET,
    KINDCENTRUM_MARKS,
    LEGEND,
    POLICY_MARKS,
    sheet_name,
)

FORBIDDEN = set("[]:*?/\\")


def read(serving: Path, query: str, params: list | None = None) -> pd.DataFrame:
    """A query on the serving copy, read-only."""
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(query, params or []).df()


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass
class SheetBlock:
    """A block of a chapter sheet as read back: where each answer row, each (group, wave) column and the base are."""

    rows: list[tuple]
    columns: dict[tuple[str, int], int]
    answers: dict[str, int]
    base_row: int

    def value(self, answer: str, column: tuple[str, int]):
        return self.rows[self.answers[answer]][self.columns[column]]

    def mark(self, answer: str, column: tuple[str, int]) -> str:
        return self.rows[self.answers[answer]][self.columns[column] + 1] or ""

    def base(self, column: tuple[str, int]):
        return self.rows[self.base_row][self.columns[column]]

    def base_mark(self, column: tuple[str, int]) -> str:
        return self.rows[self.base_row][self.columns[column] + 1] or ""


def read_block(sheet, title: str, heading: str | None = None) -> SheetBlock:
    """The block under a question's title row (and an item's heading row, for a grid item)."""
    rows = list(sheet.iter_rows(values_only=True))
    start = next(index for index, row in enumerate(rows) if row[0] == title)
    if heading is not None:
        start = next(index for index in range(start + 1, len(rows)) if rows[index][0] == heading)
    group_row, wave_row = rows[start + 1], rows[start + 2]
    columns, group = {}, None
    for column in range(1, len(wave_row), 2):
        if wave_row[column] is None:
            break
        group = group_row[column] or group  # a group's label is merged over its waves: only the first cell has it
        columns[(group, int(wave_row[column]))] = column
    answers, index = {}, start + 3
    while rows[index][0] != tabellenrapport.BASE_LABEL:
        answers[rows[index][0]] = index
        index += 1
    return SheetBlock(rows, columns, answers, index)


def cover_value(workbook, label: str):
    """The value beside a label on the cover sheet."""
    return next(row[1] for row in workbook[COVER_SHEET].iter_rows(values_only=True) if row[0] == label)


@pytest.fixture(scope="module")
def workbook(serving_copy):
    path = published_workbook_path(serving_copy)
    assert path.exists(), "the publish stage wrote no workbook beside the serving copy"
    return openpyxl.load_workbook(path)


@pytest.fixture(scope="module")
def chapters(workbook) -> dict[str, object]:
    """Every chapter sheet by the chapter title in its first cell."""
    return {sheet["A1"].value: sheet for sheet in workbook.worksheets if sheet.title != COVER_SHEET}


def copy_built(built, target: Path) -> Path:
    """A copy of the built warehouse in target, with its published folder (copies and workbook) beside it."""
    target.mkdir(parents=True, exist_ok=True)
    warehouse = Path(shutil.copy(built[0], target / "warehouse.duckdb"))
    shutil.copytree(published_paths(built[0])[0].parent, published_paths(warehouse)[0].parent)
    return warehouse


# --------------------------------------------------------------------------------------------------
# sheets and the cover


def test_sheet_names_are_valid_unique_and_cut_with_an_ellipsis():
    taken = {COVER_SHEET}
    names = [sheet_name("5 De [intensiteit]: van/de samenwerking*? en meer", taken) for _ in range(3)]
    assert len(set(names)) == 3
    for name in names:
        assert len(name) <= 31 and not FORBIDDEN & set(name), name
    assert names[0].endswith("…") and names[1].endswith("(2)") and names[2].endswith("(3)")
    assert sheet_name("voorblad", taken) != "voorblad"  # Excel compares sheet names without case


@pytest.mark.slow
def test_the_workbook_has_a_cover_and_one_sheet_per_chapter(workbook, chapters, serving_copy):
    expected = read(serving_copy, "select distinct chapter from codebook.codebook_questions")["chapter"]
    assert workbook.sheetnames[0] == COVER_SHEET
    assert len(workbook.sheetnames) == len(expected) + 1
    assert set(chapters) == set(expected)
    for name in workbook.sheetnames:
        assert len(name) <= 31 and not FORBIDDEN & set(name), name


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
        "select s.*, c.question_text as title, c.item_text as heading from marts.report_shares s "
        "join marts.question_catalog c using (question_id, item_id) "
        "where s.base_n < 10 and c.question_type = 'grid' order by all limit 1",
    ).iloc[0]
    block = read_block(chapters[hidden["chapter"]], hidden["title"], hidden["heading"])
    column = (hidden["group_label"], int(hidden["wave"]))
    assert block.value(hidden["answer_label"], column) is None
    assert POLICY_MARKS[HIDDEN] in block.mark(hidden["answer_label"], column)
    assert block.base(column) == hidden["base_n"]
    assert block.base_mark(column) == POLICY_MARKS[HIDDEN]

    small = read(
        serving_copy,
        "select s.*, c.question_text as title from marts.report_shares s "
        "join marts.question_catalog c using (question_id, item_id) "
        "where s.base_n between 10 and 29 and c.question_type = 'single' order by all limit 1",
    ).iloc[0]
    block = read_block(chapters[small["chapter"]], small["title"])
    column = (small["group_label"], int(small["wave"]))
    assert block.value(small["answer_label"], column) == pytest.approx(round(small["share_pct"], 1), abs=1e-9)
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
            assert block.value("Gemiddelde", column) is None
            continue
        assert block.value("Gemiddelde", column) == pytest.approx(round(row.mean, 1), abs=1e-9)
        assert block.value("95%-interval, ondergrens", column) == pytest.approx(round(row.ci_low, 1), abs=1e-9)
        marks = block.mark("Gemiddelde", column).split()
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
        assert block.base(column) == row.base_n


# --------------------------------------------------------------------------------------------------
# publishing and rolling back the workbook with the copies


@pytest.mark.slow
def test_a_rollback_restores_the_previous_workbook_together_with_the_copies(built, tmp_path):
    warehouse = copy_built(built, tmp_path)
    serving, analyst = published_paths(warehouse)
    workbook = published_workbook_path(serving)
    before = {path: sha256(path) for path in (serving, analyst, workbook)}
    with duckdb.connect(str(warehouse)) as con:
        publication = publish(con, serving, analyst, EMBEDDED_SAMPLE_DIR)
    assert publication.publication_id == 2 and publication.workbook_path == workbook
    assert int(cover_value(openpyxl.load_workbook(workbook), "Publicatie")) == 2

    assert rollback(serving, analyst) == 1
    assert {path: sha256(path) for path in before} == before  # the very files publication 1 was
    assert int(cover_value(openpyxl.load_workbook(workbook), "Publicatie")) == 1
    assert rollback(serving, analyst) == 2  # and back again
    assert int(cover_value(openpyxl.load_workbook(workbook), "Publicatie")) == 2
    assert list(serving.parent.glob("*.new-*")) == []


@pytest.mark.slow
def test_a_rollback_to_a_publication_without_a_kept_workbook_writes_one_from_its_copy(built, tmp_path):
    warehouse = copy_built(built, tmp_path)
    serving, analyst = published_paths(warehouse)
    workbook = published_workbook_path(serving)
    workbook.unlink()  # as if publication 1 came from before the workbook was published
    with duckdb.connect(str(warehouse)) as con:
        publish(con, serving, analyst, EMBEDDED_SAMPLE_DIR)
    assert not Path(f"{workbook}.previous").exists()

    assert rollback(serving, analyst) == 1
    assert int(cover_value(openpyxl.load_workbook(workbook), "Publicatie")) == 1


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
