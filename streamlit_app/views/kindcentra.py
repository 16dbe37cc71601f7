"""Kindcentra: respondents who present their cooperation as a kindcentrum against the rest, per group and wave.

Shares come from `marts.report_shares` (kindcentrum and other share, the marker of a significant
difference and its p-value), the grade from `marts.report_means`; the bases and the interval of the
difference from the test row in `marts.test_subgroup`. Items the tests skipped for a small side are listed
apart, so a reader sees why they are missing.
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from publication.base_policy import MARKED, POLICY_TEXT, STATUS_COLUMN, apply_base_policy, visible
from streamlit_app import address, charts, data, widgets

ALL = ""
# The warehouse's kindcentrum definition (dbt vars kindcentrum_item and kindcentrum_code).
KINDCENTRUM = "Kindcentrum"
OTHERS = "Overige"
MARKERS = {"hoger": "▲ hoger", "lager": "▼ lager"}
SHARE_COLUMNS = ["kindcentrum_share_pct", "other_share_pct", "difference_pct", "difference_ci_low_pct"]
SHARE_COLUMNS += ["difference_ci_high_pct", "kindcentrum_p_value"]
TABLE_COLUMNS = {
    "topic": "Onderwerp",
    "question_label": "Vraag",
    "item": "Item",
    "answer_label": "Antwoord",
    "kindcentrum_share_pct": "Kindcentrum %",
    "other_share_pct": "Overige %",
    "difference_pct": "Verschil (procentpunten)",
    "difference_ci_low_pct": "95%-interval van",
    "difference_ci_high_pct": "95%-interval tot",
    "kindcentrum_p_value": "p-waarde",
    "marker": "Significant verschil",
    "n_in": "n kindcentrum",
    "n_out": "n overige",
}
NUMBER_FORMATS = {
    "Kindcentrum %": "%.1f",
    "Overige %": "%.1f",
    "Verschil (procentpunten)": "%.1f",
    "95%-interval van": "%.1f",
    "95%-interval tot": "%.1f",
    "p-waarde": "%.4f",
}


def number_config(formats: dict[str, str]) -> dict[str, object]:
    """Streamlit number columns for the given Dutch headers and printf formats."""
    return {header: st.column_config.NumberColumn(format=format_) for header, format_ in formats.items()}


# --------------------------------------------------------------------------------------------------
# Choices and the definition


def pick_group_and_wave(available: pd.DataFrame) -> tuple[str, str, int]:
    """The group and wave pickers (address `groep`, `meting`), among those with a kindcentrum comparison."""
    labels = dict(zip(available["respondent_group"], available["group_label"], strict=False))
    left, right = st.columns(2)
    group = address.select("Groep", "groep", list(labels), format_func=labels.get, container=left)
    waves = sorted(int(wave) for wave in available.loc[available["respondent_group"] == group, "wave"])
    wave = address.select("Meting", "meting", waves, default=waves[-1], container=right)
    return group, labels[group], wave


def explain_kindcentrum(pub: int, group: str, group_label: str, wave: int) -> None:
    """Who counts as a kindcentrum, who as the rest, and how many of each there are in this group and wave."""
    kindcentrum_code = int(data.setting(pub, "kindcentrum_code"))
    noemer = data.frame(pub, "kindcentra_noemer", question_id=data.setting(pub, "kindcentrum_item"))
    rows = noemer[(noemer["respondent_group"] == group) & (noemer["wave"] == wave)]
    if rows.empty:
        return
    chosen = rows[rows["answer_code"] == kindcentrum_code]
    others = rows[rows["answer_code"] != kindcentrum_code]
    kindcentra = int(chosen["n"].sum())
    base = int(rows["base_n"].iloc[0])
    other_labels = ", ".join(label[0].lower() + label[1:] for label in others["answer_label"])
    st.markdown(
        f"**Wie telt als kindcentrum?** Wie op de vraag *“{rows['question_text'].iloc[0]}”* antwoordde met "
        f"*“{chosen['answer_label'].iloc[0] if not chosen.empty else '(integraal) kindcentrum'}”*. "
        f"De **overige** zijn wie een ander antwoord gaf ({other_labels}). Wie de vraag niet beantwoordde of niet "
        "kreeg (de besturen krijgen haar niet; wie niet samenwerkt, slaat haar over) telt in geen van beide. "
        f"{group_label} in {wave}: {kindcentra} kindcentra en {base - kindcentra} overige."
    )


# --------------------------------------------------------------------------------------------------
# The comparison


def row_label(frame: pd.DataFrame) -> pd.Series:
    """What one row compares: the answer, preceded by the item for grid and multiple-answer items."""
    is_item = frame["item_id"] != frame["question_id"]
    item_answer = frame["item_text"].fillna("") + ": " + frame["answer_label"].fillna("")
    multi_item = frame["item_text"].fillna("")
    question_answer = frame["question_label"].fillna("") + ": " + frame["answer_label"].fillna("")
    label = np.where(frame["question_type"] == "multi", multi_item, np.where(is_item, item_answer, question_answer))
    return pd.Series(label, index=frame.index)


def prepare_shares(shares: pd.DataFrame) -> pd.DataFrame:
    """The comparison rows with their labels, item and marker."""
    return shares.assign(
        row=row_label(shares),
        item=shares["item_text"].where(shares["item_id"] != shares["question_id"], "").fillna(""),
        marker=shares["kindcentrum_difference"].map(MARKERS).fillna(""),
    )


def pick_topic_and_filter(shares: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
    """The topic picker (address `onderwerp`) and the significant-only switch, applied to the rows."""
    topics = list(dict.fromkeys(shares["topic"].dropna()))
    left, right = st.columns([2, 1])
    topic = address.select(
        "Onderwerp", "onderwerp", [ALL, *topics], format_func=lambda value: value or "Alle onderwerpen", container=left
    )
    significant_only = right.checkbox("Alleen significante verschillen", value=True, key="kindcentra_significant")
    keep = pd.Series(True, index=shares.index)
    if topic != ALL:
        keep &= shares["topic"] == topic
    if significant_only:
        keep &= shares["kindcentrum_difference"].notna()
    return shares[keep], significant_only


def comparison_chart(policed: pd.DataFrame) -> alt.LayerChart:
    """Kindcentrum and the rest side by side per row, with ▲/▼ beside a significant difference."""
    drawn = visible(policed)
    long = drawn.melt(
        id_vars=["row", "marker", STATUS_COLUMN],
        value_vars=["kindcentrum_share_pct", "other_share_pct"],
        var_name="side",
        value_name="share_pct",
    )
    long["side"] = long["side"].map({"kindcentrum_share_pct": KINDCENTRUM, "other_share_pct": OTHERS})
    rows = list(dict.fromkeys(drawn["row"]))
    y_axis = alt.Y("row:N", title=None, sort=rows, axis=alt.Axis(labelLimit=420))
    bars = (
        alt.Chart(long)
        .mark_bar()
        .encode(
            y=y_axis,
            yOffset=alt.YOffset("side:N", sort=[KINDCENTRUM, OTHERS]),
            x=alt.X("share_pct:Q", title="%", scale=alt.Scale(domain=[0, 100])),
            color=alt.Color(
                "side:N",
                title=None,
                scale=alt.Scale(domain=[KINDCENTRUM, OTHERS], range=charts.PALETTE[:2]),
                legend=alt.Legend(orient="bottom"),
            ),
            opacity=alt.Opacity(
                f"{STATUS_COLUMN}:N",
                scale=alt.Scale(domain=["", MARKED], range=[1.0, charts.SMALL_BASE_OPACITY]),
                legend=None,
            ),
            tooltip=["row", "side", alt.Tooltip("share_pct:Q", format=".1f"), STATUS_COLUMN],
        )
    )
    marked = drawn[drawn["marker"] != ""].assign(
        symbol=lambda frame: frame["marker"].str[0],
        position=lambda frame: frame[["kindcentrum_share_pct", "other_share_pct"]].max(axis=1) + 2,
    )
    markers = (
        alt.Chart(marked)
        .mark_text(align="left", baseline="middle", fontSize=13)
        .encode(y=y_axis, x="position:Q", text="symbol:N", tooltip=["row", "marker"])
    )
    return alt.layer(bars, markers).properties(height=alt.Step(12))


def show_comparison(shares: pd.DataFrame, significant_only: bool, group: str, wave: int) -> None:
    """The chart and the table of kindcentra against the rest, or why there is nothing to show."""
    if shares.empty:
        st.info(
            "Geen significante verschillen bij deze keuze; zet het vinkje uit om alle vergelijkingen te zien."
            if significant_only
            else "Geen vergelijking bij deze keuze."
        )
        return
    policed = apply_base_policy(shares, ["n_in", "n_out"], SHARE_COLUMNS)
    st.altair_chart(comparison_chart(policed))
    st.caption(
        "▲ kindcentra significant hoger, ▼ significant lager dan de overige (p < 0,05, Rao-Scott-F-toets van dat "
        "antwoord tegen de andere antwoorden)."
    )
    widgets.table(
        shares,
        name=f"kindcentra_{group}_{wave}",
        columns=TABLE_COLUMNS,
        base_column=["n_in", "n_out"],
        value_columns=SHARE_COLUMNS,
        key="kindcentra_shares",
        column_config=number_config(NUMBER_FORMATS),
    )


def show_grade(pub: int, group: str, wave: int) -> None:
    """The mean grade of kindcentra against the rest, with the t-test's interval and bases."""
    means = data.frame(pub, "kindcentra_means", group=group, wave=wave)
    if means.empty:
        return
    st.subheader("Rapportcijfer")
    means = means.assign(marker=means["kindcentrum_difference"].map(MARKERS).fillna(""))
    widgets.table(
        means,
        name=f"kindcentra_rapportcijfer_{group}_{wave}",
        columns={
            "question_text": "Vraag",
            "kindcentrum_mean": "Kindcentrum",
            "other_mean": "Overige",
            "difference": "Verschil (cijferpunten)",
            "difference_ci_low": "95%-interval van",
            "difference_ci_high": "95%-interval tot",
            "kindcentrum_p_value": "p-waarde",
            "marker": "Significant verschil",
            "n_in": "n kindcentrum",
            "n_out": "n overige",
        },
        base_column=["n_in", "n_out"],
        value_columns=[
            "kindcentrum_mean",
            "other_mean",
            "difference",
            "difference_ci_low",
            "difference_ci_high",
            "kindcentrum_p_value",
        ],
        key="kindcentra_means",
        column_config=number_config(
            {
                "Kindcentrum": "%.2f",
                "Overige": "%.2f",
                "Verschil (cijferpunten)": "%.2f",
                "95%-interval van": "%.2f",
                "95%-interval tot": "%.2f",
                "p-waarde": "%.4f",
            }
        ),
    )
    st.caption("Het gemiddelde rapportcijfer (1-10); getoetst met de t-toets voor gewogen gemiddelden.")


def show_not_compared(pub: int, group: str, wave: int) -> None:
    """Items the tests skipped because one side had fewer respondents than the minimum of 30."""
    skipped = data.frame(pub, "kindcentra_not_compared", group=group, wave=wave)
    if skipped.empty:
        return
    skipped = skipped.assign(item=skipped["item_text"].where(skipped["item_id"] != skipped["question_id"], ""))
    with st.expander(f"Niet vergeleken: te weinig respondenten ({len(skipped)} items)"):
        st.caption(
            "Een vergelijking wordt alleen gemaakt als beide kanten ten minste 30 respondenten hebben. "
            "Bij deze items was een kant kleiner; de aantallen staan erbij."
        )
        widgets.table(
            skipped,
            name=f"kindcentra_niet_vergeleken_{group}_{wave}",
            columns={
                "topic": "Onderwerp",
                "question_label": "Vraag",
                "item": "Item",
                "n_in": "n kindcentrum",
                "n_out": "n overige",
            },
            base_column=["n_in", "n_out"],
            value_columns=[],
            key="kindcentra_not_compared",
        )


# --------------------------------------------------------------------------------------------------
# The page


def render() -> None:
    """The Kindcentra page."""
    pub = widgets.current_publication()["publication_id"]
    st.title("Kindcentra")
    st.markdown(
        "Antwoorden van wie de samenwerking naar buiten presenteert als (integraal) kindcentrum, vergeleken met "
        "de overige respondenten van dezelfde groep en meting."
    )
    available = data.frame(pub, "kindcentra_available")
    if available.empty:
        st.info("In deze publicatie is geen kindcentrumvergelijking.")
        return
    group, group_label, wave = pick_group_and_wave(available)
    explain_kindcentrum(pub, group, group_label, wave)
    shares = prepare_shares(data.frame(pub, "kindcentra_shares", group=group, wave=wave))
    shown, significant_only = pick_topic_and_filter(shares)
    show_comparison(shown, significant_only, group, wave)
    show_grade(pub, group, wave)
    show_not_compared(pub, group, wave)
    st.caption(POLICY_TEXT)


render()
