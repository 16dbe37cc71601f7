"""A `make run` with nothing changed since the last publication publishes nothing (lib/fingerprint.py).

Two full builds in all: the first publication, and the build after an input file's content changed
(between them a no-op and a run whose ingest refuses the changed file, both a few seconds).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dagster_project.lib import fingerprint
from dagster_project.lib.paths import DBT_DIR, EMBEDDED_SAMPLE_DIR, PROJECT_ROOT

NOOP_SECONDS = 5


def _digests(*paths: Path) -> dict[Path, str]:
    return {path: hashlib.sha256(path.read_bytes()).hexdigest() for path in paths}


def _run(environment: dict[str, str]) -> tuple[subprocess.CompletedProcess, float]:
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


@pytest.mark.slow
def test_a_second_run_with_nothing_changed_publishes_nothing_and_a_changed_input_builds_again(tmp_path):
    raw = shutil.copytree(EMBEDDED_SAMPLE_DIR, tmp_path / "raw")
    dbt = shutil.copytree(DBT_DIR, tmp_path / "dbt", ignore=shutil.ignore_patterns("target", "logs"))
    serving, analyst = tmp_path / "published" / "serving.duckdb", tmp_path / "published" / "analyst.duckdb"
    warehouse = tmp_path / "warehouse.duckdb"
    environment = {key: value for key, value in os.environ.items() if key not in ("DAGSTER_HOME", "FORCE")}
    environment.update(
        RAW_DATA_DIR=str(raw),
        WAREHOUSE_PATH=str(warehouse),
        DBT_PROJECT_DIR=str(dbt),
        SERVING_PATH=str(serving),
        ANALYST_PATH=str(analyst),
    )

    first, _ = _run(environment)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Published (publication 1" in first.stdout
    assert fingerprint.record_path(warehouse).is_file()
    workbook = serving.with_name("tabellenrapport.xlsx")
    published = _digests(serving, analyst, workbook, warehouse)

    # Nothing changed; a file touched with the same bytes is no change either.
    population = raw / "population" / "2016" / "basisscholen.csv"
    os.utime(population)
    second, seconds = _run(environment)
    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing changed since publication 1 of " in second.stdout
    assert ": nothing to do" in second.stdout
    assert "[ingest" not in second.stdout
    assert seconds < NOOP_SECONDS, second.stdout
    assert _digests(serving, analyst, workbook, warehouse) == published

    # An input file changed so that the wave is refused: no publication, and the record is gone.
    text = population.read_text()
    population.write_text(text.replace("stedelijkheid,1,1681", "stedelijkheid,1,1682", 1))
    refused, _ = _run(environment)
    assert refused.returncode == 1 and "refused" in refused.stdout, refused.stdout + refused.stderr
    assert not fingerprint.record_path(warehouse).exists()
    assert _digests(serving, analyst, workbook) == {path: published[path] for path in (serving, analyst, workbook)}

    # The same file changed within the input contract (one school moved between categories): a full
    # build and a new publication, recorded again.
    population.write_text(
        text.replace("stedelijkheid,1,1681", "stedelijkheid,1,1682", 1).replace(
            "stedelijkheid,2,4670", "stedelijkheid,2,4669", 1
        )
    )
    third, _ = _run(environment)
    assert third.returncode == 0, third.stdout + third.stderr
    assert "nothing to do" not in third.stdout
    assert "Published (publication 2" in third.stdout
    assert _digests(serving, analyst) != {path: published[path] for path in (serving, analyst)}
    assert fingerprint.record_path(warehouse).is_file()


def _tree(tmp_path: Path) -> tuple[Path, Path]:
    raw = tmp_path / "raw"
    (raw / "waves" / "2016").mkdir(parents=True)
    (raw / "waves" / "2016" / "basisscholen.sav").write_bytes(b"answers")
    (raw / "population").mkdir()
    dbt = tmp_path / "dbt"
    (dbt / "seeds").mkdir(parents=True)
    (dbt / "seeds" / "codebook_questions.csv").write_text("question_id\nq1\n")
    (dbt / "dbt_project.yml").write_text("name: x\n")
    return raw, dbt


def _compute(raw: Path, dbt: Path, monkeypatch, **known) -> fingerprint.Fingerprint:
    monkeypatch.setattr(fingerprint.paths, "DBT_DIR", dbt)
    out = raw.parent / "out"
    return fingerprint.compute(raw, out / "w.duckdb", out / "s.duckdb", out / "a.duckdb", **known)


def test_the_fingerprint_follows_content_of_inputs_seeds_and_paths_not_modification_times(tmp_path, monkeypatch):
    raw, dbt = _tree(tmp_path)
    before = _compute(raw, dbt, monkeypatch)
    assert {"raw:waves/2016/basisscholen.sav", "dbt:seeds/codebook_questions.csv", "dbt:dbt_project.yml"} <= set(
        before.files
    )
    assert "project:dagster_project/lib/publish.py" in before.files
    assert "project:publication/workbook.py" in before.files
    assert not any(name.startswith("project:streamlit_app/") for name in before.files)

    os.utime(raw / "waves" / "2016" / "basisscholen.sav", ns=(1, 1))
    assert _compute(raw, dbt, monkeypatch, known=before.files).value == before.value

    seed = dbt / "seeds" / "codebook_questions.csv"
    seed.write_text("question_id\nq2\n")
    assert _compute(raw, dbt, monkeypatch, known=before.files).value != before.value
    seed.write_text("question_id\nq1\n")
    assert _compute(raw, dbt, monkeypatch).value == before.value

    (raw / "population" / "2016").mkdir()
    (raw / "population" / "2016" / "basisscholen.csv").write_text("variable,category,count\n")
    assert _compute(raw, dbt, monkeypatch).value != before.value


def test_no_record_force_or_a_missing_copy_means_a_build(tmp_path, monkeypatch):
    raw, dbt = _tree(tmp_path)
    monkeypatch.setattr(fingerprint.paths, "DBT_DIR", dbt)
    monkeypatch.delenv("FORCE", raising=False)
    out = tmp_path / "out"
    out.mkdir()
    warehouse, serving, analyst, workbook = (out / name for name in ("w.duckdb", "s.duckdb", "a.duckdb", "t.xlsx"))
    line, inputs = fingerprint.unchanged_since_publication(raw, warehouse, serving, analyst)
    assert line is None

    import duckdb

    for copy in (serving, analyst):
        with duckdb.connect(str(copy)) as con:
            con.execute("create schema marts; create table marts.publication as select 3 as publication_id")
    warehouse.write_bytes(b"")
    workbook.write_bytes(b"")
    fingerprint.write_record(warehouse, inputs, 3, "2024-01-01 00:00:00 UTC", workbook)
    line, _ = fingerprint.unchanged_since_publication(raw, warehouse, serving, analyst)
    assert (
        line == "nothing changed since publication 3 of 2024-01-01 00:00:00 UTC: nothing to do (FORCE=1 builds anyway)"
    )

    monkeypatch.setenv("FORCE", "1")
    assert fingerprint.unchanged_since_publication(raw, warehouse, serving, analyst)[0] is None
    monkeypatch.delenv("FORCE")

    # a rollback since: the serving copy's latest publication is not the recorded one
    with duckdb.connect(str(serving)) as con:
        con.execute("update marts.publication set publication_id = 2")
    assert fingerprint.unchanged_since_publication(raw, warehouse, serving, analyst)[0] is None
    with duckdb.connect(str(serving)) as con:
        con.execute("update marts.publication set publication_id = 3")
    assert fingerprint.unchanged_since_publication(raw, warehouse, serving, analyst)[0] is not None

    workbook.unlink()
    assert fingerprint.unchanged_since_publication(raw, warehouse, serving, analyst)[0] is None
    workbook.write_bytes(b"")
    # another serving path: the context differs
    assert fingerprint.unchanged_since_publication(raw, warehouse, out / "other.duckdb", analyst)[0] is None
    fingerprint.forget(warehouse)
    assert fingerprint.unchanged_since_publication(raw, warehouse, serving, analyst)[0] is None
