"""Overzicht: the report's factsheet rebuilt from the marts, for the wave a reader picks.

Key figures per group, the most named goals of schools and childcare organisations, and every significant
change since the previous wave; each figure with its base and under the one small-base policy.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from publication.base_policy import MARKED, POLICY_TEXT, STATUS_COLUMN, apply_base_policy, visible
from streamlit_app import address, data, widgets


@dataclass(frozen=True)
class KeyShare:
    """One key share of the factsheet: a question and the answer, or combined answer, it counts."""

    question_id: str
    label: str
    answer_code: int | None = None
    answer_grouping: str | None = None


# The factsheet's key shares. Code 1 of `samenwerking` is "Ja" (the routing of the marts says
# "samenwerking in (1)"); code 3 of `noemer` is "(integraal) kindcentrum". For the boards, `samenwerking`
# is asked as cooperation at board level: the factsheet's 80% and 86%.
KEY_SHARES = (
    KeyShare("samenwerking", "Werkt samen", answer_code=1),
    KeyShare("aantal_partners", "Twee of meer partners", answer_grouping="twee_of_meer"),
    KeyShare("noemer", "Noemt zich kindcentrum", answer_code=3),
)
KEY_MEAN = KeyShare("rapportcijfer", "Rapportcijfer")
GOALS_QUESTION = "doelen"
# The factsheet names the top 3 goals of these two groups (the boards were asked another question).
GOAL_GROUPS = ("basisscholen", "kov_organisaties")
TOP_GOALS = 3
CHANGE_COLUMNS = {
    "group_label": "Groep",
    "question_label": "Vraag",
    "item": "Item",
    "answer": "Antwoord",
    "before": "Vorige meting",
    "after": "Deze meting",
    "difference": "Verschil",
    "unit": "Eenheid",
    "holds": "Houdt stand na correctie",
    "n_from": "Basis vorige meting (n)",
    "n_to": "Basis deze meting (n)",
}


def dutch(value: float, decimals: int = 0) -> str:
    """A number as Dutch readers write it: a decimal comma."""
    return f"{value:.{decimals}f}".replace(".", ",")


def signed(value: float, decimals: int = 0) -> str:
    """A difference with its sign always shown (st.metric colours the delta by it)."""
    return ("+" if value > 0 else "") + dutch(value, decimals)


def base_caption(base: int, status: str) -> str:
    """The base of a figure, with the small-base mark or the reason it is hidden."""
    return f"Basis: n = {base}" + (f" · {status}" if status else "")


# --------------------------------------------------------------------------------------------------
# Key figures


def key_share_rows(shares: pd.DataFrame) -> pd.DataFrame:
    """The rows of `shares` that are the factsheet's key shares, labelled, in the factsheet's order."""
    rows = []
    for order, key in enumerate(KEY_SHARES):
        match = shares["question_id"] == key.question_id
        if key.answer_grouping is not None:
            match &= shares["answer_grouping"] == key.answer_grouping
        else:
            match &= shares["answer_code"].eq(key.answer_code).fillna(False) & shares["answer_grouping"].isna()
        rows.append(shares[match].assign(order=order, label=key.label))
    frame = pd.concat(rows, ignore_index=True)
    return frame.rename(columns={"share_pct": "value", "previous_share_pct": "previous"}).assign(kind="share")


def key_mean_rows(means: pd.DataFrame) -> pd.DataFrame:
    """The mean grade per group, shaped like the key shares."""
    return means.rename(columns={"mean": "value", "previous_mean": "previous"}).assign(
        order=len(KEY_SHARES), label=KEY_MEAN.label, kind="mean"
    )


def key_figures(pub: int, wave: int) -> pd.DataFrame:
    """Every key figure of one wave, per group, under the small-base policy."""
    questions = [key.question_id for key in KEY_SHARES]
    shares = key_share_rows(data.frame(pub, "overzicht_shares", wave=wave, questions=questions))
    means = key_mean_rows(data.frame(pub, "overzicht_means", wave=wave, questions=[KEY_MEAN.question_id]))
    columns = [
        "respondent_group",
        "group_label",
        "group_sort_order",
        "order",
        "label",
        "kind",
        "question_text",
        "value",
        "previous",
        "base_n",
        "compared_with_wave",
        "change_since_previous_wave",
    ]
    figures = pd.concat([shares[columns], means[columns]], ignore_index=True)
    figures = figures.sort_values(["group_sort_order", "order"], kind="stable")
    return apply_base_policy(figures, "base_n", ["value", "previous"])


def figure_text(row: pd.Series) -> str:
    """The figure as the factsheet writes it: a whole percentage, or a grade with one decimal."""
    if pd.isna(row["value"]):
        return "–"
    return f"{dutch(row['value'])}%" if row["kind"] == "share" else dutch(row["value"], 1)


def figure_delta(row: pd.Series) -> str | None:
    """The change since the previous wave, only when it is significant (else the metric shows none)."""
    if pd.isna(row["change_since_previous_wave"]) or pd.isna(row["value"]) or pd.isna(row["previous"]):
        return None
    difference = row["value"] - row["previous"]
    if row["kind"] == "share":
        return f"{signed(difference)} %-punt t.o.v. {int(row['compared_with_wave'])}"
    return f"{signed(difference, 1)} t.o.v. {int(row['compared_with_wave'])}"


def figure_help(row: pd.Series) -> str:
    """The question as this group was asked it, its base, and what the change marker means."""
    lines = [f"Vraag: {row['question_text']}", f"Basis: n = {row['base_n']} respondenten."]
    if figure_delta(row):
        lines.append(f"Significant {row['change_since_previous_wave']} dan in {int(row['compared_with_wave'])}.")
    elif pd.notna(row["compared_with_wave"]):
        lines.append(f"Geen significante verandering sinds {int(row['compared_with_wave'])}.")
    return "\n\n".join(lines)


def show_key_figures(pub: int, wave: int) -> None:
    """One column per group with its key figures as metrics, each with its base beneath."""
    st.subheader("Kerncijfers per groep")
    figures = key_figures(pub, wave)
    groups = figures.drop_duplicates("respondent_group")
    for column, (_, group) in zip(st.columns(len(groups)), groups.iterrows(), strict=True):
        with column:
            st.markdown(f"**{group['group_label']}**")
            for _, row in figures[figures["respondent_group"] == group["respondent_group"]].iterrows():
                st.metric(row["label"], figure_text(row), delta=figure_delta(row), help=figure_help(row))
                st.caption(base_caption(row["base_n"], row[STATUS_COLUMN]))


# --------------------------------------------------------------------------------------------------
# The most named goals


def goal_lines(goals: pd.DataFrame) -> list[str]:
    """The top goals of one group as a numbered Markdown list, each with its share and base."""
    lines = []
    for rank, (_, row) in enumerate(goals.head(TOP_GOALS).iterrows(), start=1):
        mark = f" {MARKED}" if row[STATUS_COLUMN] == MARKED else ""
        lines.append(
            f"{rank}. {row['item_text']}: **{dutch(row['share_pct'])}%** {row['answer_label'].lower()} "
            f"(n = {row['base_n']}){mark}"
        )
    return lines


def show_goals(pub: int, wave: int, group_labels: dict[str, str]) -> None:
    """The top 3 joint goals of schools and childcare organisations, ranked on the scale's strongest answer."""
    st.subheader(f"De top {TOP_GOALS} gezamenlijke doelen")
    goals = data.frame(pub, "overzicht_goals", question_id=GOALS_QUESTION, wave=wave, groups=list(GOAL_GROUPS))
    # Hidden figures are not ranked: a share on fewer than 10 respondents must not top the list.
    ranked = visible(apply_base_policy(goals, "base_n", ["share_pct"]))
    strongest = ranked["answer_label"].iloc[0].lower() if not ranked.empty else "in sterke mate"
    st.caption(
        f"Rangorde op het aandeel dat een doel '{strongest}' nastreeft (zoals de factsheet); "
        "de open categorie 'Anders, namelijk' telt niet mee."
    )
    for column, group in zip(st.columns(len(GOAL_GROUPS)), GOAL_GROUPS, strict=True):
        with column:
            st.markdown(f"**{group_labels.get(group, group)}**")
            rows = ranked[ranked["respondent_group"] == group]
            if rows.empty:
                st.caption(f"Geen doelen om te tonen voor meting {wave}.")
            else:
                st.markdown("\n".join(goal_lines(rows)))


# --------------------------------------------------------------------------------------------------
# Significant changes since the previous wave


def change_answer(row: pd.Series) -> str:
    """What changed: the answer, a combined answer (marked as such), or the mean grade."""
    if row["test_level"] == "mean":
        return "gemiddelde"
    if pd.notna(row["answer_grouping"]):
        return f"{row['answer_label']} (samengevoegd)"
    return row["answer_label"]


def change_table(changes: pd.DataFrame) -> pd.DataFrame:
    """The changes of answers, combined answers and means, in percent (points) or grade points."""
    rows = changes[changes["test_level"] != "question"].copy()
    scale = rows["value_unit"].map({"share": 100.0}).fillna(1.0)
    rows["before"] = (rows["value_before"] * scale).round(1)
    rows["after"] = (rows["value_after"] * scale).round(1)
    rows["difference"] = (rows["difference"] * scale).round(1)
    rows["unit"] = rows["value_unit"].map({"share": "%-punt"}).fillna("punt (cijfer)")
    rows["item"] = rows["item_text"].where(rows["item_id"] != rows["question_id"], "")
    rows["answer"] = rows.apply(change_answer, axis=1)
    rows["holds"] = rows["holds_after_adjustment"].map({True: "ja", False: "nee"})
    return rows


def whole_question_note(changes: pd.DataFrame) -> str | None:
    """The questions whose whole distribution changed significantly, as one Dutch sentence."""
    whole = changes[changes["test_level"] == "question"]
    if whole.empty:
        return None
    named = [f"{row['question_label']} ({row['group_label']})" for _, row in whole.iterrows()]
    return "De verdeling als geheel veranderde significant bij: " + "; ".join(named) + "."


def show_changes(pub: int, wave: int, waves: list[int]) -> None:
    """Every significant change since the previous wave, with both bases and the Benjamini-Hochberg check."""
    st.subheader("Significante veranderingen sinds de vorige meting")
    earlier = [w for w in waves if w < wave]
    if not earlier:
        st.info(f"Meting {wave} is de eerste meting: er is geen vorige meting om mee te vergelijken.")
        return
    changes = data.frame(pub, "overzicht_changes", wave=wave)
    if changes.empty:
        st.info(f"Geen significante veranderingen tussen {max(earlier)} en {wave}.")
        return
    st.caption(
        f"Veranderingen tussen {max(earlier)} en {wave} met p < 0,05 (Rao-Scott F-toets; bij het rapportcijfer een "
        "t-toets). 'Houdt stand na correctie': nog significant na de Benjamini-Hochberg-correctie voor het aantal "
        "toetsen. De basis is het aantal respondenten in elke meting; de kleinste telt voor de regel over kleine "
        "bases."
    )
    widgets.table(
        change_table(changes),
        name=f"veranderingen_{wave}",
        columns=CHANGE_COLUMNS,
        base_column=["n_from", "n_to"],
        value_columns=["before", "after", "difference"],
        key="overzicht_veranderingen",
        column_config={
            CHANGE_COLUMNS["before"]: st.column_config.NumberColumn(format="%.1f"),
            CHANGE_COLUMNS["after"]: st.column_config.NumberColumn(format="%.1f"),
            CHANGE_COLUMNS["difference"]: st.column_config.NumberColumn(format="%+.1f"),
        },
    )
    note = whole_question_note(changes)
    if note:
        st.caption(note)


# --------------------------------------------------------------------------------------------------
# The page


def main() -> None:
    """The factsheet for the wave in the address (default: the newest)."""
    pub = widgets.current_publication()["publication_id"]
    st.title("Overzicht")
    st.caption("De factsheet van het rapport, opnieuw berekend uit de gepubliceerde gegevens.")
    waves = [int(wave) for wave in data.frame(pub, "waves")["wave"]]
    groups = data.frame(pub, "groups")
    wave = address.select("Meting", "meting", waves, default=waves[-1])
    st.caption(POLICY_TEXT)
    show_key_figures(pub, wave)
    show_goals(pub, wave, dict(zip(groups["respondent_group"], groups["label_nl"], strict=True)))
    show_changes(pub, wave, waves)


main()
