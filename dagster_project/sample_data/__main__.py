"""Command line: `python -m dagster_project.sample_data --out DIR --seed N --scale F [--waves N --seeds-out DIR]`.

Writes the input contract's files (`waves/<wave>/<group>.sav`, `population/<wave>/<group>.csv`) of a
synthetic sample calibrated to the 2019 report. The same seed and scale always give the same files.
With `--waves N` above 2 it adds waves 2022, 2025, ... (2019's questionnaire with a small drift) and
writes a copy of the dbt seeds with their codebook rows to `--seeds-out`: point a copy of the dbt
project (DBT_PROJECT_DIR) at those seeds to load them.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR, SEEDS_DIR
from dagster_project.sample_data.extra_waves import (
    BASE_WAVE_COUNT,
    add_codebook_rows,
    extra_waves,
    generator_with_waves,
)
from dagster_project.sample_data.generator import DEFAULT_SEED, SampleGenerator
from dagster_project.sample_data.writer import write_group


def main(argv: list[str] | None = None) -> int:
    """Generate and write the sample; print one line per file."""
    parser = argparse.ArgumentParser(prog="python -m dagster_project.sample_data", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EMBEDDED_SAMPLE_DIR, help="output folder (default: data/sample)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    parser.add_argument("--scale", type=float, default=1.0, help="respondents relative to the report (default: 1)")
    parser.add_argument("--waves", type=int, default=BASE_WAVE_COUNT, help="waves in all (default: 2016 and 2019)")
    parser.add_argument("--seeds-out", type=Path, help="with --waves above 2: where the seeds with their rows go")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")
    if args.waves < BASE_WAVE_COUNT:
        parser.error(f"--waves must be at least {BASE_WAVE_COUNT}")
    if args.waves > BASE_WAVE_COUNT and args.seeds_out is None:
        parser.error("--waves above 2 needs --seeds-out: the extra waves need codebook rows")

    started = time.perf_counter()
    if args.waves > BASE_WAVE_COUNT:
        shutil.copytree(SEEDS_DIR, args.seeds_out, dirs_exist_ok=True)
        add_codebook_rows(args.seeds_out, extra_waves(args.waves))
        generator = generator_with_waves(args.seeds_out, args.waves, seed=args.seed, scale=args.scale)
        print(f"codebook rows of waves {extra_waves(args.waves)} in {args.seeds_out.resolve()}")
    else:
        generator = SampleGenerator(seed=args.seed, scale=args.scale)
    out = args.out.resolve()
    for group in generator.generate():
        for path in write_group(group, out, generator.codebook, generator.reference):
            print(f"wrote {path.relative_to(out)} ({len(group.frame)} respondents)")
    print(f"synthetic sample (seed {args.seed}, scale {args.scale}) in {out} [{time.perf_counter() - started:.1f}s]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
