"""Command line: `python -m dagster_project.sample_data --out DIR --seed N --scale F`.

Writes the input contract's files (`waves/<wave>/<group>.sav`, `population/<wave>/<group>.csv`) of a
synthetic sample calibrated to the 2019 report. The same seed and scale always give the same files.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.sample_data.generator import DEFAULT_SEED, SampleGenerator
from dagster_project.sample_data.writer import write_group


def main(argv: list[str] | None = None) -> int:
    """Generate and write the sample; print one line per file."""
    parser = argparse.ArgumentParser(prog="python -m dagster_project.sample_data", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=EMBEDDED_SAMPLE_DIR, help="output folder (default: data/sample)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default: {DEFAULT_SEED})")
    parser.add_argument("--scale", type=float, default=1.0, help="respondents relative to the report (default: 1)")
    args = parser.parse_args(argv)
    if args.scale <= 0:
        parser.error("--scale must be positive")

    started = time.perf_counter()
    generator = SampleGenerator(seed=args.seed, scale=args.scale)
    out = args.out.resolve()
    for group in generator.generate():
        for path in write_group(group, out, generator.codebook, generator.reference):
            print(f"wrote {path.relative_to(out)} ({len(group.frame)} respondents)")
    print(f"synthetic sample (seed {args.seed}, scale {args.scale}) in {out} [{time.perf_counter() - started:.1f}s]")
    return 0


if __name__ == "__main__":
    sys.exit(main())
