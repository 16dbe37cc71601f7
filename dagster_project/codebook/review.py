"""The review table a person reads before committing a drafted codebook: CSV for tools, Markdown for eyes."""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict
from pathlib import Path

import pandas as pd

from dagster_project.codebook.draft import (
    EXCLUDED,
    MATCHED,
    NEEDS_REVIEW,
    NEW_QUESTION,
    NOT_ASKED,
    Draft,
)

COLUMNS = [
    "wave", "respondent_group", "raw_variable", "variable_label", "action", "question_id", "item_id", "confidence",
    "wording_changed", "options_changed", "grade", "compared_with_wave", "note", "needs_look", "kept",
]  # fmt: skip


def review_frame(draft: Draft) -> pd.DataFrame:
    """One row per delivered variable, and per earlier item the wave no longer asks."""
    frame = pd.DataFrame([asdict(row) for row in draft.review], columns=COLUMNS)
    return frame.astype({"compared_with_wave": "Int64", "wording_changed": "boolean", "options_changed": "boolean"})


def summary(draft: Draft) -> list[str]:
    """Per group: matched (by grade), new, excluded, needing review, no longer asked; then what to look at."""
    lines = []
    frame = review_frame(draft)
    for group, rows in frame.groupby("respondent_group", sort=False):
        actions = Counter(rows["action"])
        grades = Counter(rows.loc[rows["action"] == MATCHED, "grade"])
        # A matched item without a grade was not asked in the group's previous wave: nothing to compare.
        graded = ", ".join(
            f"{grade} {count}" if grade else f"{count} not in the previous wave"
            for grade, count in sorted(grades.items())
        )
        lines.append(
            f"{group}: {actions[MATCHED]} matched ({graded}), {actions[NEW_QUESTION]} new, {actions[EXCLUDED]} "
            f"excluded, {actions[NEEDS_REVIEW]} need review, {actions[NOT_ASKED]} no longer asked; "
            f"{int(rows['wording_changed'].fillna(False).sum())} reworded, "
            f"{int(rows['options_changed'].fillna(False).sum())} with other options"
            + (
                f"; {int(rows['kept'].sum())} rows already in the codebook kept as written"
                if rows["kept"].any()
                else ""
            )
        )
    look = frame[frame["needs_look"]]
    if len(look):
        lines.append(f"needs a human look ({len(look)}):")
        for row in look.itertuples(index=False):
            name = row.raw_variable or f"({row.item_id})"
            lines.append(f"  {row.respondent_group} {name} [{row.action}]: {row.note}")
    blocking = int((frame["action"] == NEEDS_REVIEW).sum())
    if blocking:
        lines.append(
            f"{blocking} variable(s) got no codebook row: the wave does not load until each has a row in "
            f"codebook_variables or codebook_excluded_variables"
        )
    for change in draft.changes:
        kept = f", kept {change.kept} already there" if change.kept else ""
        lines.append(f"{change.seed}.csv: added {change.added} row(s){kept}")
    return lines


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "yes" if value else ""
    return str(value).replace("|", "\\|").replace("\n", " ")


def write_review(draft: Draft, folder: Path) -> tuple[Path, Path]:
    """Write `<wave>.csv` and `<wave>.md` into `folder`; return both paths."""
    folder.mkdir(parents=True, exist_ok=True)
    frame = review_frame(draft)
    csv_path = folder / f"{draft.wave}.csv"
    frame.to_csv(csv_path, index=False, lineterminator="\n")
    lines = [f"# Codebook review, wave {draft.wave}", ""]
    lines += [f"- {line}" if not line.startswith("  ") else f"  - {line.strip()}" for line in summary(draft)]
    for group, label in draft.file_labels.items():
        if label:
            lines.append(f"- file label of {group}.sav: {label}")
    shown = ["raw_variable", "variable_label", "action", "item_id", "confidence", "grade", "note"]
    for group, rows in frame.groupby("respondent_group", sort=False):
        lines += ["", f"## {group}", "", "| " + " | ".join(shown) + " |", "|" + "---|" * len(shown)]
        for record in rows[shown].to_dict("records"):
            label = str(record["variable_label"])
            record["variable_label"] = label if len(label) <= 80 else label[:77] + "..."
            lines.append("| " + " | ".join(_cell(record[column]) for column in shown) + " |")
    md_path = folder / f"{draft.wave}.md"
    md_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return csv_path, md_path
