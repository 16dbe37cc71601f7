"""The factsheet's blocks: which figures each block of the 2019 report's factsheet shows, and their values.

One list for the viewer's Overzicht and the factsheet PDF the publish stage writes, so the two cannot
drift. A block names its figures (a question and the answer, or combined answer, that a figure counts)
or ranks a question's items on one answer, and says what its figures are compared with: the groups
side by side, the previous wave, or kindcentra against the rest. `block_figures` turns the published
rows into one long frame per block, each figure under the one small-base policy.

No Streamlit and no pipeline import here; the rows come through `queries` (a `fetch` callable).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from publication.base_policy import apply_base_policy

GROUPS = "groepen"  # each group side by side, in one wave
WAVES = "metingen"  # each group's previous wave beside this one
KINDCENTRA = "kindcentra"  # kindcentra against the rest of the group, in one wave

SCHOOLS_AND_CHILDCARE = ("basisscholen", "kov_organisaties")
BOARDS = ("schoolbesturen", "kov_besturen")
ALL_GROUPS = (*SCHOOLS_AND_CHILDCARE, *BOARDS)
KINDCENTRUM_SERIES = ("Kindcentra", "Overige")  # drawn rest first, kindcentra second (dark), as before and after

Fetch = Callable[..., pd.DataFrame]


@dataclass(frozen=True)
class Figure:
    """One figure: a question's item and the answer (a code or a combined answer) it counts, or its mean."""

    question_id: str
    label: str
    item_id: str | None = None  # None: the question's own item (a single question's item id is its question id)
    answer_code: int | None = None
    answer_grouping: str | None = None
    kind: str = "share"  # "share" (percent) or "mean" (the 1-10 grade)

    @property
    def item(self) -> str:
        """The item the figure is about."""
        return self.item_id or self.question_id


@dataclass(frozen=True)
class Ranking:
    """A question's items ranked per group on one answer, the top ones shown (as the factsheet's lists)."""

    question_id: str
    answer_label: str  # how the list names the answer it ranks on ("in sterke mate")
    answer_code: int | None = None
    answer_grouping: str | None = None
    top: int = 3


@dataclass(frozen=True)
class Block:
    """One block of the factsheet: a title, what the report's factsheet says, and its figures."""

    key: str
    title: str
    lead: str
    comparison: str
    groups: tuple[str, ...]
    figures: tuple[Figure, ...] = ()
    ranking: Ranking | None = None

    @property
    def questions(self) -> list[str]:
        """Every question the block reads."""
        named = [figure.question_id for figure in self.figures]
        return [*named, self.ranking.question_id] if self.ranking else named


# The factsheet of the 2019 report, block by block (its opening pages; the wording of each lead is the
# report's). `samenwerking` is asked of the boards as cooperation at board level: the factsheet's 80% and 86%.
BLOCKS: tuple[Block, ...] = (
    Block(
        "kerncijfers",
        "Samenwerking is de standaard",
        "Vrijwel alle basisscholen werken samen met de kinderopvang; ook de meeste besturen zijn de samenwerking "
        "op bestuurlijk niveau aangegaan.",
        GROUPS,
        ALL_GROUPS,
        figures=(
            Figure("samenwerking", "Werkt samen", answer_code=1),
            Figure("aantal_partners", "Twee of meer partners", answer_grouping="twee_of_meer"),
            Figure("noemer", "Noemt zich kindcentrum", answer_code=3),
            Figure("rapportcijfer", "Rapportcijfer", kind="mean"),
        ),
    ),
    Block(
        "versterkt",
        "Samenwerking versterkt",
        "Vergeleken met de vorige meting zijn onderwijs en kinderopvang intensiever gaan samenwerken: vaker in de "
        "consolidatiefase, vaker afgestemde visie en doelen, meer interactie tussen professionals en vaker "
        "juridisch vastgelegde afspraken.",
        WAVES,
        SCHOOLS_AND_CHILDCARE,
        figures=(
            Figure("fase", "In de consolidatiefase", answer_code=4),
            Figure("visie", "Afgestemde of gezamenlijke visie en doelen", answer_grouping="afgestemd_of_gezamenlijk"),
            Figure(
                "meerwaarde",
                "Meer interactie tussen professionals (overwegend of zeker wel)",
                item_id="meerwaarde_interactie_professionals",
                answer_grouping="overwegend_of_zeker_wel",
            ),
            Figure("juridisch", "Afspraken niet juridisch vastgelegd", answer_code=1),
        ),
    ),
    Block(
        "doelen",
        "De top 3 gezamenlijke doelen",
        "De doelen die basisscholen en kinderopvangorganisaties het vaakst in sterke mate samen nastreven.",
        GROUPS,
        SCHOOLS_AND_CHILDCARE,
        ranking=Ranking("doelen", "in sterke mate", answer_code=3, top=3),
    ),
    Block(
        "praktijk",
        "Kinderopvang en onderwijs in de praktijk",
        "Hoe sterk visie en doelen in de praktijk worden gebracht: doorgaande lijnen, soepele overgangen, "
        "één team en één aanspreekpunt.",
        GROUPS,
        SCHOOLS_AND_CHILDCARE,
        ranking=Ranking("praktijk", "in sterke mate", answer_code=3, top=6),
    ),
    Block(
        "meerwaarde",
        "De meerwaarde van samenwerking",
        "De opbrengsten die basisscholen en kinderopvangorganisaties het vaakst zien.",
        GROUPS,
        SCHOOLS_AND_CHILDCARE,
        ranking=Ranking("meerwaarde", "overwegend of zeker wel", answer_grouping="overwegend_of_zeker_wel", top=5),
    ),
    Block(
        "kindcentra",
        "Wat kindcentra onderscheidt",
        "Wie zich kindcentrum noemt, is meer tevreden, heeft vaker een gezamenlijke visie, werkt vaker in één team "
        "en heeft vaker doorgaande ontwikkelingslijnen dan de overige scholen en kinderopvangorganisaties.",
        KINDCENTRA,
        SCHOOLS_AND_CHILDCARE,
        figures=(
            Figure(
                "praktijk", "Gezamenlijke visie (in sterke mate)", item_id="praktijk_gezamenlijke_visie", answer_code=3
            ),
            Figure("praktijk", "Eén team (in sterke mate)", item_id="praktijk_een_team", answer_code=3),
            Figure(
                "praktijk", "Doorgaande lijnen (in sterke mate)", item_id="praktijk_doorgaande_lijnen", answer_code=3
            ),
            Figure("rapportcijfer", "Rapportcijfer", kind="mean"),
        ),
    ),
    Block(
        "knelpunten",
        "Tevredenheid en knelpunten",
        "Scholen en kinderopvangorganisaties zijn redelijk tevreden; hun besturen ervaren dezelfde knelpunten "
        "als eerder: wet- en regelgeving, gescheiden werelden, financiën en huisvesting.",
        GROUPS,
        BOARDS,
        ranking=Ranking("knelpunten_aard", "genoemd", answer_code=1, top=4),
    ),
    Block(
        "toekomst",
        "Toekomstplannen",
        "Stoppen is geen optie: alle partijen willen door, de meeste door de relatie met de huidige partner te "
        "versterken; wie uitbreidt, denkt eerst aan zorg; op lange termijn wil een deel een nieuwe entiteit.",
        GROUPS,
        ALL_GROUPS,
        figures=(
            Figure("toekomstplannen", "Stopt met de samenwerking", item_id="toekomstplannen_stoppen", answer_code=1),
            Figure(
                "toekomstplannen",
                "Wil de samenwerking intensiveren",
                item_id="toekomstplannen_intensiveren",
                answer_code=1,
            ),
            Figure("plannen_zorg", "Plannen om uit te breiden met zorg", answer_code=1),
            Figure("ambitie", "Ambitie: een nieuwe entiteit (IKC)", item_id="ambitie_nieuwe_entiteit", answer_code=1),
        ),
    ),
)
BLOCKS_BY_KEY = {block.key: block for block in BLOCKS}

# The columns of a block's figures, one row per figure, group and series (what a bar in its chart is).
COLUMNS = [
    "block",
    "order",
    "label",
    "wording",
    "question_id",
    "item_id",
    "respondent_group",
    "group_label",
    "group_sort_order",
    "series",
    "series_order",
    "is_current",
    "kind",
    "wave",
    "value",
    "ci_low",
    "ci_high",
    "base_n",
    "marker",
    "compared_with",
]


def all_questions() -> list[str]:
    """Every question any block reads, once."""
    return list(dict.fromkeys(question for block in BLOCKS for question in block.questions))


def read_rows(fetch: Fetch, wave: int) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The published shares and means of every block's questions up to `wave`, through `fetch(name, **params)`."""
    questions = all_questions()
    shares = fetch("factsheet_shares", wave=wave, questions=questions)
    means = fetch("factsheet_means", wave=wave, questions=questions)
    return shares, means


def _matches(rows: pd.DataFrame, item: str | None, answer_code: int | None, answer_grouping: str | None) -> pd.Series:
    """The rows of one item (None: any) and answer (a code, a combined answer, or none for a mean)."""
    match = rows["item_id"].eq(item) if item is not None else pd.Series(True, index=rows.index)
    if "answer_code" not in rows:
        return match
    if answer_grouping is not None:
        return match & (rows["answer_grouping"] == answer_grouping)
    return match & rows["answer_code"].eq(answer_code).fillna(False) & rows["answer_grouping"].isna()


def _previous_wave(rows: pd.DataFrame, wave: int) -> pd.Series:
    """Per group, the latest wave before `wave` in which it was asked the rows' item (NaN when none)."""
    earlier = rows[rows["wave"] < wave]
    return earlier.groupby("respondent_group")["wave"].max()


def _figure_frame(block: Block, figure: Figure, order: int, rows: pd.DataFrame, wave: int) -> pd.DataFrame:
    """The bars of one figure: per group of the block, one per series of its comparison."""
    chosen = rows[_matches(rows, figure.item, figure.answer_code, figure.answer_grouping)]
    chosen = chosen[chosen["respondent_group"].isin(block.groups)]
    current = chosen[chosen["wave"] == wave]
    base = current.assign(
        block=block.key,
        order=order,
        label=figure.label,
        wording=current["item_text"],
        kind=figure.kind,
        is_current=True,
        compared_with=np.nan,
    )
    if block.comparison == GROUPS:
        return base.assign(series=base["group_label"], series_order=base["group_sort_order"], marker=base["change"])
    if block.comparison == KINDCENTRA:
        tested = base[base["n_in"].notna()]
        inside = tested.assign(
            series=KINDCENTRUM_SERIES[0],
            series_order=1,
            value=tested["kindcentrum_value"],
            base_n=tested["n_in"],
            marker=tested["kindcentrum_difference"],
        )
        outside = tested.assign(
            series=KINDCENTRUM_SERIES[1],
            series_order=0,
            value=tested["other_value"],
            base_n=tested["n_out"],
            marker=None,
            is_current=False,
        )
        # The test gives the two sides' values, not an interval for each.
        return pd.concat([inside, outside], ignore_index=True).assign(ci_low=np.nan, ci_high=np.nan)
    previous_wave = _previous_wave(chosen, wave)
    earlier = chosen.merge(previous_wave.rename("previous_wave"), left_on="respondent_group", right_index=True)
    earlier = earlier[earlier["wave"] == earlier["previous_wave"]].assign(
        block=block.key, order=order, label=figure.label, kind=figure.kind, is_current=False, marker=None
    )
    earlier = earlier.assign(wording=earlier["item_text"], compared_with=np.nan)
    now = base.assign(marker=base["change"], compared_with=base["respondent_group"].map(previous_wave))
    both = pd.concat([earlier, now], ignore_index=True)
    return both.assign(series=both["wave"].astype(int).astype(str), series_order=both["wave"])


def _ranked_figures(block: Block, shares: pd.DataFrame, wave: int) -> list[Figure]:
    """The items a ranking shows: each group's top ones on the ranked answer, open answers left out.

    Hidden figures (a base under 10) are not ranked: a share on a handful of respondents must not top a list.
    The items are ordered by their best rank in any group, then by their mean share.
    """
    ranking = block.ranking
    rows = shares[
        (shares["question_id"] == ranking.question_id)
        & (shares["wave"] == wave)
        & shares["respondent_group"].isin(block.groups)
        & ~shares["has_open_answer"].astype(bool)
    ]
    rows = rows[_matches(rows, None, ranking.answer_code, ranking.answer_grouping)]
    rows = apply_base_policy(rows, "base_n", ["value"]).dropna(subset=["value"])
    rows = rows.sort_values(["respondent_group", "value", "item_id"], ascending=[True, False, True])
    rows = rows.assign(rank=rows.groupby("respondent_group").cumcount())
    top = rows[rows["rank"] < ranking.top]
    order = top.groupby("item_id").agg(best=("rank", "min")).join(rows.groupby("item_id")["value"].mean())
    order = order.sort_values(["best", "value"], ascending=[True, False])
    labels = rows.drop_duplicates("item_id").set_index("item_id")["item_label"]
    return [
        Figure(
            ranking.question_id,
            labels[item],
            item_id=item,
            answer_code=ranking.answer_code,
            answer_grouping=ranking.answer_grouping,
        )
        for item in order.index
    ]


def block_figures(block: Block, shares: pd.DataFrame, means: pd.DataFrame, wave: int) -> pd.DataFrame:
    """Every bar of one block for `wave` (columns `COLUMNS` plus the policy's `basis`), small-base policy applied.

    Empty when no group of the block was asked its questions in that wave (or, comparing waves, before it).
    """
    shares = shares.rename(columns={"change_since_previous_wave": "change"})
    means = means.rename(columns={"change_since_previous_wave": "change"})
    figures = _ranked_figures(block, shares, wave) if block.ranking else list(block.figures)
    parts = [
        _figure_frame(block, figure, order, means if figure.kind == "mean" else shares, wave)
        for order, figure in enumerate(figures)
    ]
    frame = pd.concat([part for part in parts if not part.empty] or [pd.DataFrame(columns=COLUMNS)], ignore_index=True)
    frame = frame.reindex(columns=COLUMNS)
    frame["base_n"] = frame["base_n"].astype("Int64")
    frame = frame.sort_values(["order", "group_sort_order", "series_order"], kind="stable", ignore_index=True)
    return apply_base_policy(frame, "base_n", ["value", "ci_low", "ci_high"])


def wave_figures(fetch: Fetch, wave: int) -> dict[str, pd.DataFrame]:
    """Every block's bars for `wave`, keyed by block, read through `fetch`."""
    shares, means = read_rows(fetch, wave)
    return {block.key: block_figures(block, shares, means, wave) for block in BLOCKS}
