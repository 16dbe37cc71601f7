"""Significance tests and effect sizes for comparing two groups of survey respondents.

The warehouse reports whether a share or mean differs between two waves, or between two subgroups of
one wave, and the design page fixes the answer to what R's survey package gives. The formulas are
implemented here directly with numpy and scipy, following survey 4.1.1 line by line:

- `rao_scott_f`: `svychisq(~item + group, design, statistic = "F")`, the second-order Rao-Scott F;
- `svyttest`: `svyttest(item ~ factor(group), design)`, the linearised t-test of a difference in means;
- `pearson_weighted`: `chisq.test(xtabs(weight ~ item + group), correct = FALSE)`, what SPSS with
  weights on prints.

Why own formulas and not `svy`: svy 0.35.0 agrees with R to about 1e-11 on every table of the embedded
sample, empty cells included, but not on degenerate tables, which small bases make common: for a
constant item it returns F = 0 with p = 1, and a t made of rounding noise (2.67 with p = 0.056 on six
respondents), where R has no test; for a perfectly separated 2x2 (all of group a chose the code, none of
b) it returns F = 0 with p = 1 where R's p is below 1e-60; with one group present it raises. The formulas
below are a few dozen lines, follow R in those cases too, and are checked against R by
`tests/test_survey_tests.py`.

The design, as the design page fixes it: respondents are independent units (no clusters), weights are
fixed, and the inputs are the complete cases of one item. Wave comparisons pool both waves with wave as
stratum (pass `strata=wave`); subgroup comparisons use one wave without strata. Variances are the
linearised (Taylor) variances of R's `svyrecvar` for such a design: within each stratum h with n_h
respondents, n_h / (n_h - 1) times the sum of squares of the centred influence values. The design is
that of the complete cases themselves, as R's svydesign on them; subset() of a design of all
respondents centres and counts over everyone and gives slightly different numbers (F = 22.258 instead
of 22.255 on one table of the sample), and svychisq on a full design with na.rm counts the
non-respondents in the denominator df.

Groups: `group` holds two distinct values; a is the smaller and b the larger (2016 before 2019, False
before True), unless `levels=(a, b)` says otherwise. Differences are b - a, as R's estimate.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

# Normal quantiles for a two-sided 95% interval and for 80% power.
Z_95 = float(stats.norm.ppf(0.975))  # 1.959964
Z_POWER_80 = float(stats.norm.ppf(0.80))  # 0.841621

METHODS = ("rao_scott_f", "pearson_weighted", "svyttest")


@dataclass(frozen=True)
class ShareEffect:
    """Weighted shares of a code (or of 1 in a 0/1 item) in both groups and their difference.

    `difference` is value_b - value_a in proportion units, with the linearised standard error of the
    contrast (svyby + svycontrast in R), its 95% normal interval, and `mdd`, the smallest difference
    that a two-sided test at alpha 0.05 would detect with 80% power at this standard error.
    """

    value_a: float
    value_b: float
    difference: float
    se_difference: float
    ci_low: float
    ci_high: float
    mdd: float


@dataclass(frozen=True)
class MeanEffect:
    """Weighted means in both groups, their difference, and Cohen's d.

    `difference`, `se_difference`, `ci_low`, `ci_high` and `mdd` as in `ShareEffect`, on the item's scale.
    `cohens_d` = difference / `sd_pooled`, with
    sd_pooled² = ((n_a - 1)·s_a² + (n_b - 1)·s_b²) / (n_a + n_b - 2), n_g the unweighted group base and
    s_g² = n_g / (n_g - 1) · Σ w·(y - m_g)² / Σ w the weighted variance of group g as R's svyvar has it.
    """

    value_a: float
    value_b: float
    difference: float
    se_difference: float
    ci_low: float
    ci_high: float
    mdd: float
    sd_pooled: float
    cohens_d: float


@dataclass(frozen=True)
class TestResult:
    """One test of group a against group b, with the effect size that belongs to it.

    `df_den` is None for tests with one df (Pearson chi-square, t); `statistic` and `p_value` are NaN
    when the test cannot be computed (a constant item, a group without respondents). `effect` is a
    `ShareEffect` for a 0/1 item or a 2x2 of one code, a `MeanEffect` for the t-test, and None for a
    whole question with more than two answer codes.
    """

    __test__ = False  # not a pytest test class, despite the name

    method: str
    statistic: float
    df_num: float
    df_den: float | None
    p_value: float
    n_a: int
    n_b: int
    group_a: Any
    group_b: Any
    effect: ShareEffect | MeanEffect | None


@dataclass(frozen=True)
class _Data:
    """Validated inputs: values, group index (0 = a, 1 = b), weights and stratum index."""

    y: np.ndarray
    in_b: np.ndarray
    weight: np.ndarray
    stratum: np.ndarray
    n_strata: int
    levels: tuple[Any, Any]

    @property
    def n_a(self) -> int:
        return int((~self.in_b).sum())

    @property
    def n_b(self) -> int:
        return int(self.in_b.sum())

    def both_groups(self) -> bool:
        return self.n_a > 0 and self.n_b > 0


def rao_scott_f(
    y: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> TestResult:
    """Second-order Rao-Scott F test of independence of answer and group, as R's svychisq "F".

    The Pearson X² of the weighted table (scaled to the number of respondents N) is divided by the mean
    generalised design effect tr(Δ); the F has d = tr(Δ)² / tr(Δ²) and d·(N - strata) degrees of
    freedom. As in R, the table has the answer codes that occur in either group: a code nobody chose
    does not exist, a code that one group never chose is an empty cell that stays in the table (its
    inverse share counts as zero in Δ).
    """
    data = _validate(y, group, weight, strata, levels)
    effect = _share_effect_if_binary(data)
    statistic, df_num, df_den, p_value = _rao_scott(data)
    return _result("rao_scott_f", data, statistic, df_num, df_den, p_value, effect)


def pearson_weighted(
    y: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> TestResult:
    """Pearson chi-square on the weighted table, without continuity correction, as SPSS with weights.

    Kept to compare with the published report, which tested this way; it ignores the design, so
    `strata` is used only for the standard error of the effect size. The table is the weighted counts
    as they are (not scaled), the same number R's `chisq.test(xtabs(weight ~ item + group),
    correct = FALSE)` gives; scipy's Yates correction for 2x2 tables is switched off.
    """
    data = _validate(y, group, weight, strata, levels)
    effect = _share_effect_if_binary(data)
    table = _weighted_table(data)
    if table is None:
        return _result("pearson_weighted", data, np.nan, np.nan, None, np.nan, effect)
    chi2, p_value, dof, _ = stats.chi2_contingency(table, correction=False)
    return _result("pearson_weighted", data, float(chi2), float(dof), None, float(p_value), effect)


def svyttest(
    y: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> TestResult:
    """Design-based t-test of the difference in weighted means, as R's survey::svyttest does it.

    t = (mean_b - mean_a) / SE with the linearised SE of the regression coefficient (which, for this
    saturated model, is the SE of the difference of the two domain means) and df = N - strata - 1, the
    residual df of R's svyglm. The effect is a `MeanEffect` with the same difference and SE.
    """
    data = _validate(y, group, weight, strata, levels)
    effect = _mean_effect(data)
    df = float(len(data.y) - data.n_strata - 1)
    if not data.both_groups() or df < 1 or not np.isfinite(effect.se_difference):
        return _result("svyttest", data, np.nan, df, None, np.nan, effect)
    if _constant_within_groups(data):
        # The standard error is exactly 0: no test where the means agree (a constant item, R's 0/0),
        # and an infinite t with p = 0 where they differ (R's difference / 0).
        t = np.nan if effect.difference == 0 else np.copysign(np.inf, effect.difference)
    else:
        t = effect.difference / effect.se_difference
    p_value = float(2 * stats.t.sf(abs(t), df))
    return _result("svyttest", data, float(t), df, None, p_value, effect)


def share_effect(
    chosen: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> ShareEffect:
    """Weighted share of `chosen` (booleans or 0/1) in each group, difference b - a, interval and mdd.

    Separate from the tests so that a whole question can report the effect per answer code
    (`chosen = item == code`) beside its one r x 2 test.
    """
    data = _validate(chosen, group, weight, strata, levels)
    if not np.isin(data.y, (0.0, 1.0)).all():
        raise ValueError("share_effect needs booleans or 0/1 values")
    return _share_effect(data)


def mean_effect(
    y: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> MeanEffect:
    """Weighted means of a numeric item in each group, difference b - a, interval, mdd and Cohen's d."""
    return _mean_effect(_validate(y, group, weight, strata, levels))


def run_test(
    method: str,
    y: Sequence,
    group: Sequence,
    weight: Sequence,
    strata: Sequence | None = None,
    *,
    levels: tuple | None = None,
) -> TestResult:
    """Run the test a `method` name from the design page stands for."""
    tests: dict[str, Callable[..., TestResult]] = {
        "rao_scott_f": rao_scott_f,
        "pearson_weighted": pearson_weighted,
        "svyttest": svyttest,
    }
    if method not in tests:
        raise ValueError(f"unknown test method '{method}', expected one of {METHODS}")
    return tests[method](y, group, weight, strata, levels=levels)


def _validate(y: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None, levels: tuple | None) -> _Data:
    """Arrays of equal length without missing values and with at most two groups, or a ValueError.

    Missing values are the caller's business (complete cases of the item): dropping them here would
    hide a wrong base.
    """
    y_array = np.asarray(y, dtype=float)
    group_array = np.asarray(group)
    weight_array = np.asarray(weight, dtype=float)
    n = len(y_array)
    lengths = {len(group_array), len(weight_array)} | ({len(strata)} if strata is not None else set())
    if y_array.ndim != 1 or lengths != {n}:
        raise ValueError("y, group, weight (and strata) must be one-dimensional and of the same length")
    if np.isnan(y_array).any() or not np.isfinite(weight_array).all():
        raise ValueError("y and weight must not be missing: pass the complete cases of the item")
    if (weight_array <= 0).any():
        raise ValueError("weights must be positive")
    if any(value is None or (isinstance(value, float) and np.isnan(value)) for value in group_array.tolist()):
        raise ValueError("group must not be missing: pass the complete cases of the item")
    present = [value.item() if hasattr(value, "item") else value for value in np.unique(group_array)]
    if levels is None:
        if len(present) > 2:
            raise ValueError(f"a comparison needs two groups, got {present}")
        # With one group present the other is unknown: a stays the one present, b is None.
        levels = (present + [None, None])[:2] if present else (None, None)
    else:
        if len(levels) != 2:
            raise ValueError("levels must name the two groups (a, b)")
        unknown = [value for value in present if value not in levels]
        if unknown:
            raise ValueError(f"group has values {unknown} outside levels {levels}")
    in_b = group_array == levels[1] if levels[1] is not None else np.zeros(n, dtype=bool)
    if strata is None:
        stratum, n_strata = np.zeros(n, dtype=int), 1
    else:
        _, stratum = np.unique(np.asarray(strata), return_inverse=True)
        n_strata = int(stratum.max()) + 1 if n else 0
    return _Data(y_array, np.asarray(in_b, dtype=bool), weight_array, stratum, n_strata, tuple(levels))


def _result(
    method: str,
    data: _Data,
    statistic: float,
    df_num: float,
    df_den: float | None,
    p_value: float,
    effect: ShareEffect | MeanEffect | None,
) -> TestResult:
    """A TestResult; a p-value that cannot be computed takes its statistic with it."""
    if not np.isfinite(p_value):
        statistic, p_value = np.nan, np.nan
    return TestResult(
        method=method,
        statistic=float(statistic),
        df_num=float(df_num),
        df_den=None if df_den is None else float(df_den),
        p_value=float(p_value),
        n_a=data.n_a,
        n_b=data.n_b,
        group_a=data.levels[0],
        group_b=data.levels[1],
        effect=effect,
    )


def _linearised_variance(influence: np.ndarray, data: _Data) -> np.ndarray:
    """Covariance of the estimates whose influence values are the columns (one row per respondent).

    R's svyrecvar for one-stage designs without clusters or fpc: centre within each stratum and scale
    by n_h / (n_h - 1). A stratum of one respondent has no variance estimate (R stops there); NaN.
    """
    z = influence.reshape(len(influence), -1)
    covariance = np.zeros((z.shape[1], z.shape[1]))
    for h in range(data.n_strata):
        z_h = z[data.stratum == h]
        n_h = len(z_h)
        if n_h == 0:
            continue
        if n_h == 1:
            return np.full_like(covariance, np.nan)
        centred = z_h - z_h.mean(axis=0)
        covariance += n_h / (n_h - 1) * centred.T @ centred
    return covariance


def _constant_within_groups(data: _Data) -> bool:
    """Whether every respondent of a group gave the same value, in both groups.

    Then the linearised variance is exactly zero; tested on the values because the floating-point
    residuals around a weighted mean are not, and would turn 0/0 into a t of any size.
    """
    return all(np.unique(data.y[in_group]).size <= 1 for in_group in (~data.in_b, data.in_b))


def _domain_means(data: _Data) -> tuple[float, float, float]:
    """Weighted means of y in groups a and b, and the variance of b - a (NaN if a group is empty)."""
    if not data.both_groups():
        return np.nan, np.nan, np.nan
    w, y, in_b = data.weight, data.y, data.in_b
    if _constant_within_groups(data):
        # Exact, so that a constant item has a difference of exactly 0 and no rounding noise as spread.
        mean_a, mean_b = float(y[~in_b][0]), float(y[in_b][0])
        influence = np.zeros(len(y))
    else:
        total_a, total_b = w[~in_b].sum(), w[in_b].sum()
        mean_a = float(w[~in_b] @ y[~in_b] / total_a)
        mean_b = float(w[in_b] @ y[in_b] / total_b)
        # Influence on b - a: each respondent's weighted residual over its group's total weight.
        influence = np.where(in_b, w * (y - mean_b) / total_b, -w * (y - mean_a) / total_a)
    variance = float(_linearised_variance(influence, data)[0, 0])
    return mean_a, mean_b, variance


def _difference_fields(difference: float, variance: float) -> dict[str, float]:
    """A difference with its standard error, 95% interval and minimum detectable difference."""
    se = float(np.sqrt(variance))
    return {
        "difference": difference,
        "se_difference": se,
        "ci_low": difference - Z_95 * se,
        "ci_high": difference + Z_95 * se,
        "mdd": (Z_95 + Z_POWER_80) * se,
    }


def _share_effect(data: _Data) -> ShareEffect:
    """ShareEffect of validated 0/1 data."""
    value_a, value_b, variance = _domain_means(data)
    return ShareEffect(value_a=value_a, value_b=value_b, **_difference_fields(value_b - value_a, variance))


def _share_effect_if_binary(data: _Data) -> ShareEffect | None:
    """The share effect of a 0/1 item or a 2x2 of one code; None for a question with other codes."""
    return _share_effect(data) if np.isin(data.y, (0.0, 1.0)).all() else None


def _mean_effect(data: _Data) -> MeanEffect:
    """MeanEffect of validated numeric data."""
    value_a, value_b, variance = _domain_means(data)
    difference = value_b - value_a
    sd_pooled = np.nan
    if data.both_groups() and _constant_within_groups(data):
        sd_pooled = 0.0
    elif data.both_groups() and len(data.y) > 2:
        # (n_g - 1)·s_g² = n_g·Σw(y - m)²/Σw, which stays finite for a group of one.
        sum_squares = 0.0
        for in_group, mean, n_g in ((~data.in_b, value_a, data.n_a), (data.in_b, value_b, data.n_b)):
            w, y = data.weight[in_group], data.y[in_group]
            sum_squares += n_g * float(w @ (y - mean) ** 2) / w.sum()
        sd_pooled = float(np.sqrt(sum_squares / (len(data.y) - 2)))
    cohens_d = difference / sd_pooled if sd_pooled > 0 else np.nan
    return MeanEffect(
        value_a=value_a,
        value_b=value_b,
        **_difference_fields(difference, variance),
        sd_pooled=sd_pooled,
        cohens_d=float(cohens_d),
    )


def _weighted_table(data: _Data) -> np.ndarray | None:
    """Sum of weights per answer code (rows, the codes that occur) and group (a, b); None if < 2x2."""
    codes, row = np.unique(data.y, return_inverse=True)
    if len(codes) < 2 or not data.both_groups():
        return None
    table = np.zeros((len(codes), 2))
    np.add.at(table, (row, data.in_b.astype(int)), data.weight)
    return table


def _rao_scott(data: _Data) -> tuple[float, float, float, float]:
    """Statistic, df_num, df_den and p-value of svychisq(statistic = "F"); NaN where R has none."""
    nan = (np.nan, np.nan, np.nan, np.nan)
    table = _weighted_table(data)
    if table is None:
        return nan
    n_rows, n_cols = table.shape
    n = len(data.y)
    nu = n - data.n_strata  # PSUs minus strata

    # Pearson X² of the weighted table scaled to N respondents (svytable(..., Ntotal = N)).
    scaled = table * n / table.sum()
    expected = np.outer(scaled.sum(axis=1), scaled.sum(axis=0)) / n
    pearson = float(((scaled - expected) ** 2 / expected).sum())

    # Cell shares with their linearised covariance; cells in R's order, answer code varying fastest.
    codes = np.unique(data.y)
    cell = np.searchsorted(codes, data.y) + n_rows * data.in_b.astype(int)
    indicators = np.zeros((n, n_rows * n_cols))
    indicators[np.arange(n), cell] = 1.0
    w = data.weight
    shares = w @ indicators / w.sum()
    covariance = _linearised_variance(w[:, None] * (indicators - shares) / w.sum(), data)

    # Contrasts of the interaction, orthogonal to the main effects: R's qr.resid(qr(X1), X12[, interaction]).
    row_of = np.tile(np.arange(n_rows), n_cols)
    col_of = np.repeat(np.arange(n_cols), n_rows)
    main = np.column_stack(
        [np.ones(n_rows * n_cols)]
        + [(row_of == r).astype(float) for r in range(1, n_rows)]
        + [(col_of == c).astype(float) for c in range(1, n_cols)]
    )
    interaction = np.column_stack(
        [((row_of == r) & (col_of == c)).astype(float) for c in range(1, n_cols) for r in range(1, n_rows)]
    )
    q, _ = np.linalg.qr(main)
    contrasts = interaction - q @ (q.T @ interaction)

    # An empty cell has share 0: R takes its inverse as 0 rather than dropping the cell.
    with np.errstate(divide="ignore"):
        inverse = np.where(shares == 0, 0.0, 1.0 / shares)
    weighted = contrasts * inverse[:, None]
    denominator = contrasts.T @ weighted / n
    numerator = weighted.T @ covariance @ weighted
    try:
        delta = np.linalg.solve(denominator, numerator)
    except np.linalg.LinAlgError:
        return nan
    trace = float(np.trace(delta))
    trace_squared = float(np.trace(delta @ delta))
    if not (np.isfinite(trace) and trace > 0 and trace_squared > 0):
        return nan
    d0 = trace**2 / trace_squared
    statistic = pearson / trace
    p_value = float(stats.f.sf(statistic, d0, d0 * nu)) if nu > 0 else np.nan
    return statistic, d0, d0 * nu, p_value
