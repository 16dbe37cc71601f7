"""Shared fixtures: one warehouse built from the embedded sample for every end-to-end test, and the test tiers.

Three tiers (docs/testing.md): `make test-fast` runs what needs no warehouse (pure logic, the input
contract against its reader, statistics against R's goldens, the codebook draft); the tests that read
the shared warehouse are marked `warehouse` here; the system tests that build their own are `slow`.
`make test` runs all three.
"""

from __future__ import annotations

import atexit
import functools
import importlib
import os
import pickle
import shutil
import tempfile
from pathlib import Path


def _a_dbt_project_per_worker() -> None:
    """Under pytest-xdist, point this worker at its own copy of the dbt project (DBT_PROJECT_DIR).

    dbt keeps its parse and every invocation's files under the project's `target/`, and the pipeline
    hands the parse of one build to the next: two workers building warehouses at other paths in one
    project would take each other's parse (and reparse, or test a parse they did not make). The copy
    starts with the project's manifest and kept parse. Done before the project is imported, since its
    paths are read once, at import.
    """
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker or os.environ.get("DBT_PROJECT_DIR"):
        return
    source = Path(__file__).resolve().parents[1] / "dbt"
    root = Path(tempfile.mkdtemp(prefix=f"dbt-{worker}-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    copy = Path(shutil.copytree(source, root / "dbt", ignore=shutil.ignore_patterns("target", "logs")))
    (copy / "target").mkdir()
    for name in ("manifest.json", "partial_parse.msgpack"):
        if (source / "target" / name).exists():
            shutil.copy2(source / "target" / name, copy / "target" / name)
    os.environ["DBT_PROJECT_DIR"] = str(copy)


_a_dbt_project_per_worker()

import duckdb  # noqa: E402
import pytest  # noqa: E402
from filelock import FileLock  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402
from warehouse_build import BuildOutcome, bench_build, bench_warehouse, published_paths  # noqa: E402

from dagster_project.lib.paths import PROJECT_ROOT  # noqa: E402
from dagster_project.sample_data.delivery import make_delivery  # noqa: E402

VIEWER_APP = PROJECT_ROOT / "streamlit_app" / "app.py"


def _scan_installed_components_once() -> None:
    """Let Streamlit's AppTest look for installed custom components once per process, not once per AppTest.

    Each new AppTest scans every installed distribution's metadata for custom-component manifests
    (streamlit.components.v2.manifest_scanner), about 0.4 s in this environment of some 200 packages,
    which a served app does once at start. The viewer uses none, and the installed packages do not
    change during a test session; the page tests open a few hundred AppTests.
    """
    scanner = importlib.import_module("streamlit.components.v2.manifest_scanner")
    scanner.scan_component_manifests = functools.cache(scanner.scan_component_manifests)


_scan_installed_components_once()
# The fixtures that build (once per session) or read the shared warehouse: a test that asks for one of
# them is marked `warehouse`, so that `make test-fast` (`-m "not slow and not warehouse"`) leaves it out.
SHARED_WAREHOUSE_FIXTURES = {"built", "con", "serving_copy", "open_page"}


# The modules with the longest builds of their own, and what fills the wait for the shared warehouse.
# They are collected first, so that pytest-xdist hands them out at the start (two to each worker, in
# turn) and the short tests fill in around them instead of one long module running alone at the end
# (docs/testing.md).
LONGEST_FIRST = (
    # The first worker builds the shared warehouse for the new wave's routine (about 40 s); the second
    # starts with modules that need no warehouse (test_ingest's two slow tests run ingests of their
    # own) and then takes the daemon test, by when the build is done; the two routines take about as long.
    "test_new_wave.py",
    "test_codebook_draft.py",
    "test_sample_generator.py",
    "test_codebook_draft_bad_input.py",
    "test_ingest.py",
    "test_daemon_routine.py",
    "test_publish.py",
    # The longer of the modules that read the shared warehouse, so that the short ones even out the end.
    "test_warehouse_end_to_end.py",
    "test_viewer_browser.py",
    "test_viewer_app.py",
    "test_viewer_pages_trends.py",
    "test_viewer_pages_vragen.py",
    "test_default_variance.py",
    "test_quality_gates.py",
)


def _longest_first(item: pytest.Item) -> int:
    name = item.path.name
    return LONGEST_FIRST.index(name) if name in LONGEST_FIRST else len(LONGEST_FIRST)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark every test that needs the shared warehouse `warehouse`; put the longest modules first."""
    for item in items:
        if SHARED_WAREHOUSE_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.warehouse)
    # A stable sort: within a module, and among the other modules, the order stays as collected.
    items.sort(key=_longest_first)


@pytest.fixture(scope="session", autouse=True)
def published_copies_stay_out_of_the_project(tmp_path_factory):
    """No test publishes over the project's own data/published: every default points into a temp folder."""
    folder = tmp_path_factory.mktemp("published")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SERVING_PATH", str(folder / "serving.duckdb"))
        patch.setenv("ANALYST_PATH", str(folder / "analyst.duckdb"))
        yield folder


def _session_root(tmp_path_factory, worker_id: str) -> Path:
    """The temp folder every process of this `make test` shares: under pytest-xdist, the workers' common parent."""
    root = tmp_path_factory.getbasetemp()
    return root.parent if worker_id != "master" else root


@pytest.fixture(scope="session")
def built(tmp_path_factory, worker_id):
    """The embedded sample built by `make bench --quick` into a temporary folder: one build per `make test`.

    A fresh process builds, checks and publishes it with a Dagster instance of its own, as `make run`
    does on a new machine, and the bench measures it (test_bench_smoke.py reads its figures). Under
    pytest-xdist the workers share it: the first to need it builds it under a file lock in the
    session's common temp folder, the others wait and then read the same files (read-only: a test that
    changes a warehouse or a copy works on its own copy). The published copies and the Dagster instance
    are beside the warehouse (`warehouse_build.published_paths`, `dagster_home`): the daemon test
    starts the daemon on a copy of both. Returns the warehouse and what the build said.
    """
    root = _session_root(tmp_path_factory, worker_id)
    folder = root / "shared_warehouse"
    outcome_file = folder / "build_outcome.json"
    with FileLock(str(root / "shared_warehouse.lock")):
        if not outcome_file.exists():
            folder.mkdir(exist_ok=True)
            bench_build(folder / "bench").write(outcome_file)
    return bench_warehouse(folder / "bench"), BuildOutcome.read(outcome_file)


@pytest.fixture(scope="session")
def con(built):
    """A read-only connection to that warehouse."""
    connection = duckdb.connect(str(built[0]), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def serving_copy(built):
    """The serving copy the test warehouse published: what the viewer reads."""
    return published_paths(built[0])[0]


@pytest.fixture
def open_page(serving_copy, monkeypatch):
    """Open a page of the viewer in Streamlit's AppTest, on the test warehouse's serving copy.

    `open_page("vragen", vraag="duur")` runs the app with that address and returns the AppTest, after
    checking that no exception was raised.
    """
    monkeypatch.setenv("SERVING_PATH", str(serving_copy))

    def _open(page: str = "overzicht", **query_params: str) -> AppTest:
        app = AppTest.from_file(str(VIEWER_APP), default_timeout=60)
        for name, value in query_params.items():
            app.query_params[name] = value
        app.switch_page(f"views/{page}.py")
        app.run()
        assert not app.exception, f"page {page}: {app.exception}"
        return app

    return _open


@pytest.fixture(scope="session")
def example_delivery(tmp_path_factory, worker_id):
    """The example delivery of wave 2022 from another tool (Qualtrics-like names) and its manifest.

    Made once per `make test` (about 5 s), as the shared warehouse is: the first worker that needs it
    writes it under a file lock in the session's common temp folder, with its manifest pickled beside
    it. Read-only for the tests that share it: a test that changes a file, or adds other waves beside
    it, copies the folder first.
    """
    root = _session_root(tmp_path_factory, worker_id)
    raw, stored = root / "example_delivery" / "raw", root / "example_delivery" / "manifest.pickle"
    with FileLock(str(root / "example_delivery.lock")):
        if not stored.exists():
            stored.parent.mkdir(exist_ok=True)
            stored.write_bytes(pickle.dumps(make_delivery(raw, wave=2022, seed=2022, naming="qualtrics")))
    return raw, pickle.loads(stored.read_bytes())
