"""`make codebook`: a delivery from another tool drafted into codebook rows, graded, and reviewed.

The example deliveries are the generator's answers exported as another questionnaire tool would
(`sample_data/delivery.py`); their manifest is the truth the draft is checked against. No warehouse
is built here: tests/test_new_wave.py loads a drafted wave through the pipeline.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest

from dagster_project.codebook.__main__ import main
from dagster_project.codebook.draft import Codebook as DraftCodebook
from dagster_project.codebook.draft import Drafter, grade_wave, write_draft
from dagster_project.codebook.review import COLUMNS, review_frame
from dagster_project.lib.paths import SEEDS_DIR
from dagster_project.sample_data.delivery import ADDED_OPTION, DROPPED, NEW_QUESTION, make_delivery

SEEDS = ["codebook_questions", "codebook_variables", "codebook_answer_options", "codebook_recodes",
         "codebook_comparability", "codebook_excluded_variables"]  # fmt: skip


@pytest.fixture(scope="module")
def example(example_delivery):
    """The example delivery (conftest.py: one per session) and its manifest."""
    return example_delivery


@pytest.fixture
def seeds(tmp_path):
    """A private copy of the project's seeds for the draft to write into."""
    return Path(shutil.copytree(SEEDS_DIR, tmp_path / "seeds"))


def draft(raw: Path, seeds: Path, wave: int):
    drafted = Drafter(raw, seeds, wave).run()
    write_draft(drafted, seeds)
    return drafted, review_frame(drafted)


def seed(seeds: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(seeds / f"{name}.csv", dtype=str, keep_default_na=False)


@pytest.fixture(scope="module")
def drafted(example, tmp_path_factory):
    """The example delivery drafted once into a copy of the seeds (read-only for the tests that use it)."""
    raw, manifest = example
    seeds = Path(shutil.copytree(SEEDS_DIR, tmp_path_factory.mktemp("drafted") / "seeds"))
    drafted, review = draft(raw, seeds, 2022)
    return manifest, drafted, review, seeds


def test_every_unchanged_variable_is_matched_to_its_item_with_grade_a(drafted):
    manifest, _, review, _ = drafted
    for group, items in manifest.item_of.items():
        rows = review[review["respondent_group"] == group].set_index("raw_variable")
        changed = set(manifest.reworded.get(group, [])) | set(manifest.added_option.get(group, []))
        for name, item_id in items.items():
            assert (rows.loc[name, "action"], rows.loc[name, "item_id"]) == ("matched", item_id), (group, name)
            if item_id not in changed:
                assert rows.loc[name, "grade"] == "A", (group, name)
                assert rows.loc[name, "confidence"] >= 0.9, (group, name)


def test_each_rewording_is_graded_b_with_both_wordings_and_the_added_option_c(drafted):
    manifest, _, review, seeds = drafted
    comparability = seed(seeds, "codebook_comparability").query("wave == '2022'")
    graded = comparability.set_index(["respondent_group", "item_id"])
    for group, items in manifest.reworded.items():
        for item_id in items:
            assert graded.loc[(group, item_id), "grade"] == "B"
            assert graded.loc[(group, item_id), "reason"].startswith("In 2019 '")
            row = review[(review["respondent_group"] == group) & (review["item_id"] == item_id)].iloc[0]
            assert bool(row["wording_changed"]) and not bool(row["options_changed"]) and bool(row["needs_look"])
    question, _, label, _ = ADDED_OPTION
    for group in manifest.added_option:
        assert graded.loc[(group, question), "grade"] == "C"
        assert graded.loc[(group, question), "reason"] == f"Antwoordoptie toegevoegd: '{label}'"
    options = seed(seeds, "codebook_answer_options").query("question_id == @question")
    assert options["answer_label"].iloc[-1] == label and options["answer_code"].iloc[-1] == "5"
    # Every other graded pair is A: nothing else changed between 2019 and the delivery.
    others = comparability[~comparability["grade"].isin(["B", "C"])]
    assert set(others["grade"]) == {"A"} and len(comparability) == (review["action"] == "matched").sum()


def test_the_new_question_is_proposed_with_its_options_from_the_value_labels(drafted):
    manifest, _, review, seeds = drafted
    text, labels = NEW_QUESTION
    new = review[review["action"] == "new_question"]
    assert sorted(zip(new["respondent_group"], new["raw_variable"], strict=True)) == sorted(
        manifest.new_question.items()
    )
    assert new["question_id"].nunique() == 1  # one question, asked of all four groups
    question_id = new["question_id"].iloc[0]
    question = seed(seeds, "codebook_questions").set_index("question_id").loc[question_id]
    assert question["question_type"] == "single" and question["chapter"] == "Nieuw in 2022"
    options = seed(seeds, "codebook_answer_options").query("question_id == @question_id")
    assert list(options["answer_label"]) == list(labels.values())
    variables = seed(seeds, "codebook_variables").query("question_id == @question_id")
    assert set(variables["question_text"]) == {text} and len(variables) == 4


def test_open_text_email_and_date_columns_are_proposed_for_exclusion_and_nothing_else(drafted):
    manifest, _, review, seeds = drafted
    excluded = seed(seeds, "codebook_excluded_variables").query("wave == '2022'")
    expected = {
        (group, name, reason) for group, names in manifest.never_loaded.items() for name, reason in names.items()
    }
    assert set(zip(excluded["respondent_group"], excluded["raw_variable"], excluded["reason"], strict=True)) == expected
    assert set(review.loc[review["action"] == "excluded", "raw_variable"]) == {"opmerking", "email", "StartDate"}
    assert not seed(seeds, "codebook_variables")["raw_variable"].isin(["opmerking", "email", "StartDate"]).any()


def test_ja_nee_coded_1_0_gets_recode_rows_1_to_1_and_0_to_2(drafted):
    *_, seeds = drafted
    recodes = seed(seeds, "codebook_recodes").query("wave == '2022' and question_id == 'samenwerking'")
    assert sorted(zip(recodes["raw_code"], recodes["answer_code"], strict=True)) == [("0", "2"), ("1", "1")]
    chosen = seed(seeds, "codebook_recodes").query("wave == '2022' and question_id == 'terrein'")
    assert sorted(zip(chosen["raw_code"], chosen["answer_code"], strict=True)) == [("0", "0"), ("1", "1")]


def test_a_declared_user_missing_code_gets_no_recode_and_the_review_says_it_loads_as_missing(drafted):
    manifest, _, review, seeds = drafted
    name = manifest.user_missing["basisscholen"]
    row = review[(review["respondent_group"] == "basisscholen") & (review["raw_variable"] == name)].iloc[0]
    assert row["item_id"] == "aantal_partners" and "declared missing in the file: 99" in row["note"]
    recodes = seed(seeds, "codebook_recodes").query("wave == '2022' and question_id == 'aantal_partners'")
    assert "99" not in set(recodes["raw_code"])


def test_an_item_the_wave_no_longer_asks_is_listed(drafted):
    manifest, _, review, _ = drafted
    gone = review[review["action"] == "not_asked"]
    assert sorted(zip(gone["respondent_group"], gone["item_id"], strict=True)) == sorted(
        (group, item) for group, items in manifest.dropped.items() for item in items
    )
    assert set(gone["item_id"]) == {DROPPED} and (gone["compared_with_wave"] == 2019).all()


def test_the_drafted_rows_cover_every_delivered_answer_variable_and_their_codes(drafted, example):
    raw, manifest = example
    _, _, review, seeds = drafted
    variables = seed(seeds, "codebook_variables").query("wave == '2022'")
    recodes = seed(seeds, "codebook_recodes").query("wave == '2022'")
    for group in manifest.item_of:
        data, meta = pyreadstat.read_sav(str(raw / f"waves/2022/{group}.sav"), user_missing=False)
        rows = variables[variables["respondent_group"] == group].set_index("raw_variable")
        expected = set(manifest.item_of[group]) | {manifest.new_question[group]}
        assert set(rows.index) == expected
        for name in expected:
            codes = set(recodes.loc[recodes["question_id"] == rows.loc[name, "question_id"], "raw_code"].astype(float))
            assert set(data[name].dropna().unique()) <= codes, (group, name)


def test_review_table_and_markdown_are_written_with_a_summary(example, seeds, tmp_path, capsys):
    raw, _ = example
    assert main(["draft", "--wave", "2022", "--raw-dir", str(raw), "--seeds-dir", str(seeds),
                 "--review-dir", str(tmp_path / "review")]) == 0  # fmt: skip
    printed = capsys.readouterr().out
    assert "basisscholen: 99 matched (A 96, B 2, C 1), 1 new, 3 excluded, 0 need review, 1 no longer asked" in printed
    assert "needs a human look" in printed and "codebook_variables.csv: added 330 row(s)" in printed
    review = pd.read_csv(tmp_path / "review/2022.csv")
    assert list(review.columns) == COLUMNS
    markdown = (tmp_path / "review/2022.md").read_text()
    assert markdown.startswith("# Codebook review, wave 2022") and "## kov_besturen" in markdown


def test_rerunning_keeps_hand_edits_and_adds_nothing_twice(example, seeds):
    raw, _ = example
    draft(raw, seeds, 2022)
    variables = seed(seeds, "codebook_variables")
    comparability = seed(seeds, "codebook_comparability")
    # A person corrects a drafted wording and calls a B a trend break after all.
    first = variables.index[(variables["wave"] == "2022") & (variables["raw_variable"] == "Q_nieuw")][0]
    variables.loc[first, "question_text"] = "Hoe vaak overlegt u met de gemeente?"
    variables.to_csv(seeds / "codebook_variables.csv", index=False, lineterminator="\n")
    reworded = comparability.index[(comparability["wave"] == "2022") & (comparability["grade"] == "B")][0]
    comparability.loc[reworded, ["grade", "reason"]] = ["C", "Andere betekenis: met deze organisatie"]
    comparability.to_csv(seeds / "codebook_comparability.csv", index=False, lineterminator="\n")
    before = {name: (seeds / f"{name}.csv").read_bytes() for name in SEEDS}

    drafted, review = draft(raw, seeds, 2022)

    assert {name: (seeds / f"{name}.csv").read_bytes() for name in SEEDS} == before
    assert all(change.added == 0 for change in drafted.changes)
    assert review.groupby("respondent_group")["kept"].sum().to_dict() == {
        "basisscholen": 99 + 1 + 3, "kov_organisaties": 101 + 1 + 3, "schoolbesturen": 63 + 1 + 3,
        "kov_besturen": 63 + 1 + 3,
    }  # fmt: skip
    kept = review[review["raw_variable"] == "Q_nieuw"]
    assert kept["note"].str.contains("kept as written").all() and (kept["action"] == "matched").all()


def test_a_draft_of_a_wave_the_codebook_already_has_changes_no_byte(seeds, tmp_path):
    from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR

    before = {name: (seeds / f"{name}.csv").read_bytes() for name in SEEDS}
    drafted, review = draft(EMBEDDED_SAMPLE_DIR, seeds, 2019)
    assert {name: (seeds / f"{name}.csv").read_bytes() for name in SEEDS} == before
    assert set(review["action"]) == {"matched", "stratification", "respondent_id"}


def test_the_2016_2019_grades_in_the_seed_are_what_the_codebook_wordings_give():
    codebook = DraftCodebook(SEEDS_DIR)
    graded = pd.DataFrame(grade_wave(codebook, codebook.variables, [], 2019))
    in_seed = codebook.comparability.query("wave == '2019'")
    columns = ["wave", "respondent_group", "item_id", "compared_with_wave", "grade", "reason"]
    assert graded[columns].astype(str).values.tolist() == in_seed[columns].values.tolist()
    # The meerwaarde block is new in 2019 (chapter 4): no pair, so no grade.
    assert not in_seed["item_id"].str.startswith("meerwaarde").any()


def test_a_delivery_from_another_tool_and_seed_matches_unchanged_variables_with_grade_a(tmp_path, seeds):
    raw = tmp_path / "raw"
    manifest = make_delivery(raw, wave=2025, seed=5309, naming="limesurvey")
    _, review = draft(raw, seeds, 2025)
    unchanged = graded_a = 0
    for group, items in manifest.item_of.items():
        rows = review[review["respondent_group"] == group].set_index("raw_variable")
        changed = set(manifest.reworded.get(group, [])) | set(manifest.added_option.get(group, []))
        for name, item_id in items.items():
            if item_id in changed:
                assert rows.loc[name, "grade"] in ("B", "C") and rows.loc[name, "item_id"] == item_id
                continue
            unchanged += 1
            graded_a += rows.loc[name, "item_id"] == item_id and rows.loc[name, "grade"] == "A"
    assert unchanged > 300 and graded_a / unchanged >= 0.98
