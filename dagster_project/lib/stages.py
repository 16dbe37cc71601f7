"""The stages of a build after the waves are loaded, in order: the one place that says so.

Each stage is one asset job over the asset groups of its `defs/` folder. `defs/jobs.py` makes the
jobs, `pipeline.py` runs them in this order and `run.py` reports them by their labels: a new stage is
a new folder plus one line here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Stage:
    """One stage: how progress names it, its job, the asset groups it materialises and what it does."""

    label: str
    job_name: str
    groups: tuple[str, ...]
    description: str


INGEST_JOB = "ingest_wave"
# Every asset that writes the pipeline's DuckDB file runs in this Dagster pool, whose limit is 1
# (dagster_home/dagster.yaml): DuckDB allows one writing process at a time.
WAREHOUSE_WRITER_POOL = "warehouse_writer"

STAGES: tuple[Stage, ...] = (
    Stage("weights", "build_weights", ("weights",), "Rake every wave and group in schema raw; replace schema weights."),
    Stage(
        "dbt build",
        "build_models",
        ("codebook", "staging", "intermediate", "marts"),
        "dbt build: codebook seeds, staging, intermediate and mart models with their tests.",
    ),
    Stage(
        "statistics",
        "build_statistics",
        ("stats", "report"),
        "Significance tests between waves and between kindcentra and the rest; the labelled report tables.",
    ),
    Stage(
        "quality",
        "check_quality",
        ("quality",),
        "Great Expectations suites on the raw waves and the marts; an error blocks publishing.",
    ),
    Stage(
        "publish",
        "publish",
        ("publish",),
        "Swap in the serving and analyst copies and extend the publication log.",
    ),
)
