"""The factsheet's charts: one Altair chart per block, the same on the Overzicht page and in the factsheet PDF.

Horizontal bars, one per figure and series (a group, a wave, or kindcentra and the rest), the value at
the end of each bar with ▲/▼ beside the bar whose change or difference is significant, and the 95%
interval as a thin line where there is one. The colours carry no judgement: blues and greys, never
red for worse or green for better. Shares and the 1-10 grade never share an axis: a block's grade is
its own small chart.
"""

from __future__ import annotations

import textwrap

import altair as alt
import pandas as pd

from publication.base_policy import visible

MARKERS = {"hoger": "▲", "lager": "▼"}
# Okabe-Ito blue and its companions for the groups; for two series (wave, kindcentra) the current one dark.
GROUP_COLOURS = ["#0072B2", "#56B4E9", "#555555", "#999999"]
PAIR_COLOURS = ["#9DB4C8", "#0B4F7C"]
LABEL_WIDTH = 36
LINE_HEIGHT = 13  # pixels per line of an axis label at its font size
FONT = "Helvetica, Arial, sans-serif"


def wrapped(label: str, width: int = LABEL_WIDTH) -> str:
    """A long label in lines of at most `width` characters, joined by '|' (split again by the axis)."""
    return "|".join(textwrap.wrap(label, width)) or label


def value_text(value: float, kind: str, marker: object = None) -> str:
    """The value as the chart prints it (a whole percentage or a grade with a decimal comma), marker after."""
    text = f"{value:.0f}%" if kind == "share" else f"{value:.1f}".replace(".", ",")
    sign = MARKERS.get(marker) if isinstance(marker, str) else None
    return f"{text} {sign}" if sign else text


def chart_rows(figures: pd.DataFrame, kind: str, label_width: int = LABEL_WIDTH) -> pd.DataFrame:
    """The bars of one kind (share or mean) that the policy lets a chart draw, with their printed text."""
    rows = visible(figures[figures["kind"] == kind]).dropna(subset=["value"]).copy()
    rows["axis_label"] = [wrapped(label, label_width) for label in rows["label"]]
    rows["text"] = [value_text(v, kind, m) for v, m in zip(rows["value"], rows["marker"], strict=True)]
    rows["text_at"] = rows[["value", "ci_high"]].max(axis=1)
    return rows[
        ["axis_label", "order", "series", "series_order", "value", "ci_low", "ci_high", "text", "text_at", "base_n"]
    ]


def block_chart(
    figures: pd.DataFrame,
    kind: str = "share",
    width: int | str = 460,
    title: str | None = None,
    label_width: int = LABEL_WIDTH,
) -> alt.LayerChart | None:
    """The chart of one block's figures of one kind, titled when given; None when there is nothing to draw.

    `label_width` is the characters per line of a wrapped label (narrower on a phone's page).
    """
    rows = chart_rows(figures, kind, label_width)
    if rows.empty:
        return None
    series = rows.sort_values("series_order")["series"].drop_duplicates().tolist()
    colours = PAIR_COLOURS if len(series) == 2 and set(series) != set(figures["group_label"]) else GROUP_COLOURS
    labels = rows.sort_values("order")["axis_label"].drop_duplicates().tolist()
    y = alt.Y(
        "axis_label:N",
        sort=labels,
        title=None,
        axis=alt.Axis(labelExpr="split(datum.label, '|')", labelLimit=260, labelFontSize=11, labelPadding=6),
    )
    y_offset = alt.YOffset("series:N", sort=series)
    if kind == "share":
        x_scale = alt.Scale(domain=[0, 112], nice=False)
        x_axis = alt.Axis(title="Percentage", values=[0, 25, 50, 75, 100], grid=True, gridColor="#e6e6e6")
    else:
        # A grade is a dot on the part of the 1-10 scale its intervals need, never a bar from zero.
        low = max(1.0, float(rows[["value", "ci_low"]].min().min()) // 1 - 1)
        high = min(10.0, -(-float(rows[["value", "ci_high"]].max().max()) // 1) + 1)
        x_scale = alt.Scale(domain=[low, high + 0.6], nice=False)
        ticks = list(range(int(low), int(high) + 1))
        x_axis = alt.Axis(title="Rapportcijfer (1-10)", values=ticks, format="d", grid=True, gridColor="#e6e6e6")
    colour = alt.Color(
        "series:N",
        sort=series,
        scale=alt.Scale(domain=series, range=colours[: len(series)]),
        legend=alt.Legend(
            title=None, orient="top", direction="vertical" if len(series) > 2 else "horizontal", labelLimit=0
        ),
    )
    base = alt.Chart(rows)
    mark = base.mark_bar(height={"band": 0.85}) if kind == "share" else base.mark_point(filled=True, size=90, opacity=1)
    bars = mark.encode(
        x=alt.X("value:Q", scale=x_scale, axis=x_axis, stack=None),
        y=y,
        yOffset=y_offset,
        color=colour,
        tooltip=[
            alt.Tooltip("series:N", title="Reeks"),
            alt.Tooltip("text:N", title="Waarde"),
            alt.Tooltip("base_n:Q", title="Basis (n)"),
        ],
    )
    interval = base.mark_rule(color="#333333", strokeWidth=1).encode(
        x="ci_low:Q", x2="ci_high:Q", y=y, yOffset=y_offset
    )
    text = base.mark_text(align="left", dx=4, fontSize=11, color="#222222").encode(
        x="text_at:Q", y=y, yOffset=y_offset, text="text:N"
    )
    # The step is each bar's; a label's band holds one bar per series and must fit the label's lines.
    lines = max(label.count("|") + 1 for label in labels)
    step = max(14, -(-(LINE_HEIGHT * lines + 8) // len(series)))
    return (
        alt.layer(bars, interval, text)
        .properties(width=width, height=alt.Step(step), title=alt.Title(title or "", anchor="start", fontSize=13))
        .configure_view(stroke=None)
        .configure(font=FONT)
    )


def panels(figures: pd.DataFrame, per_group: bool) -> list[tuple[str | None, str, pd.DataFrame]]:
    """The charts of one block as (title, kind, figures): shares first, then the grade.

    Comparing two series (waves, or kindcentra and the rest) the groups get a chart each, titled with the
    group; comparing groups, one chart holds them all.
    """
    out = []
    for kind in ("share", "mean"):
        of_kind = figures[figures["kind"] == kind]
        if of_kind.empty:
            continue
        if not per_group:
            out.append((None, kind, of_kind))
            continue
        for _, rows in of_kind.groupby("group_sort_order", sort=True):
            out.append((rows["group_label"].iloc[0], kind, rows))
    return out
