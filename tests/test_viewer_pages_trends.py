"""The viewer's Trends, Kindcentra and Samenwerkingsmodellen pages show what the serving copy publishes.

Every expectation is read independently from the test warehouse's serving copy (or, for what the serving
copy does not carry, from the warehouse itself) and compared with what the page shows in AppTest.
"""

from __future__ import annotations

import json
import shutil

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from viewer_tables import as_numbers, rounded, shown_p

from publication import texts
from publication.base_policy import HIDDEN, MARKED

HOSTILE_GROUP = "'; drop table marts.report_shares; --"
EITHER = " óf "


def read(path, query: str, params: dict | None = None) -> pd.DataFrame:
    """A query on the serving copy, opened read-only on its own connection."""
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute(query, params or {}).df()


def table_with(app, header: str) -> pd.DataFrame:
    """The first table on the page with this column header."""
    for frame in app.dataframe:
        if header in frame.value.columns:
            return as_numbers(frame.value.reset_index(drop=True))
    raise AssertionError(f"no table with column {header!r}")


def tables_with(app, header: str) -> list[pd.DataFrame]:
    """Every table on the page with this column header."""
    return [as_numbers(frame.value.reset_index(drop=True)) for frame in app.dataframe if header in frame.value.columns]


def charts(app) -> list:
    """The page's Altair charts (Streamlit 1.67 calls the element vega_lite_chart)."""
    return app.get("vega_lite_chart")


def chart_data(chart) -> pd.DataFrame:
    """The rows a chart was given, decoded from its Arrow dataset."""
    datasets = chart.proto.datasets
    return pd.concat(
        [pa.ipc.open_stream(dataset.data.data).read_all().to_pandas() for dataset in datasets], ignore_index=True
    )


def marks(chart) -> set[str]:
    """The mark types of a (layered) chart."""
    spec = json.loads(chart.proto.spec)
    layers = spec.get("layer", [spec])
    return {layer["mark"]["type"] if isinstance(layer["mark"], dict) else layer["mark"] for layer in layers}


def expected_status(base: pd.Series) -> list[str]:
    """The small-base status the policy must give these bases."""
    return [HIDDEN if value < 10 else MARKED if value < 30 else "" for value in base]


def sorted_rows(frame: pd.DataFrame, decimals: int = 6) -> list[tuple]:
    """Rows as tuples, numbers rounded and missing values made comparable, in a fixed order."""
    rounded = frame.apply(
        lambda column: column.astype("float64").round(decimals) if column.dtype.kind in "fiu" else column
    )
    return sorted(
        tuple("" if pd.isna(value) else str(value) for value in row) for row in rounded.itertuples(index=False)
    )


# --------------------------------------------------------------------------------------------------
# Trends


def wave_changes(serving_copy, group: str | None = None) -> pd.DataFrame:
    """Every significant wave change of report_changes (of one group), with the test's bases."""
    return read(
        serving_copy,
        """
        select c.*, t.n_from, t.n_to
        from marts.report_changes c
        join marts.test_wave_change t
          on t.wave = c.wave and t.respondent_group = c.respondent_group and t.item_id = c.item_id
         and t.question_id = c.question_id and t.test_level = c.test_level and t.method = c.method
         and coalesce(t.answer_code, -1) = coalesce(c.answer_code, -1)
         and coalesce(t.answer_grouping, '') = coalesce(c.answer_grouping, '')
        where c.comparison = 'verandering' and ($group is null or c.respondent_group = $group)
        """,
        {"group": group},
    )


def change_figures(changes: pd.DataFrame) -> pd.DataFrame:
    """What the table must show of each change: values in percent (points) or grade points, p, bases.

    Rounded as numpy rounds (the page shows one decimal for percentages, two for the grade), so that a value
    on a rounding boundary cannot make the comparison flaky.
    """
    factor = np.where(changes["value_unit"] == "share", 100.0, 1.0)
    decimals = np.where(changes["value_unit"] == "share", 1, 2)
    figures = pd.DataFrame(
        {
            column: [
                np.round(value * scale, int(places)) if pd.notna(value) else np.nan
                for value, scale, places in zip(changes[column], factor, decimals, strict=True)
            ]
            for column in ["value_before", "value_after", "difference", "difference_ci_low", "difference_ci_high"]
        }
    )
    figures["p_value"] = changes["p_value"].map(shown_p).to_numpy()
    figures["holds"] = np.where(changes["holds_after_adjustment"], "ja", "nee")
    figures["n_from"] = changes["n_from"].to_numpy()
    figures["n_to"] = changes["n_to"].to_numpy()
    return figures


def shown_figures(table: pd.DataFrame) -> pd.DataFrame:
    """The same columns as `change_figures`, from the page's table."""
    return table[
        ["Voor", "Na", "Verschil", "95%-interval van", "95%-interval tot", "p-waarde", "Houdt stand na correctie"]
        + ["n voor", "n na"]
    ]


@pytest.mark.parametrize("group", ["basisscholen", "kov_organisaties", "schoolbesturen"])
def test_trends_lists_every_significant_change_of_the_chosen_group_with_its_figures(open_page, serving_copy, group):
    expected = wave_changes(serving_copy, group)
    assert not expected.empty, f"the sample has no significant change for {group}"
    app = open_page("trends", groep=group)
    table = table_with(app, "Houdt stand na correctie")
    assert len(table) == len(expected)
    assert set(table["Groep"]) == set(expected["group_label"])
    assert sorted_rows(shown_figures(table), 4) == sorted_rows(change_figures(expected), 4)


def test_trends_shows_every_group_by_default_and_follows_a_group_picked_on_the_page(open_page, serving_copy):
    app = open_page("trends")
    assert len(table_with(app, "Houdt stand na correctie")) == len(wave_changes(serving_copy))
    app.selectbox(key="address_groep").set_value("kov_organisaties").run()
    assert not app.exception
    expected = wave_changes(serving_copy, "kov_organisaties")
    table = table_with(app, "Houdt stand na correctie")
    assert sorted_rows(shown_figures(table), 4) == sorted_rows(change_figures(expected), 4)
    assert app.query_params["groep"] == "kov_organisaties"


def test_the_adjusted_only_filter_keeps_exactly_what_holds_after_benjamini_hochberg(open_page, serving_copy):
    changes = wave_changes(serving_copy, "basisscholen")
    holding = changes[changes["holds_after_adjustment"]]
    assert 0 < len(holding) < len(changes), "the sample should have changes that do and do not hold"
    app = open_page("trends", groep="basisscholen")
    app.checkbox(key="trends_adjusted").check().run()
    assert not app.exception
    table = table_with(app, "Houdt stand na correctie")
    assert len(table) == len(holding)
    assert set(table["Houdt stand na correctie"]) == {"ja"}
    assert sorted_rows(shown_figures(table), 4) == sorted_rows(change_figures(holding.reset_index(drop=True)), 4)
    assert any("Benjamini-Hochberg" in caption.value for caption in app.caption)


def test_trends_topic_filter_keeps_the_changes_of_that_topic(open_page, serving_copy):
    changes = wave_changes(serving_copy)
    topics = read(serving_copy, "select question_id, item_id, topic from marts.question_catalog")
    changes = changes.merge(topics, on=["question_id", "item_id"])
    topic = changes["topic"].value_counts().index[0]
    app = open_page("trends", onderwerp=topic)
    table = table_with(app, "Houdt stand na correctie")
    assert set(table["Onderwerp"]) == {topic}
    assert len(table) == int((changes["topic"] == topic).sum())


def test_trends_draws_the_first_item_of_the_table_over_the_waves_with_the_published_shares(open_page, serving_copy):
    app = open_page("trends")
    table = table_with(app, "Houdt stand na correctie")
    picked = app.selectbox(key="address_vraag")
    assert picked.options[picked.index] == table["Vraag"].iloc[0]
    assert app.query_params["vraag"] == picked.value
    shares = read(
        serving_copy,
        "select wave, group_label, share_pct, base_n from marts.report_shares where question_id = $q and item_id = $i",
        {"q": picked.value, "i": app.query_params["item"]},
    )
    drawn = charts(app)
    assert drawn, "no chart drawn"
    assert all({"area", "line"} <= marks(chart) for chart in drawn)
    plotted = pd.concat([chart_data(chart) for chart in drawn], ignore_index=True)
    assert sorted_rows(plotted[["wave", "group_label", "share_pct", "base_n"]]) == sorted_rows(shares)
    figures = table_with(app, "Basis (n)")
    assert sorted(figures["%"]) == sorted(rounded(shares["share_pct"], 1))


def test_trends_draws_the_mean_grade_for_a_change_in_the_grade(open_page, serving_copy):
    means = read(
        serving_copy,
        "select wave, group_label, mean, base_n from marts.report_means where question_id = 'rapportcijfer'",
    )
    app = open_page("trends", vraag="rapportcijfer")
    assert app.selectbox(key="address_vraag").value == "rapportcijfer"
    (chart,) = charts(app)
    assert sorted_rows(chart_data(chart)[["wave", "group_label", "mean", "base_n"]]) == sorted_rows(means)
    assert sorted(table_with(app, "Gemiddelde")["Gemiddelde"]) == sorted(rounded(means["mean"], 2))


def test_trends_marks_a_small_base_in_the_chart_and_its_figures(open_page, serving_copy):
    # No item with a change has a base under 10 in any group, so only the mark under 30 can be seen here;
    # the hiding under 10 is tested on the Kindcentra page.
    shares = read(
        serving_copy,
        "select wave, group_label, answer_label, base_n from marts.report_shares "
        "where question_id = 'juridisch' and item_id = 'juridisch'",
    )
    assert (shares["base_n"] < 30).any() and not (shares["base_n"] < 10).any()
    app = open_page("trends", vraag="juridisch")
    figures = table_with(app, "Basis (n)")
    assert sorted(zip(figures["Basis (n)"], figures["Basis"], strict=True)) == sorted(
        zip(shares["base_n"], expected_status(shares["base_n"]), strict=True)
    )
    plotted = pd.concat([chart_data(chart) for chart in charts(app)], ignore_index=True)
    assert set(plotted.loc[plotted["base_n"] < 30, "basis"]) == {MARKED}


# --------------------------------------------------------------------------------------------------
# Trends: comparability grades (a reworded question, a trend break)

BREAK_REASON = "Antwoordoptie 'Weet niet' toegevoegd"
REWORDING_REASON = "Vraagtekst ingekort"


@pytest.fixture(scope="module")
def regraded_copy(serving_copy, tmp_path_factory):
    """The serving copy with fase regraded: B for the school directors, C for the childcare managers.

    B keeps the school directors' tested changes, flagged; C is a trend break for the childcare managers: not
    tested, no change, no line across it.

    The sample grades every pair A, so the viewer's B and C paths need a copy with other grades; the updates
    are what the statistics stage and the report marts give for those grades (tests/test_comparability.py).
    """
    copy = tmp_path_factory.mktemp("regraded") / "serving.duckdb"
    shutil.copyfile(serving_copy, copy)
    kov = "respondent_group = 'kov_organisaties' and item_id = 'fase'"
    school = "respondent_group = 'basisscholen' and item_id = 'fase'"
    with duckdb.connect(str(copy)) as con:
        con.execute(
            f"update codebook.codebook_comparability set grade = 'C', reason = $r where wave = 2019 and {kov}",
            {"r": BREAK_REASON},
        )
        con.execute(
            f"update codebook.codebook_comparability set grade = 'B', reason = $r where wave = 2019 and {school}",
            {"r": REWORDING_REASON},
        )
        con.execute(
            "update marts.test_wave_change set comparability_grade = 'C', is_tested = false, statistic = null, "
            "df_num = null, df_den = null, p_value = null, p_adjusted = null, is_significant = null, "
            "value_from = null, value_to = null, difference = null, difference_ci_low = null, "
            f"difference_ci_high = null, not_tested_reason = 'trend break (grade C): ' || $r where {kov}",
            {"r": BREAK_REASON},
        )
        con.execute(f"update marts.test_wave_change set comparability_grade = 'B' where {school}")
        con.execute(f"delete from marts.report_changes where comparison = 'verandering' and {kov}")
        con.execute(
            f"update marts.report_changes set comparability_grade = 'B' where comparison = 'verandering' and {school}"
        )
        for table in ("report_shares", "report_means"):
            con.execute(
                f"update marts.{table} set comparability_grade = 'C', comparability_note = 'trendbreuk', "
                f"comparability_reason = $r, change_since_previous_wave = null, change_p_value = null "
                f"where wave = 2019 and {kov}",
                {"r": BREAK_REASON},
            )
            con.execute(
                f"update marts.{table} set comparability_grade = 'B', comparability_note = 'vraagtekst gewijzigd', "
                f"comparability_reason = $r where wave = 2019 and {school}",
                {"r": REWORDING_REASON},
            )
    return copy


def fase_label(path) -> str:
    """How the page names the regraded question."""
    return read(path, "select question_label from marts.question_catalog where item_id = 'fase'")["question_label"][0]


@pytest.fixture
def open_regraded(open_page, regraded_copy, monkeypatch):
    """`open_page` on the regraded copy."""
    monkeypatch.setenv("SERVING_PATH", str(regraded_copy))
    return open_page


def test_on_the_sample_no_change_is_flagged_and_no_trend_breaks(open_page, serving_copy):
    grades = read(
        serving_copy, "select distinct comparability_grade from marts.report_changes where comparison = 'verandering'"
    )
    assert grades["comparability_grade"].tolist() == ["A"]
    app = open_page("trends")
    table = table_with(app, "Houdt stand na correctie")
    assert set(table["Vergelijkbaarheid"]) == {""}
    assert not tables_with(app, "Wat is er veranderd")
    assert not any("Trendbreuk" in warning.value for warning in app.warning)
    plotted = pd.concat([chart_data(chart) for chart in charts(app)], ignore_index=True)
    assert set(plotted["trend_segment"]) == {0}


def test_trends_flags_a_change_whose_question_was_reworded(open_regraded, regraded_copy):
    expected = wave_changes(regraded_copy, "basisscholen")
    reworded = expected["comparability_grade"] == "B"
    assert set(expected.loc[reworded, "item_id"]) == {"fase"} and (~reworded).any()
    app = open_regraded("trends", groep="basisscholen")
    table = table_with(app, "Houdt stand na correctie")
    assert len(table) == len(expected)
    flagged = table["Vergelijkbaarheid"] == "vraagtekst gewijzigd"
    assert flagged.sum() == reworded.sum()
    label = fase_label(regraded_copy)
    assert set(table.loc[flagged, "Vraag"]) == {label}
    assert label not in set(table.loc[~flagged, "Vraag"])
    assert set(table.loc[~flagged, "Vergelijkbaarheid"]) == {""}


def test_trends_breaks_the_line_at_a_trend_break_and_says_why(open_regraded, regraded_copy):
    app = open_regraded("trends", vraag="fase")
    assert app.selectbox(key="address_vraag").value == "fase"
    warnings = " ".join(warning.value for warning in app.warning)
    assert f"**Trendbreuk** bij Kinderopvangorganisaties tussen 2016 en 2019: {BREAK_REASON}." in warnings
    assert "Basisscholen" not in warnings
    infos = " ".join(info.value for info in app.info)
    assert f"**Vraagtekst gewijzigd** bij Basisscholen tussen 2016 en 2019: {REWORDING_REASON}." in infos

    drawn = charts(app)
    assert drawn
    for chart in drawn:
        spec = json.loads(chart.proto.spec)
        lines = [layer for layer in spec["layer"] if layer["mark"] in ("line", {"type": "line"})]
        areas = [layer for layer in spec["layer"] if layer["mark"] in ("area", {"type": "area"})]
        # the line and its band are split by segment as well as by group: none joins two segments
        for layer in lines + areas:
            assert layer["encoding"]["detail"]["field"] == "trend_segment"
    plotted = pd.concat([chart_data(chart) for chart in drawn], ignore_index=True)
    segments = plotted.groupby(["group_label", "wave"])["trend_segment"].agg(set)
    assert segments[("Kinderopvangorganisaties", 2016)] == {0}
    assert segments[("Kinderopvangorganisaties", 2019)] == {1}
    assert segments[("Basisscholen", 2016)] == segments[("Basisscholen", 2019)] == {0}


def test_trends_lists_the_trend_breaks_of_the_chosen_group_with_what_changed(open_regraded, regraded_copy):
    topic = read(regraded_copy, "select topic from marts.question_catalog where item_id = 'fase'")["topic"][0]
    app = open_regraded("trends", groep="kov_organisaties")
    (breaks,) = tables_with(app, "Wat is er veranderd")
    assert breaks.to_dict("records") == [
        {
            "Metingen": "2016 → 2019",
            "Groep": "Kinderopvangorganisaties",
            "Onderwerp": topic,
            "Vraag": fase_label(regraded_copy),
            "Item": "",
            "Wat is er veranderd": BREAK_REASON,
        }
    ]
    assert fase_label(regraded_copy) not in set(table_with(app, "Houdt stand na correctie")["Vraag"])
    app = open_regraded("trends", groep="basisscholen")
    assert not tables_with(app, "Wat is er veranderd")


# --------------------------------------------------------------------------------------------------
# Kindcentra


def kindcentrum_rows(serving_copy, group: str, wave: int) -> pd.DataFrame:
    """The published kindcentrum comparison of one group and wave, with the tests' bases."""
    return read(
        serving_copy,
        """
        select s.kindcentrum_share_pct, s.other_share_pct, s.kindcentrum_difference, t.n_in, t.n_out
        from marts.report_shares s
        join marts.test_subgroup t
          on t.wave = s.wave and t.respondent_group = s.respondent_group and t.item_id = s.item_id
         and t.question_id = s.question_id and t.is_default_method and t.test_level <> 'question'
         and coalesce(t.answer_code, -1) = coalesce(s.answer_code, -1)
         and coalesce(t.answer_grouping, '') = coalesce(s.answer_grouping, '')
        where s.respondent_group = $group and s.wave = $wave and s.kindcentrum_share_pct is not null
        """,
        {"group": group, "wave": wave},
    )


def kindcentrum_expected(rows: pd.DataFrame) -> pd.DataFrame:
    """Both shares (one decimal, as shown), the marker the page must show and the bases."""
    return pd.DataFrame(
        {
            "kindcentrum": rounded(rows["kindcentrum_share_pct"], 1),
            "overige": rounded(rows["other_share_pct"], 1),
            "marker": rows["kindcentrum_difference"]
            .map({"hoger": "▲ hoger", "lager": "▼ lager"})
            .fillna("geen significant verschil")
            .to_numpy(),
            "n_in": rows["n_in"],
            "n_out": rows["n_out"],
        }
    )


def kindcentrum_shown(table: pd.DataFrame) -> pd.DataFrame:
    """The same columns from the page's table."""
    return table[["Kindcentrum %", "Overige %", "Significant verschil", "n kindcentrum", "n overige"]]


@pytest.mark.parametrize(("group", "wave"), [("basisscholen", 2019), ("kov_organisaties", 2016)])
def test_kindcentra_shows_the_published_shares_of_kindcentra_and_the_rest(open_page, serving_copy, group, wave):
    expected = kindcentrum_rows(serving_copy, group, wave)
    app = open_page("kindcentra", groep=group, meting=str(wave))
    app.checkbox(key="kindcentra_significant").uncheck()
    app.radio(key="kindcentra_antwoorden").set_value("Alle antwoorden").run()
    assert not app.exception
    table = table_with(app, "Kindcentrum %")
    assert len(table) == len(expected)
    assert sorted_rows(kindcentrum_shown(table)) == sorted_rows(kindcentrum_expected(expected))


def test_kindcentra_marks_significant_differences_in_table_and_chart(open_page, serving_copy):
    expected = kindcentrum_rows(serving_copy, "basisscholen", 2019)
    significant = expected[expected["kindcentrum_difference"].notna()]
    assert 0 < len(significant) < len(expected)
    app = open_page("kindcentra", groep="basisscholen", meting="2019")
    app.radio(key="kindcentra_antwoorden").set_value("Alle antwoorden").run()
    table = table_with(app, "Kindcentrum %")
    assert sorted_rows(kindcentrum_shown(table)) == sorted_rows(kindcentrum_expected(significant))
    higher = significant["kindcentrum_share_pct"] > significant["other_share_pct"]
    assert (significant["kindcentrum_difference"] == np.where(higher, "hoger", "lager")).all()
    (chart,) = charts(app)
    assert {"point", "rule", "text"} <= marks(chart)
    plotted = chart_data(chart)
    plotted = plotted[plotted["_symbol"].notna()]
    assert sorted(plotted["_symbol"]) == sorted(kindcentrum_expected(significant)["marker"].str[0])
    # Sorted by size: the chart's rows run from the largest difference to the smallest.
    spec = json.loads(chart.proto.spec)
    order = next(layer["encoding"]["y"]["sort"] for layer in spec["layer"] if "y" in layer.get("encoding", {}))
    by_row = plotted.set_index("row")["difference_pct"]
    assert [by_row[row] for row in order] == sorted(by_row, reverse=True)


@pytest.mark.parametrize(
    ("group", "wave"), [("basisscholen", 2019), ("kov_organisaties", 2019), ("basisscholen", 2016)]
)
def test_kindcentra_interval_and_marker_never_contradict(open_page, serving_copy, group, wave):
    # The published Wald interval of a few differences includes 0 although the test says p < 0.05 (one at
    # p = 0.047); the page derives the interval from the test itself, so that 0 lies outside it exactly
    # when there is a marker.
    app = open_page("kindcentra", groep=group, meting=str(wave))
    app.checkbox(key="kindcentra_significant").uncheck()
    app.radio(key="kindcentra_antwoorden").set_value("Alle antwoorden").run()
    table = table_with(app, "Kindcentrum %")
    shown = table[table["95%-interval van"].notna()]
    assert len(shown) > 0
    excludes_zero = (shown["95%-interval van"] > 0) | (shown["95%-interval tot"] < 0)
    marked = shown["Significant verschil"] != "geen significant verschil"
    # A bound rounded to 0,0 could be either side of 0: those rows say nothing either way.
    decided = (shown["95%-interval van"] != 0) & (shown["95%-interval tot"] != 0)
    assert (excludes_zero[decided] == marked[decided]).all()
    assert set(shown.loc[~excludes_zero & marked & decided, "Let op"].fillna("")) <= {"†"}


def test_a_tiny_p_value_reads_less_than_0_001(open_page, serving_copy):
    tiny = read(
        serving_copy,
        "select count(*) as n from marts.report_shares where respondent_group = 'basisscholen' and wave = 2019 "
        "and kindcentrum_p_value < 0.001",
    )["n"][0]
    assert tiny > 0
    app = open_page("kindcentra", groep="basisscholen", meting="2019")
    app.radio(key="kindcentra_antwoorden").set_value("Alle antwoorden").run()
    raw = [frame.value for frame in app.dataframe if "p-waarde" in frame.value.columns][0]
    assert (raw["p-waarde"] == "< 0,001").sum() == tiny
    assert not raw.isin(["None", "nan"]).any().any()


def test_kindcentra_shows_the_grade_of_kindcentra_and_the_rest(open_page, serving_copy):
    means = read(
        serving_copy,
        "select kindcentrum_mean, other_mean from marts.report_means "
        "where respondent_group = 'kov_organisaties' and wave = 2019 and kindcentrum_mean is not null",
    )
    app = open_page("kindcentra", groep="kov_organisaties", meting="2019")
    grade = table_with(app, "Verschil (cijferpunten)")
    assert sorted_rows(grade[["Kindcentrum", "Overige"]]) == sorted_rows(means.apply(lambda column: rounded(column, 2)))


def test_kindcentra_says_who_counts_as_kindcentrum_with_the_numbers(open_page, serving_copy):
    noemer = read(
        serving_copy,
        "select answer_code, n, base_n from marts.report_shares "
        "where question_id = 'noemer' and respondent_group = 'basisscholen' and wave = 2016 "
        "and answer_code is not null",
    )
    kindcentra = int(noemer.loc[noemer["answer_code"] == 3, "n"].iloc[0])
    others = int(noemer["base_n"].iloc[0]) - kindcentra
    app = open_page("kindcentra", groep="basisscholen", meting="2016")
    text = " ".join(markdown.value for markdown in app.markdown)
    assert "(integraal) kindcentrum" in text and "geen van beide" in text
    assert f"{kindcentra} kindcentra en {others} overige" in text


def test_kindcentra_hides_a_base_under_10_and_marks_one_under_30_in_what_was_not_compared(open_page, serving_copy):
    skipped = read(
        serving_copy,
        "select distinct question_id, item_id, n_in, n_out from marts.test_subgroup "
        "where respondent_group = 'basisscholen' and wave = 2016 and subgroup = 'kindcentrum' "
        "and is_default_method and not is_tested",
    )
    smallest = skipped[["n_in", "n_out"]].min(axis=1)
    assert (smallest < 10).any() and ((smallest >= 10) & (smallest < 30)).any()
    app = open_page("kindcentra", groep="basisscholen", meting="2016")
    (shown,) = [table for table in tables_with(app, "n overige") if "Antwoord" not in table and "Overige" not in table]
    assert len(shown) == len(skipped)
    assert sorted(zip(shown["n kindcentrum"], shown["n overige"], shown["Basis"], strict=True)) == sorted(
        zip(skipped["n_in"], skipped["n_out"], expected_status(smallest), strict=True)
    )


# --------------------------------------------------------------------------------------------------
# Samenwerkingsmodellen


def rules_in_force(serving_copy, wave: int) -> pd.DataFrame:
    """The rules of bijlage 1 a wave uses: per question its newest version not after the wave."""
    rules = read(
        serving_copy,
        """
        select r.valid_from_wave, r.question_id, q.question_label, o.answer_label, l.label_nl as model_label
        from codebook.cooperation_model_rules r
        join codebook.codebook_questions q using (question_id)
        join codebook.codebook_answer_options o using (question_id, answer_code)
        join codebook.labels_cooperation_outcomes l using (cooperation_model)
        """,
    )
    rules = rules[rules["valid_from_wave"] <= wave]
    newest = rules.groupby("question_id")["valid_from_wave"].transform("max")
    return rules[rules["valid_from_wave"] == newest]


def test_samenwerkingsmodellen_shows_the_rule_table_of_bijlage_1(open_page, serving_copy):
    newest = int(read(serving_copy, "select max(valid_from_wave) as w from codebook.cooperation_model_rules")["w"][0])
    waves = read(serving_copy, "select distinct wave from marts.report_shares")["wave"]
    wave = int(waves.max())
    assert wave >= newest
    expected = rules_in_force(serving_copy, wave)
    app = open_page("samenwerkingsmodellen", meting=str(wave))
    table = app.table[0].value
    cells = [cell for cell in table.to_numpy().ravel() if cell]
    assert sum(len(cell.split(EITHER)) for cell in cells) == len(expected)
    assert len(expected) == int(
        read(
            serving_copy,
            "select count(*) as n from codebook.cooperation_model_rules where valid_from_wave = $w",
            {"w": newest},
        )["n"][0]
    )
    for rule in expected.itertuples():
        (column,) = [header for header in table.columns if header.endswith(rule.question_label)]
        assert rule.answer_label in table.loc[rule.model_label, column].split(EITHER), rule


def test_samenwerkingsmodellen_shows_the_published_distribution_with_intervals(open_page, serving_copy):
    expected = read(
        serving_copy,
        "select model_label, share_pct, ci_low_pct, ci_high_pct, n, base_n from marts.report_models "
        "where respondent_group = 'kov_organisaties' and wave = 2016",
    )
    app = open_page("samenwerkingsmodellen", groep="kov_organisaties", meting="2016")
    table = table_with(app, "Model")
    shown = table[["Model", "%", "95%-interval van", "95%-interval tot", "n", "Basis (n)"]]
    for column in ["share_pct", "ci_low_pct", "ci_high_pct"]:
        expected[column] = rounded(expected[column], 1)
    assert sorted_rows(shown) == sorted_rows(expected)
    everything = read(
        serving_copy,
        "select wave, model_label, share_pct from marts.report_models where respondent_group = 'kov_organisaties'",
    )
    bars = [chart for chart in charts(app) if "rule" in marks(chart)]
    assert len(bars) == 1
    plotted = chart_data(bars[0])
    assert sorted_rows(plotted[["wave", "model_label", "share_pct"]]) == sorted_rows(everything)


def test_samenwerkingsmodellen_counts_the_three_unclassified_outcomes(open_page, serving_copy, con):
    published = read(
        serving_copy,
        "select model_label, n, share_pct from marts.report_models where respondent_group = 'basisscholen' "
        "and wave = 2019 and cooperation_model in ('niet_in_te_delen', 'niet_eenduidig')",
    )
    # Onvolledig is outside the models' base and not in the serving copy: count it in the warehouse.
    incomplete = con.execute(
        "select count(*) from marts.fct_respondent where respondent_group = 'basisscholen' and wave = 2019 "
        "and cooperation_model = 'onvolledig'"
    ).fetchone()[0]
    respondents = con.execute(
        "select count(*) from marts.fct_respondent where respondent_group = 'basisscholen' and wave = 2019"
    ).fetchone()[0]
    app = open_page("samenwerkingsmodellen", groep="basisscholen", meting="2019")
    table = table_with(app, "Uitkomst").set_index("Uitkomst")
    assert set(table.index) == {*published["model_label"], "Onvolledig"}
    for row in published.itertuples():
        assert table.loc[row.model_label, "n"] == row.n
        assert table.loc[row.model_label, "%"] == rounded(pd.Series([row.share_pct]), 1)[0]
    assert table.loc["Onvolledig", "n"] == incomplete
    assert table.loc["Onvolledig", "%"] == rounded(pd.Series([100 * incomplete / respondents]), 1)[0]
    assert any("kwart" in info.value for info in app.info)


def test_samenwerkingsmodellen_shows_the_boards_estimates_and_marks_a_small_base(open_page, serving_copy):
    # The boards' smallest base is 19 (childcare boards, 2016): marked; none of this page's bases is under 10.
    estimates = read(
        serving_copy,
        "select item_text, answer_label, group_label, share_pct, base_n from marts.report_shares "
        "where question_id = 'modellen_voorkomen' and wave = 2016 and answer_grouping is null",
    )
    assert (estimates["base_n"] < 30).any()
    app = open_page("samenwerkingsmodellen", meting="2016")
    table = table_with(app, "Komt voor bij")
    estimates["share_pct"] = rounded(estimates["share_pct"], 1)
    assert sorted_rows(table[["Model", "Komt voor bij", "Groep", "%", "Basis (n)"]]) == sorted_rows(estimates)
    assert sorted(zip(table["Basis (n)"], table["Basis"], strict=True)) == sorted(
        zip(estimates["base_n"], expected_status(estimates["base_n"]), strict=True)
    )
    stacked = [chart for chart in charts(app) if marks(chart) == {"bar", "text"}]
    assert len(stacked) == 1
    plotted = chart_data(stacked[0])
    assert set(plotted.loc[plotted["base_n"] < 30, "basis"]) == {MARKED}


# --------------------------------------------------------------------------------------------------
# Addresses


@pytest.mark.parametrize(
    ("page", "default"), [("trends", ""), ("kindcentra", "basisscholen"), ("samenwerkingsmodellen", "basisscholen")]
)
@pytest.mark.parametrize("group", ["onbekend", HOSTILE_GROUP, "basisscholen' or '1'='1"])
def test_an_unknown_or_sql_looking_group_falls_back_to_the_default(open_page, serving_copy, page, default, group):
    app = open_page(page, groep=group)
    assert not app.error, [error.value for error in app.error]
    assert app.selectbox(key="address_groep").value == default
    assert int(read(serving_copy, "select count(*) as n from marts.report_shares")["n"][0]) > 0


# --------------------------------------------------------------------------------------------------
# Robustness: whether a significant finding holds under every weighting (marts.robustness)


def fragile_kindcentrum_findings(serving_copy, group: str, wave: int) -> pd.DataFrame:
    """The significant kindcentrum differences of answers that do not hold under every weighting."""
    return read(
        serving_copy,
        """
        select r.item_id, r.answer_code, r.answer_grouping, r.fragile_under
        from marts.robustness r
        where r.comparison = 'kindcentrum' and r.respondent_group = $group and r.wave = $wave and not r.robust
          and (r.answer_code is not null or r.answer_grouping is not null)
        """,
        {"group": group, "wave": wave},
    )


def test_kindcentra_names_each_difference_that_depends_on_the_weighting_and_how(open_page, serving_copy):
    cases = [
        (group, wave)
        for group in ("basisscholen", "kov_organisaties")
        for wave in (2016, 2019)
        if not fragile_kindcentrum_findings(serving_copy, group, wave).empty
    ]
    assert cases, "the sample has no kindcentrum difference that depends on the weighting"
    group, wave = cases[0]
    fragile = fragile_kindcentrum_findings(serving_copy, group, wave)
    app = open_page("kindcentra", groep=group, meting=str(wave))
    app.radio(key="kindcentra_antwoorden").set_value("Alle antwoorden").run()
    table = table_with(app, texts.ROBUSTNESS_HEADER)
    shown = table[texts.ROBUSTNESS_HEADER]
    assert (shown != "–").all()  # only significant rows are listed by default
    assert shown.str.startswith("nee").sum() == len(fragile)
    expected = sorted(texts.robustness_text(False, reason) for reason in fragile["fragile_under"])
    assert sorted(shown[shown.str.startswith("nee")]) == expected
    assert any(
        caption.value.startswith(f"{len(fragile)} van de {len(table)} significante verschillen")
        for caption in app.caption
    )


def test_trends_says_whether_every_change_holds_under_every_weighting(open_page, serving_copy):
    robust = read(
        serving_copy,
        "select robust, count(*) as findings from marts.robustness where comparison = 'wave change' group by all",
    ).set_index("robust")["findings"]
    app = open_page("trends")
    table = table_with(app, texts.ROBUSTNESS_HEADER)
    assert (table[texts.ROBUSTNESS_HEADER] == "ja").sum() == robust.get(True, 0)
    assert table[texts.ROBUSTNESS_HEADER].str.startswith("nee").sum() == robust.get(False, 0)
    if robust.get(False, 0) == 0:
        assert any("alle bij elke manier van wegen" in markdown.value for markdown in app.markdown)
