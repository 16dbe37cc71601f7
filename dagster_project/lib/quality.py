"""Quality gates: Great Expectations suites run on frames the warehouse computes, per wave and group.

A check is two files in the top-level `expectations/` folder: `<check>.sql`, the query that builds
the frame to validate (one row per unit checked, with `wave` and `respondent_group` columns), and
`<check>.json`, a Great Expectations 1.x suite whose `meta` names the assets it checks, its
severity (`error` blocks publishing, `warning` is recorded and shown) and what it means. A new check
is two new files, not new code. A query may write `$raw_metadata_columns` for the columns the ingest
adds to every raw table (dbt var `raw_metadata_columns`), so that list lives in one place.

The frames are computed in SQL so that what reaches pandas is either small (aggregates) or one row
per respondent at most. The query itself runs in DuckDB on up to every answer (16.8 M at scale 100),
and its joins count towards the process's memory too: a join over answers takes only the rows it can
match (as `raw_routing_respected.sql` does; joining every answer to every answer took 4 GB there).
tests/test_quality_scale.py holds every query to a fixed memory limit at ten times the sample.

Each (wave, group) is validated as its own batch, so a failure names the wave and group it is in.
Great Expectations is imported only here, when checks run: it takes seconds.
"""

from __future__ import annotations

import json
import numbers
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from string import Template
from typing import NamedTuple

import duckdb
import numpy as np
import pandas as pd

from dagster_project.lib import comments
from dagster_project.lib.paths import PROJECT_ROOT
from publication.settings import RAW_METADATA_COLUMNS

EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
SEVERITIES = ("error", "warning")
RESULT_TABLE = "marts.quality_result"
RESULT_COLUMNS = {
    "evaluation_id": "varchar",
    "check_name": "varchar",
    "expectation": "varchar",
    "asset": "varchar",
    "wave": "integer",
    "respondent_group": "varchar",
    "severity": "varchar",
    "passed": "boolean",
    "element_count": "bigint",
    "unexpected_count": "bigint",
    "observed_value": "double",
    "observed": "varchar",
    "expected": "varchar",
    "evaluated_at": "timestamp",
}
RESULT_DOCS = {
    "evaluation_id": "One evaluation of every check; the publication names the one it passed.",
    "check_name": "The check: the suite expectations/<check_name>.json and its query <check_name>.sql.",
    "expectation": "The Great Expectations expectation type of this row.",
    "asset": "The asset(s) the check is about.",
    "wave": "The wave of the batch validated; null when the check is not per wave.",
    "respondent_group": "The group of the batch validated; null when the check is not per group.",
    "severity": "error (blocks publishing) or warning (recorded and shown).",
    "passed": "The expectation held for this wave and group.",
    "element_count": "Rows validated.",
    "unexpected_count": "Rows that broke a row-wise expectation; null for an aggregate one.",
    "observed_value": "What an aggregate expectation observed (e.g. answers outside routing); null for row-wise ones.",
    "observed": "What was observed, in words, with a few offending values.",
    "expected": "The expectation with its arguments.",
    "evaluated_at": "When the checks ran (UTC).",
}
# How many offending values a result row quotes.
_QUOTED_VALUES = 5


@dataclass(frozen=True)
class QualityCheck:
    """One check: its query, its suite (as JSON) and what the suite's meta says of it."""

    name: str
    query: str
    suite: dict
    assets: tuple[str, ...]
    severity: str
    description: str

    @classmethod
    def load(cls, suite_path: Path) -> QualityCheck:
        """Read `<check>.json` and the `<check>.sql` beside it; refuse a suite that says too little."""
        suite = json.loads(suite_path.read_text(encoding="utf-8"))
        query_path = suite_path.with_suffix(".sql")
        meta = suite.get("meta", {})
        if suite.get("name") != suite_path.stem:
            raise ValueError(f"{suite_path}: suite name {suite.get('name')!r} differs from the file name")
        if meta.get("severity") not in SEVERITIES:
            raise ValueError(f"{suite_path}: meta.severity must be one of {SEVERITIES}, not {meta.get('severity')!r}")
        if not meta.get("assets"):
            raise ValueError(f"{suite_path}: meta.assets must name the assets the check is about")
        if not query_path.exists():
            raise ValueError(f"{suite_path}: no query {query_path.name} beside it")
        return cls(
            name=suite_path.stem,
            query=_render(query_path.read_text(encoding="utf-8")),
            suite=suite,
            assets=tuple(meta["assets"]),
            severity=meta["severity"],
            description=meta.get("description", ""),
        )


def _render(query: str) -> str:
    """The query with `$raw_metadata_columns` spelled out (safe_substitute leaves any other `$` alone)."""
    return Template(query).safe_substitute(raw_metadata_columns=", ".join(RAW_METADATA_COLUMNS))


def load_checks(folder: Path = EXPECTATIONS_DIR) -> list[QualityCheck]:
    """Every check in the folder, by name."""
    return [QualityCheck.load(path) for path in sorted(folder.glob("*.json"))]


@cache
def _batch_definition():
    """An ephemeral Great Expectations context with one pandas data asset: nothing is written to disk."""
    # No usage statistics leave the machine; set before the import reads it.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    asset = context.data_sources.add_pandas("warehouse").add_dataframe_asset("check_frame")
    return asset.add_batch_definition_whole_dataframe("whole_frame")


def _expected(config) -> str:
    kwargs = {key: value for key, value in config.kwargs.items() if key not in ("batch_id",)}
    return f"{config.type}({', '.join(f'{key}={value!r}' for key, value in kwargs.items())})"


def _observed_value(result: dict) -> float | None:
    """The number an aggregate expectation observed (a sum, a count), or None for row-wise ones."""
    value = result.get("observed_value") if result else None
    is_number = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
    return float(value) if is_number else None


def _observed(result: dict) -> str:
    """What the data showed, in one line: how many rows broke the expectation and a few of them."""
    if not result:
        return ""
    if "unexpected_count" not in result:
        value = result.get("observed_value")
        return f"observed {value.item() if isinstance(value, np.generic) else value!r}"
    line = f"{result.get('unexpected_count', 0)} of {result.get('element_count', 0)} rows unexpected"
    values = result.get("partial_unexpected_list") or []
    if values:
        line += ": " + ", ".join(repr(value) for value in values[:_QUOTED_VALUES])
    return line


def _batches(frame: pd.DataFrame) -> Iterator[tuple[int | None, str | None, pd.DataFrame]]:
    """The frame split by wave and group, the unit a result row speaks of."""
    keys = [column for column in ("wave", "respondent_group") if column in frame.columns]
    if frame.empty or not keys:
        yield None, None, frame
        return
    for values, rows in frame.groupby(keys, sort=True, dropna=False):
        values = dict(zip(keys, values if isinstance(values, tuple) else (values,), strict=True))
        wave = values.get("wave")
        yield (None if pd.isna(wave) else int(wave)), values.get("respondent_group"), rows.reset_index(drop=True)


def evaluate_check(con: duckdb.DuckDBPyConnection, check: QualityCheck) -> list[dict]:
    """Run one check: its query, then its suite on every (wave, group) batch; one row per expectation and batch."""
    import great_expectations as gx

    frame = con.execute(check.query).df()
    suite = gx.ExpectationSuite(**check.suite)
    rows = []
    for wave, group, batch_frame in _batches(frame):
        batch = _batch_definition().get_batch(batch_parameters={"dataframe": batch_frame})
        validation = batch.validate(suite)
        assets = ", ".join(asset.format(respondent_group=group or "") for asset in check.assets)
        for result in validation.results:
            details = result.result or {}
            rows.append(
                {
                    "check_name": check.name,
                    "expectation": result.expectation_config.type,
                    "asset": assets,
                    "wave": wave,
                    "respondent_group": group,
                    "severity": check.severity,
                    "passed": bool(result.success),
                    "element_count": details.get("element_count", len(batch_frame)),
                    "unexpected_count": details.get("unexpected_count"),
                    "observed_value": _observed_value(details),
                    "observed": _observed(details),
                    "expected": _expected(result.expectation_config),
                }
            )
    return rows


def evaluate_all(con: duckdb.DuckDBPyConnection, checks: list[QualityCheck], evaluation_id: str) -> pd.DataFrame:
    """Every check, as the rows of `marts.quality_result` for one evaluation."""
    evaluated_at = datetime.now(UTC).replace(tzinfo=None)
    rows = [row for check in checks for row in evaluate_check(con, check)]
    frame = pd.DataFrame(rows, columns=[c for c in RESULT_COLUMNS if c not in ("evaluation_id", "evaluated_at")])
    frame.insert(0, "evaluation_id", evaluation_id)
    frame["evaluated_at"] = evaluated_at
    return frame


def replace_results(con: duckdb.DuckDBPyConnection, results: pd.DataFrame) -> None:
    """Replace `marts.quality_result` by one evaluation's rows, typed as documented, in one transaction."""
    columns = ", ".join(f"{name}::{kind} as {name}" for name, kind in RESULT_COLUMNS.items())
    con.execute("begin transaction")
    try:
        con.execute("create schema if not exists marts")
        con.register("incoming_quality_result", results)
        con.execute(f"create or replace table {RESULT_TABLE} as select {columns} from incoming_quality_result")
        con.unregister("incoming_quality_result")
        comments.describe(
            con,
            RESULT_TABLE,
            "One row per quality check, expectation, wave and group of the last evaluation.",
            RESULT_DOCS,
        )
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def failures(results: pd.DataFrame, severity: str) -> pd.DataFrame:
    """The rows of one severity that did not pass."""
    return results[(results["severity"] == severity) & ~results["passed"].astype(bool)]


class Counts(NamedTuple):
    """Checks of an evaluation, and how many failed with severity error and with severity warning."""

    checks: int
    errors: int
    warnings: int


def counts(results: pd.DataFrame) -> Counts:
    """The checks of an evaluation and their failures, counted by check (a check fails if any of its batches does)."""
    by_check = results.groupby(["check_name", "severity"])["passed"].all().reset_index()
    errors = int(((by_check["severity"] == "error") & ~by_check["passed"]).sum())
    warnings = int(((by_check["severity"] == "warning") & ~by_check["passed"]).sum())
    return Counts(len(by_check), errors, warnings)


def summary_line(results: pd.DataFrame) -> str:
    """`N checks: E errors, W warnings`, counted by check (a check fails if any of its batches does)."""
    checks, errors, warnings = counts(results)
    return f"{checks} checks: {errors} errors, {warnings} warnings"


def describe_failures(results: pd.DataFrame, severity: str) -> list[str]:
    """One line per failed check of a severity: its name, the total found and where, e.g. `x: 7 (a 2016: 7)`."""
    failed = failures(results, severity).copy()
    # Row-wise expectations count offending rows; aggregate ones (a sum that must be 0) their value.
    failed["found"] = failed["unexpected_count"].fillna(failed["observed_value"]).fillna(0).astype(int)
    lines = []
    for name, rows in failed.groupby("check_name", sort=True):
        by_place = rows.groupby(["respondent_group", "wave"], dropna=False, sort=True)["found"].sum()
        places = ", ".join(
            f"{group} {int(wave)}: {found}" if pd.notna(wave) else f"{group}: {found}"
            for (group, wave), found in by_place.items()
        )
        lines.append(f"{name}: {int(rows['found'].sum())} unexpected ({places}); e.g. {rows.iloc[0]['observed']}")
    return lines
