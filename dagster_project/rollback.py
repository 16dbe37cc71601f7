"""`make rollback`: put the previous publication back in place, for the viewer and for analysts.

Every publish keeps the copies and the tabellenrapport workbook it replaced as `<file>.previous`
(hard links). A rollback swaps those back in atomically, the same way a publish swaps in new ones, so
readers see one whole publication or the other. Run it again to undo it. The pipeline's own
warehouse is left as it is: the next `make run` publishes from it again (with a new publication number).
"""

from __future__ import annotations

import sys

from dagster_project.lib import paths
from dagster_project.lib.publish import PublishRefused, factsheet_path, rollback, workbook_path


def main() -> int:
    """Roll SERVING_PATH, ANALYST_PATH, the workbook and the factsheet back to the kept previous ones; print them."""
    serving, analyst = paths.serving_path(), paths.analyst_path()
    try:
        publication_id = rollback(serving, analyst)
    except PublishRefused as refused:
        print(f"error: {refused}", file=sys.stderr)
        return 1
    print(f"Rolled back: publication {publication_id} is served again")
    print(f"  serving copy: {serving}")
    print(f"  analyst copy: {analyst}")
    workbook = workbook_path(serving)
    print(f"  tabellenrapport: {workbook}" if workbook.exists() else "  tabellenrapport: none for this publication")
    factsheet = factsheet_path(serving)
    print(f"  factsheet:       {factsheet}" if factsheet.exists() else "  factsheet:       none for this publication")
    return 0


if __name__ == "__main__":
    sys.exit(main())
