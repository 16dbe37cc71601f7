"""Shared fixtures: one warehouse built from the embedded sample for every end-to-end test."""

from __future__ import annotations

import duckdb
import pytest
from warehouse_build import build_warehouse

from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR


@pytest.fixture(scope="session", autouse=True)
def published_copies_stay_out_of_the_project(tmp_path_factory):
    """No test publishes over the project's own data/published: every default points into a temp folder."""
    folder = tmp_path_factory.mktemp("published")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SERVING_PATH", str(folder / "serving.duckdb"))
        patch.setenv("ANALYST_PATH", str(folder / "analyst.duckdb"))
        yield folder


@pytest.fixture(scope="session")
def built(tmp_path_factory):
    """The embedded sample materialised through every job into a temporary warehouse."""
    warehouse = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    return warehouse, build_warehouse(EMBEDDED_SAMPLE_DIR, warehouse)


@pytest.fixture(scope="session")
def con(built):
    """A read-only connection to that warehouse."""
    connection = duckdb.connect(str(built[0]), read_only=True)
    yield connection
    connection.close()
