"""Ingest: a wave's answer and population files land in schema `raw` exactly as delivered.

Every load goes through the real Dagster job `ingest_wave` (resources passed to `execute_in_process`),
against a copy of the embedded sample in a temporary folder; the expected values are read from the
files independently, with pyreadstat, pandas and hashlib.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
from raw_files import BAD_INPUTS, THROUGH_THE_PIPELINE, copy_sample, first_id_of, id_text, read_sav, rewrite_sav

from dagster_project.defs.resources import WarehouseResource
from dagster_project.lib import raw_store
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.raw_store import replace_wave
from dagster_project.lib.wave_files import InputContractError, read_wave
from dagster_project.pipeline import failure_message as _failure_message

SAMPLE_WAVES = ("2016", "2019")
RAW_TABLES = (*RESPONDENT_GROUPS, "variables", "value_labels", "population", "source_files")
QUIET = {"loggers": {"console": {"config": {"log_level": "WARNING"}}}}


# --------------------------------------------------------------------------------------------------
# helpers


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def run_ingest(job: dg.JobDefinition, raw: Path, warehouse: Path, wave: str) -> dg.ExecuteInProcessResult:
    """Run `ingest_wave` for one wave on a fresh ephemeral instance; never raises on a failed run."""
    instance = dg.DagsterInstance.ephemeral()
    instance.add_dynamic_partitions("wave", [wave])
    return job.execute_in_process(
        instance=instance,
        partition_key=wave,
        run_config=QUIET,
        raise_on_error=False,
        resources={"warehouse": WarehouseResource(raw_data_dir=str(raw), warehouse_path=str(warehouse))},
    )


def load(job: dg.JobDefinition, raw: Path, warehouse: Path, *waves: str) -> None:
    for wave in waves:
        result = run_ingest(job, raw, warehouse, wave)
        assert result.success, _failure_message(result)


def connect(warehouse: Path) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(warehouse), read_only=True)


def table_counts(warehouse: Path) -> dict[str, int]:
    """Rows of every raw table."""
    with connect(warehouse) as con:
        return {table: con.execute(f"select count(*) from raw.{table}").fetchone()[0] for table in RAW_TABLES}


def table_fingerprint(
    con: duckdb.DuckDBPyConnection, table: str, wave: int | None = None, exclude: tuple[str, ...] = ()
) -> tuple[object, ...]:
    """Columns, row count and an order-independent hash over every row of a raw table (or one wave of it)."""
    columns = [
        row[0]
        for row in con.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = ? "
            "order by ordinal_position",
            [table],
        ).fetchall()
    ]
    kept = ", ".join(f'"{column}"' for column in columns if column not in exclude)
    where = f"where wave = {int(wave)}" if wave is not None else ""
    count, digest = con.execute(
        f"select count(*), coalesce(sum(hash(s)), 0) from (select {kept} from raw.{table} {where}) s"
    ).fetchone()
    return tuple(columns), count, digest


def warehouse_fingerprint(warehouse: Path, **kwargs: object) -> dict[str, tuple[object, ...]]:
    with connect(warehouse) as con:
        return {table: table_fingerprint(con, table, **kwargs) for table in RAW_TABLES}


def wave_fingerprint(warehouse: Path, wave: str) -> dict[str, tuple[object, ...]]:
    """One wave's content in every raw table, ignoring load time and column additions by other waves."""
    with connect(warehouse) as con:
        result = {}
        for table in RAW_TABLES:
            columns, count, _ = table_fingerprint(con, table)
            # Only the columns that hold a value for this wave identify it.
            filled = [
                column
                for column in columns
                if column != "loaded_at"
                and con.execute(f'select count("{column}") from raw.{table} where wave = ?', [int(wave)]).fetchone()[0]
            ]
            kept = ", ".join(f'"{column}"' for column in filled)
            result[table] = (
                tuple(filled),
                *con.execute(
                    f"select count(*), coalesce(sum(hash(s)), 0) from (select {kept} from raw.{table} "
                    f"where wave = ?) s",
                    [int(wave)],
                ).fetchone(),
            )
        return result


def groups_of(raw: Path, wave: str) -> list[str]:
    return [group for group in RESPONDENT_GROUPS if (raw / "waves" / wave / f"{group}.sav").exists()]


# --------------------------------------------------------------------------------------------------
# fixtures


@pytest.fixture(scope="module")
def ingest_job() -> dg.JobDefinition:
    """The job as the code location defines it (loading the definitions takes a few seconds)."""
    from dagster_project.definitions import defs

    return defs().resolve_job_def("ingest_wave")


@pytest.fixture(scope="module")
def loaded(ingest_job, tmp_path_factory) -> tuple[Path, Path]:
    """The sample's raw folder and a warehouse with waves 2016 and 2019 loaded; read-only for tests."""
    base = tmp_path_factory.mktemp("loaded")
    raw = copy_sample(base / "raw")
    warehouse = base / "warehouse.duckdb"
    load(ingest_job, raw, warehouse, *SAMPLE_WAVES)
    return raw, warehouse


@pytest.fixture
def loaded_copy(loaded, tmp_path) -> tuple[Path, Path]:
    """A private raw folder and a private copy of the loaded warehouse, free to change."""
    template_raw, template_warehouse = loaded
    assert not Path(f"{template_warehouse}.wal").exists()
    warehouse = tmp_path / "warehouse.duckdb"
    shutil.copyfile(template_warehouse, warehouse)
    return copy_sample(tmp_path / "raw"), warehouse


@pytest.fixture(scope="module")
def sample_con(loaded):
    with connect(loaded[1]) as con:
        yield con


WAVE_GROUPS = [(wave, group) for wave in SAMPLE_WAVES for group in RESPONDENT_GROUPS]


# --------------------------------------------------------------------------------------------------
# 1. the embedded sample, loaded through the job, equals its files


@pytest.mark.parametrize(("wave", "group"), WAVE_GROUPS)
def test_each_group_table_has_one_row_per_respondent_of_the_file_with_the_same_ids(wave, group, loaded, sample_con):
    raw, _ = loaded
    data, _ = read_sav(raw / "waves" / wave / f"{group}.sav")
    ids = sample_con.execute(f"select respondent_id from raw.{group} where wave = ?", [int(wave)]).fetchall()

    assert len(ids) == len(data)
    assert sorted(row[0] for row in ids) == sorted(id_text(value) for value in data["respondent_id"])


@pytest.mark.parametrize(("wave", "group"), WAVE_GROUPS)
def test_each_variable_holds_the_files_values_with_system_missing_as_null(wave, group, loaded, sample_con):
    raw, _ = loaded
    data, _ = read_sav(raw / "waves" / wave / f"{group}.sav")
    expected = data.assign(respondent_id=data["respondent_id"].map(id_text)).set_index("respondent_id").sort_index()
    table = sample_con.execute(f"select * from raw.{group} where wave = ?", [int(wave)]).df()
    actual = table.set_index("respondent_id").sort_index()

    assert list(actual.index) == list(expected.index)
    for variable in expected.columns:
        np.testing.assert_array_equal(
            actual[variable].to_numpy(dtype=float, na_value=np.nan),
            expected[variable].to_numpy(dtype=float),
            err_msg=f"{group} {wave} variable {variable}",
        )
    # system-missing in the file is NULL in the table (not NaN): count() skips exactly the missing values
    counts = ", ".join(f'count("{variable}")' for variable in expected.columns)
    non_null = sample_con.execute(f"select {counts} from raw.{group} where wave = ?", [int(wave)]).fetchone()
    assert list(non_null) == expected.notna().sum().tolist()
    assert expected.isna().any().any(), "the sample has system-missing values (routing)"
    # columns that only other waves have stay empty for this wave
    others = set(actual.columns) - set(expected.columns) - set(raw_store.META_COLUMNS)
    assert all(actual[column].isna().all() for column in others)


@pytest.mark.parametrize(("wave", "group"), WAVE_GROUPS)
def test_each_group_row_records_the_source_file_relative_to_the_raw_folder_and_its_sha256(
    wave, group, loaded, sample_con
):
    raw, _ = loaded
    path = raw / "waves" / wave / f"{group}.sav"
    rows = sample_con.execute(
        f"select distinct source_file, source_sha256 from raw.{group} where wave = ?", [int(wave)]
    ).fetchall()

    assert rows == [(f"waves/{wave}/{group}.sav", sha256_file(path))]
    assert sha256_file(raw / rows[0][0]) == rows[0][1]


def test_stored_paths_do_not_depend_on_where_the_raw_folder_is(ingest_job, loaded, tmp_path):
    # the same files loaded from another folder (another machine) give the same provenance rows
    _, warehouse = loaded
    elsewhere = copy_sample(tmp_path / "elsewhere" / "raw")
    other = tmp_path / "w.duckdb"
    load(ingest_job, elsewhere, other, "2019")
    query = (
        "select kind, respondent_group, source_file, sha256 from raw.source_files where wave = 2019 "
        "union all select distinct 'row', 'basisscholen', source_file, source_sha256 from raw.basisscholen "
        "where wave = 2019 "
        "union all select 'population', respondent_group, source_file, source_sha256 from raw.population "
        "where wave = 2019 order by all"
    )
    with connect(warehouse) as first, connect(other) as second:
        rows = first.execute(query).fetchall()
        assert rows == second.execute(query).fetchall()
    assert rows and all(not Path(row[2]).is_absolute() for row in rows)


def test_relative_source_refuses_a_path_outside_the_input_contract(tmp_path):
    assert raw_store.relative_source(tmp_path / "population" / "2019" / "x.csv") == "population/2019/x.csv"
    with pytest.raises(ValueError, match="not a file of the input contract"):
        raw_store.relative_source(tmp_path / "elsewhere" / "2019" / "x.csv")


@pytest.mark.parametrize(("wave", "group"), WAVE_GROUPS)
def test_value_labels_equal_the_files_value_labels(wave, group, loaded, sample_con):
    raw, _ = loaded
    _, meta = read_sav(raw / "waves" / wave / f"{group}.sav")
    expected = {
        (variable, float(code), label)
        for variable, labels in meta.variable_value_labels.items()
        for code, label in labels.items()
    }
    rows = sample_con.execute(
        "select variable, code, label from raw.value_labels where wave = ? and respondent_group = ?",
        [int(wave), group],
    ).fetchall()

    assert expected, "the sample has value labels"
    assert len(rows) == len(expected)
    assert set(rows) == expected


@pytest.mark.parametrize(("wave", "group"), WAVE_GROUPS)
def test_variables_lists_every_variable_with_its_label_and_position_in_file_order(wave, group, loaded, sample_con):
    raw, _ = loaded
    data, meta = read_sav(raw / "waves" / wave / f"{group}.sav")
    # respondent_id is the key column of every group table, not one of the listed variables
    variables = [name for name in data.columns if name != "respondent_id"]
    expected = [
        (name, position, meta.column_names_to_labels.get(name)) for position, name in enumerate(variables, start=1)
    ]
    rows = sample_con.execute(
        "select variable, position, variable_label from raw.variables where wave = ? and respondent_group = ? "
        "order by position",
        [int(wave), group],
    ).fetchall()

    assert rows == expected


@pytest.mark.parametrize(("wave", "group"), WAVE_GROUPS)
def test_source_files_records_every_file_of_the_group_with_its_sha256(wave, group, loaded, sample_con):
    raw, _ = loaded
    sav = raw / "waves" / wave / f"{group}.sav"
    csv = raw / "population" / wave / f"{group}.csv"
    data, _ = read_sav(sav)
    expected = {("answers", f"waves/{wave}/{group}.sav", sha256_file(sav), len(data), len(data.columns))}
    if csv.exists():
        expected.add(("population", f"population/{wave}/{group}.csv", sha256_file(csv), len(pd.read_csv(csv)), 3))
    rows = sample_con.execute(
        "select kind, source_file, sha256, n_rows, n_columns from raw.source_files "
        "where wave = ? and respondent_group = ?",
        [int(wave), group],
    ).fetchall()

    assert set(rows) == expected
    assert len(rows) == len(expected)


@pytest.mark.parametrize(("wave", "group"), WAVE_GROUPS)
def test_population_equals_the_population_csv_and_is_empty_for_an_unweighted_group(wave, group, loaded, sample_con):
    raw, _ = loaded
    csv = raw / "population" / wave / f"{group}.csv"
    rows = sample_con.execute(
        "select variable, category, count, source_file, source_sha256 from raw.population "
        "where wave = ? and respondent_group = ?",
        [int(wave), group],
    ).fetchall()
    if not csv.exists():
        assert rows == []
        return
    population = pd.read_csv(csv)
    expected = [
        (variable, float(category), float(count), f"population/{wave}/{group}.csv", sha256_file(csv))
        for variable, category, count in population.itertuples(index=False)
    ]

    assert sorted(rows) == sorted(expected)


def test_the_sample_has_a_population_file_for_three_groups_per_wave(loaded):
    raw, _ = loaded
    for wave in SAMPLE_WAVES:
        assert len(list((raw / "population" / wave).glob("*.csv"))) == 3
        assert groups_of(raw, wave) == list(RESPONDENT_GROUPS)


def test_raw_holds_exactly_the_sample_waves(sample_con):
    for table in RAW_TABLES:
        waves = {row[0] for row in sample_con.execute(f"select distinct wave from raw.{table}").fetchall()}
        assert waves == {2016, 2019}, table


# --------------------------------------------------------------------------------------------------
# 2. reloading is idempotent and touches only its own wave


def test_loading_the_same_wave_twice_leaves_every_row_count_unchanged(ingest_job, tmp_path):
    raw = copy_sample(tmp_path / "raw")
    warehouse = tmp_path / "w.duckdb"
    load(ingest_job, raw, warehouse, "2019")
    once = table_counts(warehouse)
    content = warehouse_fingerprint(warehouse, exclude=("loaded_at",))
    load(ingest_job, raw, warehouse, "2019")

    assert all(count > 0 for table, count in once.items()), once
    assert table_counts(warehouse) == once
    assert warehouse_fingerprint(warehouse, exclude=("loaded_at",)) == content


def test_reloading_an_earlier_wave_leaves_both_waves_intact(ingest_job, loaded, tmp_path):
    # `loaded` is 2016 then 2019; load 2016 again from the same files
    raw, template = loaded
    warehouse = tmp_path / "w.duckdb"
    shutil.copyfile(template, warehouse)
    counts = table_counts(warehouse)
    wave_2016 = warehouse_fingerprint(warehouse, wave=2016, exclude=("loaded_at",))
    wave_2019 = warehouse_fingerprint(warehouse, wave=2019)  # untouched: even the load time stays
    load(ingest_job, raw, warehouse, "2016")

    assert table_counts(warehouse) == counts
    assert warehouse_fingerprint(warehouse, wave=2016, exclude=("loaded_at",)) == wave_2016
    assert warehouse_fingerprint(warehouse, wave=2019) == wave_2019
    with connect(warehouse) as con:
        for group in RESPONDENT_GROUPS:
            for wave in SAMPLE_WAVES:
                data, _ = read_sav(raw / "waves" / wave / f"{group}.sav")
                rows = con.execute(f"select count(*) from raw.{group} where wave = ?", [int(wave)]).fetchone()[0]
                assert rows == len(data), (group, wave)


# --------------------------------------------------------------------------------------------------
# 3. a new wave is a new folder


def test_a_third_wave_loads_by_dropping_its_folders_and_leaves_the_other_waves_untouched(ingest_job, loaded_copy):
    raw, warehouse = loaded_copy
    shutil.copytree(raw / "waves" / "2019", raw / "waves" / "2022")
    shutil.copytree(raw / "population" / "2019", raw / "population" / "2022")
    before = {wave: warehouse_fingerprint(warehouse, wave=int(wave)) for wave in SAMPLE_WAVES}

    load(ingest_job, raw, warehouse, "2022")

    for wave in SAMPLE_WAVES:
        assert warehouse_fingerprint(warehouse, wave=int(wave)) == before[wave], wave
    with connect(warehouse) as con:
        for group in RESPONDENT_GROUPS:
            data, _ = read_sav(raw / "waves" / "2022" / f"{group}.sav")
            ids = con.execute(f"select respondent_id from raw.{group} where wave = 2022").fetchall()
            assert sorted(row[0] for row in ids) == sorted(id_text(value) for value in data["respondent_id"])
        files = con.execute("select source_file, sha256 from raw.source_files where wave = 2022").fetchall()
        assert len(files) == 4 + 3
        for source_file, sha in files:
            assert source_file.startswith(("waves/2022/", "population/2022/")), source_file
            assert sha == sha256_file(raw / source_file)
        population = con.execute("select count(*) from raw.population where wave = 2022").fetchone()[0]
        assert population == sum(len(pd.read_csv(path)) for path in (raw / "population" / "2022").glob("*.csv"))


# --------------------------------------------------------------------------------------------------
# 4. bad input is refused, with the file and the problem, and nothing changes


def step_failure(result: dg.ExecuteInProcessResult) -> dg.DagsterEvent:
    failures = [event for event in result.all_events if event.event_type == dg.DagsterEventType.STEP_FAILURE]
    assert len(failures) == 1
    return failures[0]


@pytest.mark.parametrize(("make_bad", "wave", "bad_file", "problems"), BAD_INPUTS.values(), ids=BAD_INPUTS.keys())
def test_the_contract_refuses_bad_input_naming_the_file_and_the_problem(make_bad, wave, bad_file, problems, tmp_path):
    raw = copy_sample(tmp_path / "raw")
    first_id = first_id_of(raw, "basisscholen")
    make_bad(raw)

    with pytest.raises(InputContractError) as refused:
        read_wave(raw, wave)

    assert Path(refused.value.path).resolve() == (raw / bad_file).resolve()
    for problem in problems:
        assert problem.format(basisscholen=first_id) in refused.value.problem, refused.value.problem


@pytest.mark.slow
@pytest.mark.parametrize(
    ("make_bad", "wave", "bad_file", "problems"), THROUGH_THE_PIPELINE.values(), ids=THROUGH_THE_PIPELINE.keys()
)
def test_bad_input_fails_the_ingest_run_naming_the_file_and_the_problem_and_nothing_loaded_changes(
    make_bad, wave, bad_file, problems, ingest_job, loaded_copy
):
    raw, warehouse = loaded_copy
    first_id = first_id_of(raw, "basisscholen")
    before = warehouse_fingerprint(warehouse)
    make_bad(raw)

    result = run_ingest(ingest_job, raw, warehouse, wave)

    assert not result.success
    message = _failure_message(result)
    assert f"wave {wave} refused, nothing changed" in message
    assert f"{(raw / bad_file).resolve()}: " in message, message
    for problem in problems:
        assert problem.format(basisscholen=first_id) in message, message
    metadata = step_failure(result).step_failure_data.user_failure_data.metadata
    assert metadata["file"].value == str((raw / bad_file).resolve())
    assert problems[0].format(basisscholen=first_id) in metadata["problem"].value
    assert warehouse_fingerprint(warehouse) == before


def test_the_unchanged_sample_meets_the_contract(loaded):
    # guard for the cases above: each starts from waves that load, so each refusal is due to its change
    raw, _ = loaded
    for wave in SAMPLE_WAVES:
        files = read_wave(raw, wave)
        assert [group.group for group in files.groups] == list(RESPONDENT_GROUPS)


# --------------------------------------------------------------------------------------------------
# 5. a failure while writing rolls the whole wave back


def _fail_inserting(monkeypatch: pytest.MonkeyPatch, table: str, group: str) -> None:
    original = raw_store._insert

    def failing_insert(con: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame) -> None:
        if name == table and (frame["respondent_group"] == group).any():
            raise RuntimeError(f"disk full while writing raw.{table}")
        original(con, name, frame)

    monkeypatch.setattr(raw_store, "_insert", failing_insert)


def _changed_2019(raw: Path) -> None:
    """New 2019 files that differ from what was loaded: fewer schools and a new question."""
    rewrite_sav(
        raw / "waves/2019/basisscholen.sav",
        lambda d: d.iloc[: len(d) // 2].assign(nieuwe_vraag=1.0),
    )
    read_wave(raw, "2019")  # still meets the contract: every population category keeps respondents


@pytest.mark.parametrize(
    ("table", "group"),
    [("source_files", "basisscholen"), ("variables", "kov_besturen")],
    ids=["after the first group tables", "at the last group"],
)
def test_a_failure_half_way_through_writing_leaves_the_previous_wave_intact_and_propagates(
    table, group, monkeypatch, loaded_copy
):
    raw, warehouse = loaded_copy
    _changed_2019(raw)
    files = read_wave(raw, "2019")
    before = warehouse_fingerprint(warehouse)
    _fail_inserting(monkeypatch, table, group)

    with (
        duckdb.connect(str(warehouse)) as con,
        pytest.raises(RuntimeError, match=f"disk full while writing raw.{table}"),
    ):
        replace_wave(con, files)

    after = warehouse_fingerprint(warehouse)
    assert after == before
    assert "nieuwe_vraag" not in after["basisscholen"][0]


def test_a_failure_while_writing_fails_the_run_and_leaves_the_wave_as_it_was(ingest_job, monkeypatch, loaded_copy):
    raw, warehouse = loaded_copy
    _changed_2019(raw)
    before = warehouse_fingerprint(warehouse)
    _fail_inserting(monkeypatch, "source_files", "schoolbesturen")

    result = run_ingest(ingest_job, raw, warehouse, "2019")

    assert not result.success
    error = step_failure(result).step_failure_data.error
    chain = []
    while error is not None:
        chain.append(error.message)
        error = error.cause
    assert any("RuntimeError: disk full while writing raw.source_files" in message for message in chain), chain
    assert warehouse_fingerprint(warehouse) == before


def test_the_changed_wave_loads_once_nothing_fails(ingest_job, loaded_copy):
    # the counterpart of the two tests above: without the failure the same files do replace 2019
    raw, warehouse = loaded_copy
    _changed_2019(raw)
    load(ingest_job, raw, warehouse, "2019")
    data, _ = read_sav(raw / "waves/2019/basisscholen.sav")
    with connect(warehouse) as con:
        rows = con.execute("select count(*), count(nieuwe_vraag) from raw.basisscholen where wave = 2019").fetchone()
    assert rows == (len(data), len(data))


# --------------------------------------------------------------------------------------------------
# 6. `make run`


@pytest.fixture
def run_env(monkeypatch, tmp_path) -> tuple[Path, Path]:
    raw = copy_sample(tmp_path / "raw")
    warehouse = tmp_path / "out" / "warehouse.duckdb"
    monkeypatch.setenv("RAW_DATA_DIR", str(raw))
    monkeypatch.setenv("WAREHOUSE_PATH", str(warehouse))
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    return raw, warehouse


def test_run_refuses_a_bad_file_with_exit_code_1_and_the_reason_on_stderr(run_env, capsys):
    from dagster_project.run import main

    raw, _ = run_env
    (raw / "waves/2016/schoolbesturen.sav").write_bytes(b"garbage")
    assert main() == 1
    captured = capsys.readouterr()

    assert "refused" in captured.out
    assert "Respondents per wave" not in captured.out
    assert "error: wave 2016 refused, nothing changed:" in captured.err
    assert f"{(raw / 'waves/2016/schoolbesturen.sav').resolve()}: not a readable SPSS .sav file" in captured.err
