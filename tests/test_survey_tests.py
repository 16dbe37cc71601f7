"""The significance tests give R's survey package numbers on the embedded sample, and behave at the edges.

The golden numbers come from `tests/reference/r/make_test_reference.R` (R 4.2.2, survey 4.1.1), which
reads the .sav files and rakes its own weights; here the same cases go through `tests/sample_reading.py`
and the Python raking module, so the comparison also covers the weights.
"""

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.lib.survey_tests import (
    MeanEffect,
    ShareEffect,
    mean_effect,
    pearson_weighted,
    rao_scott_f,
    run_test,
    share_effect,
    svyttest,
)
from tests.sample_reading import read_sample

# R's answers for the same cases, made by the scripts in tests/reference/r/.
REFERENCE_DIR = Path(__file__).parent / "reference"

CASES = pd.read_csv(REFERENCE_DIR / "r_test_cases.csv", dtype={"answer_code": "string"})
R_RESULTS = pd.read_csv(REFERENCE_DIR / "r_tests.csv").set_index("case_id")

P_TOLERANCE = 1e-8  # absolute
STATISTIC_TOLERANCE = 1e-6  # relative, also for the df and Cohen's d
EFFECT_TOLERANCE = 1e-8  # absolute, shares, means, differences and standard errors

# The kindcentrum comparison: wave 2019, respondents naming themselves a kindcentrum against the others.
KINDCENTRUM_WAVE, KINDCENTRUM_ITEM, KINDCENTRUM_CODE = 2019, "noemer", 3


@pytest.fixture(scope="module")
def sample():
    return read_sample(EMBEDDED_SAMPLE_DIR)


def case_inputs(sample, case) -> dict:
    """The complete cases of one reference case as the arguments of a test function."""
    if case.comparison == "wave":
        frames = [
            pd.DataFrame(
                {
                    "y": sample[(wave, case.respondent_group)].answers[case.item_id].to_numpy(),
                    "group": wave,
                    "weight": sample[(wave, case.respondent_group)].weight,
                }
            )
            for wave in (2016, 2019)
        ]
        data = pd.concat(frames, ignore_index=True)
        data["strata"] = data["group"]
    elif case.comparison == "kindcentrum":
        wave_group = sample[(KINDCENTRUM_WAVE, case.respondent_group)]
        noemer = wave_group.answers[KINDCENTRUM_ITEM].to_numpy()
        data = pd.DataFrame(
            {"y": wave_group.answers[case.item_id].to_numpy(), "group": noemer == KINDCENTRUM_CODE}
        ).assign(weight=wave_group.weight)[~np.isnan(noemer)]
    else:
        raise ValueError(f"unknown comparison {case.comparison}")
    data = data[data["y"].notna()]
    y = data["y"].to_numpy(dtype=float)
    if not pd.isna(case.answer_code):
        y = (y == int(case.answer_code)).astype(float)
    return {
        "y": y,
        "group": data["group"].to_numpy(),
        "weight": data["weight"].to_numpy(),
        "strata": data["strata"].to_numpy() if "strata" in data else None,
    }


def assert_close(actual, expected, tolerance, *, relative, what):
    """NaN where R has NA, otherwise within the tolerance."""
    actual = math.nan if actual is None else float(actual)
    if math.isnan(expected):
        assert math.isnan(actual), f"{what}: R has NA, Python {actual}"
        return
    error = abs(actual - expected) / (abs(expected) if relative and expected != 0 else 1.0)
    assert error <= tolerance, f"{what}: Python {actual!r}, R {expected!r}"


@pytest.mark.parametrize("case", list(CASES.itertuples(index=False)), ids=list(CASES["case_id"]))
def test_each_case_gives_the_numbers_of_r_survey_package(sample, case):
    expected = R_RESULTS.loc[case.case_id]
    result = run_test(case.method, **case_inputs(sample, case))

    assert (result.n_a, result.n_b) == (expected["n_a"], expected["n_b"])
    assert_close(result.p_value, expected["p_value"], P_TOLERANCE, relative=False, what="p_value")
    for field in ("statistic", "df_num", "df_den"):
        value = getattr(result, field)
        assert_close(value, expected[field], STATISTIC_TOLERANCE, relative=True, what=field)

    if math.isnan(expected["difference"]):
        assert result.effect is None
        return
    for field in ("value_a", "value_b", "difference", "se_difference"):
        assert_close(getattr(result.effect, field), expected[field], EFFECT_TOLERANCE, relative=False, what=field)
    if case.method == "svyttest":
        assert isinstance(result.effect, MeanEffect)
        assert_close(result.effect.cohens_d, expected["cohens_d"], STATISTIC_TOLERANCE, relative=True, what="d")
    else:
        assert isinstance(result.effect, ShareEffect)


def test_reference_cases_cover_every_method_comparison_and_group():
    assert set(CASES["case_id"]) == set(R_RESULTS.index)
    assert len(CASES) >= 60
    assert (CASES["method"] == "pearson_weighted").sum() >= 10
    assert set(CASES["method"]) == {"rao_scott_f", "pearson_weighted", "svyttest"}
    assert set(CASES["comparison"]) == {"wave", "kindcentrum"}
    assert set(CASES["respondent_group"]) == {"basisscholen", "kov_organisaties", "schoolbesturen", "kov_besturen"}
    numeric = CASES[CASES["method"] == "svyttest"]
    assert set(numeric.loc[numeric["item_id"] == "rapportcijfer", "comparison"]) == {"wave", "kindcentrum"}


def test_reference_cases_include_empty_cells_small_bases_and_non_response(sample):
    empty_cells = small_bases = with_non_response = 0
    for case in CASES[CASES["method"] != "svyttest"].itertuples(index=False):
        inputs = case_inputs(sample, case)
        table = pd.crosstab(inputs["y"], inputs["group"])
        empty_cells += bool(table.shape[0] > 1 and (table.to_numpy() == 0).any())
        small_bases += bool(table.sum(axis=0).min() < 30)
        respondents = (
            sum(len(sample[(wave, case.respondent_group)].answers) for wave in (2016, 2019))
            if case.comparison == "wave"
            else int(sample[(KINDCENTRUM_WAVE, case.respondent_group)].answers[KINDCENTRUM_ITEM].notna().sum())
        )
        with_non_response += bool(len(inputs["y"]) < respondents)
    assert empty_cells >= 5
    assert small_bases >= 5
    assert with_non_response >= 30


# ---- edge cases -------------------------------------------------------------------------------------

GROUP = np.array([2016] * 6 + [2019] * 6)
WEIGHT = np.array([0.6025838, 1.2, 0.9, 1.3, 0.7, 1.1, 0.51393373, 1.56872719, 1.0, 0.8, 1.2, 0.9])


@pytest.mark.parametrize("strata", [None, GROUP], ids=["one wave", "wave as stratum"])
def test_constant_item_gives_nan_statistic_and_p_without_raising(strata):
    # A grade nobody varies on, with weights whose weighted mean is not exactly 7 in floating point.
    y = np.full(12, 7.0)
    for test in (rao_scott_f, pearson_weighted, svyttest):
        result = test(y, GROUP, WEIGHT, strata)
        assert math.isnan(result.statistic) and math.isnan(result.p_value), test.__name__
    assert svyttest(y, GROUP, WEIGHT, strata).effect.difference == 0.0
    assert math.isnan(svyttest(y, GROUP, WEIGHT, strata).effect.cohens_d)
    zeros = rao_scott_f(np.zeros(12), GROUP, WEIGHT, strata)
    assert (zeros.effect.value_a, zeros.effect.value_b, zeros.effect.se_difference) == (0.0, 0.0, 0.0)


def test_one_group_without_respondents_gives_nan_without_raising():
    y = np.array([1.0, 2.0, 1.0, 2.0])
    for test in (rao_scott_f, pearson_weighted, svyttest):
        result = test(y, np.full(4, 2019), np.ones(4), levels=(2016, 2019))
        assert math.isnan(result.p_value) and (result.n_a, result.n_b) == (0, 4)


def test_tiny_bases_give_numbers_and_never_raise():
    for n_a, n_b in [(1, 1), (1, 2), (2, 3)]:
        y = np.array([1.0, 2.0, 1.0, 2.0, 2.0])[: n_a + n_b]
        group = np.array([0] * n_a + [1] * n_b)
        for test in (rao_scott_f, pearson_weighted, svyttest):
            result = test(y, group, np.ones(n_a + n_b), group)
            assert result.n_a == n_a and result.n_b == n_b


def test_hand_made_table_gives_the_numbers_of_r():
    # R 4.2.2, survey 4.1.1: d <- data.frame(y = c(1,1,1,2,1,2), g = factor(c(0,0,0,1,1,1)),
    # w = c(1,2,1,1,2,1)); des <- svydesign(ids = ~1, weights = ~w, data = d);
    # svychisq(~y + g, des, statistic = "F"); svyttest(y ~ g, des)
    y, group, weight = [1, 1, 1, 2, 1, 2], [0, 0, 0, 1, 1, 1], [1, 2, 1, 1, 2, 1]
    chi = rao_scott_f(y, group, weight)
    assert chi.statistic == pytest.approx(1.4336917562724012, rel=1e-12)
    assert (chi.df_num, chi.df_den) == pytest.approx((1.0, 5.0), rel=1e-12)
    assert chi.p_value == pytest.approx(0.28482738600571589, abs=1e-12)
    t = svyttest(y, group, weight)
    assert (t.statistic, t.df_num) == pytest.approx((1.4907119849998605, 4.0), rel=1e-12)
    assert t.p_value == pytest.approx(0.21029538311834675, abs=1e-12)
    assert t.effect.difference == pytest.approx(0.5, abs=1e-12)


@pytest.mark.parametrize("strata", [None, [0, 0, 0, 1, 1, 1]], ids=["one wave", "wave as stratum"])
def test_perfectly_separated_groups_are_significant_as_in_r(strata):
    # R: F of order 1e32 with p below 1e-60, and t = Inf with p = 0; svy 0.35.0 gives F = 0 and p = 1.
    y, group, weight = [1, 1, 1, 2, 2, 2], [0, 0, 0, 1, 1, 1], [1, 2, 1, 1, 2, 1]
    assert rao_scott_f(y, group, weight, strata).p_value < 1e-12
    t = svyttest(y, group, weight, strata)
    assert t.statistic == math.inf and t.p_value == 0.0


def test_pearson_weighted_on_a_2x2_is_the_uncorrected_statistic_not_yates():
    y = np.array([1] * 30 + [0] * 70 + [1] * 45 + [0] * 55, dtype=float)
    group = np.array([0] * 100 + [1] * 100)
    weight = np.linspace(0.5, 1.5, 200)
    table = np.array(
        [[weight[(y == code) & (group == g)].sum() for g in (0, 1)] for code in (0.0, 1.0)],
    )
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    uncorrected = ((table - expected) ** 2 / expected).sum()
    yates = stats.chi2_contingency(table)[0]

    result = pearson_weighted(y, group, weight)

    assert result.statistic == pytest.approx(uncorrected, rel=1e-12)
    assert result.statistic != pytest.approx(yates, rel=1e-3)
    assert (result.df_num, result.df_den) == (1.0, None)
    assert result.p_value == pytest.approx(stats.chi2.sf(uncorrected, 1), rel=1e-12)


def test_pearson_weighted_is_scipys_chi2_contingency_on_the_weighted_table():
    # The statistic is computed without scipy's wrapper (its overhead was a third of the tests' time).
    rng = np.random.default_rng(7)
    y = rng.integers(1, 6, size=300).astype(float)
    group = np.repeat([0, 1], 150)
    weight = rng.lognormal(0.0, 0.3, size=300)
    table = np.array([[weight[(y == code) & (group == g)].sum() for g in (0, 1)] for code in np.unique(y)])
    chi2, p_value, dof, _ = stats.chi2_contingency(table, correction=False)

    result = pearson_weighted(y, group, weight)

    assert (result.statistic, result.df_num) == (pytest.approx(chi2, rel=1e-14), dof)
    assert result.p_value == pytest.approx(p_value, rel=1e-13)


def test_minimum_detectable_difference_shrinks_as_the_base_grows():
    y = np.array([1, 0, 0, 1, 0, 1, 1, 1, 0, 0], dtype=float)
    group = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1])
    weight = np.array([1.0, 0.5, 1.5, 1.0, 1.2, 0.8, 1.0, 1.1, 0.9, 1.0])
    mdds = [share_effect(np.tile(y, k), np.tile(group, k), np.tile(weight, k)).mdd for k in (1, 4, 16, 64)]
    assert all(later < earlier for earlier, later in zip(mdds, mdds[1:], strict=False))
    # Same shares on a base 64 times larger: sqrt(64) times smaller, apart from the n / (n - 1) factor.
    assert mdds[0] / mdds[-1] == pytest.approx(8.0 * math.sqrt((10 / 9) / (640 / 639)), rel=1e-12)


def test_share_interval_and_mdd_use_the_normal_quantiles_on_the_contrast_standard_error():
    y = np.array([1, 0, 0, 1, 0, 1, 1, 1, 0, 0] * 5, dtype=float)
    group = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 1] * 5)
    effect = share_effect(y, group, np.ones(50))
    assert (effect.value_a, effect.value_b, effect.difference) == pytest.approx((0.4, 0.6, 0.2))
    assert effect.ci_low == pytest.approx(effect.difference - 1.959964 * effect.se_difference, abs=1e-7)
    assert effect.ci_high == pytest.approx(effect.difference + 1.959964 * effect.se_difference, abs=1e-7)
    assert effect.mdd == pytest.approx((1.959964 + 0.841621) * effect.se_difference, abs=1e-7)


def test_cohens_d_is_the_mean_difference_over_the_pooled_standard_deviation_with_sign_b_minus_a():
    # Means 2 and 4, both groups with sample variance 1: d = (4 - 2) / 1.
    y = np.array([1.0, 2.0, 3.0, 3.0, 4.0, 5.0])
    group = np.array(["a", "a", "a", "b", "b", "b"])
    assert mean_effect(y, group, np.ones(6)).cohens_d == pytest.approx(2.0, rel=1e-12)
    assert mean_effect(y, group, np.ones(6), levels=("b", "a")).cohens_d == pytest.approx(-2.0, rel=1e-12)
    # Scaling the weights changes nothing; doubling a respondent's weight moves its group's mean.
    assert mean_effect(y, group, np.full(6, 3.0)).cohens_d == pytest.approx(2.0, rel=1e-12)
    weighted = mean_effect(y, group, np.array([1.0, 1.0, 2.0, 1.0, 1.0, 1.0]))
    assert weighted.value_a == pytest.approx(2.25) and 0 < weighted.cohens_d < 2.0


def test_difference_is_second_group_minus_first_in_sorted_order():
    y = np.array([6.0, 7.0, 8.0, 7.0, 8.0, 9.0])
    result = svyttest(y, np.array([False, False, False, True, True, True]), np.ones(6))
    assert (result.group_a, result.group_b) == (False, True)
    assert result.effect.difference == pytest.approx(1.0) and result.statistic > 0


def test_whole_question_with_more_than_two_codes_has_no_share_effect():
    y = np.array([1, 2, 3, 1, 2, 3, 3, 3], dtype=float)
    group = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    assert rao_scott_f(y, group, np.ones(8)).effect is None


@pytest.mark.parametrize(
    "y, group",
    [
        ([1.0, np.nan, 2.0], [0, 0, 1]),  # missing answer
        ([1.0, 2.0, 2.0], [0, None, 1]),  # missing group
        ([1.0, 2.0, 2.0], [0, 1, 2]),  # three groups
        ([1.0, 2.0], [0, 1, 1]),  # lengths differ
    ],
)
def test_inputs_that_are_not_complete_cases_of_two_groups_are_refused(y, group):
    with pytest.raises(ValueError):
        rao_scott_f(y, np.array(group, dtype=object), np.ones(len(group)))
