"""A new wave from another questionnaire tool loads by dropping its files and drafting its codebook: no code changes.

The example delivery (sample_data/delivery.py) is the generator's wave 2022 as another tool exports
it: its own names and order, Ja/Nee as 1/0, two rewordings, an added option, a declared missing code,
a dropped item, a new question, and an open remark, an e-mail address and a start time. The test
does what docs/new_wave.md tells a data engineer to do: `make codebook`, then `make run`, over a
warehouse whose copies were published before (publication 1: the session's build of the sample).

The first `make run` of the new wave is killed during dbt, as a closed terminal would kill it; the
second one must neither find the published copies changed nor wait for the killed run's pool slot
(lib/dead_runs.py; formerly test_dead_runs.py's own two builds). The same routine (one full build in
all) is also the test of what `make run` prints (the respondents per wave and group) and of the no-op
run after it (lib/fingerprint.py): a `make run` with nothing changed publishes nothing, and an input
changed afterwards is noticed.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pyreadstat
import pytest
from warehouse_build import published_paths, sha256

from dagster_project.lib import fingerprint
from dagster_project.lib.dead_runs import PID_TAG, WAREHOUSE_WRITER_POOL
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.paths import DBT_DIR, EMBEDDED_SAMPLE_DIR, PROJECT_ROOT
from dagster_project.sample_data.delivery import ADDED_OPTION, DROPPED, USER_MISSING
from dagster_project.sample_data.report_reference import ReportReference
from publication.schema import grain

pytestmark = pytest.mark.slow

NEW_WAVE = 2022
NOOP_SECONDS = 5
# How long the make run after the killed one may take before it counts as blocked by the killed run's slot.
NEXT_RUN_TIMEOUT = 240
SIZES = {"basisscholen": 700, "kov_organisaties": 487, "schoolbesturen": 295, "kov_besturen": 116}


@dataclass
class KilledRun:
    """What a `make run` killed during dbt left behind, as seen before the next `make run` started."""

    pid: int
    published_before: dict[Path, str]
    published_after_kill: dict[Path, str]
    publication_after_kill: dict[Path, int]
    started_runs: list[dg.DagsterRun]
    slot_holders: set[str]


@dataclass
class Routine:
    """The data engineer's routine for the new wave: its folders, each step's output and the killed run."""

    root: Path
    raw: Path
    manifest: object
    steps: dict[str, subprocess.CompletedProcess]
    environment: dict[str, str]
    killed: KilledRun

    @property
    def home(self) -> Path:
        """The Dagster instance of make run (DAGSTER_HOME)."""
        return Path(self.environment["DAGSTER_HOME"])


def _read_until(process: subprocess.Popen, text: str, timeout: float) -> str:
    """What the process printed up to and including text; fails if it does not come within timeout."""
    output, deadline = b"", time.monotonic() + timeout
    # The stage label is printed without a newline until the stage ends: read bytes, not lines.
    while text.encode() not in output:
        ready, _, _ = select.select([process.stdout], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
        if not chunk:
            pytest.fail(f"{text!r} did not appear within {timeout} s:\n{output.decode()}")
        output += chunk
    return output.decode()


def _dbt_build_running(pgid: int) -> bool:
    """Whether a `dbt build` process runs in the process group."""
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            # The process group is the fifth field of stat; the second (the name) may hold spaces.
            group = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[2])
            args = (proc / "cmdline").read_bytes().split(b"\0")
            if group == pgid and b"build" in args and any(Path(arg.decode()).name == "dbt" for arg in args):
                return True
    return False


def _publication_ids(paths: list[Path]) -> dict[Path, int]:
    ids = {}
    for path in paths:
        with duckdb.connect(str(path), read_only=True) as copy:
            ids[path] = copy.execute("select max(publication_id) from marts.publication").fetchone()[0]
    return ids


def _make_run_killed_during_dbt(environment: dict[str, str], published: list[Path]) -> KilledRun:
    """Start `make run`, SIGKILL its process group once dbt builds, and record what it left behind."""
    before = {path: sha256(path) for path in published}
    # Its own process group, so that one SIGKILL ends the runner and dbt together, as a killed terminal would.
    first = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.run"],
        cwd=PROJECT_ROOT,
        env={**environment, "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _read_until(first, "[dbt build]", timeout=180)
        if Path("/proc").is_dir():
            deadline = time.monotonic() + 60
            while not _dbt_build_running(first.pid):
                assert time.monotonic() < deadline, "dbt build did not start within 60 s"
                time.sleep(0.2)
        time.sleep(2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(first.pid, signal.SIGKILL)
        first.wait()
        first.stdout.close()
    with dg.DagsterInstance.from_config(environment["DAGSTER_HOME"]) as instance:
        started = list(instance.get_runs(filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED])))
        held = instance.event_log_storage.get_concurrency_info(WAREHOUSE_WRITER_POOL).active_run_ids
    return KilledRun(
        first.pid, before, {path: sha256(path) for path in published}, _publication_ids(published), started, set(held)
    )


@pytest.fixture(scope="module")
def new_wave(tmp_path_factory, built, example_delivery) -> Routine:
    """The sample plus the example delivery: `make codebook`, a `make run` killed during dbt, then `make run`.

    The published copies start as an earlier publication's (the session's build of the sample), and
    `make run` keeps its runs in a Dagster instance of its own (DAGSTER_HOME), as on a data engineer's machine.
    """
    root = tmp_path_factory.mktemp("new_wave")
    raw = shutil.copytree(EMBEDDED_SAMPLE_DIR, root / "raw")
    delivery, manifest = example_delivery
    for kind in ("waves", "population"):
        shutil.copytree(delivery / kind / str(NEW_WAVE), raw / kind / str(NEW_WAVE))
    dbt = shutil.copytree(DBT_DIR, root / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    serving, analyst = (root / "published" / path.name for path in published_paths(built[0]))
    shutil.copytree(published_paths(built[0])[0].parent, serving.parent)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copy(PROJECT_ROOT / "dagster_home" / "dagster.yaml", home)
    environment = {key: value for key, value in os.environ.items() if key != "FORCE"}
    environment.update(
        DAGSTER_HOME=str(home),
        RAW_DATA_DIR=str(raw),
        WAREHOUSE_PATH=str(root / "warehouse.duckdb"),
        DBT_PROJECT_DIR=str(dbt),
        SERVING_PATH=str(serving),
        ANALYST_PATH=str(analyst),
    )
    steps = {}
    steps["codebook"] = subprocess.run(
        [sys.executable, "-m", "dagster_project.codebook", "draft", "--wave", str(NEW_WAVE), "--review-dir",
         str(root / "review")],
        cwd=PROJECT_ROOT, env=environment, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert steps["codebook"].returncode == 0, steps["codebook"].stdout + steps["codebook"].stderr
    killed = _make_run_killed_during_dbt(environment, [serving, analyst])
    steps["run"], _ = _make_run(environment, timeout=NEXT_RUN_TIMEOUT)
    assert steps["run"].returncode == 0, steps["run"].stdout + steps["run"].stderr
    return Routine(root, raw, manifest, steps, environment, killed)


@pytest.fixture
def warehouse(new_wave):
    # Per test, not per module: the last test runs make run again, which must find the file unlocked.
    with duckdb.connect(str(new_wave.root / "warehouse.duckdb"), read_only=True) as con:
        yield con


def test_make_codebook_then_make_run_publishes_the_new_wave(new_wave):
    steps = new_wave.steps
    assert "needs a human look" in steps["codebook"].stdout
    assert f"[ingest 3/3: wave {NEW_WAVE}] ... 8 assets" in steps["run"].stdout
    # publication 1 is the sample's, published before the delivery came
    assert "Published (publication 2" in steps["run"].stdout
    with duckdb.connect(str(new_wave.root / "published" / "serving.duckdb"), read_only=True) as serving:
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
    manifest = new_wave.manifest
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
    raw, manifest = new_wave.raw, new_wave.manifest
    name = manifest.user_missing["basisscholen"]
    data, _ = pyreadstat.read_sav(str(raw / f"waves/{NEW_WAVE}/basisscholen.sav"), usecols=[name], user_missing=True)
    given = int(data[name].notna().sum() - (data[name] == USER_MISSING[1]).sum())
    bases = warehouse.execute(
        f"select distinct base_n from marts.agg_answer_share where wave = {NEW_WAVE} "
        f"and respondent_group = 'basisscholen' and item_id = 'aantal_partners'"
    ).fetchall()
    assert bases == [(given,)] and (data[name] == USER_MISSING[1]).sum() > 0


def test_no_excluded_column_or_email_address_is_in_any_table_of_the_warehouse_or_its_copies(new_wave):
    root, manifest = new_wave.root, new_wave.manifest
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
    raw, steps = new_wave.raw, new_wave.steps
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
    assert f"Warehouse: {new_wave.root / 'warehouse.duckdb'}" in steps["run"].stdout


def test_a_make_run_killed_during_dbt_leaves_the_published_copies_intact_and_does_not_block_the_next_one(new_wave):
    killed, output = new_wave.killed, new_wave.steps["run"].stdout
    # the killed build never reached publishing: both copies are the files they were, and open
    assert killed.published_after_kill == killed.published_before
    assert set(killed.publication_after_kill.values()) == {1}
    # What would have blocked the next run: the killed run still STARTED and holding the pool's only slot.
    (run,) = killed.started_runs
    assert run.tags.get(PID_TAG) == str(killed.pid), "the runs of make run carry no pid tag"
    assert killed.slot_holders == {run.run_id}
    # The next make run said it recovered that run, and ended (within NEXT_RUN_TIMEOUT) with a publication.
    recovered = [line for line in output.splitlines() if line.startswith("recovered: ")]
    assert any(run.run_id in line for line in recovered), output
    with dg.DagsterInstance.from_config(str(new_wave.home)) as instance:
        assert instance.get_run_by_id(run.run_id).status == dg.DagsterRunStatus.FAILURE
    assert set(_publication_ids(list(killed.published_before)).values()) == {2}


def _digests(*paths: Path) -> dict[Path, str]:
    return {path: sha256(path) for path in paths}


def _make_run(environment: dict[str, str], timeout: float = 600) -> tuple[subprocess.CompletedProcess, float]:
    """`make run` in a subprocess; fails the test, naming the pool, if it does not end within timeout."""
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.run"],
        cwd=PROJECT_ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        stdout, stderr = process.communicate()
        pytest.fail(
            f"make run did not end within {timeout} s (waiting for the {WAREHOUSE_WRITER_POOL} slot?)\n{stdout}"
        )
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    return done, time.perf_counter() - started


def test_a_second_make_run_with_nothing_changed_publishes_nothing_and_a_changed_input_is_noticed(new_wave):
    # Last in this module: it changes the delivery's raw folder.
    root, raw, environment = new_wave.root, new_wave.raw, new_wave.environment
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
    assert "nothing changed since publication 2 of " in second.stdout
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


# The marts of respondents, answers and figures, and which of their rows are of the earlier waves.
EARLIER_WAVES = {
    "fct_respondent": "wave in (2016, 2019)",
    "fct_answer": "wave in (2016, 2019)",
    "agg_answer_share": "wave in (2016, 2019)",
    "agg_numeric": "wave in (2016, 2019)",
    "agg_cooperation_model": "wave in (2016, 2019)",
    "test_subgroup": "wave in (2016, 2019)",
    "test_wave_change": "wave_to <= 2019",
}


def test_a_new_wave_leaves_every_figure_of_the_earlier_waves_as_the_build_without_it_had_them_to_the_bit(
    new_wave, built
):
    # Another process (make run) built 2016 and 2019 again beside the new wave: every respondent's
    # weight, answer, share, mean, model share and test of the earlier waves is the shared build's, bit
    # for bit. This is also the test that the same files give the same figures (formerly
    # test_publish.py's own rebuild of the sample). The one kind of row the new wave adds to the
    # earlier waves: its added answer option, at n = 0.
    def rows(path: Path, table: str) -> pd.DataFrame:
        with duckdb.connect(str(path), read_only=True) as con:
            return con.execute(f"select * from marts.{table} where {EARLIER_WAVES[table]} order by all").df()

    before, after = published_paths(built[0])[1], new_wave.root / "published" / "analyst.duckdb"
    for table in EARLIER_WAVES:
        old, new = rows(before, table), rows(after, table)
        if table == "agg_answer_share":
            key = list(grain(table))
            added = new.merge(old[key], on=key, how="left", indicator=True)["_merge"] == "left_only"
            assert set(new.loc[added.to_numpy(), "item_id"]) == {ADDED_OPTION[0]}
            assert (new.loc[added.to_numpy(), "n"] == 0).all()
            new = new[~added.to_numpy()].reset_index(drop=True)
        assert len(old) > 0
        pd.testing.assert_frame_equal(old, new, check_exact=True, obj=table)
