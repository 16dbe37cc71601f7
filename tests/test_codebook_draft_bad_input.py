"""`make codebook` on deliveries it must not trust: each problem gets a review note, and no row that would load wrongly.

Each case changes one file of the example delivery (sample_data/delivery.py) the way a real export
goes wrong, drafts it into a private copy of the seeds, and checks the review row and the seeds.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from dagster_project.codebook.draft import Drafter, write_draft
from dagster_project.codebook.review import review_frame
from dagster_project.lib.paths import SEEDS_DIR

GROUP = "basisscholen"


@pytest.fixture(scope="module")
def example(example_delivery):
    """The example delivery (conftest.py: one per session) and its manifest."""
    return example_delivery


def rewrite(path: Path, change: Callable[[pd.DataFrame, dict, dict, dict], None]) -> None:
    """Write a .sav again after `change(data, labels, value_labels, missing)` edits it in place."""
    data, meta = pyreadstat.read_sav(str(path), user_missing=True)
    labels = dict(meta.column_names_to_labels)
    value_labels = {name: dict(codes) for name, codes in meta.variable_value_labels.items()}
    missing = {name: [entry["lo"] for entry in ranges] for name, ranges in meta.missing_ranges.items()}
    change(data, labels, value_labels, missing)
    formats = {name: fmt for name, fmt in meta.original_variable_types.items() if name in data and "DATETIME" in fmt}
    pyreadstat.write_sav(
        data,
        str(path),
        column_labels={name: labels.get(name) for name in data.columns},
        variable_value_labels={name: codes for name, codes in value_labels.items() if name in data},
        missing_ranges={name: codes for name, codes in missing.items() if name in data},
        variable_format=formats,
    )


def drafted_with(example, tmp_path, change) -> tuple[pd.DataFrame, pd.DataFrame, dict[str, str]]:
    """Draft the example delivery with one change to the schools' file: (review, drafted variables, item_of)."""
    source, manifest = example
    raw = Path(shutil.copytree(source, tmp_path / "raw"))
    rewrite(raw / f"waves/2022/{GROUP}.sav", change)
    seeds = Path(shutil.copytree(SEEDS_DIR, tmp_path / "seeds"))
    drafted = Drafter(raw, seeds, 2022).run()
    write_draft(drafted, seeds)
    variables = pd.read_csv(seeds / "codebook_variables.csv", dtype=str, keep_default_na=False)
    review = review_frame(drafted)
    return review[review["respondent_group"] == GROUP].set_index("raw_variable"), variables, manifest.item_of[GROUP]


def name_of(item_of: dict[str, str], item_id: str) -> str:
    return next(name for name, item in item_of.items() if item == item_id)


def drafted_names(variables: pd.DataFrame) -> set[str]:
    return set(variables.loc[(variables["wave"] == "2022") & (variables["respondent_group"] == GROUP), "raw_variable"])


def test_two_variables_that_say_the_same_item_are_both_held_back(example, tmp_path):
    item_of = example[1].item_of[GROUP]
    original = name_of(item_of, "huisvesting")

    def duplicate(data, labels, value_labels, missing):
        data["Q_huisvesting_kopie"] = data[original]
        labels["Q_huisvesting_kopie"] = labels[original]
        value_labels["Q_huisvesting_kopie"] = value_labels[original]

    review, variables, _ = drafted_with(example, tmp_path, duplicate)
    for name in (original, "Q_huisvesting_kopie"):
        assert review.loc[name, "action"] == "needs_review"
        assert "one item, two variables" in review.loc[name, "note"] and review.loc[name, "needs_look"]
    assert not {original, "Q_huisvesting_kopie"} & drafted_names(variables)
    # No other variable took the item in their place, and the rest of the file is drafted as before.
    drafted_items = variables.loc[(variables["wave"] == "2022") & (variables["respondent_group"] == GROUP), "item_id"]
    assert "huisvesting" not in set(drafted_items) and len(drafted_items) == 99


def test_value_labels_that_fit_no_option_of_the_matched_item_are_held_back(example, tmp_path):
    name = name_of(example[1].item_of[GROUP], "juridisch")

    def relabel(data, labels, value_labels, missing):
        value_labels[name] = {code: colour for code, colour in zip(sorted(value_labels[name]), ["Rood", "Groen",
                              "Blauw", "Geel", "Paars", "Oranje"], strict=False)}  # fmt: skip

    review, variables, _ = drafted_with(example, tmp_path, relabel)
    assert review.loc[name, "action"] == "needs_review"
    assert "fit too few of that question's options" in review.loc[name, "note"]
    assert "Rood" in review.loc[name, "note"] and "Samenwerkingsovereenkomst" in review.loc[name, "note"]
    assert name not in drafted_names(variables)


def test_a_question_named_like_a_stratification_variable_is_held_back(example, tmp_path):
    name = name_of(example[1].item_of[GROUP], "noemer")

    def collide(data, labels, value_labels, missing):
        # The tool renamed the stratum and gave its old name to a question.
        renames = {"schoolgrootte": "grootte", name: "schoolgrootte"}
        data.columns = [renames.get(column, column) for column in data.columns]
        for source in ("schoolgrootte", name):  # the stratum first: its old name is the question's new one
            labels[renames[source]] = labels.pop(source)
            value_labels[renames[source]] = value_labels.pop(source)

    review, variables, _ = drafted_with(example, tmp_path, collide)
    row = review.loc["schoolgrootte"]
    assert row["action"] == "needs_review" and row["item_id"] == "noemer"
    assert "named like the stratification variable 'schoolgrootte'" in row["note"]
    assert "schoolgrootte" not in drafted_names(variables)


def test_a_variable_without_a_label_is_held_back(example, tmp_path):
    name = name_of(example[1].item_of[GROUP], "fase")

    def unlabel(data, labels, value_labels, missing):
        labels[name] = None

    review, variables, _ = drafted_with(example, tmp_path, unlabel)
    assert review.loc[name, "action"] == "needs_review"
    assert review.loc[name, "note"].startswith("no variable label")
    assert name not in drafted_names(variables)
    # Nothing else moved: the item is simply not drafted, the other variables are.
    assert len(drafted_names(variables)) == 99
