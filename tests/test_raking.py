"""Raking reaches every population margin and refuses margins it cannot reach, saying why."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib.raking import RakingError, margins_from_population_frame, rake

MARGINS = {"stedelijkheid": {1: 1681, 2: 4670}, "schoolgrootte": {1: 3195, 2: 3156}}


@pytest.fixture
def strata() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    return pd.DataFrame(
        {"stedelijkheid": rng.choice([1, 2], 700, p=[0.44, 0.56]), "schoolgrootte": rng.choice([1, 2], 700)}
    )


def test_weights_reach_every_margin_with_mean_one_and_population_total(strata):
    result = rake(strata, MARGINS)
    assert result.weight.mean() == pytest.approx(1.0)
    assert result.weight_population.sum() == pytest.approx(6351)
    for variable, counts in MARGINS.items():
        for category, count in counts.items():
            reached = result.weight_population[(strata[variable] == category).to_numpy()].sum()
            assert reached == pytest.approx(count, rel=1e-9)


def test_one_margin_is_plain_post_stratification(strata):
    result = rake(strata, {"stedelijkheid": {1: 1681, 2: 4670}})
    rural = (strata["stedelijkheid"] == 1).to_numpy()
    expected = 1681 / rural.sum()
    assert np.allclose(result.weight_population[rural], expected)


def test_no_margins_means_weight_one(strata):
    result = rake(strata, {})
    assert np.all(result.weight == 1) and np.all(result.weight_population == 1)


def test_population_frame_becomes_margins():
    frame = pd.DataFrame({"variable": ["a", "a", "b"], "category": [1, 2, 1], "count": [3, 4, 7]})
    assert margins_from_population_frame(frame) == {"a": {1: 3.0, 2: 4.0}, "b": {1: 7.0}}


@pytest.mark.parametrize(
    ("margins", "change", "message"),
    [
        ({"stedelijkheid": {1: 1681, 2: 4670}, "schoolgrootte": {1: 10, 2: 20}}, None, "disagree on the total"),
        ({"regio": {1: 1}}, None, "'regio' is not in the respondent file"),
        ({"stedelijkheid": {1: 1681}}, None, "codes [2] that the population file does not list"),
        ({"stedelijkheid": {1: 1681, 2: 4670, 3: 5}}, None, "category [3] of 'stedelijkheid' has no respondents"),
        ({"stedelijkheid": {1: 0, 2: 4670}}, None, "must be positive"),
        (MARGINS, "missing", "'stedelijkheid' is missing for rows [0]"),
    ],
)
def test_margins_that_cannot_be_reached_are_refused_with_the_reason(strata, margins, change, message):
    if change == "missing":
        strata = strata.astype(float)
        strata.loc[0, "stedelijkheid"] = np.nan
    with pytest.raises(RakingError) as error:
        rake(strata, margins)
    assert message in str(error.value)
