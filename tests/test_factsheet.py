"""The factsheet PDF the publish stage writes beside the serving copy: its text, its figures, a failed write.

Every expected figure is read from the serving copy with DuckDB; the PDF's text is read back with pypdf.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pandas as pd
import pytest
from published_documents import pdf_lines
from warehouse_build import copy_built, published_paths, sha256

import publication.factsheet as factsheet_pdf
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.lib.publish import PublishRefused, publish
from publication import factsheet_blocks, queries
from publication.factsheet import pdf_text
from publication.locations import factsheet_path, workbook_path
from publication.texts import SYNTHETIC_TITLE


def read(serving: Path, query: str, params: list | None = None) -> pd.DataFrame:
    """A query on the serving copy, read-only."""
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(query, params or []).df()


# --------------------------------------------------------------------------------------------------
# the blocks, without a warehouse


def test_every_block_names_its_groups_and_either_figures_or_a_ranking():
    assert len(factsheet_blocks.BLOCKS) >= 8
    assert len(factsheet_blocks.BLOCKS_BY_KEY) == len(factsheet_blocks.BLOCKS)
    for block in factsheet_blocks.BLOCKS:
        assert block.groups and block.title and block.lead
        assert bool(block.figures) != bool(block.ranking), block.key
        assert block.comparison in (factsheet_blocks.GROUPS, factsheet_blocks.WAVES, factsheet_blocks.KINDCENTRA)


def test_text_outside_the_built_in_fonts_is_written_in_words():
    assert pdf_text("24% ▲ · één team – ⚠") == "24% (hoger) · één team – let op:"


# --------------------------------------------------------------------------------------------------
# the published factsheet


@pytest.fixture(scope="module")
def published_factsheet(serving_copy) -> Path:
    path = factsheet_path(serving_copy)
    assert path.exists(), "the publish stage wrote no factsheet beside the serving copy"
    return path


@pytest.fixture(scope="module")
def text(published_factsheet) -> str:
    return pdf_lines(published_factsheet)


@pytest.mark.slow
def test_the_factsheet_names_the_publication_its_date_and_the_synthetic_sample(text, serving_copy):
    publication = read(serving_copy, "select * from marts.publication order by publication_id desc limit 1").iloc[0]
    wave = int(read(serving_copy, "select max(wave) as wave from marts.report_shares")["wave"].iloc[0])
    assert f"factsheet {wave}" in text
    assert f"Publicatie {publication['publication_id']} van {publication['published_at']:%d-%m-%Y}" in text
    assert (SYNTHETIC_TITLE in text) == bool(publication["is_synthetic_sample"])
    assert bool(publication["is_synthetic_sample"]), "the shared warehouse is built from the embedded sample"


@pytest.mark.slow
def test_the_factsheet_has_every_block_with_its_title(text):
    for block in factsheet_blocks.BLOCKS:
        assert pdf_text(block.title) in text, block.title


@pytest.mark.slow
def test_the_factsheets_key_figures_and_bases_are_the_serving_copys(text, serving_copy):
    wave = int(read(serving_copy, "select max(wave) as wave from marts.report_shares")["wave"].iloc[0])
    cooperating = read(
        serving_copy,
        "select group_label, share_pct, base_n from marts.report_shares "
        "where question_id = 'samenwerking' and answer_code = 1 and answer_grouping is null and wave = ?",
        [wave],
    )
    grades = read(
        serving_copy,
        "select group_label, mean, base_n from marts.report_means where question_id = 'rapportcijfer' and wave = ?",
        [wave],
    )
    assert len(cooperating) == 4 and len(grades) == 4
    for row in cooperating.itertuples():
        assert f"Werkt samen {row.group_label} {row.share_pct:.0f}% {row.base_n}" in text
    for row in grades.itertuples():
        assert f"Rapportcijfer {row.group_label} {row.mean:.1f} {row.base_n}".replace(".", ",") in text


@pytest.mark.slow
def test_the_factsheets_changes_show_both_waves_with_their_own_bases(text, serving_copy):
    rows = read(
        serving_copy,
        "select wave, group_label, share_pct, base_n, change_since_previous_wave from marts.report_shares "
        "where question_id = 'fase' and answer_code = 4 and respondent_group = 'basisscholen' order by wave",
    )
    assert list(rows["wave"]) == [2016, 2019] and rows["change_since_previous_wave"].iloc[1] == "hoger"
    before, after = rows.itertuples(index=False)
    assert f"In de consolidatiefase Basisscholen: 2016 {before.share_pct:.0f}% {before.base_n}" in text
    assert f"In de consolidatiefase Basisscholen: 2019 {after.share_pct:.0f}% {after.base_n} significant hoger" in text


@pytest.mark.slow
def test_the_factsheets_figures_are_the_blocks_figures_of_the_serving_copy(text, serving_copy):
    wave = int(read(serving_copy, "select max(wave) as wave from marts.report_shares")["wave"].iloc[0])
    figures = factsheet_blocks.wave_figures(lambda name, **params: queries.fetch(name, params, serving_copy), wave)
    shown = 0
    for rows in figures.values():
        for row in rows.itertuples():
            if pd.isna(row.value):
                continue
            value = f"{row.value:.0f}%" if row.kind == "share" else f"{row.value:.1f}".replace(".", ",")
            assert f"{value} {row.base_n}" in text, (row.label, row.series)
            shown += 1
    assert shown > 50


# --------------------------------------------------------------------------------------------------
# publishing and rolling back the factsheet with the copies


@pytest.mark.slow
def test_a_failing_factsheet_refuses_the_publish_and_leaves_every_published_file_as_it_was(
    built, tmp_path, monkeypatch
):
    warehouse = copy_built(built, tmp_path)
    serving, analyst = published_paths(warehouse)
    before = {path: sha256(path) for path in serving.parent.iterdir()}
    assert factsheet_path(serving) in before and workbook_path(serving) in before

    def half_written(serving_path: Path, out_path: Path) -> Path:
        Path(out_path).write_bytes(b"%PDF-1.7 half a factsheet")
        raise OSError("disk full")

    monkeypatch.setattr(factsheet_pdf, "write_factsheet", half_written)
    with duckdb.connect(str(warehouse)) as con, pytest.raises(PublishRefused, match="factsheet PDF.*disk full"):
        publish(con, serving, analyst, EMBEDDED_SAMPLE_DIR)
    assert {path: sha256(path) for path in serving.parent.iterdir()} == before
