"""The calibration-aware variance gives R's calibrated design, on the embedded sample and an unseen one.

The golden numbers come from `tests/reference/r/make_calibrated_reference.R` (R 4.2.2, survey 4.1.1):
`calibrate(..., calfun = "raking")` on every respondent of a wave and group (for a wave change: both
waves, wave as stratum, calibrated to the margins crossed with wave), shares and means as domain means,
`svychisq(statistic = "F")` and `svyttest` on the subset. Here the same respondents go through
`tests/sample_reading.py`, the Python raking and `CalibratedCells`, one row per respondent added up into
cells: the code the warehouse runs on `int_calibration_cells`. The second sample (seed 5309 of the
generator) is kept packed beside the R script, so that a change of the generator cannot move it; the
code was written against the embedded sample only.
"""

import math
import tarfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from dagster_project.lib import calibrated_variance
from dagster_project.lib.calibrated_variance import CalibratedCells
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.lib.weighting import calibration_cells
from tests.sample_reading import read_sample

REFERENCE_DIR = Path(__file__).parent / "reference"
CASES = pd.read_csv(REFERENCE_DIR / "r_test_cases.csv", dtype={"answer_code": "string"}).set_index("case_id")
UNSEEN_SEED = "seed5309"
TOLERANCE = 1e-8  # p-values, shares, means, differences and standard errors: absolute
STATISTIC_TOLERANCE = 1e-8  # statistics and df: relative

KINDCENTRUM_WAVE, KINDCENTRUM_ITEM, KINDCENTRUM_CODE = 2019, "noemer", 3


@pytest.fixture(scope="module", params=["embedded", UNSEEN_SEED])
def sample(request, tmp_path_factory):
    """(name, the sample read back with its weights and calibration cells)."""
    if request.param == "embedded":
        return "", read_sample(EMBEDDED_SAMPLE_DIR)
    folder = tmp_path_factory.mktemp(request.param)
    with tarfile.open(REFERENCE_DIR / "r" / f"{request.param}_sample.tar.gz") as archive:
        archive.extractall(folder, filter="data")
    return f"_{request.param}", read_sample(folder)


def respondents(wave_group) -> pd.DataFrame:
    """One row per respondent: answers, weight and calibration cell."""
    variables = [] if wave_group.population is None else list(dict.fromkeys(wave_group.population["variable"]))
    frame = wave_group.answers.copy()
    frame["weight"] = wave_group.weight
    frame["calibration_cell"] = calibration_cells(wave_group.raw, variables)
    frame["wave"] = wave_group.wave
    return frame


def case_cells(sample, case) -> CalibratedCells:
    """Every respondent of the case's design as a row of its own (n = 1): domain, side, value."""
    if case.comparison == "wave":
        frame = pd.concat([respondents(sample[(wave, case.respondent_group)]) for wave in (2016, 2019)])
        side = frame["wave"].to_numpy() == 2019
        known = np.ones(len(frame), dtype=bool)
        levels = (2016, 2019)
        stratum = frame["wave"].to_numpy()
    else:
        frame = respondents(sample[(KINDCENTRUM_WAVE, case.respondent_group)])
        noemer = frame[KINDCENTRUM_ITEM].to_numpy()
        side = noemer == KINDCENTRUM_CODE
        known = ~np.isnan(noemer)
        levels = (False, True)
        stratum = np.zeros(len(frame))
    y = frame[case.item_id].to_numpy(dtype=float)
    in_domain = ~np.isnan(y) & known
    if not pd.isna(case.answer_code):
        y = (y == int(case.answer_code)).astype(float)
    weight = frame["weight"].to_numpy()
    return CalibratedCells.of(
        stratum, frame["wave"], frame["calibration_cell"], in_domain, side, np.nan_to_num(y), np.ones(len(frame)),
        weight, weight**2, levels,
    )  # fmt: skip


def assert_close(actual, expected, tolerance, *, relative, what):
    """NaN where R has NA, otherwise within the tolerance."""
    actual = math.nan if actual is None else float(actual)
    if math.isnan(expected):
        assert math.isnan(actual), f"{what}: R has NA, Python {actual}"
        return
    error = abs(actual - expected) / (abs(expected) if relative and expected != 0 else 1.0)
    assert error <= tolerance, f"{what}: Python {actual!r}, R {expected!r}"


def test_each_case_gives_the_numbers_of_r_calibrated_design(sample):
    suffix, data = sample
    expected_cases = pd.read_csv(REFERENCE_DIR / f"r_calibrated_tests{suffix}.csv").set_index("case_id")
    assert len(expected_cases) == (CASES["method"] != "pearson_weighted").sum()
    for case_id, expected in expected_cases.iterrows():
        case = CASES.loc[case_id]
        method = calibrated_variance.CALIBRATED_METHODS[case.method]
        result = calibrated_variance.run_test(method, case_cells(data, case))
        what = f"{case_id} ({suffix or 'embedded'})"
        assert (result.n_a, result.n_b) == (expected["n_a"], expected["n_b"]), what
        assert_close(result.p_value, expected["p_value"], TOLERANCE, relative=False, what=f"{what} p_value")
        fields = ("statistic", "df_num", "df_den") if not math.isnan(expected["statistic"]) else ("statistic",)
        for field in fields:
            value = getattr(result, field)
            assert_close(value, expected[field], STATISTIC_TOLERANCE, relative=True, what=f"{what} {field}")
        if math.isnan(expected["se_difference"]):
            continue
        for field in ("value_a", "value_b", "difference", "se_difference"):
            actual = getattr(result.effect, field)
            assert_close(actual, expected[field], TOLERANCE, relative=False, what=f"{what} {field}")
        assert result.effect.ci_high - result.effect.ci_low == pytest.approx(
            2 * 1.959963984540054 * expected["se_difference"], abs=1e-8
        )


def test_every_share_and_mean_has_the_standard_error_of_r_calibrated_design(sample):
    suffix, data = sample
    expected = pd.read_csv(REFERENCE_DIR / f"r_calibrated_shares{suffix}.csv", dtype={"answer_code": "string"})
    assert len(expected) > 1500
    worst = 0.0
    for (wave, group), rows in expected.groupby(["wave", "respondent_group"]):
        frame = respondents(data[(wave, group)])
        weight = frame["weight"].to_numpy()
        for row in rows.itertuples(index=False):
            y = frame[row.item_id].to_numpy(dtype=float)
            answered = ~np.isnan(y)
            if not pd.isna(row.answer_code):
                y = (y == int(row.answer_code)).astype(float)
            cells = CalibratedCells.of(
                np.zeros(len(frame)), frame["wave"], frame["calibration_cell"], answered, np.zeros(len(frame)),
                np.nan_to_num(y), np.ones(len(frame)), weight, weight**2, (None, None),
            )  # fmt: skip
            assert int(cells.n[cells.in_domain].sum()) == row.n_domain
            error = abs(calibrated_variance.mean_standard_error(cells) - row.standard_error)
            worst = max(worst, error)
            assert error <= TOLERANCE, f"{wave} {group} {row.item_id} {row.answer_code}"
    assert worst < TOLERANCE


def test_calibration_shrinks_the_standard_errors_of_shares_that_lean_on_the_strata():
    # On the reference itself: the calibrated standard error differs from the fixed one, mostly smaller.
    shares = pd.read_csv(REFERENCE_DIR / "r_calibrated_shares.csv")
    assert (shares["standard_error"] > 0).mean() > 0.9


def test_the_warehouse_publishes_the_calibrated_intervals_of_r_and_the_effective_base(con):
    marts = con.execute(
        "select wave, respondent_group, item_id, answer_code::varchar as answer_code, standard_error_calibrated, "
        "share, ci_low_calibrated, ci_high_calibrated, effective_n, design_effect, base_n "
        "from marts.agg_answer_share where answer_grouping is null"
    ).df()
    expected = pd.read_csv(REFERENCE_DIR / "r_calibrated_shares.csv", dtype={"answer_code": "string"})
    shares = expected[expected["answer_code"].notna()].merge(
        marts, on=["wave", "respondent_group", "item_id", "answer_code"], validate="one_to_one"
    )
    assert len(shares) == expected["answer_code"].notna().sum()
    assert (shares["standard_error_calibrated"] - shares["standard_error"]).abs().max() < TOLERANCE
    assert np.allclose(
        shares["ci_low_calibrated"], (shares["share"] - 1.959963984540054 * shares["standard_error"]).clip(0)
    )
    assert marts["standard_error_calibrated"].notna().all()
    assert ((marts["effective_n"] <= marts["base_n"] + 1e-9) & (marts["design_effect"] >= 1 - 1e-12)).all()
    means = con.execute("select wave, respondent_group, item_id, standard_error_calibrated from marts.agg_numeric").df()
    numeric = expected[expected["answer_code"].isna()].merge(means, on=["wave", "respondent_group", "item_id"])
    assert len(numeric) == len(means) > 0
    assert (numeric["standard_error_calibrated"] - numeric["standard_error"]).abs().max() < TOLERANCE
