"""Command line: `python -m dagster_project.codebook draft --wave W` (what `make codebook WAVE=W` runs).

Reads `RAW_DATA_DIR/waves/<W>/*.sav`, adds the drafted rows to the codebook seeds (never changing a
row already there), writes the review table to `data/codebook_review/<W>.csv` and `.md`, and prints
a summary per group with what needs a person's look.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from dagster_project.lib.paths import DATA_DIR, SEEDS_DIR, raw_data_dir

REVIEW_DIR = DATA_DIR / "codebook_review"


def main(argv: list[str] | None = None) -> int:
    """Draft one wave's codebook; exit 0 when drafted (the review says what still needs a person)."""
    parser = argparse.ArgumentParser(prog="python -m dagster_project.codebook", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    draft = commands.add_parser("draft", help="draft a wave's codebook rows from its .sav files")
    draft.add_argument("--wave", required=True, help="the wave folder under RAW_DATA_DIR/waves, e.g. 2022")
    draft.add_argument("--raw-dir", type=Path, help="default: RAW_DATA_DIR (the embedded sample when unset)")
    draft.add_argument("--seeds-dir", type=Path, default=SEEDS_DIR, help="default: the dbt project's seeds")
    draft.add_argument("--review-dir", type=Path, default=REVIEW_DIR, help="default: data/codebook_review")
    draft.add_argument("--dry-run", action="store_true", help="write the review only, not the seeds")
    args = parser.parse_args(argv)

    from dagster_project.codebook.draft import Drafter, write_draft
    from dagster_project.codebook.review import summary, write_review

    if not args.wave.isdigit() or len(args.wave) != 4:
        parser.error(f"--wave {args.wave!r}: a wave is named by its year, like 2022")
    raw_dir = (args.raw_dir or raw_data_dir()).expanduser().resolve()
    try:
        drafted = Drafter(raw_dir, args.seeds_dir.expanduser().resolve(), int(args.wave)).run()
    except FileNotFoundError as error:
        print(f"make codebook: {error}", file=sys.stderr)
        return 1
    if not args.dry_run:
        write_draft(drafted, args.seeds_dir)
    csv_path, md_path = write_review(drafted, args.review_dir)
    print(f"codebook draft of wave {args.wave} from {raw_dir / 'waves' / args.wave}")
    for line in summary(drafted):
        print(line)
    print(f"review: {csv_path} and {md_path.name}")
    if args.dry_run:
        print("dry run: the seeds were not changed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
