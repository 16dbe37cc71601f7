"""The errata: every figure an earlier publication showed that the warehouse now has otherwise, or not at all.

Which figures count and the key that names each are the publication contract's
(`publication.schema.COMPARED_FIGURES`, keyed by each mart's grain).
"""

from __future__ import annotations

import duckdb
import pandas as pd

from dagster_project.lib.publication_log import columns_of, table_exists
from dagster_project.lib.raw_store import quote
from publication.schema import COMPARED_FIGURES, LOG_TABLES, grain

# A figure that moves less than this is not a change: arithmetic noise, far below any shown precision.
CHANGE_TOLERANCE = 1e-9
CHANGE_COLUMNS = [name for name in LOG_TABLES["publication_change"].column_names if name != "publication_id"]


def no_changes() -> pd.DataFrame:
    """An empty errata frame (a first publication)."""
    return pd.DataFrame(columns=CHANGE_COLUMNS)


def figure_changes(con: duckdb.DuckDBPyConnection, previous: str) -> pd.DataFrame:
    """Every compared figure of the previous publication (attached as `previous`) that has changed since."""
    frames = []
    for table, figures in COMPARED_FIGURES.items():
        if not table_exists(con, previous, "marts", table):
            continue
        key = grain(table)
        # A key column the earlier publication did not have yet (added since) is null there.
        present = columns_of(con, previous, table)
        old_key = {k: f"old.{quote(k)}" if k in present else "null" for k in key}
        on = " and ".join(f"{old_key[k]} is not distinct from new.{quote(k)}" for k in key)
        key_text = " || ', ' || ".join(f"'{k}=' || coalesce({old_key[k]}::varchar, 'null')" for k in key)
        for figure in figures:
            old, new = f"old.{quote(figure)}::double", f"new.{quote(figure)}::double"
            frames.append(
                con.execute(
                    f"""
                    select '{table}' as table_name, {key_text} as figure_key, '{figure}' as figure,
                           {old} as old_value, {new} as new_value
                    from {previous}.marts.{table} as old
                    left join marts.{table} as new on {on}
                    where {old} is distinct from {new}
                      and not coalesce(abs({old} - {new}) <= {CHANGE_TOLERANCE}, false)
                    order by all
                    """
                ).df()
            )
    return pd.concat(frames, ignore_index=True) if frames else no_changes()
