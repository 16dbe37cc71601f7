"""Content hashes of files: what provenance, the publication log and the no-op `make run` compare.

Standard library only, so that the no-op check (`lib/fingerprint.py`) can hash before anything heavy
is imported.
"""

from __future__ import annotations

import hashlib
from pathlib import Path


def sha256_of(path: Path) -> str:
    """Content hash of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
