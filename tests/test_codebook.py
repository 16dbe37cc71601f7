"""The codebook seeds and the reference fixtures describe the same questionnaires, consistently."""

from __future__ import annotations

import pytest

from dagster_project.lib.codebook import QUESTION_TYPES, Codebook, Routing
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.sample_data.report_reference import ReportReference


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return Codebook()


def test_both_waves_know_every_group(codebook):
    assert codebook.waves() == [2016, 2019]
    for wave in codebook.waves():
        for group in RESPONDENT_GROUPS:
            assert not codebook.variables_of(wave, group).empty, (wave, group)


def test_keys_are_unique_and_types_known(codebook):
    variables = codebook.variables
    assert not variables.duplicated(["wave", "respondent_group", "raw_variable"]).any()
    assert not variables.duplicated(["wave", "respondent_group", "item_id"]).any()
    assert not codebook.answer_options.duplicated(["question_id", "answer_code"]).any()
    assert not codebook.recodes.duplicated(["wave", "question_id", "raw_code"]).any()
    assert set(codebook.questions["question_type"]) <= set(QUESTION_TYPES)
    assert set(variables["question_id"]) <= set(codebook.questions["question_id"])
    assert set(codebook.questions["question_id"]) <= set(codebook.answer_options["question_id"])


def test_routing_names_an_earlier_item_and_codes_it_has(codebook):
    for (wave, group), rows in codebook.variables.groupby(["wave", "respondent_group"]):
        seen: dict[str, str] = {}
        for row in rows.itertuples():
            routing = Routing.parse(row.asked_if)
            if routing is not None:
                assert routing.item_id in seen, (wave, group, row.item_id, row.asked_if)
                codes = set(codebook.options_of(seen[routing.item_id])["answer_code"])
                assert set(routing.codes) <= codes, (wave, group, row.item_id)
            seen[row.item_id] = row.question_id


def test_the_meerwaarde_block_is_new_in_2019(codebook):
    variables = codebook.variables
    meerwaarde = variables[variables["question_id"] == "meerwaarde"]
    assert set(meerwaarde["wave"]) == {2019}
    assert set(codebook.recodes[codebook.recodes["question_id"] == "meerwaarde"]["wave"]) == {2019}


def test_multiple_answer_options_are_zero_one_items(codebook):
    for question_id in codebook.questions.index[codebook.questions["question_type"] == "multi"]:
        assert set(codebook.options_of(question_id)["answer_code"]) == {0, 1}, question_id


def test_every_code_of_every_wave_has_a_recode(codebook):
    for row in codebook.variables.drop_duplicates(["wave", "question_id"]).itertuples():
        assert set(codebook.raw_code_of(row.wave, row.question_id)) == set(
            codebook.options_of(row.question_id)["answer_code"]
        ), (row.wave, row.question_id)


def test_kindcentrum_is_code_3_of_the_noemer_question(codebook):
    options = codebook.options_of("noemer").set_index("answer_code")["answer_label"]
    assert options[3] == "(integraal) kindcentrum"


def test_routing_parser_refuses_what_it_cannot_read():
    assert Routing.parse("samenwerking in (1, 2)") == Routing("samenwerking", (1, 2))
    assert Routing.parse("") is None
    with pytest.raises(ValueError, match="is not of the form"):
        Routing.parse("samenwerking = 1")


def test_every_reference_figure_names_a_codebook_item_and_code(codebook):
    reference = ReportReference()
    items = codebook.variables[codebook.variables["wave"] == 2019].set_index(["respondent_group", "item_id"])
    for frame in (reference.shares, reference.means, reference.changes, reference.kindcentrum_differences):
        for row in frame.itertuples():
            assert (row.respondent_group, row.item_id) in items.index, row
            assert items.loc[(row.respondent_group, row.item_id), "question_id"] == row.question_id
    for row in reference.shares.itertuples():
        assert row.answer_code in set(codebook.options_of(row.question_id)["answer_code"]), row
    assert reference.shares["source"].str.startswith("bijlage 2").all()


def test_single_and_grid_items_print_about_one_hundred_percent():
    shares = ReportReference().shares
    codebook = Codebook()
    types = shares["question_id"].map(codebook.question_type)
    totals = shares[types != "multi"].groupby(["respondent_group", "item_id"])["published_pct"].sum()
    assert totals.between(97, 103).all(), totals[~totals.between(97, 103)]
