"""The no-op `make run`: a fingerprint of everything a publication is made from, checked before Dagster loads.

A publication depends on the input files under RAW_DATA_DIR (`waves/`, `population/`), the dbt project
(models, seeds, macros, tests, `dbt_project.yml`, `profiles.yml`), the quality suites (`expectations/`),
the pipeline's Python code (`dagster_project/`, and the viewer's table code the publish writes the
workbook with), the pinned dependencies, and where it reads and writes. `make run` computes a sha256
over all of them before it imports Dagster (which alone takes seconds) and compares it with the record
the last successful `make run` left beside the warehouse (`<warehouse>.published-inputs.json`). When they
are equal, the published copies, the workbook and the factsheet are still there, and the serving copy's latest
publication is the recorded one (not a rollback, not a publish from the Dagster UI), nothing would
change: `make run` says so and publishes nothing.

The record is removed before a build starts and written only after the publish succeeded, so a failed,
refused or killed run never leaves one: the next run builds. `FORCE=1` (`make run FORCE=1`) builds
whatever the record says.

Content, not modification times: a touched file whose bytes are the same is no change. Hashing every
input each time costs about a second per 2 GB; a file whose size and modification time are those
recorded keeps its recorded hash, as git's index does, so a no-op reads only what changed.

Only the standard library and DuckDB: this runs before anything heavy is imported.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dagster_project.lib import paths
from dagster_project.lib.hashing import sha256_of

RECORD_SUFFIX = ".published-inputs.json"
FORCE_VARIABLE = "FORCE"
# The Python packages a publication is made with: the pipeline and the publication contract (which
# writes the workbook); the report's transcription the sample is calibrated to is data of the sample.
CODE_PACKAGES = ("dagster_project", "publication")
DBT_FOLDERS = ("models", "seeds", "macros", "tests")
DBT_FILES = ("dbt_project.yml", "profiles.yml", "packages.yml", "dependencies.yml")
PROJECT_FILES = ("pyproject.toml", "constraints.txt")


def record_path(warehouse: Path) -> Path:
    """Where the fingerprint of the last successful publication from this warehouse is recorded."""
    return warehouse.with_name(warehouse.name + RECORD_SUFFIX)


def forced() -> bool:
    """Whether FORCE asks for a build whatever changed (`make run FORCE=1`)."""
    return os.environ.get(FORCE_VARIABLE, "").strip().lower() not in ("", "0", "false", "no")


def _files_under(folder: Path, pattern: str = "*") -> Iterator[Path]:
    if folder.is_dir():
        for path in folder.rglob(pattern):
            if path.is_file() and "__pycache__" not in path.parts and not path.name.startswith("."):
                yield path


def tracked_files(raw_dir: Path, dbt_dir: Path | None = None, root: Path | None = None) -> dict[str, Path]:
    """Every file a publication depends on, by a name that says where it is (raw:, dbt:, project:)."""
    dbt_dir, root = dbt_dir or paths.DBT_DIR, root or paths.PROJECT_ROOT
    files: dict[str, Path] = {}
    for sub in ("waves", "population"):
        for path in _files_under(raw_dir / sub):
            files[f"raw:{path.relative_to(raw_dir).as_posix()}"] = path
    for sub in DBT_FOLDERS:
        for path in _files_under(dbt_dir / sub):
            files[f"dbt:{path.relative_to(dbt_dir).as_posix()}"] = path
    for name in DBT_FILES:
        if (dbt_dir / name).is_file():
            files[f"dbt:{name}"] = dbt_dir / name
    project = [*_files_under(root / "expectations")]
    project += [path for package in CODE_PACKAGES for path in _files_under(root / package, "*.py")]
    project += [root / name for name in PROJECT_FILES]
    for path in project:
        if path.is_file():
            files[f"project:{path.relative_to(root).as_posix()}"] = path
    return files


@dataclass(frozen=True)
class Fingerprint:
    """The hash of every tracked file and of the paths a build reads and writes."""

    value: str
    files: dict[str, list]  # name -> [size, mtime_ns, sha256]
    context: dict[str, str]


def compute(
    raw_dir: Path, warehouse: Path, serving: Path, analyst: Path, known: dict[str, list] | None = None
) -> Fingerprint:
    """The fingerprint of a build's inputs; a file whose size and mtime are as in `known` keeps its hash there."""
    known = known or {}
    files: dict[str, list] = {}
    for name, path in sorted(tracked_files(raw_dir).items()):
        stat = path.stat()
        cached = known.get(name)
        if cached and cached[0] == stat.st_size and cached[1] == stat.st_mtime_ns:
            files[name] = cached
        else:
            files[name] = [stat.st_size, stat.st_mtime_ns, sha256_of(path)]
    context = {
        "raw_data_dir": str(raw_dir),
        "warehouse": str(warehouse),
        "serving": str(serving),
        "analyst": str(analyst),
        "dbt_project_dir": str(paths.DBT_DIR),
    }
    digest = hashlib.sha256(json.dumps(context, sort_keys=True).encode())
    for name, (_, _, sha) in files.items():
        digest.update(f"{name}\0{sha}\n".encode())
    return Fingerprint(digest.hexdigest(), files, context)


def read_record(warehouse: Path) -> dict | None:
    """The record of the last successful publication from this warehouse, or None."""
    try:
        record = json.loads(record_path(warehouse).read_text())
    except (OSError, ValueError):
        return None
    return record if isinstance(record, dict) and "fingerprint" in record else None


def forget(warehouse: Path) -> None:
    """Remove the record: a build starts, and until it publishes nothing may be skipped."""
    record_path(warehouse).unlink(missing_ok=True)


def write_record(
    warehouse: Path,
    fingerprint: Fingerprint,
    publication_id: int,
    published_at: str,
    workbook: Path,
    factsheet: Path | None = None,
):
    """Record a successful publication's fingerprint and its documents (written whole, then moved into place)."""
    record = {
        "fingerprint": fingerprint.value,
        "publication_id": int(publication_id),
        "published_at": published_at,
        "workbook": str(workbook),
        **({"factsheet": str(factsheet)} if factsheet is not None else {}),
        **fingerprint.context,
        "files": fingerprint.files,
    }
    target = record_path(warehouse)
    staged = target.with_name(f"{target.name}.new-{os.getpid()}")
    staged.write_text(json.dumps(record, indent=1, sort_keys=True))
    os.replace(staged, target)


def _latest_publication(copy: Path) -> int | None:
    import duckdb

    try:
        with duckdb.connect(str(copy), read_only=True) as con:
            return con.execute("select max(publication_id) from marts.publication").fetchone()[0]
    except duckdb.Error:
        return None


def unchanged_since_publication(
    raw_dir: Path, warehouse: Path, serving: Path, analyst: Path
) -> tuple[str | None, Fingerprint]:
    """A line saying nothing changed since the last publication, or None when a build is needed; and the fingerprint."""
    record = read_record(warehouse)
    fingerprint = compute(raw_dir, warehouse, serving, analyst, known=(record or {}).get("files"))
    if record is None or forced() or record["fingerprint"] != fingerprint.value:
        return None, fingerprint
    # A record from before the factsheet was published names no factsheet: it is not asked for then.
    documents = [Path(record.get("workbook", "")), *([Path(record["factsheet"])] if "factsheet" in record else [])]
    copies = (warehouse, serving, analyst, *documents)
    if not all(path.is_file() for path in copies):
        return None, fingerprint
    # A rollback or a publish from the Dagster UI since: the copies are not the recorded publication.
    if any(_latest_publication(copy) != record["publication_id"] for copy in (serving, analyst)):
        return None, fingerprint
    return (
        f"nothing changed since publication {record['publication_id']} of {record['published_at']}: nothing to do "
        f"(FORCE=1 builds anyway)",
        fingerprint,
    )
