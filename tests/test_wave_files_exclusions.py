"""The input contract as real files have it: excluded variables never read, user-missing as missing, dates refused.

Pure-function cases against `wave_files.read_wave` on a small copy of the embedded sample (one
wave, one group): no warehouse is built.
"""

from __future__ import annotations

import shutil
from datetime import datetime

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from dagster_project.lib.codebook import Codebook
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.lib.wave_files import InputContractError, read_wave

GROUP = "kov_besturen"  # not weighted: no population file to keep in step


@pytest.fixture
def raw(tmp_path):
    """One wave with one group's file, to which a test adds what a real delivery carries."""
    folder = tmp_path / "raw"
    (folder / "waves" / "2019").mkdir(parents=True)
    shutil.copyfile(EMBEDDED_SAMPLE_DIR / f"waves/2019/{GROUP}.sav", folder / f"waves/2019/{GROUP}.sav")
    return folder


def add_columns(path, columns: dict, labels: dict, formats: dict | None = None, missing: dict | None = None) -> None:
    """Write the file again with extra columns (keeping every label it had)."""
    data, meta = pyreadstat.read_sav(str(path), user_missing=True)
    for name, values in columns.items():
        data[name] = values
    pyreadstat.write_sav(
        data,
        str(path),
        column_labels={**meta.column_names_to_labels, **labels},
        variable_value_labels=meta.variable_value_labels,
        variable_format=formats,
        missing_ranges=missing,
    )


def delivery_with_private_columns(raw) -> list[str]:
    path = raw / f"waves/2019/{GROUP}.sav"
    data, _ = pyreadstat.read_sav(str(path))
    n = len(data)
    emails = [f"bestuurder{i}@voorbeeld.example.nl" for i in range(n)]
    add_columns(
        path,
        {
            "email": emails,
            "opmerking": ["Prima samenwerking"] * n,
            "StartDate": [datetime(2019, 1, 10, 9, 30)] * n,
        },
        {"email": "E-mailadres", "opmerking": "Heeft u nog opmerkingen?", "StartDate": "Begonnen op"},
        formats={"StartDate": "DATETIME20"},
    )
    return emails


def test_a_text_variable_that_is_not_excluded_is_refused_naming_make_codebook(raw):
    delivery_with_private_columns(raw)
    with pytest.raises(InputContractError) as refused:
        read_wave(raw, "2019", excluded={})
    assert refused.value.path == str(raw / f"waves/2019/{GROUP}.sav")
    assert "variable 'email' is text; expected numeric codes" in refused.value.problem
    assert "make codebook WAVE=2019" in refused.value.problem


def test_a_date_variable_that_is_not_excluded_is_refused_as_a_date(raw):
    delivery_with_private_columns(raw)
    with pytest.raises(InputContractError) as refused:
        read_wave(raw, "2019", excluded={GROUP: frozenset({"email", "opmerking"})})
    assert "variable 'StartDate' is a date or time (DATETIME20)" in refused.value.problem
    assert "codebook_excluded_variables.csv" in refused.value.problem


def test_excluded_variables_are_not_in_the_data_nor_in_its_labels(raw):
    emails = delivery_with_private_columns(raw)
    files = read_wave(raw, "2019", excluded={GROUP: frozenset({"email", "opmerking", "StartDate"})})
    (group,) = files.groups
    for name in ("email", "opmerking", "StartDate"):
        assert name not in group.data.columns
        assert name not in group.variable_labels
        assert name not in group.value_labels
    assert not group.data.astype(str).isin(emails).any().any()
    # Everything else is as the embedded file has it.
    original, _ = pyreadstat.read_sav(str(EMBEDDED_SAMPLE_DIR / f"waves/2019/{GROUP}.sav"))
    assert list(group.data.columns) == list(original.columns)


def test_read_wave_takes_the_exclusions_from_the_codebook_seed_by_default(raw, tmp_path):
    delivery_with_private_columns(raw)
    seeds = tmp_path / "seeds"
    shutil.copytree(Codebook().seeds_dir, seeds)
    excluded = pd.DataFrame(
        {"wave": 2019, "respondent_group": GROUP, "raw_variable": ["email", "opmerking", "StartDate"],
         "reason": ["identifying", "open text", "tool metadata"]}
    )  # fmt: skip
    excluded.to_csv(seeds / "codebook_excluded_variables.csv", index=False)
    assert Codebook(seeds).excluded_of(2019) == {GROUP: frozenset({"email", "opmerking", "StartDate"})}
    assert Codebook(seeds).excluded_of(2016) == {}
    # The project's own seed excludes nothing of 2019: the same files are refused there.
    with pytest.raises(InputContractError, match="variable 'email' is text"):
        read_wave(raw, "2019")


def test_declared_user_missing_codes_are_read_as_missing_and_undeclared_ones_as_codes(raw):
    path = raw / f"waves/2019/{GROUP}.sav"
    data, _ = pyreadstat.read_sav(str(path))
    answered = data["samenwerking"].notna().to_numpy()
    first, second = np.flatnonzero(answered)[:2]
    declared = data["samenwerking"].to_numpy(copy=True)
    declared[first] = 99.0
    undeclared = data["knelpunten"].to_numpy(copy=True)
    undeclared[np.flatnonzero(~np.isnan(undeclared))[0]] = 99.0
    add_columns(
        path,
        {"samenwerking": declared, "knelpunten": undeclared},
        {},
        missing={"samenwerking": [99.0]},
    )
    (group,) = read_wave(raw, "2019", excluded={}).groups
    assert np.isnan(group.data["samenwerking"].iloc[first])
    assert group.data["samenwerking"].iloc[second] == data["samenwerking"].iloc[second]
    assert (group.data["knelpunten"] == 99.0).sum() == 1
