"""A new wave from another questionnaire tool loads by dropping its files and drafting its codebook: no code changes.

The example delivery (sample_data/delivery.py) is the generator's wave 2022 as another tool exports
it: its own names and order, Ja/Nee as 1/0, two rewordings, an added option, a declared missing code,
a dropped item, a new question, and an open remark, an e-mail address and a start time. The test
does what docs/new_wave.md tells a data engineer to do: `make codebook`, then `make run`.

The same `make run` (one full build in all) is also the test of what `make run` prints (the
respondents per wave and group) and of the no-op run after it (lib/fingerprint.py): a second
`make run` with nothing changed publishes nothing, and an input changed afterwards is noticed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyreadstat
import pytest

from dagster_project.lib import fingerprint
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.paths import DBT_DIR, EMBEDDED_SAMPLE_DIR, PROJECT_ROOT
from dagster_project.sample_data.delivery import ADDED_OPTION, DROPPED, USER_MISSING, make_delivery
from dagster_project.sample_data.report_reference import ReportReference

pytestmark = pytest.mark.slow

NEW_WAVE = 2022
NOOP_SECONDS = 5
SIZES = {"basisscholen": 700, "kov_organisaties": 487, "schoolbesturen": 295, "kov_besturen": 116}


@pytest.fixture(scope="module")
def new_wave(tmp_path_factory):
    """The embedded sample plus the example delivery, drafted and run as `make codebook` and `make run` do."""
    root = tmp_path_factory.mktemp("new_wave")
    raw = shutil.copytree(EMBEDDED_SAMPLE_DIR, root / "raw")
    manifest = make_delivery(raw, wave=NEW_WAVE, seed=2022, naming="qualtrics")
    dbt = shutil.copytree(DBT_DIR, root / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    environment = {key: value for key, value in os.environ.items() if key not in ("DAGSTER_HOME", "FORCE")}
    environment.update(
        RAW_DATA_DIR=str(raw),
        WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
        DBT_PROJECT_DIR=str(dbt),
        SERVING_PATH=str(root / "published" / "serving.duckdb"),
        ANALYST_PATH=str(root / "published" / "analyst.duckdb"),
    )
    steps = {}
    for step, arguments in (
        ("codebook", ["-m", "dagster_project.codebook", "draft", "--wave", str(NEW_WAVE), "--review-dir",
                      str(root / "review")]),
        ("run", ["-m", "dagster_project.run"]),
    ):  # fmt: skip
        steps[step] = subprocess.run(
            [sys.executable, *arguments], cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=600
        )
        assert steps[step].returncode == 0, steps[step].stdout + steps[step].stderr
    return root, raw, manifest, steps, environment


@pytest.fixture
def warehouse(new_wave):
    # Per test, not per module: the last test runs make run again, which must find the file unlocked.
    root, *_ = new_wave
    with duckdb.connect(str(root / "warehouse.duckdb"), read_only=True) as con:
        yield con


def test_make_codebook_then_make_run_publishes_the_new_wave(new_wave):
    root, _, _, steps, _ = new_wave
    assert "needs a human look" in steps["codebook"].stdout
    assert f"[ingest 3/3: wave {NEW_WAVE}] ... 8 assets" in steps["run"].stdout
    assert "Published (publication 1" in steps["run"].stdout
    with duckdb.connect(str(root / "published" / "serving.duckdb"), read_only=True) as serving:
        waves = serving.execute("select distinct wave from marts.agg_answer_share order by 1").fetchall()
    assert [wave for (wave,) in waves] == [2016, 2019, NEW_WAVE]


def test_the_new_wave_has_its_respondents_weights_and_aggregates(warehouse):
    counts = dict(
        warehouse.execute(
            f"select respondent_group, count(*) from marts.fct_respondent where wave = {NEW_WAVE} group by all"
        ).fetchall()
    )
    assert counts == SIZES
    raked = warehouse.execute(
        f"select respondent_group from marts.weighting_diagnostics where wave = {NEW_WAVE} and method = 'raking'"
    ).fetchall()
    assert {group for (group,) in raked} == {"basisscholen", "kov_organisaties", "schoolbesturen"}
    shares = warehouse.execute(
        f"select * from marts.agg_answer_share where wave = {NEW_WAVE} and respondent_group = 'basisscholen'"
    ).df()
    # Made from 2019's targets, the unchanged items' weighted shares sit on the published 2019 figures.
    published = ReportReference().shares.query("respondent_group == 'basisscholen' and base_n >= 100")
    published = published[~published["item_id"].isin({ADDED_OPTION[0], USER_MISSING[0], DROPPED})]
    merged = published.merge(shares, on=["respondent_group", "item_id", "answer_code"])
    assert len(merged) == len(published) > 100
    assert (100 * merged["share"] - merged["published_pct"]).abs().max() <= 1.0


def test_the_new_wave_is_harmonised_from_the_tools_own_names(warehouse, new_wave):
    _, _, manifest, *_ = new_wave
    names = warehouse.execute(
        f"select distinct respondent_group, raw_variable from marts.fct_answer "
        f"where wave = {NEW_WAVE} and item_id = 'rapportcijfer'"
    ).fetchall()
    assert sorted(names) == sorted(
        (group, name) for group, items in manifest.item_of.items() for name, item in items.items()
        if item == "rapportcijfer"
    )  # fmt: skip


def test_no_wave_test_runs_across_the_changed_options_and_rewordings_are_tested_and_flagged(warehouse):
    tests = warehouse.execute(
        f"select item_id, comparability_grade, is_tested, p_value, not_tested_reason from marts.test_wave_change "
        f"where wave_to = {NEW_WAVE} and item_id in ('financiering', 'duur', 'visie')"
    ).df()
    broken = tests[tests["item_id"] == "financiering"]
    assert len(broken) > 0 and (broken["comparability_grade"] == "C").all()
    assert not broken["is_tested"].any() and broken["p_value"].isna().all()
    assert broken["not_tested_reason"].str.contains("Weet ik niet").all()
    reworded = tests[tests["item_id"] == "duur"]
    assert (reworded["comparability_grade"] == "B").all() and reworded["is_tested"].all()
    assert (tests.loc[tests["item_id"] == "visie", "comparability_grade"] == "A").all()


def test_the_new_question_has_its_figures(warehouse):
    shares = warehouse.execute(
        f"select respondent_group, sum(share) from marts.agg_answer_share "
        f"where wave = {NEW_WAVE} and question_id = 'vaak_overleg_gemeente' and answer_grouping is null group by all"
    ).fetchall()
    assert len(shares) == 4 and all(abs(total - 1) < 1e-9 for _, total in shares)


def test_a_declared_missing_code_is_not_an_answer(warehouse, new_wave):
    _, raw, manifest, *_ = new_wave
    name = manifest.user_missing["basisscholen"]
    data, _ = pyreadstat.read_sav(str(raw / f"waves/{NEW_WAVE}/basisscholen.sav"), usecols=[name], user_missing=True)
    given = int(data[name].notna().sum() - (data[name] == USER_MISSING[1]).sum())
    bases = warehouse.execute(
        f"select distinct base_n from marts.agg_answer_share where wave = {NEW_WAVE} "
        f"and respondent_group = 'basisscholen' and item_id = 'aantal_partners'"
    ).fetchall()
    assert bases == [(given,)] and (data[name] == USER_MISSING[1]).sum() > 0


def test_no_excluded_column_or_email_address_is_in_any_table_of_the_warehouse_or_its_copies(new_wave):
    root, _, manifest, *_ = new_wave
    excluded = {name.lower() for names in manifest.never_loaded.values() for name in names}
    emails = set(manifest.emails)
    for path in (
        root / "warehouse.duckdb",
        root / "published" / "serving.duckdb",
        root / "published" / "analyst.duckdb",
    ):
        with duckdb.connect(str(path), read_only=True) as con:
            columns = con.execute(
                "select table_schema, table_name, column_name, data_type from information_schema.columns"
            ).df()
            assert not columns["column_name"].str.lower().isin(excluded).any(), path
            for row in columns[columns["data_type"] == "VARCHAR"].itertuples(index=False):
                values = con.execute(
                    f'select distinct "{row.column_name}" from "{row.table_schema}"."{row.table_name}" '
                    f"where \"{row.column_name}\" like '%@%'"
                ).fetchall()
                assert not emails & {value for (value,) in values}, (path, row.table_name, row.column_name)
            if path.name == "warehouse.duckdb":
                listed = con.execute("select variable from raw.variables union select variable from raw.value_labels")
                assert not {name.lower() for (name,) in listed.fetchall()} & excluded
    review = pd.read_csv(root / "review" / f"{NEW_WAVE}.csv")
    assert set(review.loc[review["action"] == "excluded", "raw_variable"]) == {"opmerking", "email", "StartDate"}


def test_make_run_prints_the_respondents_per_wave_and_group_as_the_files_hold_them(new_wave):
    _, raw, _, steps, _ = new_wave
    lines = steps["run"].stdout.splitlines()
    waves = sorted(folder.name for folder in (raw / "waves").iterdir())
    header = next(line for line in lines if line.startswith("wave"))
    assert header.split()[1:] == waves == ["2016", "2019", str(NEW_WAVE)]
    for group in RESPONDENT_GROUPS:
        line = next(line for line in lines if line.split() and line.split()[0] == group)
        expected = [
            pyreadstat.read_sav(str(raw / "waves" / wave / f"{group}.sav"), metadataonly=True)[1].number_rows
            for wave in waves
        ]
        assert [int(value) for value in line.split()[1:]] == expected, line
    assert f"Warehouse: {new_wave[0] / 'warehouse.duckdb'}" in steps["run"].stdout


def _digests(*paths: Path) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def _make_run(environment: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "dagster_project.run"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return done, time.perf_counter() - started


def test_a_second_make_run_with_nothing_changed_publishes_nothing_and_a_changed_input_is_noticed(new_wave):
    # Last in this module: it changes the delivery's raw folder.
    root, raw, _, _, environment = new_wave
    warehouse, serving, analyst = (
        root / "warehouse.duckdb",
        root / "published" / "serving.duckdb",
        root / "published" / "analyst.duckdb",
    )
    workbook = serving.with_name("tabellenrapport.xlsx")
    assert fingerprint.record_path(warehouse).is_file()
    published = _digests(serving, analyst, workbook, warehouse)

    # Nothing changed; a file touched with the same bytes is no change either.
    population = raw / "population" / "2016" / "basisscholen.csv"
    os.utime(population)
    second, seconds = _make_run(environment)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing changed since publication 1 of " in second.stdout
    assert ": nothing to do" in second.stdout
    assert "[ingest" not in second.stdout
    assert seconds < NOOP_SECONDS, second.stdout
    assert _digests(serving, analyst, workbook, warehouse) == published

    # An input changed within the contract (one school moved between categories): a build is due.
    text = population.read_text()
    moved = text.replace("stedelijkheid,1,1681", "stedelijkheid,1,1682", 1).replace(
        "stedelijkheid,2,4670", "stedelijkheid,2,4669", 1
    )
    assert moved != text
    population.write_text(moved)
    with pytest.MonkeyPatch.context() as patch:
        for name in ("RAW_DATA_DIR", "WAREHOUSE_PATH", "SERVING_PATH", "ANALYST_PATH", "DBT_PROJECT_DIR"):
            patch.setenv(name, environment[name])
        patch.setattr(fingerprint.paths, "DBT_DIR", Path(environment["DBT_PROJECT_DIR"]))
        line, _ = fingerprint.unchanged_since_publication(raw, warehouse, serving, analyst)
    assert line is None

    # Changed so that the wave is refused: no publication, and the record is gone.
    population.write_text(text.replace("stedelijkheid,1,1681", "stedelijkheid,1,1682", 1))
    refused, _ = _make_run(environment)
    assert refused.returncode == 1 and "refused" in refused.stdout, refused.stdout + refused.stderr
    assert not fingerprint.record_path(warehouse).exists()
    assert _digests(serving, analyst, workbook) == {path: published[path] for path in (serving, analyst, workbook)}
