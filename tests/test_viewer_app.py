"""The viewer as a whole: every page runs, it reads only the serving copy, and only through parameters."""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys

import duckdb
import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.paths import PROJECT_ROOT
from publication import base_policy, settings

VIEWER_DIR = PROJECT_ROOT / "streamlit_app"
PAGES = sorted(path.stem for path in (VIEWER_DIR / "views").glob("*.py"))
HOSTILE = ["'; drop table marts.report_shares; --", "x' or '1'='1", '"; select 1; --', "2019 --", "../../etc/passwd"]


def _imports(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            yield node.module


def _table_counts(path) -> dict[str, int]:
    with duckdb.connect(str(path), read_only=True) as con:
        tables = con.execute("select schema_name, table_name from duckdb_tables()").fetchall()
        return {f"{s}.{t}": con.execute(f'select count(*) from "{s}"."{t}"').fetchone()[0] for s, t in tables}


def test_the_six_pages_of_the_issue_exist():
    assert sorted(["overzicht", "vragen", "trends", "kindcentra", "samenwerkingsmodellen", "methode"]) == PAGES


@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_on_the_published_sample_with_its_banner_and_content(open_page, page):
    app = open_page(page)
    assert any("synthetische" in warning.value for warning in app.warning), "synthetic-sample banner missing"
    assert any(caption.value.startswith("Publicatie ") for caption in app.caption)
    shown = len(app.dataframe) + len(app.metric) + len(app.get("vega_lite_chart"))
    assert shown > 0, f"page {page} shows no table, figure or chart"


@pytest.mark.parametrize("page", PAGES)
def test_hostile_addresses_fall_back_to_defaults_and_change_nothing(open_page, serving_copy, page):
    before = _table_counts(serving_copy)
    for value in HOSTILE:
        app = open_page(page, groep=value, vraag=value, item=value, meting=value, onderwerp=value)
        assert not app.error, [error.value for error in app.error]
    assert _table_counts(serving_copy) == before


def test_running_every_page_loads_no_pipeline_module(serving_copy, tmp_path):
    # In a fresh interpreter: the tests themselves import the pipeline, so sys.modules here says nothing.
    script = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        f"for page in {PAGES!r}:\n"
        f"    app = AppTest.from_file({str(VIEWER_DIR / 'app.py')!r}, default_timeout=60)\n"
        "    app.switch_page(f'views/{page}.py')\n"
        "    app.run()\n"
        "    assert not app.exception, (page, app.exception)\n"
        "print(sorted(name for name in sys.modules if name.startswith('dagster')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env={"SERVING_PATH": str(serving_copy), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
        timeout=600,
        cwd=PROJECT_ROOT,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_a_new_publication_shows_without_a_restart(open_page, serving_copy, tmp_path, monkeypatch):
    copy = tmp_path / "serving.duckdb"
    shutil.copy(serving_copy, copy)
    monkeypatch.setenv("SERVING_PATH", str(copy))
    first = open_page("overzicht")
    with duckdb.connect(str(copy), read_only=True) as con:
        current = con.execute("select max(publication_id) from marts.publication").fetchone()[0]
    assert any(caption.value.startswith(f"Publicatie {current} ") for caption in first.caption)

    # What a publish does, as far as a reader can tell: the file now holds a newer publication.
    with duckdb.connect(str(copy)) as con:
        con.execute(
            "insert into marts.publication select * replace (publication_id + 1 as publication_id, "
            "now()::timestamp as published_at) from marts.publication where publication_id = ?",
            [current],
        )
    second = open_page("overzicht")
    assert any(caption.value.startswith(f"Publicatie {current + 1} ") for caption in second.caption)


def test_without_a_serving_copy_every_page_says_so_in_dutch(open_page, tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("SERVING_PATH", str(tmp_path / "missing.duckdb"))
    app = AppTest.from_file(str(VIEWER_DIR / "app.py"), default_timeout=60)
    app.run()
    assert not app.exception
    assert "nog niets gepubliceerd" in app.error[0].value
    assert "missing.duckdb" in app.error[0].value


def test_the_small_base_policy_hides_under_10_marks_under_30_and_keeps_the_rows():
    frame = pd.DataFrame(
        {"base_n": [9, 10, 29, 30, 500], "share_pct": [50.0, 40.0, 30.0, 20.0, 10.0], "n": [4, 4, 9, 6, 50]}
    )
    policed = base_policy.apply_base_policy(frame, "base_n", ["share_pct", "n"])
    assert list(policed[base_policy.STATUS_COLUMN]) == [
        base_policy.HIDDEN,
        base_policy.MARKED,
        base_policy.MARKED,
        "",
        "",
    ]
    assert np.isnan(policed.loc[0, "share_pct"]) and np.isnan(policed.loc[0, "n"])
    assert list(policed["share_pct"][1:]) == [40.0, 30.0, 20.0, 10.0]
    assert len(base_policy.visible(policed)) == 4
    assert frame.loc[0, "share_pct"] == 50.0, "the policy must not change its input"


def test_the_policy_on_a_comparison_counts_the_smaller_side():
    frame = pd.DataFrame({"n_from": [400, 25, 8], "n_to": [35, 300, 300], "difference": [1.0, 2.0, 3.0]})
    policed = base_policy.apply_base_policy(frame, ["n_from", "n_to"], ["difference"])
    assert list(policed[base_policy.STATUS_COLUMN]) == ["", base_policy.MARKED, base_policy.HIDDEN]


def test_the_policy_marks_exactly_what_the_warehouse_flags_as_a_small_base(serving_copy):
    assert base_policy.MARK_BELOW == settings.SMALL_BASE
    with duckdb.connect(str(serving_copy), read_only=True) as con:
        shares = con.execute("select base_n, share_pct, is_small_base from marts.report_shares").df()
    policed = base_policy.apply_base_policy(shares, "base_n", ["share_pct"])
    flagged = policed[base_policy.STATUS_COLUMN] != ""
    assert flagged.sum() > 0
    assert (flagged == shares["is_small_base"]).all()


def test_the_serving_copy_carries_the_constants_the_figures_were_made_with(serving_copy):
    with duckdb.connect(str(serving_copy), read_only=True) as con:
        published = dict(con.execute("select setting, setting_value from marts.warehouse_settings").fetchall())
    assert published["kindcentrum_item"] == settings.KINDCENTRUM_ITEM
    assert int(published["kindcentrum_code"]) == settings.KINDCENTRUM_CODE
    assert int(published["small_base"]) == settings.SMALL_BASE == base_policy.MARK_BELOW
    assert int(published["min_test_base"]) == settings.MIN_TEST_BASE
    assert int(published["model_threshold"]) == settings.MODEL_THRESHOLD
    assert float(published["z_95"]) == settings.Z_95
