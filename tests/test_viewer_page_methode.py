"""The Methode en kwaliteit page: weighting, response, quality results, the publication log, the workbook download.

Every expected value is read from the serving copy with DuckDB, independently of the page's statements.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.runtime.memory_media_file_storage import _calculate_file_id
from streamlit.testing.v1 import AppTest
from viewer_tables import as_numbers, rounded

from dagster_project.lib.paths import PROJECT_ROOT
from publication import texts
from publication.locations import workbook_path as published_workbook_path

pytestmark = pytest.mark.slow

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def read(serving: Path, query: str, params: list | None = None) -> pd.DataFrame:
    """A query on the serving copy, read-only."""
    with duckdb.connect(str(serving), read_only=True) as con:
        return con.execute(query, params or []).df()


def table_with(app: AppTest, header: str) -> pd.DataFrame:
    """The one table on the page that has a column with this Dutch header."""
    tables = [element.value for element in app.dataframe if header in element.value.columns]
    assert len(tables) == 1, f"{len(tables)} tables with column {header!r}"
    return as_numbers(tables[0])


def last_publication(serving: Path) -> pd.Series:
    return read(serving, "select * from marts.publication order by publication_id desc limit 1").iloc[0]


def test_the_weighting_diagnostics_equal_the_mart(open_page, serving_copy):
    app = open_page("methode")
    shown = table_with(app, "Designeffect (Kish)")
    mart = read(
        serving_copy,
        "select d.*, g.label_nl from marts.weighting_diagnostics d "
        "join codebook.labels_respondent_groups g using (respondent_group) order by d.wave desc, g.sort_order",
    )
    assert list(zip(shown["Groep"], shown["Meting"], strict=True)) == list(
        zip(mart["label_nl"], mart["wave"], strict=True)
    )
    headers = {
        "Respondenten": "respondents",
        "Designeffect (Kish)": "kish_design_effect",
        "Effectieve steekproefomvang": "effective_sample_size",
        "Weegefficiëntie": "weighting_efficiency",
        "Kleinste gewicht": "min_weight",
        "Grootste gewicht": "max_weight",
    }
    decimals = {"Respondenten": 0, "Effectieve steekproefomvang": 1}
    for header, column in headers.items():
        expected = rounded(mart[column].astype(float), decimals.get(header, 3))
        np.testing.assert_allclose(shown[header].astype(float), expected, rtol=0, atol=0)
    # the groups below 30 respondents carry the small-base mark
    small = mart["respondents"] < 30
    assert small.any() and shown.loc[small.to_numpy(), "Basis"].str.contains("kleine basis").all()


def test_response_and_population_per_stratum_for_the_group_and_wave_in_the_address(open_page, serving_copy):
    app = open_page("methode", groep="schoolbesturen", meting="2016")
    shown = table_with(app, "Respons als % van de populatie")
    mart = read(
        serving_copy,
        "select * from marts.weighting_margins where respondent_group = 'schoolbesturen' and wave = 2016 "
        "order by category",
    )
    assert len(mart) > 1
    assert shown["Categorie"].tolist() == mart["category_label"].tolist()
    assert shown["Respondenten"].tolist() == mart["respondents"].tolist()
    np.testing.assert_allclose(shown["Populatie"], mart["population_count"])
    np.testing.assert_allclose(
        shown["Respons als % van de populatie"], rounded(100 * mart["respondents"] / mart["population_count"], 1)
    )
    np.testing.assert_allclose(
        shown["% van de respons"], rounded(100 * mart["respondents"] / mart["respondents"].sum(), 1)
    )

    unweighted = open_page("methode", groep="kov_besturen", meting="2019")
    assert any("niet gewogen" in info.value for info in unweighted.info)
    assert not any("Respons als % van de populatie" in element.value.columns for element in unweighted.dataframe)


def test_the_quality_results_of_the_last_evaluation_with_the_warning(open_page, serving_copy):
    app = open_page("methode")
    results = read(
        serving_copy,
        "select * from marts.quality_result where evaluation_id = "
        "(select quality_evaluation_id from marts.publication order by publication_id desc limit 1)",
    )
    per_check = results.groupby(["check_name", "severity"])["passed"].all().reset_index()
    metrics = {metric.label: metric.value for metric in app.metric}
    assert int(metrics["Controles"]) == len(per_check) == results["check_name"].nunique()
    failed_warnings = per_check[(per_check["severity"] == "warning") & ~per_check["passed"]]
    assert int(metrics["Waarschuwingen"]) == len(failed_warnings) >= 1
    assert int(metrics["Fouten"]) == 0

    warnings = [warning.value for warning in app.warning]
    for check in failed_warnings["check_name"]:
        rows = results[(results["check_name"] == check) & ~results["passed"]]
        found = int(rows["unexpected_count"].fillna(rows["observed_value"]).sum())
        text = next(warning for warning in warnings if texts.check_title(check) in warning)
        assert f"{found:,}".replace(",", ".") in text
        assert check not in text, "the check's internal name is not shown"
    routing = next(warning for warning in warnings if texts.check_title("raw_routing_respected") in warning)
    assert "niet fout" in routing, "the routing warning says the figures are not wrong"

    summary = table_with(app, "Wat er gecontroleerd wordt")
    assert sorted(summary["Controle"]) == sorted(per_check["check_name"].map(texts.check_title))
    assert not set(summary["Controle"]) & set(per_check["check_name"])


def test_the_glossary_explains_the_words_the_pages_use(open_page):
    app = open_page("methode")
    glossary = next(markdown.value for markdown in app.markdown if "**Basis**" in markdown.value)
    for term in ["Basis", "Kov", "Routing", "Kindcentrum", "Samengevoegd antwoord", "Procentpunt", "Significant"]:
        assert f"- **{term}**: {texts.GLOSSARY[term]}" in glossary
    assert any(header.value == "Begrippen" for header in app.header)


def test_the_publication_log_and_its_changes(open_page, serving_copy):
    app = open_page("methode")
    log = read(serving_copy, "select * from marts.publication order by publication_id desc")
    shown = table_with(app, "Gewijzigde cijfers")
    assert shown["Publicatie"].tolist() == log["publication_id"].tolist()
    assert shown["Gewijzigde cijfers"].tolist() == log["n_changes"].tolist()
    assert shown["Projectversie"].tolist() == log["project_commit"].fillna("onbekend").tolist()

    changes = read(serving_copy, "select * from marts.publication_change")
    if changes.empty:
        assert any("Geen wijzigingen" in message.value for message in app.success)
    else:
        assert len(table_with(app, "Oude waarde")) == len(changes)


def test_the_download_button_serves_the_workbook_the_publish_stage_wrote(open_page, serving_copy):
    app = open_page("methode")
    workbook = published_workbook_path(serving_copy)
    assert workbook.exists()
    button = next(button for button in app.get("download_button") if "tabellenrapport" in button.label)
    # Streamlit names a download by a hash of its bytes, type and file name: this is the published file.
    pub = int(last_publication(serving_copy)["publication_id"])
    expected = _calculate_file_id(workbook.read_bytes(), XLSX, f"tabellenrapport_publicatie_{pub}.xlsx")
    assert button.proto.url.endswith(f"{expected}.xlsx")


def test_without_a_workbook_the_page_says_so_in_dutch(serving_copy, tmp_path, monkeypatch):
    copy = Path(shutil.copy(serving_copy, tmp_path / "serving.duckdb"))
    monkeypatch.setenv("SERVING_PATH", str(copy))
    app = AppTest.from_file(str(PROJECT_ROOT / "streamlit_app" / "app.py"), default_timeout=60)
    app.switch_page("views/methode.py")
    app.run()
    assert not app.exception
    assert any("tabellenrapport (Excel) van deze publicatie is er niet" in info.value for info in app.info)
    assert not [button for button in app.get("download_button") if "tabellenrapport" in button.label]
