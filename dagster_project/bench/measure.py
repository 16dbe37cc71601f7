"""`make bench`: wall time and peak memory of every stage of a full build, each in a fresh process.

Cases, each a full build (ingest, weights, dbt, statistics, quality, publish) in a new Python process
(`python -m dagster_project.bench --one ...`) with a new Dagster instance of its own under DAGSTER_HOME
(configured as the project's, as `make run` uses it), so that process start, imports, Dagster's run
and event storage and dbt's start-up count as they do for `make run`:

- `scale N` for each of `--scales` (default 1, 10 and 100): the embedded sample at scale 1, a generated
  one otherwise (or one reused from `--samples DIR/scaleN`);
- `ten waves`: scale 1 with 2022, 2025, ... 2040 added (sample_data/extra_waves.py), against `scale 1`;
- `added wave`: a warehouse built from the two waves at `--incremental-scale` (default 10) gets a
  third wave: its files are dropped in and only that wave is ingested, as Dagster's sensor does, and
  every stage after the ingest runs again; against the two-wave build at that scale.

A case whose first run takes under a minute runs three times; the table gives the median and the
spread (min-max). Wall time is measured by this process around the child; the stages' seconds, the
child's memory high-water mark after each stage (VmHWM) and its dbt subprocesses' peak
(RUSAGE_CHILDREN) come from the child. After a scale-1 build the viewer's
pages are timed on the copy it published. At each scale the floor (bench/floor.py: the dbt stage's
models as one SQL script in one DuckDB connection) runs on a copy of the warehouse taken after the
weights, and must give every model the row count dbt gave it. Where R and its survey package are
installed (not in CI), the first build at each scale also has its tests run in R (bench/r_baseline.py):
R's seconds for them against Python's for the same tests, with every p-value within 1e-10 of R's.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.bench import r_baseline
from dagster_project.bench.floor import floor_script, row_counts, run_floor
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.paths import DBT_DIR, EMBEDDED_SAMPLE_DIR, PROJECT_ROOT
from dagster_project.sample_data.extra_waves import add_codebook_rows, extra_waves, generator_with_waves
from dagster_project.sample_data.generator import DEFAULT_SEED, SampleGenerator
from dagster_project.sample_data.writer import write_group
from publication.locations import DEFAULT_SERVING_PATH

PROJECT_DAGSTER_YAML = PROJECT_ROOT / "dagster_home" / "dagster.yaml"
# R's p-values and the warehouse's must agree to this (the golden tests' tolerance), or the timing is void.
R_AGREEMENT = 1e-10
REPEATS = 3
# A case whose first run is shorter than this runs REPEATS times.
REPEAT_BELOW_SECONDS = 60.0
STAGES = ("ingest", "weights", "dbt build", "statistics", "quality", "publish")
TEN_WAVES = 10
QUICK_SCALE = 1.0
# The dbt project copy of the two-wave cases, under the work folder.
TWO_WAVES_DBT = "dbt_two_waves"
CHILD_TIMEOUT_SECONDS = 3600
# The viewer: every page of st.navigation, by its file under streamlit_app/views/.
VIEWER_APP = PROJECT_ROOT / "streamlit_app" / "app.py"
VIEWER_PAGES = ("overzicht", "vragen", "trends", "kindcentra", "samenwerkingsmodellen", "methode")
VIEWER_RUNS = 5
VIEWER_TARGET_MS = 1000.0


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --- the child: one build, reporting its stages --------------------------------------------------


def own_peak_mb() -> float:
    """Peak resident memory of this process since it started (VmHWM).

    Unlike ru_maxrss, which a process inherits from its parent's size when it was started, VmHWM
    counts only this process's own memory.
    """
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _copy_database(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copy2(wal, target.with_name(target.name + ".wal"))


def run_one(
    raw: Path, warehouse: Path, published: Path, result: Path, floor_copy: Path | None, only_waves: list[str]
) -> int:
    """Build `warehouse` from `raw` in this process and write each stage's seconds and memory to `result`."""
    # Imported here, so that the child's imports count in its wall time and the parent stays light.
    import dagster as dg

    from dagster_project import pipeline

    records: list[dict] = []
    copy_seconds = 0.0

    def on_stage_end(stage: pipeline.StageResult) -> None:
        nonlocal copy_seconds
        records.append(
            {
                "label": stage.label,
                "seconds": stage.seconds,
                "own_peak_mb": own_peak_mb(),
                # A subprocess's ru_maxrss starts at its parent's high-water mark when it was started, so
                # this is dbt's peak or the pipeline process's mark when it started dbt, the larger.
                "children_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024,
                "success": stage.success,
                "message": stage.message,
                # What the tests that read this build need of it (tests/warehouse_build.py).
                "checks": [
                    {"name": check.asset_check_key.name, "severity": check.severity.value, "passed": check.passed}
                    for check in stage.checks
                ],
            }
        )
        if stage.label == "weights" and floor_copy is not None:
            started = time.perf_counter()
            _copy_database(warehouse, floor_copy)
            copy_seconds = time.perf_counter() - started

    stages = pipeline.run_pipeline(
        raw,
        warehouse,
        # The persistent instance the parent made, as `make run` uses DAGSTER_HOME's.
        instance=dg.DagsterInstance.get(),
        serving=published / "serving.duckdb",
        analyst=published / "analyst.duckdb",
        log_dir=warehouse.parent / "logs",
        # An added wave is loaded as the sensor loads it, as its own partition; the other waves stay as they are.
        waves=only_waves or None,
        on_stage_end=on_stage_end,
    )
    result.write_text(json.dumps({"stages": records, "floor_copy_seconds": copy_seconds}))
    return 0 if stages and stages[-1].success and stages[-1].label == STAGES[-1] else 1


# --- the parent: cases, repeats, the floor and the table ------------------------------------------


@dataclass
class Case:
    """One configuration of the build: its input, its dbt project copy and what else to measure."""

    name: str
    raw: Path
    dbt_dir: Path
    floor: bool = False
    viewer: bool = False
    r_baseline: bool = False
    only_waves: list[str] = field(default_factory=list)
    # For an added wave: the warehouse (and its folder) to start each run from.
    start_from: Path | None = None
    compare_with: str = ""


def _child_env(dbt_dir: Path, dagster_home: Path | None = None) -> dict[str, str]:
    environment = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    if dagster_home is not None:
        environment["DAGSTER_HOME"] = str(dagster_home)
    environment["DBT_PROJECT_DIR"] = str(dbt_dir)
    environment["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), environment.get("PATH", "")])
    return environment


def prepare_dbt_copy(target: Path, extra: list[int]) -> Path:
    """A copy of the dbt project (own target folder, codebook rows for the extra waves), not parsed yet.

    Each build parses it first, with its own warehouse path (`_parse_for`): a parse here, with
    another path, would be thrown away by the first build (dbt parses again when the profile changes).
    """
    shutil.copytree(DBT_DIR, target, ignore=shutil.ignore_patterns("target", "logs"))
    if extra:
        add_codebook_rows(target / "seeds", extra)
    return target


def generate_sample(out: Path, scale: float, generator: SampleGenerator | None = None, waves: list[int] | None = None):
    """Write a generated sample (every wave, or only `waves`) under `out`; return `out`."""
    generator = generator or SampleGenerator(seed=DEFAULT_SEED, scale=scale)
    for wave in waves or generator.codebook.waves():
        for group in RESPONDENT_GROUPS:
            if (wave, group) in generator.sizes:
                write_group(generator.generate_group(wave, group), out, generator.codebook, generator.reference)
    return out


def _has_waves(folder: Path) -> bool:
    return (folder / "waves").is_dir() and any((folder / "waves").iterdir())


def sample_for_scale(scale: float, root: Path, samples: Path | None) -> Path:
    """The raw folder at a scale: the embedded sample at 1, a reused one under `samples`, else generated."""
    if scale == 1.0:
        return EMBEDDED_SAMPLE_DIR
    if samples is not None and _has_waves(samples / f"scale{scale:g}"):
        return samples / f"scale{scale:g}"
    _log(f"generating scale {scale:g} ...")
    return generate_sample(root / f"raw_scale{scale:g}", scale)


def _parse_for(dbt_dir: Path, warehouse: Path, environment: dict[str, str]) -> None:
    """Parse the dbt copy with this build's warehouse path, untimed, as make's manifest rule does.

    dbt keeps its parse only for the same profile, which holds the warehouse path (lib/dbt_cli.py):
    `make run` finds it parsed for its path; without this, every run here would parse again.
    """
    dbt = str(Path(sys.executable).with_name("dbt"))
    subprocess.run(
        [dbt, "parse", "--project-dir", str(dbt_dir), "--profiles-dir", str(dbt_dir)],
        cwd=dbt_dir,
        env={**environment, "WAREHOUSE_PATH": str(warehouse), "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"},
        check=True,
        capture_output=True,
        timeout=600,
    )


def _run_child(case: Case, run_dir: Path) -> dict:
    """One build of the case in a fresh process: its stages, wall seconds and peak memory."""
    warehouse = run_dir / "warehouse" / "warehouse.duckdb"
    if case.start_from is not None:
        _copy_database(case.start_from, warehouse)
    floor_copy = run_dir / "floor" / "warehouse.duckdb" if case.floor else None
    result = run_dir / "result.json"
    command = [sys.executable, "-m", "dagster_project.bench", "--one", str(case.raw), str(warehouse)]
    command += ["--published", str(warehouse.parent / "published"), "--result", str(result)]
    if floor_copy is not None:
        command += ["--floor-copy", str(floor_copy)]
    for wave in case.only_waves:
        command += ["--only-wave", wave]
    run_dir.mkdir(parents=True, exist_ok=True)
    # A Dagster instance of its own, configured as `make run`'s (which keeps its runs and events in
    # SQLite under DAGSTER_HOME), new as on a fresh clone.
    # Beside the warehouse, with the published copies: the layout the tests' shared warehouse has too.
    dagster_home = warehouse.parent / "dagster_home"
    dagster_home.mkdir(parents=True, exist_ok=True)
    shutil.copy(PROJECT_DAGSTER_YAML, dagster_home / "dagster.yaml")
    environment = _child_env(case.dbt_dir, dagster_home)
    _parse_for(case.dbt_dir, warehouse, environment)
    with (run_dir / "child.log").open("w") as log:
        started = time.perf_counter()
        child = subprocess.Popen(command, cwd=PROJECT_ROOT, env=environment, stdout=log, stderr=log)
        child.wait()
        wall = time.perf_counter() - started
    if child.returncode != 0 or not result.exists():
        raise RuntimeError(f"{case.name}: the build failed, see {run_dir / 'child.log'}")
    report = json.loads(result.read_text())
    figures = _stage_figures(report["stages"])
    figures["whole build (s)"] = wall - report["floor_copy_seconds"]
    figures["start-up and imports (s)"] = figures["whole build (s)"] - sum(
        figures.get(f"{stage} (s)", 0.0) for stage in STAGES
    )
    # Not wait4's ru_maxrss: a child starts with its parent's high-water mark, which here would be this
    # process's (it generates samples and runs the floor). The pipeline process's own VmHWM and its dbt
    # subprocesses' mark (bounded below by the pipeline process's size when it started them) are exact.
    last = report["stages"][-1]
    figures["whole build peak, largest process (MB)"] = max(last["own_peak_mb"], last["children_mb"])
    if case.floor:
        figures.update(_floor_figures(case, warehouse, floor_copy))
    return figures


def _stage_figures(records: list[dict]) -> dict[str, float]:
    """Seconds per stage (the waves' ingests summed) and the pipeline process's memory high-water mark after it."""
    figures: dict[str, float] = {}
    for record in records:
        if not record["success"]:
            raise RuntimeError(f"stage {record['label']} failed: {record['message']}")
        stage = "ingest" if record["label"].startswith("ingest") else record["label"]
        figures[f"{stage} (s)"] = figures.get(f"{stage} (s)", 0.0) + record["seconds"]
    for record in records:
        stage = "ingest" if record["label"].startswith("ingest") else record["label"]
        figures[f"pipeline process high-water after {stage} (MB)"] = record["own_peak_mb"]
    dbt = next(record for record in records if record["label"] == "dbt build")
    figures["dbt build subprocess peak (MB)"] = dbt["children_mb"]
    return figures


def _floor_figures(case: Case, warehouse: Path, floor_copy: Path) -> dict[str, float]:
    script, relations = floor_script(case.dbt_dir)
    (floor_copy.parent / "floor.sql").write_text(script)
    seconds = run_floor(floor_copy, script)
    built, floor = row_counts(warehouse, relations), row_counts(floor_copy, relations)
    different = [relation for relation in relations if built[relation] != floor[relation]]
    if different:
        raise RuntimeError(f"{case.name}: the floor's row counts differ from dbt's for {different}")
    floor_copy.unlink()
    return {"floor (s)": seconds, "floor models with dbt's row count": len(relations)}


def case_run_dir(root: Path, case_name: str, run: int) -> Path:
    """The folder of one run (from 1) of a case under the work folder: `warehouse/`, `result.json`, `child.log`."""
    return root / case_name.replace(" ", "_") / f"run{run}"


def quick_run_dir(root: Path) -> Path:
    """The folder of `--quick`'s one build under the work folder."""
    return case_run_dir(root, f"scale {QUICK_SCALE:g}", 1)


def measure(
    case: Case,
    root: Path,
    repeats: int,
    viewer: Callable[[Path], dict[str, float]] | None,
    with_r: bool = False,
    keep_first: bool = False,
) -> list[dict]:
    """Every run of one case: one, or REPEATS when the first is under a minute; R on the first one's warehouse.

    With keep_first (`--work`), the first run's warehouse folder (the warehouse, its published copies
    and its Dagster instance) stays, for a look afterwards or for the tests, which read the quick one.
    """
    runs: list[dict] = []
    while not runs or (len(runs) < repeats and runs[0]["whole build (s)"] < REPEAT_BELOW_SECONDS):
        run_dir = case_run_dir(root, case.name, len(runs) + 1)
        _log(f"{case.name}: run {len(runs) + 1} ...")
        figures = _run_child(case, run_dir)
        _log(f"{case.name}: run {len(runs) + 1} took {figures['whole build (s)']:.1f} s")
        if viewer is not None and case.viewer and not runs:
            figures.update(viewer(run_dir / "warehouse" / "published" / "serving.duckdb"))
        if with_r and case.r_baseline and not runs:
            _log(f"{case.name}: the same tests in R ...")
            figures.update(r_figures(run_dir / "warehouse" / "warehouse.duckdb", run_dir / "r_baseline"))
        runs.append(figures)
        # The warehouses of a run are not needed again; the disk is shared.
        if not (keep_first and len(runs) == 1):
            shutil.rmtree(run_dir / "warehouse", ignore_errors=True)
    return runs


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


def r_figures(warehouse: Path, work: Path) -> dict[str, float]:
    """The statistics stage's tests in R's survey package on the same warehouse (bench/r_baseline.py)."""
    figures = r_baseline.run(warehouse, work)
    if figures["max_abs_p_difference"] > R_AGREEMENT:
        raise RuntimeError(f"R's p-values differ from the warehouse's by {figures['max_abs_p_difference']:.3g}")
    return {
        "R survey: tests run (rao_scott_f, svyttest)": figures["tests"],
        "R survey: the tests (s)": figures["r_seconds"],
        "Python: the same tests from cell sums (s)": figures["python_seconds"],
        "R survey / Python, the same tests": figures["ratio"],
        "largest p-value difference from R": figures["max_abs_p_difference"],
    }


# --- the table ----------------------------------------------------------------------------------


def summarise(runs: list[dict]) -> dict[str, tuple[float, float, float, int]]:
    """Per figure: median, min, max and the number of runs that have it (the viewer's pages: the first)."""
    names = list(dict.fromkeys(name for run in runs for name in run))
    return {
        name: (statistics.median(values), min(values), max(values), len(values))
        for name in names
        for values in [[run[name] for run in runs if name in run]]
    }


def _number(value: float) -> str:
    if 0 < abs(value) < 0.001:
        return f"{value:.1e}"  # the p-value differences
    return f"{value:,.2f}" if abs(value) < 10 else f"{value:,.1f}" if abs(value) < 1000 else f"{value:,.0f}"


def _cell(summary: tuple[float, float, float, int] | None) -> str:
    if summary is None:
        return ""
    median, low, high, count = summary
    return _number(median) if count == 1 else f"{_number(median)} ({_number(low)}-{_number(high)})"


def ratios(results: dict[str, dict]) -> list[tuple[str, float | None]]:
    """The issue's ratios, from the medians: each with the figures it divides."""

    def median(case: str, figure: str) -> float | None:
        summary = results.get(case, {}).get(figure)
        return summary[0] if summary else None

    def ratio(top: float | None, bottom: float | None) -> float | None:
        return top / bottom if top is not None and bottom else None

    rows = []
    for case in results:
        rows.append((f"{case}: dbt build / floor", ratio(median(case, "dbt build (s)"), median(case, "floor (s)"))))
    for case in results:
        r_seconds = median(case, "R survey: the tests (s)")
        rows.append((f"{case}: R survey's tests / statistics stage", ratio(r_seconds, median(case, "statistics (s)"))))
    scales = [case for case in results if case.startswith("scale ")]
    if len(scales) > 1:
        first, last = scales[0], scales[-1]
        rows.append(
            (
                f"statistics, {last} / {first}",
                ratio(median(last, "statistics (s)"), median(first, "statistics (s)")),
            )
        )
        rows.append(
            (f"whole build, {last} / {first}", ratio(median(last, "whole build (s)"), median(first, "whole build (s)")))
        )
    for case, summary in results.items():
        compare = summary.get("_compare_with")
        if compare:
            rows.append(
                (
                    f"whole build, {case} / {compare}",
                    ratio(median(case, "whole build (s)"), median(compare, "whole build (s)")),
                )
            )
    return [(name, value) for name, value in rows if value is not None]


def table(results: dict[str, dict], r_note: str = "") -> str:
    """The Markdown table (a row per figure, a column per case), the ratios and the R note."""
    columns = list(results)
    names: list[str] = []
    for summary in results.values():
        names += [name for name in summary if not name.startswith("_") and name not in names]
    lines = [
        f"Measured {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()} ({os.cpu_count()} cores, "
        f"{os.sysconf('SC_PAGE_SIZE') * os.sysconf('SC_PHYS_PAGES') / 2**30:.0f} GiB, Python "
        f"{platform.python_version()}, load average at the end {os.getloadavg()[0]:.1f}); seconds unless "
        "stated; median (min-max) where a case ran more than once.",
        "",
        "| figure | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    runs = [
        max((summary[name][3] for name in summary if not name.startswith("_")), default=0)
        for summary in results.values()
    ]
    lines.append("| runs | " + " | ".join(str(count) for count in runs) + " |")
    for name in names:
        lines.append(f"| {name} | " + " | ".join(_cell(results[column].get(name)) for column in columns) + " |")
    if any("statistics (s)" in summary for summary in results.values()):
        lines += ["", "| ratio (medians) | value |", "|---|---|"]
        lines += [f"| {name} | {value:.2f} |" for name, value in ratios(results)]
        if r_note:
            lines += ["", f"R's survey package (svychisq, svyttest) against the statistics stage: {r_note}."]
    return "\n".join(lines) + "\n"


# --- main ---------------------------------------------------------------------------------------


def _scales(text: str) -> list[float]:
    return [float(part) for part in text.split(",") if part.strip()]


def build_cases(args: argparse.Namespace, root: Path) -> list[Callable[[], Case]]:
    """The cases to run, each as a function that prepares its sample and dbt project copy when called."""

    def two_waves_dbt() -> Path:
        folder = root / TWO_WAVES_DBT
        return folder if folder.exists() else prepare_dbt_copy(folder, [])

    def at_scale(scale: float) -> Case:
        raw = sample_for_scale(scale, root, args.samples)
        return Case(f"scale {scale:g}", raw, two_waves_dbt(), floor=True, viewer=scale == 1.0, r_baseline=True)

    def more_waves() -> Case:
        waves = extra_waves(args.waves)
        dbt_dir = prepare_dbt_copy(root / "dbt_more_waves", waves)
        raw = root / "raw_more_waves"
        shutil.copytree(EMBEDDED_SAMPLE_DIR, raw)
        _log(f"generating waves {waves} at scale 1 ...")
        generate_sample(raw, 1.0, generator_with_waves(dbt_dir / "seeds", args.waves), waves)
        return Case(f"{args.waves} waves", raw, dbt_dir, compare_with="scale 1")

    def added_wave() -> Case:
        scale = args.incremental_scale
        wave = extra_waves(3)
        dbt_dir = prepare_dbt_copy(root / "dbt_added_wave", wave)
        two = sample_for_scale(scale, root, args.samples)
        raw = root / "raw_added_wave"
        for folder in ("waves", "population"):
            shutil.copytree(two / folder, raw / folder)
        _log(f"added wave: building the two-wave warehouse at scale {scale:g} ...")
        _run_child(Case(f"two waves scale {scale:g}", two, dbt_dir), root / "added_wave_base")
        _log(f"generating wave {wave[0]} at scale {scale:g} ...")
        generate_sample(raw, scale, generator_with_waves(dbt_dir / "seeds", 3, scale=scale), wave)
        return Case(
            f"added wave scale {scale:g}",
            raw,
            dbt_dir,
            only_waves=[str(wave[0])],
            start_from=root / "added_wave_base" / "warehouse" / "warehouse.duckdb",
            compare_with=f"scale {scale:g}" if scale in args.scales else "",
        )

    cases: list[Callable[[], Case]] = [lambda scale=scale: at_scale(scale) for scale in args.scales]
    if args.waves > 2:
        cases.append(more_waves)
    if args.incremental_scale:
        cases.append(added_wave)
    return cases


def main(argv: list[str] | None = None) -> int:
    """Measure every case and print the table (or only the viewer's pages, or one build with --one)."""
    parser = argparse.ArgumentParser(prog="python -m dagster_project.bench", description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=_scales, default=[1.0, 10.0, 100.0], help="comma-separated (default 1,10,100)")
    parser.add_argument("--waves", type=int, default=TEN_WAVES, help="waves of the many-waves case (2: none)")
    parser.add_argument("--incremental-scale", type=float, default=10.0, help="scale of the added wave (0: none)")
    parser.add_argument("--repeats", type=int, default=REPEATS, help="runs of a case under a minute")
    parser.add_argument("--quick", action="store_true", help="smoke test: scale 1, two waves, one run, no viewer")
    parser.add_argument("--samples", type=Path, help="reuse raw samples in DIR/scale10, DIR/scale100, ...")
    parser.add_argument("--work", type=Path, help="keep the builds (each case's first warehouse) in this folder")
    parser.add_argument(
        "--out", type=Path, help="also write the table here (after every case) and the figures as JSON beside it"
    )
    parser.add_argument("--no-viewer", action="store_true", help="do not time the viewer's pages")
    parser.add_argument("--no-r", action="store_true", help="do not run the tests in R's survey package")
    parser.add_argument("--viewer-only", action="store_true", help="time only the viewer's pages, on --serving")
    parser.add_argument("--serving", type=Path, default=DEFAULT_SERVING_PATH, help="serving copy for --viewer-only")
    parser.add_argument("--runs", type=int, default=VIEWER_RUNS, help="timed runs per viewer page after the warm-up")
    parser.add_argument("--one", nargs=2, type=Path, metavar=("RAW", "WAREHOUSE"), help=argparse.SUPPRESS)
    parser.add_argument("--published", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--floor-copy", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--only-wave", action="append", default=[], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.one:
        return run_one(*args.one, args.published, args.result, args.floor_copy, args.only_wave)
    if args.viewer_only:
        if not args.serving.exists():
            parser.error(f"no serving copy at {args.serving}: run `make run` or pass --serving")
        figures = viewer_timings(args.serving.resolve(), args.runs)
        print(table({"serving copy": summarise([figures])}))
        return 0
    if args.quick:
        args.scales, args.waves, args.incremental_scale, args.repeats, args.no_viewer = [QUICK_SCALE], 2, 0, 1, True
        args.no_r = True
    r_unavailable = "left out (--no-r)" if args.no_r else r_baseline.unavailable_reason()
    r_note = f"skipped: {r_unavailable}" if r_unavailable else ""

    with tempfile.TemporaryDirectory(prefix="bench_") as tmp:
        root = args.work.resolve() if args.work else Path(tmp)
        root.mkdir(parents=True, exist_ok=True)
        viewer = None if args.no_viewer else (lambda serving: viewer_timings(serving, args.runs))
        results: dict[str, dict] = {}
        for make_case in build_cases(args, root):
            try:
                case = make_case()
                runs = measure(case, root, args.repeats, viewer, with_r=not r_unavailable, keep_first=bool(args.work))
                results[case.name] = summarise(runs)
            except Exception as error:  # one failed case must not lose the others' figures
                _log(f"case failed: {error!r}")
                continue
            if case.compare_with:
                results[case.name]["_compare_with"] = case.compare_with
            if args.out:
                # Written after every case, so that a long run that is stopped still leaves its figures.
                args.out.write_text(table(results, r_note))
                args.out.with_suffix(".json").write_text(json.dumps(results, indent=1))
    print(table(results, r_note))
    return 0 if results else 1
