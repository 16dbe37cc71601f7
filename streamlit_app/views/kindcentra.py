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
from scipy import stats

from publication import texts
from publication.base_policy import POLICY_TEXT, apply_base_policy
from streamlit_app import address, charts, data, widgets

ALL = ""
MARKERS = {"hoger": "▲ hoger", "lager": "▼ lager"}
NO_DIFFERENCE = "geen significant verschil"
VERDICTS = [MARKERS["hoger"], MARKERS["lager"], NO_DIFFERENCE]
VERDICT_COLOURS = ["#0b559f", "#b35806", "#8c8c8c"]
MAIN_ANSWERS = "Hoofdantwoord per item"
ALL_ANSWERS = "Alle antwoorden"
# Marks a row whose interval could not be taken from its test and contradicts the marker (explained below it).
DISAGREES = "†"
SHARE_VALUES = ["kindcentrum_share_pct", "other_share_pct", "difference_pct", "low", "high", "kindcentrum_p_value"]
TABLE_COLUMNS = {
    "item": "Item",
    "answer": "Antwoord",
    "difference_pct": "Verschil (procentpunten)",
    "interval": "95%-interval van het verschil",
    "verdict": "Significant verschil",
    "robust": texts.ROBUSTNESS_HEADER,
    "kindcentrum_share_pct": "Kindcentrum %",
    "other_share_pct": "Overige %",
    "kindcentrum_p_value": "p-waarde",
    "note": "Let op",
    "question_label": "Vraag",
    "topic": "Onderwerp",
    "n_in": "n kindcentrum",
    "n_out": "n overige",
}
Z_LEVEL = 0.975


def test_interval(difference: pd.Series, statistic: pd.Series, df_den: pd.Series, method: pd.Series):
    """The 95% interval of a difference that agrees with its test: ± t(0,975; df) · |verschil| / √toets.

    For a 2x2 table the Rao-Scott F has one numerator df, so √F is the difference over the standard error
    the test used; for the grade's t-test |t| is. The interval then excludes 0 exactly when p < 0,05.
    None where it cannot be derived (no test, a difference of 0).
    """
    size = np.sqrt(
        statistic.astype("float64").where(method.str.startswith("rao_scott_f"), statistic.astype("float64") ** 2)
    )
    usable = difference.notna() & (difference != 0) & (size > 0) & df_den.notna()
    half = stats.t.ppf(Z_LEVEL, df_den.where(usable, 1.0).astype("float64")) * difference.abs() / size.where(usable)
    return (difference - half).where(usable), (difference + half).where(usable)


def with_intervals(frame: pd.DataFrame, value: str, published_low: str, published_high: str) -> pd.DataFrame:
    """The frame with `low`/`high` from the test where possible, else the published interval, and the note."""
    low, high = test_interval(frame[value], frame["statistic"], frame["df_den"], frame["method"])
    significant = frame["kindcentrum_difference"].notna()
    derived = low.notna()
    frame = frame.assign(
        low=low.fillna(frame[published_low]),
        high=high.fillna(frame[published_high]),
        interval_source=np.where(derived, "toets", "gepubliceerd"),
    )
    excludes_zero = (frame["low"] > 0) | (frame["high"] < 0)
    contradicts = (significant != excludes_zero) & frame["low"].notna()
    return frame.assign(note=np.where(contradicts, DISAGREES, ""))


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


def item_text(frame: pd.DataFrame) -> pd.Series:
    """The item as a reader knows it: the statement or option, or the question itself for one answer."""
    is_item = frame["item_id"] != frame["question_id"]
    return frame["item_text"].where(is_item, frame["question_label"]).fillna(frame["question_label"])


def answer_text(frame: pd.DataFrame) -> pd.Series:
    """The answer compared: "genoemd" for a multiple-answer option, "(samengevoegd)" for a combined answer."""
    answer = frame["answer_label"].fillna("")
    answer = answer.where(frame["answer_grouping"].isna(), answer + " (samengevoegd)")
    return answer.where(frame["question_type"] != "multi", "genoemd")


def main_answers(frame: pd.DataFrame) -> pd.Series:
    """Whether each row is its item's main answer.

    The top of an ordered scale, the named option, else the answer most respondents gave. Combined answers
    are never the main answer: their parts are shown.
    """
    single = frame["answer_grouping"].isna()
    main = pd.Series(False, index=frame.index)
    for (question, _item), rows in frame[single].groupby(["question_id", "item_id"], sort=False):
        kind = rows["question_type"].iloc[0]
        if kind == "multi":
            chosen = rows.index[rows["answer_code"] == 1]
        elif charts.is_ordered(question, kind):
            order = rows.sort_values("answer_sort_order")["answer_label"].tolist()
            chosen = rows.index[rows["answer_label"] == charts.top_answer(order)]
        else:
            share = rows[["kindcentrum_share_pct", "other_share_pct"]].mean(axis=1)
            chosen = [share.idxmax()] if share.notna().any() else []
        main.loc[list(chosen)] = True
    return main


def prepare_shares(shares: pd.DataFrame) -> pd.DataFrame:
    """The comparison rows with item and answer apart, the main-answer flag, the verdict and the intervals."""
    frame = shares.assign(item=item_text(shares), answer=answer_text(shares))
    frame = frame.assign(
        is_main=main_answers(frame),
        verdict=frame["kindcentrum_difference"].map(MARKERS).fillna(NO_DIFFERENCE),
    )
    frame = with_intervals(frame, "difference_pct", "difference_ci_low_pct", "difference_ci_high_pct")
    return frame.assign(
        interval=[widgets.dutch_interval(lo, hi) for lo, hi in zip(frame["low"], frame["high"], strict=True)],
        robust=robustness(frame),
    )


def robustness(frame: pd.DataFrame) -> list[str]:
    """Whether each significant difference holds under every weighting (marts.robustness), in Dutch."""
    return [
        texts.robustness_text(robust, fragile) if marked is not None and not pd.isna(marked) else "–"
        for robust, fragile, marked in zip(
            frame["robust"], frame["fragile_under"], frame["kindcentrum_difference"], strict=True
        )
    ]


def explain_fragile(frame: pd.DataFrame) -> None:
    """A line under a table when some of its significant differences depend on the weighting."""
    fragile = int(frame["robust"].str.startswith("nee").sum())
    if fragile:
        st.caption(
            f"{fragile} van de {int((frame['robust'] != '–').sum())} significante verschillen hier "
            f"{'houdt' if fragile == 1 else 'houden'} niet stand bij elke manier van wegen (kolom "
            f"*{texts.ROBUSTNESS_HEADER}*): lees {'dat verschil' if fragile == 1 else 'die verschillen'} met "
            "voorzichtigheid. Zie *Hoe lees ik dit?*."
        )


def pick_filters(shares: pd.DataFrame) -> tuple[pd.DataFrame, bool, bool]:
    """Topic (address `onderwerp`), main or every answer, significant only; applied to the rows."""
    topics = list(dict.fromkeys(shares["topic"].dropna()))
    left, middle, right = st.columns([2, 2, 2])
    topic = address.select(
        "Onderwerp", "onderwerp", [ALL, *topics], format_func=lambda value: value or "Alle onderwerpen", container=left
    )
    which = middle.radio("Antwoorden", [MAIN_ANSWERS, ALL_ANSWERS], key="kindcentra_antwoorden")
    significant_only = right.checkbox("Alleen significante verschillen", value=True, key="kindcentra_significant")
    keep = pd.Series(True, index=shares.index)
    if topic != ALL:
        keep &= shares["topic"] == topic
    if which == MAIN_ANSWERS:
        keep &= shares["is_main"]
    if significant_only:
        keep &= shares["kindcentrum_difference"].notna()
    return shares[keep], significant_only, which == MAIN_ANSWERS


def chart_label(frame: pd.DataFrame, with_answer: bool) -> pd.Series:
    """The chart's row: the item on lines of its own, then the answer on its own line when it is not implied."""
    label = frame["item"].map(lambda text: charts.wrapped(text, charts.NARROW_LINE_CHARACTERS))
    if with_answer:
        label = label + charts.LINE_BREAK + "→ " + frame["answer"]
    duplicated = label.duplicated(keep=False)
    return label.where(~duplicated, label + charts.LINE_BREAK + "(" + frame["question_label"] + ")")


def show_comparison(
    shown: pd.DataFrame, significant_only: bool, main_only: bool, group_label: str, wave: int, group: str
) -> None:
    """The differences as a dot plot sorted by size, and the table of kindcentra against the rest."""
    if shown.empty:
        st.info(
            "Geen significante verschillen bij deze keuze; zet het vinkje uit om alle vergelijkingen te zien."
            if significant_only
            else "Geen vergelijking bij deze keuze."
        )
        return
    policed = apply_base_policy(shown, ["n_in", "n_out"], SHARE_VALUES)
    policed = policed.assign(row=chart_label(policed, with_answer=not main_only))
    tooltip = [
        alt_tooltip("item", "Item"),
        alt_tooltip("answer", "Antwoord"),
        alt_tooltip("difference_pct", "Verschil (procentpunten)", ".1f"),
        alt_tooltip("interval", "95%-interval"),
        alt_tooltip("kindcentrum_share_pct", "Kindcentrum %", ".1f"),
        alt_tooltip("other_share_pct", "Overige %", ".1f"),
        alt_tooltip("verdict", "Significant verschil"),
        alt_tooltip("robust", texts.ROBUSTNESS_HEADER),
    ]
    chart = charts.difference_dots(
        policed,
        category="row",
        value="difference_pct",
        low="low",
        high="high",
        verdict="verdict",
        verdict_order=VERDICTS,
        verdict_colours=VERDICT_COLOURS,
        title="Verschil kindcentra − overige (procentpunten)",
        tooltip=tooltip,
    )
    answers = "per item het hoofdantwoord" if main_only else "alle antwoorden"
    lines = [
        f"Selectie: {group_label} · {wave} · {answers}"
        + (" · alleen significante verschillen" if significant_only else ""),
        f"Basis: n = {int(shown['n_in'].min())}–{int(shown['n_in'].max())} kindcentra, "
        f"{int(shown['n_out'].min())}–{int(shown['n_out'].max())} overige",
        *charts.source_lines(widgets.current_publication()),
    ]
    charts.show(charts.titled(chart, "Kindcentra tegenover de overige respondenten", lines))
    st.caption(
        "Een stip rechts van de stippellijn: kindcentra gaven dit antwoord vaker dan de overige respondenten; links: "
        "minder vaak. De streep is het 95%-interval van het verschil, afgeleid uit dezelfde toets als ▲/▼ "
        "(Rao-Scott-F-toets van dat antwoord tegen de andere antwoorden); ligt 0 buiten de streep, dan is het "
        "verschil significant. Hoofdantwoord: bij stellingen het sterkste antwoord (bijvoorbeeld *in sterke "
        "mate*), bij meerdere antwoorden *genoemd*, anders het antwoord dat het vaakst gegeven is."
    )
    widgets.dutch_table(
        shown,
        name=widgets.file_name(
            "kindcentra",
            group,
            wave,
            "hoofdantwoorden" if main_only else "alle_antwoorden",
            "significant" if significant_only else "",
        ),
        columns=TABLE_COLUMNS,
        base_column=["n_in", "n_out"],
        value_columns=SHARE_VALUES,
        decimals={"difference_pct": 1, "interval": 1, "kindcentrum_share_pct": 1, "other_share_pct": 1},
        p_values=["kindcentrum_p_value"],
        intervals={"interval": ("low", "high")},
        counts=["n_in", "n_out"],
        key="kindcentra_shares",
        # A phone shows the item and the difference side by side; the full text is in the cell's tooltip.
        column_config={TABLE_COLUMNS["item"]: st.column_config.TextColumn(width="medium")},
    )
    explain_fragile(shown)
    if (shown["note"] == DISAGREES).any():
        st.caption(
            f"{DISAGREES} Bij deze rij kon het interval niet uit de toets worden afgeleid; het gepubliceerde interval "
            "(Wald) spreekt het teken dan tegen. Het teken volgt de toets."
        )


def alt_tooltip(field: str, title: str, number_format: str | None = None):
    """A Dutch tooltip line."""
    if number_format:
        return alt.Tooltip(f"{field}:Q", title=title, format=number_format)
    return alt.Tooltip(f"{field}:N", title=title)


def show_grade(pub: int, group: str, wave: int) -> None:
    """The mean grade of kindcentra against the rest, with the interval of the t-test and the bases."""
    means = data.frame(pub, "kindcentra_means", group=group, wave=wave)
    if means.empty:
        return
    st.subheader("Rapportcijfer")
    means = means.assign(verdict=means["kindcentrum_difference"].map(MARKERS).fillna(NO_DIFFERENCE))
    means = with_intervals(means, "difference", "difference_ci_low", "difference_ci_high")
    means = means.assign(robust=robustness(means))
    widgets.dutch_table(
        means,
        name=widgets.file_name("kindcentra", "rapportcijfer", group, wave),
        columns={
            "question_text": "Vraag",
            "difference": "Verschil (cijferpunten)",
            "interval": "95%-interval van het verschil",
            "verdict": "Significant verschil",
            "robust": texts.ROBUSTNESS_HEADER,
            "kindcentrum_mean": "Kindcentrum",
            "other_mean": "Overige",
            "kindcentrum_p_value": "p-waarde",
            "n_in": "n kindcentrum",
            "n_out": "n overige",
        },
        base_column=["n_in", "n_out"],
        value_columns=["kindcentrum_mean", "other_mean", "difference", "low", "high", "kindcentrum_p_value"],
        decimals={"kindcentrum_mean": 2, "other_mean": 2, "difference": 2, "interval": 2},
        p_values=["kindcentrum_p_value"],
        intervals={"interval": ("low", "high")},
        counts=["n_in", "n_out"],
        key="kindcentra_means",
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
    widgets.reading_help("kindcentra")
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
    shown, significant_only, main_only = pick_filters(shares)
    show_comparison(shown, significant_only, main_only, group_label, wave, group)
    show_grade(pub, group, wave)
    show_not_compared(pub, group, wave)
    st.caption(POLICY_TEXT)


render()
