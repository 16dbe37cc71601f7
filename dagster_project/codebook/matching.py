"""Matching delivered variables to the codebook's items, and their answer codes to its answer codes.

A variable is matched on its wording first (the variable label against every wording the item had in
earlier waves, as one text and, for the items of a grid or multiple-answer question, as question and
item apart), then on its answer labels against the question's options; its place in the file only
breaks ties. One variable per item: the assignment maximises the total score over the whole file
(scipy's `linear_sum_assignment`), so a reordered file matches as well as one in the old order.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from dagster_project.codebook.delivery import DeliveredFile, DeliveredVariable
from dagster_project.codebook.wording import VALUE_LABEL_LIMIT, fold, is_cut, same_text, similarity, split_label

# Weights of the wording and the answer labels in a match's score (0-100), and the least score and
# wording similarity of a match; below them a variable is a new question.
WORDING_WEIGHT = 0.75
OPTIONS_WEIGHT = 0.25
MATCH_THRESHOLD = 70.0
MIN_WORDING = 55.0
# The most a variable's place in the file adds: enough to break a tie, never to decide a match.
POSITION_WEIGHT = 0.5
# Two variables this close to one item (both at least this score) are a duplicate for a person to settle.
DUPLICATE_SCORE = 90.0
# Labels that say yes (chosen) and no (not chosen), as tools write the two values of a 0/1 item.
YES_LABELS = frozenset(
    {"ja", "genoemd", "wel genoemd", "gekozen", "geselecteerd", "aangevinkt", "yes", "selected", "checked"}
)
NO_LABELS = frozenset(
    {"nee", "niet genoemd", "niet gekozen", "niet geselecteerd", "niet aangevinkt", "no", "not selected", "unchecked"}
)
# Labels of codes that mean no answer: a file should declare them missing; the review warns when not.
NON_RESPONSE_LABELS = frozenset(
    {"geen antwoord", "wil niet zeggen", "niet ingevuld", "onbekend", "missing", "no answer", "refused"}
)
SCALE_TYPES = ("single", "grid")


@dataclass(frozen=True)
class KnownItem:
    """An item of the codebook as one group was asked it in earlier waves."""

    item_id: str
    question_id: str
    question_type: str
    wordings: tuple[tuple[str, str], ...]  # (question_text, item_text) per earlier wave, newest first
    position: float  # place in the newest earlier wave's file, 0 to 1
    options: tuple[tuple[int, str], ...]  # the question's (answer_code, answer_label)


def composed(question_type: str, question_text: str, item_text: str) -> str:
    """The one-line wording of an item, as the sample's files label it."""
    if question_type in ("single", "numeric") or fold(question_text) == fold(item_text):
        return question_text
    return f"{question_text} - {item_text}"


def known_items(variables: pd.DataFrame, questions: pd.DataFrame, options: pd.DataFrame) -> list[KnownItem]:
    """The items of one group's earlier waves (codebook rows of that group), newest wording first."""
    items = []
    ordered = variables.assign(_wave=variables["wave"].astype(int)).sort_values("_wave", ascending=False, kind="stable")
    newest_wave = ordered["_wave"].max()
    newest = ordered[ordered["_wave"] == newest_wave].reset_index(drop=True)
    positions = {item: index / max(1, len(newest) - 1) for index, item in enumerate(newest["item_id"])}
    for item_id, rows in ordered.groupby("item_id", sort=False):
        question_id = rows["question_id"].iloc[0]
        question_options = options[options["question_id"] == question_id]
        wordings = tuple(dict.fromkeys(zip(rows["question_text"], rows["item_text"], strict=True)))
        items.append(
            KnownItem(
                item_id=str(item_id),
                question_id=str(question_id),
                question_type=str(questions.loc[question_id, "question_type"]),
                wordings=wordings,
                position=positions.get(item_id, 1.0),
                options=tuple(
                    (int(code), str(label))
                    for code, label in zip(
                        question_options["answer_code"], question_options["answer_label"], strict=True
                    )
                ),
            )
        )
    return items


def wording_score(variable: DeliveredVariable, item: KnownItem) -> float:
    """0-100: how well the variable's label says one of the item's earlier wordings."""
    label = variable.label
    if not label:
        return 0.0
    best = 0.0
    parts = split_label(label)
    for question_text, item_text in item.wordings:
        best = max(best, similarity(label, composed(item.question_type, question_text, item_text)))
        if item.question_type in ("multi", "grid"):
            best = max(best, similarity(label, item_text))
            if parts is not None:
                # A cut label cuts its item part too: mark it so that only its beginning has to agree.
                item_part = parts[1] + ("…" if is_cut(label, 256) and not is_cut(parts[1], 256) else "")
                combined = 0.4 * similarity(parts[0], question_text) + 0.6 * similarity(item_part, item_text, 256)
                best = max(best, combined)
    return best


def _label_kind(label: str) -> str | None:
    folded = fold(label)
    if folded in YES_LABELS:
        return "yes"
    if folded in NO_LABELS:
        return "no"
    return None


@lru_cache(maxsize=65536)
def map_answer_label(label: str, options: tuple[tuple[int, str], ...]) -> int | None:
    """The answer code whose label the delivered label says (folded, cut labels by their beginning)."""
    for code, option_label in options:
        if same_text(label, option_label, VALUE_LABEL_LIMIT):
            return code
    kind = _label_kind(label)
    if kind is not None:
        for code, option_label in options:
            if _label_kind(option_label) == kind:
                return code
    scored = [(similarity(label, option_label, VALUE_LABEL_LIMIT), code) for code, option_label in options]
    if scored:
        score, code = max(scored)
        if score >= 90:
            return code
    return None


def answer_labels(variable: DeliveredVariable) -> dict[float, str]:
    """The variable's value labels less its declared user-missing codes (which load as missing)."""
    missing = set()
    for text in variable.user_missing:
        if " thru " in text:
            low, high = (float(part) for part in text.split(" thru "))
            missing |= {code for code in variable.value_labels if low <= code <= high}
        else:
            missing.add(float(text))
    return {code: label for code, label in variable.value_labels.items() if code not in missing}


def options_score(variable: DeliveredVariable, item: KnownItem) -> float:
    """0-1: the share of labels on both sides that the other side has."""
    labels = answer_labels(variable)
    if item.question_type == "numeric":
        numeric = all(fold(label).isdigit() for label in labels.values())
        return 1.0 if numeric else 0.0
    if not labels or not item.options:
        return 0.0
    mapped = {map_answer_label(label, item.options) for label in labels.values()}
    mapped.discard(None)
    return len(mapped) / max(len(labels), len(item.options))


@dataclass(frozen=True)
class Candidate:
    """A variable's score against one item."""

    item: KnownItem
    score: float
    wording: float
    options: float


def score(variable: DeliveredVariable, item: KnownItem, file: DeliveredFile) -> Candidate:
    """The variable's score against an item: wording, answer labels and, as tie-breaker, place in the file."""
    wording = wording_score(variable, item)
    options = options_score(variable, item)
    place = 1.0 - abs(file.position_fraction(variable) - item.position)
    total = WORDING_WEIGHT * wording + OPTIONS_WEIGHT * 100 * options + POSITION_WEIGHT * place
    return Candidate(item, total, wording, options)


def is_match(candidate: Candidate) -> bool:
    """Whether a score is good enough to call the variable that item."""
    return candidate.score >= MATCH_THRESHOLD and candidate.wording >= MIN_WORDING


@dataclass(frozen=True)
class Assignment:
    """The outcome of matching one file: a match per variable that has one, and duplicates to settle."""

    matches: dict[str, Candidate]  # variable name -> its item
    best: dict[str, list[Candidate]]  # variable name -> its candidates, best first
    duplicates: dict[str, list[str]]  # item_id -> the variables that all match it equally well


def assign(variables: list[DeliveredVariable], items: list[KnownItem], file: DeliveredFile) -> Assignment:
    """One item per variable and one variable per item, with the highest total score over the file."""
    if not variables or not items:
        return Assignment({}, {v.name: [] for v in variables}, {})
    grid = [[score(variable, item, file) for item in items] for variable in variables]
    best = {
        variable.name: sorted(row, key=lambda candidate: candidate.score, reverse=True)
        for variable, row in zip(variables, grid, strict=True)
    }
    # Two variables that both say an item almost word for word are one too many: neither is drafted.
    duplicates: dict[str, list[str]] = {}
    for variable in variables:
        top = best[variable.name][0]
        if top.score >= DUPLICATE_SCORE and is_match(top):
            duplicates.setdefault(top.item.item_id, []).append(variable.name)
    duplicates = {item: names for item, names in duplicates.items() if len(names) > 1}
    in_doubt = {name for names in duplicates.values() for name in names}

    scores = np.array([[candidate.score if is_match(candidate) else 0.0 for candidate in row] for row in grid])
    for row_index, variable in enumerate(variables):
        if variable.name in in_doubt:
            scores[row_index, :] = 0.0
    for column_index, item in enumerate(items):
        if item.item_id in duplicates:
            scores[:, column_index] = 0.0
    rows, columns = linear_sum_assignment(scores, maximize=True)
    matches = {
        variables[row].name: grid[row][column]
        for row, column in zip(rows, columns, strict=True)
        if scores[row, column] > 0
    }
    return Assignment(matches, best, duplicates)
