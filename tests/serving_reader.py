"""A reader of the serving copy, as the viewer is: a short read-only connection per read, in a loop.

Run as `python serving_reader.py SERVING_PATH STOP_FILE [PAUSE_SECONDS]`; prints one JSON line per read
until the stop file exists. A read is complete when every table the newest publication lists has the row count and
checksum the log gives for it: a half-written or mixed copy would not.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import duckdb

from dagster_project.lib.publication_log import table_checksum


def read_once(serving: Path) -> dict:
    """One snapshot: the newest publication id and whether every listed table matches the log."""
    with duckdb.connect(str(serving), read_only=True) as con:
        publication = con.execute("select max(publication_id) from marts.publication").fetchone()[0]
        listed = con.execute(
            "select table_name, row_count, checksum from marts.publication_table "
            "where publication_id = ? and in_serving_copy",
            [publication],
        ).fetchall()
        mismatched = [table for table, rows, checksum in listed if table_checksum(con, table) != (rows, checksum)]
    return {"publication": publication, "tables": len(listed), "mismatched": mismatched}


def main(serving: Path, stop: Path, pause: float = 0.25) -> None:
    """Read until told to stop; an exception is a line too, never the end of the loop."""
    while not stop.exists():
        try:
            line = read_once(serving)
        except Exception as error:  # every failure of a read is what the test counts
            line = {"error": f"{type(error).__name__}: {error}"}
        print(json.dumps(line), flush=True)
        time.sleep(pause)  # a viewer reads now and then; the readers must not starve the build of the two cores


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]), *(float(value) for value in sys.argv[3:4]))
