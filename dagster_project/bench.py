"""`make bench`: time and memory of every stage at scale 1 and 2 of the sample, side by side in one run.

The machines are shared and noisy, so both scales run in the same process, one after the other, and
the statistics stage (the one with a target: under 10 s at scale 1) is timed three times and the median
kept. After each build the viewer's pages are timed on the serving copy that build published (target:
under 1 s each with warm caches); `--viewer-only` times only the pages, on an existing serving copy.
Prints a Markdown table for docs/benchmarks.md.
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

from dagster_project.lib.paths import DEFAULT_SERVING_PATH, EMBEDDED_SAMPLE_DIR, PROJECT_ROOT
from dagster_project.lib.significance import load_cells, subgroup_tests, wave_change_tests
from dagster_project.pipeline import run_pipeline
from dagster_project.sample_data.generator import DEFAULT_SEED, SampleGenerator
from dagster_project.sample_data.writer import write_group

REPEATS = 3
# The viewer: every page of st.navigation, by its file under streamlit_app/views/.
VIEWER_APP = PROJECT_ROOT / "streamlit_app" / "app.py"
VIEWER_PAGES = ("overzicht", "vragen", "trends", "kindcentra", "samenwerkingsmodellen", "methode")
VIEWER_RUNS = 5
VIEWER_TARGET_MS = 1000.0


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
    """Median seconds of the statistics stage's work (load the cell sums, both test sets), tests and answers."""
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        with duckdb.connect(str(warehouse), read_only=True) as con:
            cells = load_cells(con)
        tests = len(wave_change_tests(cells)) + len(subgroup_tests(cells))
        times.append(time.perf_counter() - started)
    return statistics.median(times), tests, int(cells["n"].sum())


def viewer_timings(serving: Path, runs: int = VIEWER_RUNS) -> dict[str, float]:
    """Server time of every viewer page on `serving` with warm caches: median and max ms of `runs` reruns.

    Each page runs in Streamlit's AppTest from the app's entry script, as `make app` serves it, once to
    fill the per-publication cache, then `runs` more times; what is timed is the rerun a visitor waits
    for after a click, without the browser's drawing.
    """
    # Imported here: the pipeline's own stages do not need Streamlit.
    from streamlit.testing.v1 import AppTest

    def timed_run(app: AppTest, page: str) -> float:
        started = time.perf_counter()
        app.run()
        seconds = time.perf_counter() - started
        if app.exception:
            raise RuntimeError(f"viewer page {page} failed: {app.exception[0].message}")
        return seconds

    figures: dict[str, float] = {}
    previous = os.environ.get("SERVING_PATH")
    os.environ["SERVING_PATH"] = str(serving)
    try:
        for page in VIEWER_PAGES:
            app = AppTest.from_file(str(VIEWER_APP), default_timeout=120)
            app.switch_page(f"views/{page}.py")
            timed_run(app, page)
            times = [timed_run(app, page) for _ in range(runs)]
            figures[f"viewer {page}, median of {runs} (ms)"] = statistics.median(times) * 1000
            figures[f"viewer {page}, max of {runs} (ms)"] = max(times) * 1000
    finally:
        if previous is None:
            os.environ.pop("SERVING_PATH", None)
        else:
            os.environ["SERVING_PATH"] = previous
    medians = [value for name, value in figures.items() if ", median of " in name]
    figures[f"viewer pages with a median over {VIEWER_TARGET_MS:,.0f} ms"] = sum(m > VIEWER_TARGET_MS for m in medians)
    return figures


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
    figures.update(viewer_timings(published / "serving.duckdb"))
    return figures


def _print_table(results: dict[str, dict[str, float]], ratio_names: list[str]) -> None:
    """The Markdown table: a row per figure, a column per run, then each further column's ratio to the first."""
    columns = list(results)
    header = ["figure", *columns, *ratio_names]
    print(
        f"Measured {time.strftime('%Y-%m-%d')} on {platform.node()} ({os.cpu_count()} cores, Python "
        f"{platform.python_version()}); seconds unless stated.\n"
    )
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for name in results[columns[0]]:
        values = [results[column][name] for column in columns]
        ratios = [value / values[0] if values[0] else float("nan") for value in values[1:]] if ratio_names else []
        cells = [f"{value:,.1f}" if value < 1000 else f"{value:,.0f}" for value in values]
        print(f"| {name} | " + " | ".join(cells + [f"{ratio:.2f}" for ratio in ratios]) + " |")


def main(argv: list[str] | None = None) -> int:
    """Measure at each scale and print the table (or only the viewer's pages, with --viewer-only)."""
    parser = argparse.ArgumentParser(prog="python -m dagster_project.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1.0, 2.0])
    parser.add_argument(
        "--viewer-only",
        action="store_true",
        help="time only the viewer's pages, on --serving, without building anything",
    )
    parser.add_argument("--serving", type=Path, default=DEFAULT_SERVING_PATH, help="serving copy for --viewer-only")
    parser.add_argument(
        "--runs", type=int, default=VIEWER_RUNS, help="timed runs per viewer page after the warm-up (--viewer-only)"
    )
    args = parser.parse_args(argv)
    if args.viewer_only:
        if not args.serving.exists():
            parser.error(f"no serving copy at {args.serving}: run `make run` or pass --serving")
        print(f"viewer pages on {args.serving} ...", file=sys.stderr, flush=True)
        _print_table({"serving copy": viewer_timings(args.serving.resolve(), args.runs)}, [])
        return 0
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scales:
            print(f"scale {scale:g} ...", file=sys.stderr, flush=True)
            root = Path(tmp) / f"scale_{scale:g}"
            root.mkdir()
            results[f"scale {scale:g}"] = measure(scale, root)
    first, *rest = args.scales
    _print_table(results, [f"ratio {scale:g}/{first:g}" for scale in rest])
    return 0


if __name__ == "__main__":
    sys.exit(main())
