"""The dbt CLI resource the warehouse runs dbt with: dagster-dbt's, minus three start-up costs.

dagster-dbt's `DbtCliResource.cli` does two things before every `dbt build` that this project does
not need, and dbt itself re-parsed the whole project on most builds; together they cost about 11 s
of a 55 s `make run` of the embedded sample, side by side (docs/benchmarks.md):

- it runs `dbt --version` in a subprocess (about 1.9 s: a Python start and dbt's imports) to learn
  whether the executable is dbt Core or dbt Fusion. The executable here is always this environment's
  dbt Core (`dbt_executable()`), whose version the package metadata already knows;
- it builds a dbt adapter in-process (about 1.8 s: profile, project and the macros parsed) for
  `fetch_row_counts()` and `fetch_column_metadata()`, which the warehouse's dbt assets do not call;
- dbt re-parses the project whenever the profile differs from the one it last parsed with, and the
  profile holds the warehouse path: the manifest is prepared with the default path, every build
  passes its own. dagster-dbt copies `target/partial_parse.msgpack` into each invocation's own
  target folder; `keep_partial_parse` copies the invocation's fresh one back, so that the next build
  of the same warehouse (the second dbt asset of the same run, or the next `make run`) parses only what
  changed (about 2.6 s each otherwise).

Both overrides replace private methods of dagster-dbt 0.29 (pinned); tests/test_dbt_cli.py fails if
an upgrade renames them, instead of the build silently paying the cost again.

dagster-dbt gives every invocation a folder of its own under `target/` (its logs, compiled SQL,
manifest and results: 5-10 MB) and never removes one: `prune_invocations` keeps the newest
`KEEP_INVOCATIONS`, so that a warehouse rebuilt every week does not fill the disk.
"""

from __future__ import annotations

import importlib.metadata
import os
import re
import shutil
import time
from collections.abc import Sequence
from functools import cached_property
from pathlib import Path

from dagster_dbt import DbtCliInvocation, DbtCliResource
from packaging import version

from dagster_project.lib.dbt_project import dbt_executable

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
# dagster-dbt's folder per invocation: `<op name>-<run id[:7]>-<7 hex digits>`, with dbt's log inside.
INVOCATION_FOLDER = re.compile(r"[a-z0-9_]+-[0-9a-f]{7}-[0-9a-f]{7}")
KEEP_INVOCATIONS = 20
# Younger folders are kept whatever their number: another process may be running dbt in one.
PRUNE_AFTER_SECONDS = 3600


class WarehouseDbtCli(DbtCliResource):
    """`DbtCliResource` for this environment's dbt Core: no version subprocess, no adapter handle."""

    @cached_property
    def _cli_version(self) -> version.Version:
        """The installed dbt-core's version, when the executable is this environment's dbt."""
        if Path(self.dbt_executable) == Path(dbt_executable()) and Path(self.dbt_executable).is_absolute():
            return version.parse(importlib.metadata.version("dbt-core"))
        return super()._cli_version  # another dbt from the PATH: ask it, as dagster-dbt does

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        """No adapter: it serves only row-count and column metadata, which the dbt assets do not fetch."""
        return None


def keep_partial_parse(invocation: DbtCliInvocation) -> None:
    """Make this invocation's partial-parse state the project's, for the next invocation to start from.

    Written to a temporary name and renamed, so that a dbt starting at the same moment in another
    process copies either the old file or the new one, never half of one. The file only saves time:
    dbt checks every file's checksum and the profile against it, and parses again when they differ.
    """
    fresh = invocation.target_path / PARTIAL_PARSE_FILE
    if not fresh.exists():
        return
    kept = invocation.project_dir / "target" / PARTIAL_PARSE_FILE
    staged = kept.with_name(f".{PARTIAL_PARSE_FILE}.{os.getpid()}")
    kept.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(fresh, staged)
    os.replace(staged, kept)


def prune_invocations(
    target: Path, keep: int = KEEP_INVOCATIONS, older_than_seconds: float = PRUNE_AFTER_SECONDS
) -> list[Path]:
    """Remove dagster-dbt's invocation folders under `target` beyond the newest `keep`; return them.

    Only folders named and filled as dagster-dbt makes them (a `dbt.log` inside) and last changed more
    than `older_than_seconds` ago are removed; anything else under `target/` is left alone.
    """
    folders = [
        folder
        for folder in target.iterdir()
        if folder.is_dir() and INVOCATION_FOLDER.fullmatch(folder.name) and (folder / "dbt.log").exists()
    ]
    folders.sort(key=lambda folder: folder.stat().st_mtime, reverse=True)
    cutoff = time.time() - older_than_seconds
    removed = [folder for folder in folders[keep:] if folder.stat().st_mtime < cutoff]
    for folder in removed:
        shutil.rmtree(folder, ignore_errors=True)
    return removed
