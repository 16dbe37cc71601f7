"""The dbt CLI resource's start-up shortcuts (lib/dbt_cli.py): same answers, less waiting."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from dagster_dbt import DbtCliResource

from dagster_project.lib.dbt_cli import PARTIAL_PARSE_FILE, WarehouseDbtCli, keep_partial_parse, prune_invocations
from dagster_project.lib.dbt_project import DBT_PROJECT, dbt_executable


def _resource() -> WarehouseDbtCli:
    return WarehouseDbtCli(project_dir=str(DBT_PROJECT.project_dir), dbt_executable=dbt_executable())


def test_the_overridden_methods_still_exist_in_dagster_dbt():
    # If an upgrade renames them, the overrides would silently stop applying and every build pay again.
    assert isinstance(DbtCliResource.__dict__["_cli_version"], type(WarehouseDbtCli.__dict__["_cli_version"]))
    assert callable(DbtCliResource.__dict__["_initialize_dbt_core_adapter"])


def test_the_version_is_the_one_dbt_itself_prints():
    asked = DbtCliResource.__dict__["_cli_version"].func(_resource())  # dagster-dbt's way: `dbt --version`
    assert _resource()._cli_version == asked


def test_the_version_needs_no_subprocess(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"a subprocess was started: {args}")

    monkeypatch.setattr(subprocess, "check_output", refuse)
    monkeypatch.setattr("dagster_dbt.core.resource.check_output", refuse)
    assert _resource()._cli_version.major == 1


def test_no_adapter_is_built():
    assert _resource()._initialize_dbt_core_adapter(["build"]) is None


def _invocation(tmp_path: Path, content: bytes | None) -> SimpleNamespace:
    target = tmp_path / "project" / "target" / "build-1234"
    target.mkdir(parents=True)
    if content is not None:
        (target / PARTIAL_PARSE_FILE).write_bytes(content)
    return SimpleNamespace(target_path=target, project_dir=tmp_path / "project")


def test_the_invocations_partial_parse_state_becomes_the_projects(tmp_path):
    invocation = _invocation(tmp_path, b"fresh state")
    kept = invocation.project_dir / "target" / PARTIAL_PARSE_FILE
    kept.write_bytes(b"stale state")

    keep_partial_parse(invocation)

    assert kept.read_bytes() == b"fresh state"
    assert sorted(path.name for path in kept.parent.iterdir()) == ["build-1234", PARTIAL_PARSE_FILE]


def test_an_invocation_without_partial_parse_state_leaves_the_project_alone(tmp_path):
    invocation = _invocation(tmp_path, None)
    kept = invocation.project_dir / "target" / PARTIAL_PARSE_FILE
    kept.write_bytes(b"earlier state")

    keep_partial_parse(invocation)

    assert kept.read_bytes() == b"earlier state"


def _messages(log: Path) -> list[str]:
    return [json.loads(line)["info"]["msg"] for line in log.read_text().splitlines() if line.strip()]


def test_the_second_dbt_invocation_of_a_build_parses_nothing_again(built):
    """The significance models' `dbt build` starts from the state the warehouse models' build left."""
    # The dbt project of the worker that built the shared warehouse, which need not be this one.
    target = Path(built[1].dbt_project_dir) / "target"
    invocations = sorted(target.glob("significance_dbt_models-*/dbt.log"), key=lambda path: path.stat().st_mtime)
    if not invocations:
        pytest.fail(f"no significance_dbt_models invocation under {target}")
    messages = _messages(invocations[-1])
    assert not [message for message in messages if message.startswith("Unable to do partial parsing")]
    assert any(message.startswith("Partial parsing enabled") for message in messages)


def _invocation_folder(target: Path, name: str, age_seconds: float, with_log: bool = True) -> Path:
    folder = target / name
    folder.mkdir(parents=True)
    if with_log:
        (folder / "dbt.log").write_text("{}\n")
    stamp = time.time() - age_seconds
    os.utime(folder, (stamp, stamp))
    return folder


def test_only_old_invocation_folders_beyond_the_newest_are_pruned(tmp_path):
    target = tmp_path / "target"
    hours = [_invocation_folder(target, f"warehouse_dbt_models-{n:07x}-abcdef{n}", 3600 * (n + 2)) for n in range(5)]
    young = _invocation_folder(target, "significance_dbt_models-00000aa-1234567", 60)
    (target / "compiled").mkdir()
    (target / "manifest.json").write_text("{}")
    not_dbts = _invocation_folder(target, "other_thing-00000bb-7654321", 3600 * 9, with_log=False)
    newest_first = [young, *hours]

    removed = prune_invocations(target, keep=3, older_than_seconds=3600)

    assert sorted(removed) == sorted(newest_first[3:])
    assert sorted(path.name for path in target.iterdir()) == sorted(
        [*(folder.name for folder in newest_first[:3]), "compiled", "manifest.json", not_dbts.name]
    )


def test_young_invocation_folders_stay_however_many_there_are(tmp_path):
    target = tmp_path / "target"
    for n in range(4):
        _invocation_folder(target, f"warehouse_dbt_models-{n:07x}-abcdef{n}", 60 * n)
    assert prune_invocations(target, keep=1, older_than_seconds=3600) == []
    assert len(list(target.iterdir())) == 4
