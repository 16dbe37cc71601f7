"""Quality gates: every suite passes on the embedded sample, and each fails, where it should, on data broken for it.

The suites run directly (`lib.quality`) on a copy of the warehouse built from the embedded sample,
after one table was broken in SQL; the last tests run the real quality and publish jobs.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from warehouse_build import published_paths

from dagster_project.definitions import defs
from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib import quality
from dagster_project.lib.codebook import Routing
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.pipeline import QUIET, failure_message

pytestmark = pytest.mark.slow

CHECKS = {check.name: check for check in quality.load_checks()}


@pytest.fixture(scope="module")
def sample_results(con) -> pd.DataFrame:
    """Every suite evaluated once on the warehouse built from the embedded sample."""
    return quality.evaluate_all(con, list(CHECKS.values()), "sample")


@pytest.fixture
def warehouse_copy(built, tmp_path) -> Path:
    """A private copy of the built warehouse, to break."""
    return Path(shutil.copy(built[0], tmp_path / "warehouse.duckdb"))


def evaluate(warehouse: Path, name: str, breakage: str) -> pd.DataFrame:
    """Break the warehouse with one SQL statement, then evaluate one check on it."""
    with duckdb.connect(str(warehouse)) as con:
        con.execute(breakage)
        return pd.DataFrame(quality.evaluate_check(con, CHECKS[name]))


def test_every_suite_in_expectations_has_its_query_a_severity_and_the_assets_it_checks():
    suites = sorted(path.stem for path in quality.EXPECTATIONS_DIR.glob("*.json"))
    queries = sorted(path.stem for path in quality.EXPECTATIONS_DIR.glob("*.sql"))
    assert suites == queries == sorted(CHECKS)
    assert len(CHECKS) >= 12
    for check in CHECKS.values():
        assert check.severity in ("error", "warning")
        assert check.assets and check.suite["expectations"], check.name


def test_a_suite_without_a_severity_is_refused_naming_the_file(tmp_path):
    suite = tmp_path / "no_severity.json"
    suite.write_text(json.dumps({"name": "no_severity", "meta": {"assets": ["raw"]}, "expectations": []}))
    (tmp_path / "no_severity.sql").write_text("select 1 as x")
    with pytest.raises(ValueError, match=r"no_severity.json: meta.severity must be one of"):
        quality.load_checks(tmp_path)


def test_on_the_embedded_sample_every_error_check_passes_in_every_wave_and_group(sample_results):
    errors = sample_results[sample_results["severity"] == "error"]
    assert errors["passed"].all(), quality.describe_failures(sample_results, "error")
    # every wave and group of the sample was validated by the raw and weight checks
    unique_ids = errors[errors["check_name"] == "raw_respondent_id_unique"]
    assert set(zip(unique_ids["wave"], unique_ids["respondent_group"], strict=True)) == {
        (wave, group)
        for wave in (2016, 2019)
        for group in ("basisscholen", "kov_organisaties", "schoolbesturen", "kov_besturen")
    }


def test_answers_outside_routing_are_a_warning_whose_count_equals_an_independent_count(sample_results, con):
    rows = sample_results[sample_results["check_name"] == "raw_routing_respected"]
    assert set(rows["severity"]) == {"warning"}
    found = rows.set_index(["wave", "respondent_group"])["observed_value"]

    # the same count from the codebook's routing, parsed in Python, and the harmonised answers
    answers = con.execute(
        "select wave, respondent_group, respondent_id, item_id, answer_code from marts.fct_answer"
    ).df()
    codes = answers.set_index(["wave", "respondent_group", "respondent_id", "item_id"])["answer_code"].to_dict()
    routed = con.execute(
        "select distinct wave, respondent_group, item_id, asked_if from marts.dim_question where asked_if <> ''"
    ).df()
    expected: dict[tuple[int, str], int] = {}
    for row in routed.itertuples():
        routing = Routing.parse(row.asked_if)
        given = answers[
            (answers["wave"] == row.wave)
            & (answers["respondent_group"] == row.respondent_group)
            & (answers["item_id"] == row.item_id)
        ]
        outside = sum(
            codes.get((row.wave, row.respondent_group, rid, routing.item_id)) not in routing.codes
            for rid in given["respondent_id"]
        )
        expected[(row.wave, row.respondent_group)] = expected.get((row.wave, row.respondent_group), 0) + outside
    assert sum(expected.values()) > 0
    for key, count in expected.items():
        assert found[key] == count, key
    assert not rows.set_index(["wave", "respondent_group"]).loc[[k for k, v in expected.items() if v]]["passed"].any()


# (check, statement that breaks the warehouse for it, wave and group the failure must name, rows found)
BROKEN = {
    "negative weight": (
        "weights_positive_finite",
        "update marts.fct_respondent set weight = -1 where respondent_id = (select min(respondent_id) "
        "from marts.fct_respondent where wave = 2019 and respondent_group = 'schoolbesturen')",
        (2019, "schoolbesturen"),
        1,
    ),
    "infinite weight": (
        "weights_positive_finite",
        "update marts.fct_respondent set weight_population = 'inf'::double where respondent_id = "
        "(select min(respondent_id) from marts.fct_respondent where wave = 2016 and respondent_group = 'basisscholen')",
        (2016, "basisscholen"),
        1,
    ),
    "weighted total off the population": (
        "weighted_totals_equal_population",
        "update marts.weighting_margins set weighted_count = weighted_count * 1.01 "
        "where wave = 2019 and respondent_group = 'kov_organisaties' and variable = 'vve_aanbod' and category = 1",
        (2019, "kov_organisaties"),
        1,
    ),
    "single-answer shares summing to more than 1": (
        "single_answer_shares_sum_to_one",
        "update marts.agg_answer_share set share = share + 0.01 "
        "where wave = 2019 and respondent_group = 'basisscholen' and item_id = 'fase' and answer_code = 4",
        (2019, "basisscholen"),
        1,
    ),
    "base above the group's respondents": (
        "bases_within_group_size",
        "update marts.agg_numeric set n = 10000 where wave = 2016 and respondent_group = 'kov_organisaties'",
        (2016, "kov_organisaties"),
        1,
    ),
    "p-value above 1": (
        "p_values_in_unit_interval",
        "update marts.test_subgroup set p_value = 1.5 where wave = 2019 and respondent_group = 'basisscholen' "
        "and item_id = 'rapportcijfer' and method = 'svyttest'",
        (2019, "basisscholen"),
        1,
    ),
    "share outside its interval": (
        "published_figures_within_interval",
        "update marts.agg_cooperation_model set ci_high = share / 2 "
        "where wave = 2016 and respondent_group = 'basisscholen' and cooperation_model = 'hand_in_hand'",
        (2016, "basisscholen"),
        1,
    ),
    "respondent_id twice": (
        "raw_respondent_id_unique",
        "insert into raw.kov_besturen select * from raw.kov_besturen where wave = 2019 limit 1",
        (2019, "kov_besturen"),
        2,
    ),
    "grade 11": (
        "raw_grades_in_range",
        "update raw.schoolbesturen set rapportcijfer = 11 where wave = 2019 and respondent_id = "
        "(select min(respondent_id) from raw.schoolbesturen where wave = 2019 and rapportcijfer is not null)",
        (2019, "schoolbesturen"),
        2,  # outside 1..10 and not a whole grade of the set: both expectations count it
    ),
    "code the codebook does not know": (
        "raw_codes_known",
        "update raw.basisscholen set fase = 9 where wave = 2019 and respondent_id = "
        "(select min(respondent_id) from raw.basisscholen where wave = 2019 and fase is not null)",
        (2019, "basisscholen"),
        1,
    ),
    "stratum code missing from the population": (
        "raw_strata_in_population",
        "update raw.population set category = 7 where wave = 2016 and respondent_group = 'schoolbesturen' "
        "and variable = 'bestuursgrootte' and category = 3",
        (2016, "schoolbesturen"),
        1,
    ),
    "codebook variable missing from the file": (
        "raw_required_columns",
        "delete from raw.variables where wave = 2016 and respondent_group = 'kov_organisaties' "
        "and variable = (select min(raw_variable) from codebook.codebook_variables "
        "where wave = 2016 and respondent_group = 'kov_organisaties')",
        (2016, "kov_organisaties"),
        1,
    ),
}


@pytest.mark.parametrize(("name", "breakage", "where", "found"), BROKEN.values(), ids=BROKEN.keys())
def test_each_check_fails_on_data_broken_for_it_naming_the_wave_and_group(name, breakage, where, found, warehouse_copy):
    results = evaluate(warehouse_copy, name, breakage)

    failed = results[~results["passed"]]
    assert not failed.empty, results
    assert set(zip(failed["wave"], failed["respondent_group"], strict=True)) == {where}
    assert int(failed["unexpected_count"].fillna(failed["observed_value"]).sum()) == found
    assert failed["observed"].str.len().gt(0).all()


def test_the_checks_broken_above_pass_on_an_unbroken_copy(warehouse_copy):
    # the counterpart of the matrix: each failure there is due to its breakage
    with duckdb.connect(str(warehouse_copy)) as con:
        for name in {entry[0] for entry in BROKEN.values()}:
            rows = pd.DataFrame(quality.evaluate_check(con, CHECKS[name]))
            assert rows["passed"].all(), name


# --------------------------------------------------------------------------------------------------
# the gate in the pipeline: an error blocks publishing, with the check's name


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _run(job: str, warehouse: Path) -> dg.ExecuteInProcessResult:
    serving, analyst = published_paths(warehouse)
    resource = WarehouseResource(
        raw_data_dir=str(EMBEDDED_SAMPLE_DIR),
        warehouse_path=str(warehouse),
        serving_path=str(serving),
        analyst_path=str(analyst),
    )
    return (
        defs()
        .resolve_job_def(job)
        .execute_in_process(
            instance=dg.DagsterInstance.ephemeral(),
            resources={"warehouse": resource},
            run_config=QUIET,
            raise_on_error=False,
        )
    )


@pytest.fixture
def published_copy(built, tmp_path) -> Path:
    """A copy of the built warehouse with a copy of its published files beside it."""
    warehouse = Path(shutil.copy(built[0], tmp_path / "warehouse.duckdb"))
    shutil.copytree(published_paths(built[0])[0].parent, published_paths(warehouse)[0].parent)
    return warehouse


def test_an_error_in_a_mart_fails_the_quality_stage_and_publishing_with_the_checks_name(published_copy):
    serving, analyst = published_paths(published_copy)
    before = (_sha256(serving), _sha256(analyst))
    with duckdb.connect(str(published_copy)) as con:
        con.execute(BROKEN["single-answer shares summing to more than 1"][1])

    checked = _run("check_quality", published_copy)
    evaluations = {e.check_name: e for e in checked.get_asset_check_evaluations()}
    assert not evaluations["single_answer_shares_sum_to_one"].passed
    assert evaluations["single_answer_shares_sum_to_one"].severity == dg.AssetCheckSeverity.ERROR
    assert evaluations["raw_routing_respected"].severity == dg.AssetCheckSeverity.WARN

    published = _run("publish", published_copy)
    assert not published.success
    message = failure_message(published)
    assert "not published" in message and "single_answer_shares_sum_to_one" in message, message
    assert "basisscholen 2019: 1" in message, message
    assert (_sha256(serving), _sha256(analyst)) == before


def test_a_warning_alone_does_not_block_publishing(published_copy):
    checked = _run("check_quality", published_copy)
    warned = [e.check_name for e in checked.get_asset_check_evaluations() if not e.passed]
    assert warned == ["raw_routing_respected"]
    assert _run("publish", published_copy).success
