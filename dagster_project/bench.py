"""`make bench`: time and memory of every stage at scale 1 and 2 of the sample, side by side in one run.

The machines are shared and noisy, so both scales run in the same process, one after the other, and
the statistics stage (the one with a target: under 10 s at scale 1) is timed three times and the median
kept. Prints a Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.lib.significance import load_answers, subgroup_tests, wave_change_tests
from dagster_project.pipeline import run_pipeline
from dagster_project.sample_data.generator import DEFAULT_SEED, SampleGenerator
from dagster_project.sample_data.writer import write_group

REPEATS = 3


def _peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def _sample(scale: float, root: Path) -> tuple[Path, float]:
    """The embedded sample at scale 1, else a generated one; with the seconds generation took."""
    if scale == 1.0:
        return EMBEDDED_SAMPLE_DIR, 0.0
    started = time.perf_counter()
    generator = SampleGenerator(seed=DEFAULT_SEED, scale=scale)
    for group in generator.generate():
        write_group(group, root / "raw", generator.codebook, generator.reference)
    return root / "raw", time.perf_counter() - started


def _statistics_seconds(warehouse: Path) -> tuple[float, int, int]:
    """Median seconds of the statistics stage's work (load answers, both test sets), tests and answers."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        with duckdb.connect(str(warehouse), read_only=True) as con:
            answers = load_answers(con)
        tests = len(wave_change_tests(answers)) + len(subgroup_tests(answers))
        times.append(time.perf_counter() - started)
    return statistics.median(times), tests, len(answers)


def measure(scale: float, root: Path) -> dict[str, float]:
    """Every stage of one full build at one scale."""
    raw, generation = _sample(scale, root)
    warehouse = root / "warehouse.duckdb"
    published = root / "published"
    stages = run_pipeline(
        raw,
        warehouse,
        serving=published / "serving.duckdb",
        analyst=published / "analyst.duckdb",
        log_dir=root / "logs",
    )
    if not stages[-1].success:
        raise RuntimeError(f"build failed at {stages[-1].label}: {stages[-1].message}")
    figures = {"generate sample": generation}
    for stage in stages:
        key = "ingest (all waves)" if stage.label.startswith("ingest") else stage.label
        figures[key] = figures.get(key, 0.0) + stage.seconds
    figures["whole build"] = sum(stage.seconds for stage in stages)
    seconds, tests, answers = _statistics_seconds(warehouse)
    figures["statistics work, median of 3"] = seconds
    figures["tests"] = tests
    figures["answer rows"] = answers
    figures["peak memory, this process (MB)"] = _peak_mb(resource.RUSAGE_SELF)
    figures["peak memory, dbt subprocess (MB)"] = _peak_mb(resource.RUSAGE_CHILDREN)
    return figures


def main(argv: list[str] | None = None) -> int:
    """Measure at each scale and print the table."""
    parser = argparse.ArgumentParser(prog="python -m dagster_project.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0])
    args = parser.parse_args(argv)
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            print(f"scale {scale:g} ...", file=sys.stderr, flush=True)
            root = Path(tmp) / f"scale_{scale:g}"
            root.mkdir()
            results[scale] = measure(scale, root)
    first, *rest = args.scales
    header = ["figure", *(f"scale {scale:g}" for scale in args.scales), *(f"ratio {s:g}/{first:g}" for s in rest)]
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()} ({os.cpu_count()} cores, Python "
        f"{platform.python_version()}); seconds unless stated.\n"
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in results[first]:
        values = [results[scale][name] for scale in args.scales]
        ratios = [value / values[0] if values[0] else float("nan") for value in values[1:]]
        cells = [f"{value:,.1f}" if value < 1000 else f"{value:,.0f}" for value in values]
        print(f"| {name} | " + " | ".join(cells + [f"{ratio:.2f}" for ratio in ratios]) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
