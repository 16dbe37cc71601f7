"""The viewer's Altair charts, in one colour-blind-safe palette, sized for a laptop's width.

Every chart takes a frame that already went through `base_policy.apply_base_policy`: it leaves out the
hidden rows and draws the small-base ones paler, with the mark in the tooltip.
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from publication.base_policy import MARKED, STATUS_COLUMN, visible

# Okabe and Ito's palette: distinguishable with every common form of colour blindness.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
# For ordered answer scales (nooit ... altijd): one hue from light to dark, readable without colour.
ORDERED_SCHEME = "blues"
SMALL_BASE_OPACITY = 0.45


def _opacity() -> alt.Opacity:
    return alt.Opacity(
        f"{STATUS_COLUMN}:N",
        scale=alt.Scale(domain=["", MARKED], range=[1.0, SMALL_BASE_OPACITY]),
        legend=None,
    )


def stacked_shares(
    frame: pd.DataFrame,
    *,
    row: str,
    answer: str,
    answer_order: list[str],
    share: str = "share_pct",
    ordered: bool = True,
    tooltip: list[str] | None = None,
) -> alt.Chart:
    """Horizontal bars stacked to 100% per row (a group or a wave), as the report draws single answers."""
    data = visible(frame)
    colour_scale = (
        alt.Scale(domain=answer_order, scheme=ORDERED_SCHEME)
        if ordered
        else alt.Scale(domain=answer_order, range=PALETTE)
    )
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            y=alt.Y(f"{row}:N", title=None, sort=None),
            x=alt.X(f"{share}:Q", title="%", stack="zero", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                f"{answer}:N",
                title=None,
                scale=colour_scale,
                sort=answer_order,
                legend=alt.Legend(orient="bottom", columns=2, labelLimit=320),
            ),
            order=alt.Order("answer_sort_order:Q") if "answer_sort_order" in data else alt.Order(f"{answer}:N"),
            opacity=_opacity(),
            tooltip=tooltip or [row, answer, alt.Tooltip(f"{share}:Q", format=".1f"), STATUS_COLUMN],
        )
        .properties(height=alt.Step(28))
    )


def bars_with_interval(
    frame: pd.DataFrame,
    *,
    category: str,
    value: str,
    low: str,
    high: str,
    colour: str,
    title: str = "%",
    domain: tuple[float, float] | None = (0, 100),
    tooltip: list[str] | None = None,
) -> alt.LayerChart:
    """Grouped horizontal bars with their 95% interval as a whisker: multiple-answer and grid items."""
    data = visible(frame)
    scale = alt.Scale(domain=list(domain)) if domain else alt.Scale(zero=True)
    base = alt.Chart(data).encode(
        y=alt.Y(f"{category}:N", title=None, sort=None),
        yOffset=alt.YOffset(f"{colour}:N"),
    )
    bars = base.mark_bar().encode(
        x=alt.X(f"{value}:Q", title=title, scale=scale),
        color=alt.Color(f"{colour}:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")),
        opacity=_opacity(),
        tooltip=tooltip or [category, colour, alt.Tooltip(f"{value}:Q", format=".1f"), STATUS_COLUMN],
    )
    whiskers = base.mark_rule(color="#333333").encode(x=f"{low}:Q", x2=f"{high}:Q")
    return alt.layer(bars, whiskers).properties(height=alt.Step(14))


def line_over_waves(
    frame: pd.DataFrame,
    *,
    value: str,
    low: str,
    high: str,
    colour: str,
    title: str = "%",
    value_format: str = ".1f",
    zero: bool = True,
    tooltip: list[str] | None = None,
    segment: str | None = None,
) -> alt.LayerChart:
    """A value over the waves, one line per `colour`, with its 95% interval as a band.

    The small-base opacity sits on the points only: on the line it would split a group's line in two
    where one wave is marked and the next is not. A grade (`zero=False`) gets an axis fitted to its range.
    `segment` names a column that splits a line and its band where it changes: a trend break, across
    which nothing is drawn but the points.
    """
    data = visible(frame)
    base = alt.Chart(data).encode(
        x=alt.X("wave:O", title="Meting"),
        color=alt.Color(f"{colour}:N", title=None, scale=alt.Scale(range=PALETTE), legend=alt.Legend(orient="bottom")),
    )
    y_scale = alt.Scale(zero=zero)
    band = base.mark_area(opacity=0.15).encode(y=alt.Y(f"{low}:Q", title=title, scale=y_scale), y2=f"{high}:Q")
    line = base.mark_line().encode(y=alt.Y(f"{value}:Q", scale=y_scale))
    if segment is not None:
        band, line = band.encode(detail=f"{segment}:N"), line.encode(detail=f"{segment}:N")
    points = base.mark_point(filled=True, size=60).encode(
        y=alt.Y(f"{value}:Q", scale=y_scale),
        opacity=_opacity(),
        tooltip=tooltip or ["wave", colour, alt.Tooltip(f"{value}:Q", format=value_format), STATUS_COLUMN],
    )
    return alt.layer(band, line, points).properties(height=260)
