"""A third wave loads and aggregates with new files and new codebook rows only: no code changes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from dagster_project.lib.codebook import Codebook
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.paths import DBT_DIR, EMBEDDED_SAMPLE_DIR, PROJECT_ROOT
from dagster_project.lib.reference import ReportReference
from dagster_project.sample_data.generator import SampleGenerator
from dagster_project.sample_data.writer import write_group

pytestmark = pytest.mark.slow

NEW_WAVE = 2022
SIZES = {"basisscholen": 650, "kov_organisaties": 450, "schoolbesturen": 270, "kov_besturen": 100}


def add_codebook_rows(seeds: Path) -> None:
    """The 2022 questionnaire repeats 2019's, exported with other variable names (Q22_001, ...)."""
    variables = pd.read_csv(seeds / "codebook_variables.csv", dtype=str, keep_default_na=False)
    new = variables[variables["wave"] == "2019"].copy()
    new["wave"] = str(NEW_WAVE)
    new["raw_variable"] = "Q22_" + (new.groupby("respondent_group").cumcount() + 1).map("{:03d}".format)
    pd.concat([variables, new]).to_csv(seeds / "codebook_variables.csv", index=False)
    recodes = pd.read_csv(seeds / "codebook_recodes.csv", dtype=str)
    new_recodes = recodes[recodes["wave"] == "2019"].assign(wave=str(NEW_WAVE))
    pd.concat([recodes, new_recodes]).to_csv(seeds / "codebook_recodes.csv", index=False)


@pytest.fixture(scope="module")
def three_waves(tmp_path_factory):
    root = tmp_path_factory.mktemp("new_wave")
    raw = root / "raw"
    shutil.copytree(EMBEDDED_SAMPLE_DIR, raw)
    dbt = root / "dbt"
    shutil.copytree(DBT_DIR, dbt, ignore=shutil.ignore_patterns("target", "logs"))
    add_codebook_rows(dbt / "seeds")

    codebook = Codebook(dbt / "seeds")
    generator = SampleGenerator(seed=2022, codebook=codebook)
    generator.sizes.update({(NEW_WAVE, group): size for group, size in SIZES.items()})
    for group in RESPONDENT_GROUPS:
        write_group(generator.generate_group(NEW_WAVE, group), raw, codebook, generator.reference)

    warehouse = root / "warehouse.duckdb"
    environment = {key: value for key, value in os.environ.items() if key != "DAGSTER_HOME"}
    environment.update(RAW_DATA_DIR=str(raw), WAREHOUSE_PATH=str(warehouse), DBT_PROJECT_DIR=str(dbt))
    run = subprocess.run(
        [sys.executable, "-m", "dagster_project.run"],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
    )
    return run, warehouse


def test_make_run_loads_the_third_wave_from_dropped_files_and_codebook_rows(three_waves):
    run, _ = three_waves
    assert run.returncode == 0, run.stdout + run.stderr
    assert "[ingest 3/3: wave 2022] ... 8 assets" in run.stdout


def test_the_third_wave_has_its_respondents_weights_and_aggregates(three_waves):
    _, warehouse = three_waves
    with duckdb.connect(str(warehouse), read_only=True) as con:
        counts = dict(
            con.execute(
                "select respondent_group, count(*) from marts.fct_respondent where wave = 2022 group by all"
            ).fetchall()
        )
        assert counts == SIZES
        waves = [
            row[0] for row in con.execute("select distinct wave from marts.agg_answer_share order by 1").fetchall()
        ]
        assert waves == [2016, 2019, NEW_WAVE]
        runs = con.execute("select respondent_group, method from marts.weighting_diagnostics where wave = 2022").df()
        assert set(runs.query("method == 'raking'")["respondent_group"]) == {
            "basisscholen",
            "kov_organisaties",
            "schoolbesturen",
        }
        shares = con.execute(
            "select * from marts.agg_answer_share where wave = 2022 and respondent_group = 'basisscholen'"
        ).df()
    # Generated from 2019's targets, the new wave's weighted shares sit on the published 2019 figures.
    published = ReportReference().shares.query("respondent_group == 'basisscholen' and base_n >= 100")
    merged = published.merge(shares, on=["respondent_group", "item_id", "answer_code"])
    assert len(merged) == len(published)
    assert (100 * merged["share"] - merged["published_pct"]).abs().max() <= 1.0


def test_the_new_wave_is_harmonised_from_its_own_variable_names(three_waves):
    _, warehouse = three_waves
    with duckdb.connect(str(warehouse), read_only=True) as con:
        names = con.execute(
            "select distinct respondent_group, raw_variable from marts.fct_answer "
            "where wave = 2022 and item_id = 'rapportcijfer'"
        ).fetchall()
    assert len(names) == 4 and all(name.startswith("Q22_") for _, name in names)
