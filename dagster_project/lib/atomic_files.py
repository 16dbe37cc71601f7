"""Files replaced whole: staged beside their target, made durable, swapped in with `os.replace`, the last one kept.

`os.replace` is atomic on one file system: a reader that opens the path gets the old file or the new
one, complete, and a reader that had the old one open keeps reading it. The file a swap replaces is
kept as `<name>.previous` (a hard link), for a rollback.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path


def staged_beside(target: Path) -> Path:
    """A fresh name beside target for its next version, after removing what a killed swap left there."""
    target.parent.mkdir(parents=True, exist_ok=True)
    # A publish that was killed half-way leaves its staged file; only one publish runs at a time
    # (the writer pool), so every staged file found now is such a leftover.
    for pattern in (f"{target.name}.new-*", f"{target.name}.previous-*"):
        for leftover in target.parent.glob(pattern):
            leftover.unlink()
    return target.with_name(f"{target.name}.new-{os.getpid()}")


def fsync_file(path: Path) -> None:
    """Make a file's content durable before it is moved into place."""
    with path.open("rb") as handle:
        os.fsync(handle.fileno())


def fsync_folder(folder: Path) -> None:
    """Make a folder's entries (a rename into it) durable."""
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def previous_path(target: Path) -> Path:
    """Where the version before the current one of a file is kept, for a rollback."""
    return target.with_name(f"{target.name}.previous")


def keep_previous(target: Path) -> None:
    """Keep the current file as `<name>.previous` (a hard link: no data copied), replacing the one kept before.

    The link is made under a temporary name and moved into place, so the kept file too is always whole.
    """
    if not target.exists():
        return
    linked = target.with_name(f"{target.name}.previous-{os.getpid()}")
    linked.unlink(missing_ok=True)
    os.link(target, linked)
    os.replace(linked, previous_path(target))


def staged_copy_of(kept: Path, target: Path) -> Path:
    """A copy of a kept file beside target under a staged name, fsynced: ready to be swapped in."""
    staged = staged_beside(target)
    shutil.copyfile(kept, staged)
    fsync_file(staged)
    return staged


def swap_in(staged: Path, target: Path) -> None:
    """Keep target as its previous version, then move the staged file over it."""
    keep_previous(target)
    os.replace(staged, target)
