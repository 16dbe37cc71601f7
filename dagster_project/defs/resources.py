"""Resources shared by every concern: where the raw files are and where the warehouse is."""

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import dagster as dg
import duckdb

from dagster_project.lib import paths

# Everything downstream of the raw files updates itself once a wave has loaded (under `make dev`, whose
# daemon runs the automation sensor): dropping a wave's files is the whole job of a data engineer.
AFTER_UPSTREAM = dg.AutomationCondition.eager()


class WarehouseResource(dg.ConfigurableResource):
    """Raw input folder, pipeline DuckDB file and published copies; empty fields fall back to the env vars."""

    raw_data_dir: str = ""
    warehouse_path: str = ""
    serving_path: str = ""
    analyst_path: str = ""

    def raw_dir(self) -> Path:
        """The input folder, absolute."""
        return Path(self.raw_data_dir).resolve() if self.raw_data_dir else paths.raw_data_dir()

    def database(self) -> Path:
        """The DuckDB file, absolute."""
        return Path(self.warehouse_path).resolve() if self.warehouse_path else paths.warehouse_path()

    def serving(self) -> Path:
        """The published copy the viewer reads, absolute."""
        return Path(self.serving_path).resolve() if self.serving_path else paths.serving_path()

    def analyst(self) -> Path:
        """The published copy analysts read, absolute."""
        return Path(self.analyst_path).resolve() if self.analyst_path else paths.analyst_path()

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A writing connection, closed (and so checkpointed) on exit."""
        database = self.database()
        database.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(database))
        try:
            yield con
        finally:
            con.close()


@dg.definitions
def resources() -> dg.Definitions:
    """Bind the warehouse resource for every asset, sensor and check."""
    return dg.Definitions(resources={"warehouse": WarehouseResource()})
