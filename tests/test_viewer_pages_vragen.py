"""The Overzicht and Vragen pages show the published figures with their bases, under the small-base policy.

Every expected value is read from the serving copy with duckdb, independently of the viewer's SQL.
"""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
from streamlit.dataframe_util import convert_arrow_bytes_to_pandas_df
from viewer_tables import as_numbers, rounded

from publication.base_policy import HIDDEN, MARKED

HOSTILE_SEARCHES = ["\"een\" 'team'", "-- team", "'; drop table marts.report_shares; --"]
ROUNDED_TO_ONE_DECIMAL = 0.05 + 1e-9


def _read(serving_copy, query: str, params: list | None = None) -> pd.DataFrame:
    with duckdb.connect(str(serving_copy), read_only=True) as con:
        return con.execute(query, params or []).df()


def _count_shares(serving_copy) -> int:
    return int(_read(serving_copy, "select count(*) as n from marts.report_shares")["n"].iloc[0])


def _newest_wave(serving_copy) -> int:
    return int(_read(serving_copy, "select max(wave) as wave from marts.report_shares")["wave"].iloc[0])


def _dutch(value: float, decimals: int) -> str:
    return f"{value:.{decimals}f}".replace(".", ",")


def _expected_caption(base: int) -> str:
    status = HIDDEN if base < 10 else MARKED if base < 30 else ""
    return f"Basis: n = {base}" + (f" · {status}" if status else "")


def _metrics_per_group(app) -> dict[str, dict[str, tuple[str, str]]]:
    """Per group column of the Overzicht: metric label -> (shown value, the caption beneath it)."""
    shown = {}
    for column in app.columns:
        if not column.metric or not column.markdown:
            continue
        group = column.markdown[0].value.strip("*")
        captions = [caption.value for caption in column.caption]
        shown[group] = {
            metric.label: (metric.value, caption) for metric, caption in zip(column.metric, captions, strict=True)
        }
    return shown


def _table_with(app, header: str) -> pd.DataFrame:
    tables = [frame.value for frame in app.dataframe if header in frame.value.columns]
    assert tables, f"no table with a column {header!r}"
    return tables[0]


def _numbers_with(app, header: str) -> pd.DataFrame:
    """A Vragen table with its Dutch text read back as numbers (the Overzicht's tables are numbers already)."""
    return as_numbers(_table_with(app, header))


def _chart_rows(chart) -> pd.DataFrame:
    return convert_arrow_bytes_to_pandas_df(chart.proto.datasets[0].data.data)


# --------------------------------------------------------------------------------------------------
# Overzicht


@pytest.mark.parametrize("wave", ["newest", 2016])
def test_overzicht_shows_the_published_key_figures_of_each_group_with_their_bases(open_page, serving_copy, wave):
    wave = _newest_wave(serving_copy) if wave == "newest" else wave
    app = open_page("overzicht", meting=str(wave))
    shown = _metrics_per_group(app)

    cooperating = _read(
        serving_copy,
        "select group_label, share_pct, base_n from marts.report_shares "
        "where question_id = 'samenwerking' and answer_label = 'Ja' and wave = ?",
        [wave],
    )
    grades = _read(
        serving_copy,
        "select group_label, mean, base_n from marts.report_means where question_id = 'rapportcijfer' and wave = ?",
        [wave],
    )
    assert set(shown) == set(cooperating["group_label"]) and len(shown) == 4
    for row in cooperating.itertuples():
        assert shown[row.group_label]["Werkt samen"] == (f"{row.share_pct:.0f}%", _expected_caption(row.base_n))
    for row in grades.itertuples():
        assert shown[row.group_label]["Rapportcijfer"] == (
            _dutch(row.mean, 1),
            _expected_caption(row.base_n),
        )
    two_or_more = _read(
        serving_copy,
        "select group_label, share_pct, base_n from marts.report_shares "
        "where question_id = 'aantal_partners' and answer_grouping = 'twee_of_meer' and wave = ?",
        [wave],
    )
    assert not two_or_more.empty
    for row in two_or_more.itertuples():
        assert shown[row.group_label]["Twee of meer partners"] == (
            f"{row.share_pct:.0f}%",
            _expected_caption(row.base_n),
        )


def test_overzicht_marks_a_key_figure_on_a_base_under_30(open_page, serving_copy):
    small = _read(
        serving_copy,
        "select wave, group_label, base_n from marts.report_means "
        "where question_id = 'rapportcijfer' and base_n between 10 and 29 order by wave limit 1",
    )
    assert not small.empty, "the sample has a grade on a small base (2016 kov-besturen)"
    row = small.iloc[0]
    shown = _metrics_per_group(open_page("overzicht", meting=str(row["wave"])))
    value, caption = shown[row["group_label"]]["Rapportcijfer"]
    assert caption == f"Basis: n = {row['base_n']} · {MARKED}"
    assert value != "–"


def test_overzicht_lists_the_top_3_goals_ranked_on_in_sterke_mate_without_the_open_answer(open_page, serving_copy):
    wave = _newest_wave(serving_copy)
    app = open_page("overzicht")
    for group_label in ["Basisscholen", "Kinderopvangorganisaties"]:
        top = _read(
            serving_copy,
            "select item_text, share_pct, base_n from marts.report_shares "
            "where question_id = 'doelen' and wave = ? and group_label = ? and answer_label = 'In sterke mate' "
            "and item_text not like 'Anders%' order by share_pct desc limit 3",
            [wave, group_label],
        )
        expected = "\n".join(
            f"{rank}. {row.item_text}: **{row.share_pct:.0f}%** in sterke mate (n = {row.base_n})"
            for rank, row in enumerate(top.itertuples(), start=1)
        )
        assert expected in [markdown.value for markdown in app.markdown], group_label


def test_overzicht_lists_every_significant_change_since_the_previous_wave(open_page, serving_copy):
    wave = _newest_wave(serving_copy)
    changes = _read(
        serving_copy,
        "select c.group_label, c.answer_label, c.answer_grouping, c.value_unit, c.value_before, c.value_after, "
        "c.difference, c.holds_after_adjustment, t.n_from, t.n_to "
        "from marts.report_changes c join marts.test_wave_change t using "
        "(wave, respondent_group, question_id, item_id, test_level, method) "
        "where c.comparison = 'verandering' and c.wave = ? and c.test_level <> 'question' "
        "and t.answer_code is not distinct from c.answer_code "
        "and t.answer_grouping is not distinct from c.answer_grouping",
        [wave],
    )
    assert not changes.empty
    table = _table_with(open_page("overzicht"), "Houdt stand na correctie")
    assert len(table) == len(changes)

    combined = changes[changes["answer_label"] == "Meer dan 5 jaar"].iloc[0]
    row = table[table["Antwoord"] == "Meer dan 5 jaar (samengevoegd)"].iloc[0]
    assert row["Vorige meting"] == pytest.approx(combined["value_before"] * 100, abs=ROUNDED_TO_ONE_DECIMAL)
    assert row["Deze meting"] == pytest.approx(combined["value_after"] * 100, abs=ROUNDED_TO_ONE_DECIMAL)
    assert row["Verschil"] == pytest.approx(combined["difference"] * 100, abs=ROUNDED_TO_ONE_DECIMAL)
    assert row["Houdt stand na correctie"] == ("ja" if combined["holds_after_adjustment"] else "nee")
    assert (row["Basis vorige meting (n)"], row["Basis deze meting (n)"]) == (combined["n_from"], combined["n_to"])
    assert sorted(table["Houdt stand na correctie"]) == sorted(
        "ja" if holds else "nee" for holds in changes["holds_after_adjustment"]
    )


def test_overzicht_says_the_first_wave_has_nothing_to_compare_with(open_page, serving_copy):
    first = int(_read(serving_copy, "select min(wave) as wave from marts.report_shares")["wave"].iloc[0])
    app = open_page("overzicht", meting=str(first))
    assert any("eerste meting" in info.value for info in app.info)
    assert not any("Houdt stand na correctie" in frame.value.columns for frame in app.dataframe)


# --------------------------------------------------------------------------------------------------
# Vragen


def test_vragen_shows_the_published_shares_of_a_bijlage_2_question_with_its_combined_answer(open_page, serving_copy):
    published = _read(
        serving_copy,
        "select answer_label, answer_grouping, share_pct, ci_low_pct, ci_high_pct, n, base_n, "
        "change_since_previous_wave from marts.report_shares "
        "where question_id = 'duur' and respondent_group = 'basisscholen' and wave = 2019",
    )
    assert "Meer dan 5 jaar" in set(published["answer_label"])
    app = open_page("vragen", vraag="duur", groep="basisscholen", meting="2019")
    raw = _table_with(app, "Aandeel (%)")
    table = as_numbers(raw)

    assert len(table) == len(published)
    assert set(table["Groep"]) == {"Basisscholen"} and set(table["Meting"]) == {2019}
    for row in published.itertuples():
        label = row.answer_label + (" (samengevoegd)" if pd.notna(row.answer_grouping) else "")
        shown = table[table["Antwoord"] == label]
        assert len(shown) == 1, label
        shown = shown.iloc[0]
        assert shown["Aandeel (%)"] == rounded(pd.Series([row.share_pct]), 1)[0]
        interval = raw.loc[shown.name, "95%-interval"]
        assert interval == f"{row.ci_low_pct:.1f} – {row.ci_high_pct:.1f}".replace(".", ",")
        assert (shown["Aantal (n)"], shown["Basis (n)"]) == (row.n, row.base_n)
        expected_marker = {"hoger": "▲ hoger", "lager": "▼ lager"}.get(row.change_since_previous_wave, "")
        assert shown["Verandering t.o.v. vorige meting"] == expected_marker

    charts = app.get("vega_lite_chart")
    assert len(charts) == 2, "stacked bars of the single answers and a bar for the combined answer"
    stacked, combined = (_chart_rows(chart) for chart in charts)
    assert "Meer dan 5 jaar" not in set(stacked["answer_label"])
    assert stacked["share_pct"].sum() == pytest.approx(100, abs=0.01)
    assert list(combined["answer_label"]) == ["Meer dan 5 jaar"]


def test_vragen_hides_a_base_under_10_and_marks_one_under_30(open_page, serving_copy):
    published = _read(
        serving_copy,
        "select item_text, answer_label, base_n from marts.report_shares "
        "where question_id = 'doelen' and respondent_group = 'kov_besturen' and wave = 2016",
    )
    hidden_items = set(published.loc[published["base_n"] < 10, "item_text"])
    marked_items = set(published.loc[(published["base_n"] >= 10) & (published["base_n"] < 30), "item_text"])
    assert hidden_items and marked_items, "the sample has both (doelen_anders on base 2, the others on 18)"

    app = open_page("vragen", vraag="doelen", groep="kov_besturen", meting="2016")
    table = _numbers_with(app, "Aandeel (%)")
    hidden = table[table["Item"].isin(hidden_items)]
    assert len(hidden) == (published["base_n"] < 10).sum()
    assert hidden["Aandeel (%)"].isna().all() and hidden["Aantal (n)"].isna().all()
    assert (hidden["Basis"] == HIDDEN).all()
    assert (hidden["Basis (n)"] < 10).all(), "the base itself stays visible"
    marked = table[table["Item"].isin(marked_items)]
    assert (marked["Basis"] == MARKED).all() and marked["Aandeel (%)"].notna().all()

    drawn = pd.concat([_chart_rows(chart) for chart in app.get("vega_lite_chart")])
    assert not set(drawn["item_text"]) & hidden_items, "a hidden figure is not drawn"
    assert (drawn["basis"] == MARKED).all()


def test_vragen_shows_the_mean_grade_with_its_interval(open_page, serving_copy):
    means = _read(
        serving_copy,
        "select group_label, wave, mean, ci_low, ci_high, base_n from marts.report_means "
        "where question_id = 'rapportcijfer'",
    )
    app = open_page("vragen", vraag="rapportcijfer")
    table = _numbers_with(app, "Gemiddelde")
    assert len(table) == len(means)
    for row in means.itertuples():
        shown = table[(table["Groep"] == row.group_label) & (table["Meting"] == row.wave)].iloc[0]
        assert shown["Gemiddelde"] == pytest.approx(np.round(row.mean, 1))
        assert (shown["95%-interval van"], shown["95%-interval tot"]) == (round(row.ci_low, 2), round(row.ci_high, 2))
        assert shown["Basis (n)"] == row.base_n
    # The grade as a dot with its interval on an axis that does not start at 0.
    (chart,) = app.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    domain = next(
        layer["encoding"]["x"]["scale"]["domain"] for layer in spec["layer"] if layer["mark"]["type"] == "rule"
    )
    assert domain[0] > 1 and domain[0] <= means["ci_low"].min() and domain[1] >= means["ci_high"].max()
    assert "point" in {layer["mark"]["type"] for layer in spec["layer"]}


def test_vragen_sorts_a_grid_by_its_top_answer_and_options_by_share(open_page, serving_copy):
    app = open_page("vragen", vraag="doelen", groep="basisscholen", meting="2019")
    top = _read(
        serving_copy,
        "select c.item_text, s.share_pct, c.has_open_answer from marts.report_shares s join marts.question_catalog c "
        "using (question_id, item_id) where s.question_id = 'doelen' and s.respondent_group = 'basisscholen' "
        "and s.wave = 2019 and s.answer_label = 'In sterke mate' order by c.has_open_answer, s.share_pct desc",
    )
    first = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    order = next(layer["encoding"]["y"]["sort"] for layer in first["layer"] if "y" in layer["encoding"])
    assert [label.replace("|", " ") for label in order] == top["item_text"].tolist()

    app = open_page("vragen", vraag="vorm", groep="kov_organisaties", meting="2019")
    named = _read(
        serving_copy,
        "select c.item_text from marts.report_shares s join marts.question_catalog c using (question_id, item_id) "
        "where s.question_id = 'vorm' and s.respondent_group = 'kov_organisaties' and s.wave = 2019 "
        "and s.answer_code = 1 order by c.has_open_answer, s.share_pct desc",
    )
    (chart, *_) = app.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    order = next(layer["encoding"]["y"]["sort"] for layer in spec["layer"] if "y" in layer["encoding"])
    assert [label.replace("|", " ") for label in order] == named["item_text"].tolist()


def test_vragen_writes_values_on_segments_of_5_percent_or_more_and_the_marker_beside_them(open_page, serving_copy):
    app = open_page("vragen", vraag="duur", groep="basisscholen")
    stacked = _chart_rows(app.get("vega_lite_chart")[0])
    large = stacked[stacked["share_pct"] >= 5]
    assert all(
        label.startswith(f"{share:.0f}%") for label, share in zip(large["_label"], large["share_pct"], strict=True)
    )
    assert (stacked.loc[stacked["share_pct"] < 5, "_label"].str.match(r"^[▲▼]?$")).all()
    changed = stacked[stacked["change"] != ""]
    assert len(changed) > 0 and (changed["_label"].str[-1] == changed["change"].str[0]).all()
    spec = json.loads(app.get("vega_lite_chart")[0].proto.spec)
    assert spec["title"]["text"] == ["Duur samenwerking"]
    assert any("synthetische" in line for line in spec["title"]["subtitle"])
    assert any(line.startswith("Basis: n = ") for line in spec["title"]["subtitle"])


def test_the_search_word_and_its_hits_are_in_the_address_and_on_the_page(open_page, serving_copy):
    hits = _read(
        serving_copy,
        "select count(distinct question_id) as n from marts.question_catalog "
        "where contains(search_text, lower(strip_accents('team')))",
    )["n"][0]
    app = open_page("vragen", zoek="team")
    assert app.text_input(key="vragen_zoek").value == "team"
    assert app.query_params["zoek"] == "team"
    assert any(caption.value.startswith(f"{hits} vra") and "“team”" in caption.value for caption in app.caption)


def test_an_unknown_value_in_a_shared_link_is_announced_in_dutch(open_page):
    app = open_page("vragen", vraag="bestaat_niet", groep="basisscholen,onbekend")
    notices = [warning.value for warning in app.warning]
    assert any("*vraag*" in notice and "bestaat_niet" in notice and "niet bestaat" in notice for notice in notices)
    assert any("*groep*" in notice and "onbekend" in notice for notice in notices)
    app = open_page("trends", groep="onbekend")
    assert any("*groep*" in warning.value and "Alle groepen" in warning.value for warning in app.warning)


@pytest.mark.parametrize("page", ["vragen", "trends", "kindcentra", "samenwerkingsmodellen", "methode"])
def test_every_page_has_reading_help_and_no_none_in_a_table(open_page, page):
    app = open_page(page)
    assert any(expander.label == "Hoe lees ik dit?" for expander in app.expander)
    for frame in app.dataframe:
        assert not frame.value.astype(str).isin(["None", "nan", "<NA>"]).any().any(), page


def test_vragen_notes_a_question_asked_in_other_words_and_its_routing(open_page, serving_copy):
    routing = _read(
        serving_copy,
        "select distinct routing_text from marts.dim_question "
        "where question_id = 'duur' and respondent_group = 'basisscholen'",
    )["routing_text"].iloc[0]
    app = open_page("vragen", vraag="duur", groep="basisscholen")
    assert any(routing[1:] in caption.value for caption in app.caption)
    assert not app.info

    differs = _read(
        serving_copy,
        "select bool_or(meaning_differs_between_groups) as differs from marts.question_catalog "
        "where question_id = 'samenwerking'",
    )["differs"].iloc[0]
    assert differs
    assert any("niet aan elke groep in dezelfde woorden" in info.value for info in open_page("vragen").info)


def test_the_search_box_folds_accents(open_page, serving_copy):
    with_accents = _read(
        serving_copy,
        "select distinct question_id from marts.question_catalog where item_text like '%één team%'",
    )["question_id"]
    assert "praktijk" in set(with_accents)
    app = open_page("vragen")
    app.text_input(key="vragen_zoek").input("een team").run()
    assert not app.exception
    options = set(app.selectbox(key="address_vraag").options)
    assert "Visie en doelen in praktijk (Visie en doelen)" in options
    assert len(options) < len(_read(serving_copy, "select distinct question_id from marts.question_catalog"))


@pytest.mark.parametrize("text", HOSTILE_SEARCHES)
def test_hostile_search_text_is_only_a_value(open_page, serving_copy, text):
    rows_before = _count_shares(serving_copy)
    app = open_page("vragen")
    app.text_input(key="vragen_zoek").input(text).run()
    assert not app.exception and not app.error
    if not app.selectbox:
        assert any("Geen vraag gevonden" in info.value for info in app.info)
    assert _count_shares(serving_copy) == rows_before


@pytest.mark.parametrize("vraag", ["bestaat_niet", "duur'; drop table marts.report_shares; --"])
def test_an_unknown_question_in_the_address_falls_back_to_the_default(open_page, serving_copy, vraag):
    rows_before = _count_shares(serving_copy)
    app = open_page("vragen", vraag=vraag)
    assert not app.error
    assert app.selectbox(key="address_vraag").value == "samenwerking"
    assert app.query_params["vraag"] == "samenwerking"
    assert set(_table_with(app, "Aandeel (%)")["Antwoord"]) == {"Ja", "Nee"}
    assert any("bestaat_niet" in warning.value or "duur" in warning.value for warning in app.warning)
    assert _count_shares(serving_copy) == rows_before


def test_the_address_reopens_a_question_for_a_group_and_follows_a_new_choice(open_page):
    app = open_page("vragen", vraag="duur", groep="basisscholen")
    assert app.selectbox(key="address_vraag").value == "duur"
    assert app.multiselect(key="vragen_groepen_duur").value == ["basisscholen"]
    assert set(_table_with(app, "Aandeel (%)")["Groep"]) == {"Basisscholen"}

    app.selectbox(key="address_vraag").select("terrein").run()
    assert app.query_params["vraag"] == "terrein"
    assert app.query_params["groep"] == "basisscholen"
    assert app.multiselect(key="vragen_groepen_terrein").value == ["basisscholen"]
