"""The viewer's Altair charts, drawn as the 2019 report draws its figures.

Every chart takes a frame that already went through `base_policy.apply_base_policy`: it leaves out the
hidden rows and draws the small-base ones paler, with a legend entry saying so. Values stand on the
bars (segments of 5% or more), ▲/▼ beside the bar they belong to, ordered answer scales in one hue from
light to dark, and each chart's title, question, selection, base, source and the synthetic notice are
part of the chart itself, so that a PNG exported from it carries them.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping, Sequence

import altair as alt
import pandas as pd
import streamlit as st

from publication import texts
from publication.base_policy import MARKED, STATUS_COLUMN, visible

# Okabe and Ito's palette: distinguishable with every common form of colour blindness; for answers
# without an order (ja / nee, kinds of housing).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# Ordered answer scales (duration, phase, niet / een beetje / in sterke mate): one hue, light to dark.
SEQUENTIAL = ["#dbe9f6", "#bad6eb", "#89bedc", "#539ecd", "#2b7bba", "#0b559f", "#08306b"]
# An answer outside an ordered scale ("Weet niet") in an ordered chart.
NEUTRAL = "#bdbdbd"
# Groups and waves as bars of their own: a hue per group, darker for a newer wave. Never an answer's colour
# within one chart, and the same group the same hue on every page.
GROUP_SHADES = [
    ("#1f4e79", "#5b8fc7", "#a9c8e8"),
    ("#8a4b08", "#d08a3c", "#efc58f"),
    ("#1e5e3a", "#4f9a6b", "#a5d3b3"),
    ("#5a2d6e", "#9466ad", "#cdb4db"),
]
# Questions whose answers run in order (short to long, weak to strong): drawn in one hue from light to dark.
# The codebook has no column for it yet; every grid is such a scale.
ORDERED_QUESTIONS = {
    "aantal_partners",
    "duur",
    "fase",
    "visie",
    "financiering",
    "bestuurlijke_samenwerking",
    "intensiteit_aanbod",
    "intensiteit_medewerkers",
    "intensiteit_kennis",
    "intensiteit_management",
    "intensiteit_bestuurlijk",
}
# Answers outside an ordered scale: grey, and never the "top" answer a grid is sorted by.
OUTSIDE_SCALE = {"Weet niet", "Weet ik niet", "Anders"}
SMALL_BASE_OPACITY = 0.4
SMALL_BASE_LEGEND = {"": "30 of meer", MARKED: "minder dan 30 (lichter)"}
# A value is written on a stacked segment from this share on (percent), as the report does.
LABEL_FROM = 5.0
LINE_BREAK = "|"
# Characters per line of an axis label: short enough for a phone's 390 px, long enough for a laptop.
AXIS_LINE_CHARACTERS = 34
AXIS_LABEL_LIMIT = 230
# Characters per line where the plot needs the width (a difference per item): a phone keeps half for it.
NARROW_LINE_CHARACTERS = 26
LINE_HEIGHT = 13
TITLE_LINE_CHARACTERS = 62
SOURCE = "Bron: Samenwerking in beeld"


# --------------------------------------------------------------------------------------------------
# Colours


def text_colour(background: str) -> str:
    """Black or white, whichever reads better on `background` (a #rrggbb colour; WCAG relative luminance)."""
    channels = [int(background[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    luminance = 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
    return "#000000" if luminance > 0.22 else "#ffffff"


def is_ordered(question_id: str, question_type: str) -> bool:
    """Whether a question's answers form an ordered scale (a grid, or one of ORDERED_QUESTIONS)."""
    return question_type == "grid" or question_id in ORDERED_QUESTIONS


def top_answer(order: Sequence[str]) -> str:
    """The strongest answer of a scale (in sterke mate, zeker wel): the last one on it."""
    on_scale = [answer for answer in order if answer not in OUTSIDE_SCALE]
    return list(on_scale or order)[-1]


def answer_colours(answers: Sequence[str], ordered: bool, outside_scale: Sequence[str] = ()) -> list[str]:
    """A colour per answer: a sequential ramp for an ordered scale (grey for answers outside it), else Okabe-Ito."""
    if not ordered:
        return [PALETTE[position % len(PALETTE)] for position in range(len(answers))]
    on_scale = [answer for answer in answers if answer not in outside_scale]
    steps = len(on_scale)
    # Spread the scale over the ramp, skipping its palest step when there are few answers.
    first = 1 if steps <= 4 else 0
    ramp = [SEQUENTIAL[round(first + i * (len(SEQUENTIAL) - 1 - first) / max(steps - 1, 1))] for i in range(steps)]
    shades = dict(zip(on_scale, ramp, strict=True))
    return [shades.get(answer, NEUTRAL) for answer in answers]


def row_colours(rows: pd.DataFrame, groups: Sequence[str]) -> tuple[list[str], list[str]]:
    """Domain and colours for bars per group and wave: `rows` has `rij`, `respondent_group`, `wave`.

    `groups` is every group in its report order, so a group keeps its hue whichever others are shown.
    """
    rows = rows.drop_duplicates("rij")
    domain, colours = [], []
    for row in rows.itertuples():
        shades = GROUP_SHADES[list(groups).index(row.respondent_group) % len(GROUP_SHADES)]
        waves = sorted(rows.loc[rows["respondent_group"] == row.respondent_group, "wave"], reverse=True)
        domain.append(row.rij)
        colours.append(shades[min(waves.index(row.wave), len(shades) - 1)])
    return domain, colours


def group_colours(groups: Sequence[str], all_groups: Sequence[str]) -> list[str]:
    """The darkest shade of each group's hue, for charts with a line or dot per group."""
    return [GROUP_SHADES[list(all_groups).index(group) % len(GROUP_SHADES)][0] for group in groups]


# --------------------------------------------------------------------------------------------------
# Titles, labels and the small-base legend


def wrapped(text: str, width: int = AXIS_LINE_CHARACTERS) -> str:
    """A long label broken into lines for a chart (joined by LINE_BREAK; `show` splits them again)."""
    return (
        LINE_BREAK.join(textwrap.wrap(text, width, break_on_hyphens=False)) if isinstance(text, str) and text else text
    )


def source_lines(publication: Mapping) -> list[str]:
    """The chart's last lines: the source and publication, and the synthetic notice where it applies."""
    published = pd.Timestamp(publication["published_at"]).strftime("%d-%m-%Y")
    lines = [f"{SOURCE}, publicatie {publication['publication_id']} van {published}."]
    if publication.get("is_synthetic_sample"):
        lines += textwrap.wrap(f"{texts.SYNTHETIC_TITLE} Synthetische steekproef, geen echte meting.", 90)
    return lines


def titled(chart: alt.TopLevelMixin, title: str, lines: Sequence[str]) -> alt.TopLevelMixin:
    """`chart` with its title and subtitle lines (question, selection, base, source) inside the chart."""
    subtitle = [
        part for line in lines if line for part in textwrap.wrap(line, TITLE_LINE_CHARACTERS, break_on_hyphens=False)
    ]
    return chart.properties(
        title=alt.TitleParams(
            text=textwrap.wrap(title, TITLE_LINE_CHARACTERS) or [""],
            subtitle=subtitle,
            anchor="start",
            fontSize=15,
            subtitleFontSize=11,
            subtitleColor="#333333",
            offset=12,
        )
    )


def _opacity(data: pd.DataFrame) -> alt.Opacity:
    """Paler where the base is small; a legend entry only when the chart has such a bar."""
    marked = bool((data[STATUS_COLUMN] == MARKED).any()) if STATUS_COLUMN in data else False
    legend = (
        alt.Legend(
            title="Basis",
            orient="bottom",
            direction="vertical",
            labelExpr=f"datum.label == '' ? '{SMALL_BASE_LEGEND['']}' : '{SMALL_BASE_LEGEND[MARKED]}'",
            symbolType="square",
        )
        if marked
        else None
    )
    return alt.Opacity(
        f"{STATUS_COLUMN}:N", scale=alt.Scale(domain=["", MARKED], range=[1.0, SMALL_BASE_OPACITY]), legend=legend
    )


def _colour_legend() -> alt.Legend:
    # One column: the report's answers are long, and a phone has no room for two.
    return alt.Legend(orient="bottom", direction="vertical", columns=1, labelLimit=360, title=None)


def percent_label(share: float, marker: str = "") -> str:
    """The value written on a segment: a whole percentage from LABEL_FROM on, with its ▲/▼."""
    value = f"{share:.0f}%" if share >= LABEL_FROM else ""
    return f"{value} {marker}".strip()


# --------------------------------------------------------------------------------------------------
# The charts


def stacked_shares(
    frame: pd.DataFrame,
    *,
    row: str,
    answer: str,
    answer_order: list[str],
    colours: list[str],
    share: str = "share_pct",
    marker: str | None = None,
    row_order: list[str] | None = None,
    tooltip: list | None = None,
) -> alt.LayerChart:
    """Horizontal bars stacked to 100% per row, the values on segments of 5% or more, ▲/▼ on their segment.

    The stack is computed here rather than by Vega-Lite, so that each value sits in the middle of its
    own segment and its colour (black or white) suits that segment.
    """
    data = visible(frame).copy()
    data["_order"] = data[answer].map({label: position for position, label in enumerate(answer_order)})
    data = data.sort_values([row, "_order"], kind="stable")
    data["_end"] = data.groupby(row, sort=False)[share].cumsum()
    data["_start"] = data["_end"] - data[share]
    data["_middle"] = (data["_start"] + data["_end"]) / 2
    symbols = data[marker].fillna("").str[:1] if marker else pd.Series("", index=data.index)
    data["_label"] = [percent_label(value, symbol) for value, symbol in zip(data[share], symbols, strict=True)]
    shade = dict(zip(answer_order, colours, strict=True))
    data["_text_colour"] = data[answer].map(lambda label: text_colour(shade.get(label, NEUTRAL)))
    y = alt.Y(f"{row}:N", title=None, sort=row_order or list(dict.fromkeys(data[row])))
    base = alt.Chart(data).encode(y=y)
    bars = base.mark_bar().encode(
        x=alt.X("_start:Q", title="%", scale=alt.Scale(domain=[0, 100]), axis=alt.Axis(values=[0, 25, 50, 75, 100])),
        x2="_end:Q",
        color=alt.Color(f"{answer}:N", scale=alt.Scale(domain=answer_order, range=colours), legend=_colour_legend()),
        opacity=_opacity(data),
        tooltip=tooltip or [row, answer, alt.Tooltip(f"{share}:Q", format=".1f"), STATUS_COLUMN],
    )
    values = base.mark_text(fontSize=11).encode(
        x="_middle:Q", text="_label:N", color=alt.Color("_text_colour:N", scale=None)
    )
    return alt.layer(bars, values).properties(height=alt.Step(30))


def bars_with_interval(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    low: str,
    high: str,
    colour: str,
    colours: tuple[list[str], list[str]] | None = None,
    title: str = "%",
    domain: tuple[float, float] | None = (0, 100),
    marker: str | None = None,
    category_order: list[str] | None = None,
    tooltip: list | None = None,
    step: int = 16,
) -> alt.LayerChart:
    """Grouped horizontal bars with their 95% interval as a whisker and the value (with ▲/▼) beyond it.

    `colours` is (domain, range) of the `colour` field: groups and waves keep their hue (`row_colours`).
    """
    data = visible(frame).copy()
    symbols = data[marker].fillna("").str[:1] if marker else pd.Series("", index=data.index)
    data["_label"] = [
        "" if pd.isna(number) else f"{number:.0f}% {symbol}".strip()
        for number, symbol in zip(data[value], symbols, strict=True)
    ]
    data["_label_at"] = data[[value, high]].max(axis=1)
    scale = alt.Scale(domain=list(domain)) if domain else alt.Scale(zero=True)
    colour_scale = alt.Scale(domain=colours[0], range=colours[1]) if colours else alt.Scale(range=PALETTE)
    base = alt.Chart(data).encode(
        y=alt.Y(f"{category}:N", title=None, sort=category_order or list(dict.fromkeys(data[category]))),
        yOffset=alt.YOffset(f"{colour}:N", sort=colours[0] if colours else None),
    )
    bars = base.mark_bar().encode(
        x=alt.X(f"{value}:Q", title=title, scale=scale, axis=alt.Axis(tickCount=5)),
        color=alt.Color(
            f"{colour}:N", scale=colour_scale, legend=_colour_legend(), sort=colours[0] if colours else None
        ),
        opacity=_opacity(data),
        tooltip=tooltip or [category, colour, alt.Tooltip(f"{value}:Q", format=".1f"), STATUS_COLUMN],
    )
    whiskers = base.mark_rule(color="#333333").encode(x=f"{low}:Q", x2=f"{high}:Q")
    labels = base.mark_text(align="left", dx=4, fontSize=10, color="#222222").encode(x="_label_at:Q", text="_label:N")
    return alt.layer(bars, whiskers, labels).properties(height=alt.Step(step))


def dots_with_interval(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    low: str,
    high: str,
    colour: str,
    colours: tuple[list[str], list[str]],
    title: str,
    marker: str | None = None,
    tooltip: list | None = None,
) -> alt.LayerChart:
    """A dot per row with its 95% interval, on an axis fitted to the values: the report's grade (1-10).

    The axis does not start at 0: a grade of 7,2 against 7,0 is what a reader compares, not against 0.
    """
    data = visible(frame).copy()
    symbols = data[marker].fillna("").str[:1] if marker else pd.Series("", index=data.index)
    data["_label"] = [
        "" if pd.isna(number) else f"{number:.1f}".replace(".", ",") + (f" {symbol}" if symbol else "")
        for number, symbol in zip(data[value], symbols, strict=True)
    ]
    lowest, highest = data[low].min(), data[high].max()
    margin = max((highest - lowest) * 0.15, 0.1)
    scale = alt.Scale(domain=[max(1.0, lowest - margin), min(10.0, highest + margin)], zero=False, nice=False)
    base = alt.Chart(data).encode(
        y=alt.Y(f"{category}:N", title=None, sort=list(dict.fromkeys(data[category]))),
        color=alt.Color(f"{colour}:N", scale=alt.Scale(domain=colours[0], range=colours[1]), legend=_colour_legend()),
    )
    rules = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(f"{low}:Q", title=title, scale=scale, axis=alt.Axis(tickCount=6)), x2=f"{high}:Q"
    )
    dots = base.mark_point(filled=True, size=110).encode(
        x=f"{value}:Q",
        opacity=_opacity(data),
        tooltip=tooltip or [category, alt.Tooltip(f"{value}:Q", format=".2f"), STATUS_COLUMN],
    )
    labels = base.mark_text(align="left", dx=6, dy=-10, fontSize=11, color="#222222").encode(
        x=f"{high}:Q", text="_label:N"
    )
    return alt.layer(rules, dots, labels).properties(height=alt.Step(34))


def difference_dots(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    low: str,
    high: str,
    verdict: str,
    verdict_order: list[str],
    verdict_colours: list[str],
    title: str,
    tooltip: list | None = None,
) -> alt.LayerChart:
    """A difference per row as a dot with its interval, around a line at 0, rows sorted by the difference.

    `verdict` names the column with the row's reading (▲ hoger, ▼ lager, geen verschil): the dot's colour
    and the sign written beside the interval, so that marker and interval are read together.
    """
    data = visible(frame).copy()
    data["_symbol"] = data[verdict].map(lambda text: text[:1] if text[:1] in "▲▼" else "")
    order = data.sort_values(value, ascending=False)[category].tolist()
    y = alt.Y(f"{category}:N", title=None, sort=order)
    base = alt.Chart(data).encode(y=y)
    zero = alt.Chart(pd.DataFrame({"zero": [0]})).mark_rule(color="#555555", strokeDash=[4, 3]).encode(x="zero:Q")
    rules = base.mark_rule(strokeWidth=2).encode(
        x=alt.X(f"{low}:Q", title=title, axis=alt.Axis(tickCount=6)),
        x2=f"{high}:Q",
        color=alt.Color(f"{verdict}:N", scale=alt.Scale(domain=verdict_order, range=verdict_colours), legend=None),
    )
    dots = base.mark_point(filled=True, size=90).encode(
        x=f"{value}:Q",
        color=alt.Color(
            f"{verdict}:N", scale=alt.Scale(domain=verdict_order, range=verdict_colours), legend=_colour_legend()
        ),
        opacity=_opacity(data),
        tooltip=tooltip or [category, alt.Tooltip(f"{value}:Q", format=".1f"), verdict, STATUS_COLUMN],
    )
    symbols = base.mark_text(align="left", dx=5, fontSize=13).encode(
        x=f"{high}:Q",
        text="_symbol:N",
        color=alt.Color(f"{verdict}:N", scale=alt.Scale(domain=verdict_order, range=verdict_colours), legend=None),
    )
    # Room for the longest label: a row is as tall as its lines, so that labels never run into each other.
    lines = int(data[category].astype(str).str.count(f"\\{LINE_BREAK}").max() + 1) if len(data) else 1
    return alt.layer(zero, rules, dots, symbols).properties(height=alt.Step(max(28, LINE_HEIGHT * lines + 10)))


def line_over_waves(
    frame: pd.DataFrame,
    *,
    value: str,
    low: str,
    high: str,
    colour: str,
    colours: tuple[list[str], list[str]] | None = None,
    title: str = "%",
    value_format: str = ".1f",
    zero: bool = True,
    tooltip: list | None = None,
    segment: str | None = None,
) -> alt.LayerChart:
    """A value over the waves, one line per `colour`, with its 95% interval as a band.

    The small-base opacity sits on the points only: on the line it would split a group's line in two
    where one wave is marked and the next is not. A grade (`zero=False`) gets an axis fitted to its range.
    `segment` names a column that splits a line and its band where it changes: a trend break, across
    which nothing is drawn but the points.
    """
    data = visible(frame)
    colour_scale = alt.Scale(domain=colours[0], range=colours[1]) if colours else alt.Scale(range=PALETTE)
    base = alt.Chart(data).encode(
        x=alt.X("wave:O", title="Meting", axis=alt.Axis(labelAngle=0)),
        color=alt.Color(f"{colour}:N", title=None, scale=colour_scale, legend=_colour_legend()),
    )
    y_scale = alt.Scale(zero=zero)
    band = base.mark_area(opacity=0.15).encode(
        y=alt.Y(f"{low}:Q", title=title, scale=y_scale, axis=alt.Axis(tickCount=5)), y2=f"{high}:Q"
    )
    line = base.mark_line().encode(y=alt.Y(f"{value}:Q", scale=y_scale))
    if segment is not None:
        band, line = band.encode(detail=f"{segment}:N"), line.encode(detail=f"{segment}:N")
    points = base.mark_point(filled=True, size=60).encode(
        y=alt.Y(f"{value}:Q", scale=y_scale),
        opacity=_opacity(data),
        tooltip=tooltip or ["wave", colour, alt.Tooltip(f"{value}:Q", format=value_format), STATUS_COLUMN],
    )
    return alt.layer(band, line, points).properties(height=260)


def _configured(chart: alt.TopLevelMixin) -> alt.TopLevelMixin:
    """`chart` at the container's width: axis labels on their lines (LINE_BREAK), Dutch number format."""
    return (
        chart.configure(locale={"number": {"decimal": ",", "thousands": ".", "grouping": [3], "currency": ["€", ""]}})
        .configure_axisY(
            labelExpr=f"split(datum.label, '{LINE_BREAK}')", labelLimit=AXIS_LABEL_LIMIT, labelOverlap=False
        )
        .configure_legend(labelLimit=360)
        # Fit the width only: Streamlit's default ("fit") squeezes a fixed-height plot until its title
        # lines and legend fit in that height, which flattened the Trends lines to a few pixels.
        .properties(autosize=alt.AutoSizeParams(type="fit-x", contains="padding"))
    )


def show(chart: alt.TopLevelMixin) -> None:
    """Show a chart at the container's width: axis labels on their lines (LINE_BREAK), Dutch number format."""
    st.altair_chart(_configured(chart), width="stretch")


@st.cache_data(show_spinner=False, max_entries=512)
def _line_over_waves_spec(frame: pd.DataFrame, heading: str, lines: tuple[str, ...], **options: object) -> dict:
    return _configured(titled(line_over_waves(frame, **options), heading, lines)).to_dict()


def show_line_over_waves(frame: pd.DataFrame, heading: str, lines: Sequence[str], **options: object) -> None:
    """`show(titled(line_over_waves(frame, **options), heading, lines))`, its spec made once per set of figures.

    `heading` and `lines` are the chart's title and subtitle lines (`titled`); `options` are
    `line_over_waves`'s, whose `title` is the value axis's.

    The Trends page draws a chart per answer on every rerun: building each Altair chart and validating
    its spec took more than half of the page's time, for figures that change only with a publication.
    """
    st.vega_lite_chart(_line_over_waves_spec(frame, heading, tuple(lines), **options), width="stretch")
