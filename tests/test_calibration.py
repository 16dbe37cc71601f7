"""Calibration targets stay within the report's rounding and carry its stated changes."""

from __future__ import annotations

import numpy as np
import pytest

from dagster_project.lib.codebook import Codebook
from dagster_project.sample_data.calibration import CalibrationTargets, closest_distribution, with_share_of
from dagster_project.sample_data.report_reference import ReportReference


@pytest.fixture(scope="module")
def targets() -> CalibrationTargets:
    return CalibrationTargets(Codebook(), ReportReference())


def test_a_distribution_printed_as_98_percent_is_spread_evenly():
    shares = closest_distribution(np.array([0.40, 0.30, 0.28]))
    assert shares.sum() == pytest.approx(1)
    assert np.abs(shares - [0.40, 0.30, 0.28]).max() == pytest.approx(0.02 / 3)


def test_a_mean_can_be_imposed_within_the_rounding():
    printed = np.array([0.01, 0.03, 0.05, 0.08, 0.20, 0.37, 0.20, 0.04, 0.01])
    values = np.arange(2, 11, dtype=float)
    shares = closest_distribution(printed, values, mean=6.7)
    assert shares @ values == pytest.approx(6.7)
    assert np.abs(shares - printed).max() < 0.01


def test_printed_zeros_can_be_kept_empty():
    shares = closest_distribution(np.array([0.0, 0.5, 0.49]), keep_zero=np.array([True, False, False]))
    assert shares[0] == 0 and shares.sum() == pytest.approx(1)


def test_rescaling_keeps_proportions_on_each_side():
    shares = with_share_of(np.array([0.2, 0.3, 0.5]), [1, 2, 3], (3,), 0.25)
    assert shares == pytest.approx([0.3, 0.45, 0.25])


def test_every_2019_target_is_within_one_point_of_the_printed_figure(targets):
    for row in ReportReference().shares.itertuples():
        target = targets.target(2019, row.respondent_group, row.item_id)
        assert 100 * target.share_of((row.answer_code,)) == pytest.approx(row.published_pct, abs=1.0), row


def test_stated_2016_figures_become_2016_targets_at_the_edge_away_from_2019(targets):
    for row in ReportReference().changes.itertuples():
        old = targets.target(2016, row.respondent_group, row.item_id)
        new = targets.target(2019, row.respondent_group, row.item_id)
        if row.measure == "mean":
            assert old.mean == pytest.approx(row.value_2016, abs=0.05) and new.mean == pytest.approx(
                row.value_2019, abs=0.05
            )
            assert (new.mean - old.mean) * (row.value_2019 - row.value_2016) > 0
            continue
        assert 100 * old.share_of(row.codes) == pytest.approx(row.value_2016, abs=0.5)
        gap = new.share_of(row.codes) - old.share_of(row.codes)
        assert abs(100 * gap) > abs(row.value_2019 - row.value_2016), row.item_id


def test_items_without_a_stated_change_have_the_same_target_in_both_waves(targets):
    target_2016 = targets.target(2016, "basisscholen", "huisvesting")
    assert target_2016.shares == targets.target(2019, "basisscholen", "huisvesting").shares


def test_an_item_the_report_does_not_publish_has_no_target(targets):
    with pytest.raises(KeyError, match="publishes no figures"):
        targets.target(2019, "basisscholen", "no_such_item")
