"""The fingerprint of a publication's inputs (lib/fingerprint.py), on small trees: no build here.

The no-op `make run` itself, end to end, runs after the new wave's `make run` in tests/test_new_wave.py.
"""

from __future__ import annotations

import os
from pathlib import Path

from dagster_project.lib import fingerprint


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
