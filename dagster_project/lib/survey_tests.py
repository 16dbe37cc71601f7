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

Cells: every statistic here is a function of per-cell sums, and is computed from them. A cell is a
(stratum, side, answer value) with respondents; its sums are the number of respondents n, the sum of
their weights Σw and the sum of their squared weights Σw². With fixed weights and no clusters, every
respondent's influence value on an estimate is its weight times a number that depends only on its
cell (for a share: (indicator of the cell - share) / total weight; for a domain mean: (y - mean) / total
weight of its side), so the centred sum of squares within a stratum expands into Σw and Σw² per cell
(`_linearised_variance`); the weighted table, the Pearson statistic and the means need Σw only. The
numeric item is cells per value too (the grade has ten), so no sum of y or y² loses digits to
cancellation. The functions on rows (`rao_scott_f(y, group, weight, strata)`, ...) aggregate their
rows into `Cells` and call the functions on cells (`rao_scott_f_cells`, ...): the golden tests against
R run the same code as the warehouse, which aggregates the cells in SQL (`int_significance_cells`).

Groups: `group` holds two distinct values; a is the smaller and b the larger (2016 before 2019, False
before True), unless `levels=(a, b)` says otherwise. Differences are b - a, as R's estimate.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import special, stats

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


@dataclass(frozen=True, eq=False)
class Cells:
    """The sums of one comparison of one item per cell: all the tests and effect sizes here need.

    One entry per cell, a (stratum, side, value) with respondents: `n` respondents, `sum_w` the sum of
    their weights, `sum_w2` the sum of their squared weights. Every respondent of a cell gave `value`
    (an answer code, 0/1 for a code against the rest, or the grade). `stratum` numbers the strata
    present from 0 (all 0 without strata), `in_b` is the side (False: a, True: b), `levels` names the
    sides (a, b). Make them with `Cells.of`, which checks the sums and adds up entries of one cell.
    """

    stratum: np.ndarray
    in_b: np.ndarray
    value: np.ndarray
    n: np.ndarray
    sum_w: np.ndarray
    sum_w2: np.ndarray
    levels: tuple[Any, Any]

    @classmethod
    def of(
        cls,
        stratum: Sequence,
        in_b: Sequence,
        value: Sequence,
        n: Sequence,
        sum_w: Sequence,
        sum_w2: Sequence,
        levels: tuple[Any, Any],
    ) -> "Cells":
        """Cells from per-entry arrays; entries of the same (stratum, side, value) are added up, in order.

        A wave comparison passes the cells of each kindcentrum flag and gets them pooled. Strata may be
        any labels (the waves); they are numbered here.
        """
        value_array = np.asarray(value, dtype=float)
        in_b_array = np.asarray(in_b, dtype=bool)
        n_array = np.asarray(n)
        sum_w_array = np.asarray(sum_w, dtype=float)
        sum_w2_array = np.asarray(sum_w2, dtype=float)
        arrays = (np.asarray(stratum), in_b_array, value_array, n_array, sum_w_array, sum_w2_array)
        if any(array.ndim != 1 for array in arrays) or len({len(array) for array in arrays}) != 1:
            raise ValueError("stratum, in_b, value, n, sum_w and sum_w2 must be one-dimensional and of the same length")
        if not np.isfinite(value_array).all():
            raise ValueError("a cell's value must not be missing: pass the complete cases of the item")
        if len(n_array) and not (np.equal(np.mod(n_array, 1), 0).all() and (n_array >= 1).all()):
            raise ValueError("a cell's n must be a whole number of respondents, at least 1")
        if not (np.isfinite(sum_w_array).all() and np.isfinite(sum_w2_array).all()):
            raise ValueError("sums of weights must not be missing")
        if (sum_w_array <= 0).any() or (sum_w2_array <= 0).any():
            raise ValueError("weights must be positive")
        if len(levels) != 2:
            raise ValueError("levels must name the two groups (a, b)")
        _, stratum_index = np.unique(np.asarray(stratum), return_inverse=True)
        keys = np.column_stack([stratum_index.reshape(-1), in_b_array, value_array]).astype(float)
        unique_keys, entry = np.unique(keys, axis=0, return_inverse=True)
        entry = entry.reshape(-1)

        def total(values: np.ndarray) -> np.ndarray:
            return np.bincount(entry, weights=values, minlength=len(unique_keys))

        return cls(
            stratum=unique_keys[:, 0].astype(int),
            in_b=unique_keys[:, 1].astype(bool),
            value=unique_keys[:, 2],
            n=np.rint(total(n_array.astype(float))).astype(np.int64),
            sum_w=total(sum_w_array),
            sum_w2=total(sum_w2_array),
            levels=tuple(levels),
        )

    def recode(self, value: Sequence) -> "Cells":
        """The same respondents with each cell's value replaced (a code by 0/1, codes by their grouping)."""
        return Cells.of(self.stratum, self.in_b, value, self.n, self.sum_w, self.sum_w2, self.levels)

    @cached_property
    def n_a(self) -> int:
        return int(self.n[~self.in_b].sum())

    @cached_property
    def n_b(self) -> int:
        return int(self.n[self.in_b].sum())

    @cached_property
    def n_total(self) -> int:
        return int(self.n.sum())

    @cached_property
    def strata(self) -> np.ndarray:
        """The strata present."""
        return np.unique(self.stratum)

    @property
    def n_strata(self) -> int:
        return int(self.strata.size)

    def both_groups(self) -> bool:
        return self.n_a > 0 and self.n_b > 0

    @cached_property
    def constant_within_groups(self) -> bool:
        """Whether every respondent of a group gave the same value, in both groups.

        Then the linearised variance is exactly zero; tested on the values because the floating-point
        residuals around a weighted mean are not, and would turn 0/0 into a t of any size.
        """
        return all(np.unique(self.value[in_group]).size <= 1 for in_group in (~self.in_b, self.in_b))


# ---- on cells: what the warehouse runs ---------------------------------------------------------------


def rao_scott_f_cells(cells: Cells) -> TestResult:
    """`rao_scott_f` on the sums per cell."""
    effect = _share_effect_if_binary(cells)
    statistic, df_num, df_den, p_value = _rao_scott(cells)
    return _result("rao_scott_f", cells, statistic, df_num, df_den, p_value, effect)


def pearson_weighted_cells(cells: Cells) -> TestResult:
    """`pearson_weighted` on the sums per cell."""
    effect = _share_effect_if_binary(cells)
    table = _weighted_table(cells)
    if table is None:
        return _result("pearson_weighted", cells, np.nan, np.nan, None, np.nan, effect)
    # scipy's chi2_contingency(table, correction=False) without its per-call overhead, which was a third
    # of the time of all tests: the same expected table, sum and chi-square tail function, same bits.
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / table.sum()
    chi2 = float(((table - expected) ** 2 / expected).sum())
    dof = (table.shape[0] - 1) * (table.shape[1] - 1)
    p_value = float(special.chdtrc(dof, chi2))
    return _result("pearson_weighted", cells, chi2, float(dof), None, p_value, effect)


def svyttest_cells(cells: Cells) -> TestResult:
    """`svyttest` on the sums per cell (cells per value of the numeric item)."""
    effect = _mean_effect(cells)
    df = float(cells.n_total - cells.n_strata - 1)
    if not cells.both_groups() or df < 1 or not np.isfinite(effect.se_difference):
        return _result("svyttest", cells, np.nan, df, None, np.nan, effect)
    if cells.constant_within_groups:
        # The standard error is exactly 0: no test where the means agree (a constant item, R's 0/0),
        # and an infinite t with p = 0 where they differ (R's difference / 0).
        t = np.nan if effect.difference == 0 else np.copysign(np.inf, effect.difference)
    else:
        t = effect.difference / effect.se_difference
    p_value = float(2 * special.stdtr(df, -abs(t)))  # stats.t.sf(abs(t), df), without its overhead
    return _result("svyttest", cells, float(t), df, None, p_value, effect)


def share_effect_cells(cells: Cells) -> ShareEffect:
    """`share_effect` on the sums per cell, whose values are 0/1."""
    if not np.isin(cells.value, (0.0, 1.0)).all():
        raise ValueError("share_effect needs booleans or 0/1 values")
    return _share_effect(cells)


def mean_effect_cells(cells: Cells) -> MeanEffect:
    """`mean_effect` on the sums per cell."""
    return _mean_effect(cells)


_CELL_TESTS: dict[str, Callable[[Cells], TestResult]] = {
    "rao_scott_f": rao_scott_f_cells,
    "pearson_weighted": pearson_weighted_cells,
    "svyttest": svyttest_cells,
}


def run_test_cells(method: str, cells: Cells) -> TestResult:
    """Run the test a `method` name from the design page stands for, on the sums per cell."""
    if method not in _CELL_TESTS:
        raise ValueError(f"unknown test method '{method}', expected one of {METHODS}")
    return _CELL_TESTS[method](cells)


# ---- on rows: the same, after adding the rows up into cells ------------------------------------------


def cells_from_rows(
    y: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> Cells:
    """The complete cases of one item (one row per respondent) added up into cells."""
    data = _validate(y, group, weight, strata, levels)
    ones = np.ones(len(data.y), dtype=np.int64)
    return Cells.of(data.stratum, data.in_b, data.y, ones, data.weight, data.weight**2, data.levels)


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
    return rao_scott_f_cells(cells_from_rows(y, group, weight, strata, levels=levels))


def pearson_weighted(
    y: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> TestResult:
    """Pearson chi-square on the weighted table, without continuity correction, as SPSS with weights.

    Kept to compare with the published report, which tested this way; it ignores the design, so
    `strata` is used only for the standard error of the effect size. The table is the weighted counts
    as they are (not scaled), the same number R's `chisq.test(xtabs(weight ~ item + group),
    correct = FALSE)` gives; scipy's Yates correction for 2x2 tables is switched off.
    """
    return pearson_weighted_cells(cells_from_rows(y, group, weight, strata, levels=levels))


def svyttest(
    y: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> TestResult:
    """Design-based t-test of the difference in weighted means, as R's survey::svyttest does it.

    t = (mean_b - mean_a) / SE with the linearised SE of the regression coefficient (which, for this
    saturated model, is the SE of the difference of the two domain means) and df = N - strata - 1, the
    residual df of R's svyglm. The effect is a `MeanEffect` with the same difference and SE.
    """
    return svyttest_cells(cells_from_rows(y, group, weight, strata, levels=levels))


def share_effect(
    chosen: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> ShareEffect:
    """Weighted share of `chosen` (booleans or 0/1) in each group, difference b - a, interval and mdd.

    Separate from the tests so that a whole question can report the effect per answer code
    (`chosen = item == code`) beside its one r x 2 test.
    """
    return share_effect_cells(cells_from_rows(chosen, group, weight, strata, levels=levels))


def mean_effect(
    y: Sequence, group: Sequence, weight: Sequence, strata: Sequence | None = None, *, levels: tuple | None = None
) -> MeanEffect:
    """Weighted means of a numeric item in each group, difference b - a, interval, mdd and Cohen's d."""
    return mean_effect_cells(cells_from_rows(y, group, weight, strata, levels=levels))


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
    if method not in _CELL_TESTS:
        raise ValueError(f"unknown test method '{method}', expected one of {METHODS}")
    return run_test_cells(method, cells_from_rows(y, group, weight, strata, levels=levels))


@dataclass(frozen=True)
class _Data:
    """Validated rows: values, group index (0 = a, 1 = b), weights and stratum index."""

    y: np.ndarray
    in_b: np.ndarray
    weight: np.ndarray
    stratum: np.ndarray
    levels: tuple[Any, Any]


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
    stratum = np.zeros(n, dtype=int) if strata is None else np.unique(np.asarray(strata), return_inverse=True)[1]
    return _Data(y_array, np.asarray(in_b, dtype=bool), weight_array, stratum.reshape(-1), tuple(levels))


# ---- the formulas, on cells ----------------------------------------------------------------------------


def _result(
    method: str,
    cells: Cells,
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
        n_a=cells.n_a,
        n_b=cells.n_b,
        group_a=cells.levels[0],
        group_b=cells.levels[1],
        effect=effect,
    )


def _linearised_variance(influence: np.ndarray, cells: Cells) -> np.ndarray:
    """`linearised_variance` of the estimates whose influence values are w_i times the columns, on `cells`."""
    return linearised_variance(influence, cells.stratum, cells.n, cells.sum_w, cells.sum_w2)


def linearised_variance(
    influence: np.ndarray, stratum: np.ndarray, n: np.ndarray, sum_w: np.ndarray, sum_w2: np.ndarray
) -> np.ndarray:
    """Covariance of the estimates whose influence values are w_i times the columns (one row per cell).

    R's svyrecvar for one-stage designs without clusters or fpc centres the influence values z_i within
    each stratum h and scales by n_h / (n_h - 1): Σ_h n_h/(n_h - 1) Σ_{i in h} (z_i - z̄_h)(z_i - z̄_h)ᵀ.
    With z_i = w_i·g_c for respondent i of cell c, that is, in sums per cell,
    Σ_h n_h/(n_h - 1) [Σ_c Σw²_c g_c g_cᵀ - (Σ_c Σw_c g_c)(Σ_c Σw_c g_c)ᵀ / n_h] over the cells c of h.
    A stratum of one respondent has no variance estimate (R stops there); NaN. The calibrated design
    (`calibrated_variance`) passes its residuals as `influence`, over the respondents outside the
    domain too.
    """
    g = influence.reshape(len(influence), -1)
    covariance = np.zeros((g.shape[1], g.shape[1]))
    for h in np.unique(stratum):
        in_h = stratum == h
        n_h = int(n[in_h].sum())
        if n_h == 1:
            return np.full_like(covariance, np.nan)
        g_h = g[in_h]
        total = sum_w[in_h] @ g_h
        squares = (sum_w2[in_h, None] * g_h).T @ g_h
        covariance += n_h / (n_h - 1) * (squares - np.outer(total, total) / n_h)
    return covariance


def _domain_means(cells: Cells) -> tuple[float, float, float]:
    """Weighted means of y in groups a and b, and the variance of b - a (NaN if a group is empty)."""
    if not cells.both_groups():
        return np.nan, np.nan, np.nan
    value, sum_w, in_b = cells.value, cells.sum_w, cells.in_b
    if cells.constant_within_groups:
        # Exact, so that a constant item has a difference of exactly 0 and no rounding noise as spread.
        mean_a, mean_b = float(value[~in_b][0]), float(value[in_b][0])
        influence = np.zeros(len(value))
    else:
        total_a, total_b = sum_w[~in_b].sum(), sum_w[in_b].sum()
        mean_a = float(sum_w[~in_b] @ value[~in_b] / total_a)
        mean_b = float(sum_w[in_b] @ value[in_b] / total_b)
        # Influence on b - a: each respondent's weighted residual over its group's total weight.
        influence = np.where(in_b, (value - mean_b) / total_b, -(value - mean_a) / total_a)
    variance = float(_linearised_variance(influence, cells)[0, 0])
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


def _share_effect(cells: Cells) -> ShareEffect:
    """ShareEffect of 0/1 cells."""
    value_a, value_b, variance = _domain_means(cells)
    return ShareEffect(value_a=value_a, value_b=value_b, **_difference_fields(value_b - value_a, variance))


def _share_effect_if_binary(cells: Cells) -> ShareEffect | None:
    """The share effect of a 0/1 item or a 2x2 of one code; None for a question with other codes."""
    return _share_effect(cells) if np.isin(cells.value, (0.0, 1.0)).all() else None


def _mean_effect(cells: Cells) -> MeanEffect:
    """MeanEffect of numeric cells."""
    value_a, value_b, variance = _domain_means(cells)
    difference = value_b - value_a
    sd_pooled = np.nan
    if cells.both_groups() and cells.constant_within_groups:
        sd_pooled = 0.0
    elif cells.both_groups() and cells.n_total > 2:
        # (n_g - 1)·s_g² = n_g·Σw(y - m)²/Σw, which stays finite for a group of one.
        sum_squares = 0.0
        for in_group, mean, n_g in ((~cells.in_b, value_a, cells.n_a), (cells.in_b, value_b, cells.n_b)):
            sum_w, value = cells.sum_w[in_group], cells.value[in_group]
            sum_squares += n_g * float(sum_w @ (value - mean) ** 2) / sum_w.sum()
        sd_pooled = float(np.sqrt(sum_squares / (cells.n_total - 2)))
    cohens_d = difference / sd_pooled if sd_pooled > 0 else np.nan
    return MeanEffect(
        value_a=value_a,
        value_b=value_b,
        **_difference_fields(difference, variance),
        sd_pooled=sd_pooled,
        cohens_d=float(cohens_d),
    )


def _weighted_table(cells: Cells) -> np.ndarray | None:
    """Sum of weights per answer code (rows, the codes that occur) and group (a, b); None if < 2x2."""
    codes, row = np.unique(cells.value, return_inverse=True)
    if len(codes) < 2 or not cells.both_groups():
        return None
    table = np.zeros((len(codes), 2))
    np.add.at(table, (row.reshape(-1), cells.in_b.astype(int)), cells.sum_w)
    return table


def _rao_scott(cells: Cells) -> tuple[float, float, float, float]:
    """Statistic, df_num, df_den and p-value of svychisq(statistic = "F"); NaN where R has none."""
    nan = (np.nan, np.nan, np.nan, np.nan)
    table = _weighted_table(cells)
    if table is None:
        return nan
    n = cells.n_total
    nu = n - cells.n_strata  # PSUs minus strata
    if any(cells.n[cells.stratum == h].sum() == 1 for h in cells.strata):
        return nan  # a stratum of one respondent: no variance (R stops)
    if cells.constant_within_groups:
        # Perfectly separated (each group one code, a different one): the design effect of the 2x2 is
        # exactly 0, so F is infinite and p = 0. R divides by the rounding noise of its residuals
        # instead (F of order 1e32, p below 1e-60); the same holds, without the noise.
        return np.inf, 1.0, float(nu), 0.0

    # Cell shares with their linearised covariance; cells in R's order, answer code varying fastest.
    covariance = _linearised_variance(share_influence(cells.value, cells.in_b, table), cells)
    return rao_scott_from_covariance(table, covariance, n, nu)


def share_influence(value: np.ndarray, in_b: np.ndarray, table: np.ndarray) -> np.ndarray:
    """Per cell, the influence on the r x 2 table's cell shares over w: (e_j - shares) / W.

    Columns in R's order (answer code fastest, then the side); `table` as `_weighted_table` gives it.
    """
    n_rows = table.shape[0]
    codes = np.unique(value)
    table_cell = np.searchsorted(codes, value) + n_rows * in_b.astype(int)
    indicators = np.zeros((len(value), table.size))
    indicators[np.arange(len(value)), table_cell] = 1.0
    total = table.sum()
    shares = table.T.reshape(-1) / total
    return (indicators - shares) / total


def rao_scott_from_covariance(
    table: np.ndarray, covariance: np.ndarray, n: int, nu: int
) -> tuple[float, float, float, float]:
    """The second-order Rao-Scott F of svychisq from the weighted table and its cell shares' covariance.

    `n` is R's N (the rows of the design), which cancels between the Pearson X² and the design
    effects; `nu` the PSUs minus strata, the denominator df per numerator df.
    """
    nan = (np.nan, np.nan, np.nan, np.nan)
    n_rows, n_cols = table.shape
    # Pearson X² of the weighted table scaled to N respondents (svytable(..., Ntotal = N)).
    scaled = table * n / table.sum()
    expected = np.outer(scaled.sum(axis=1), scaled.sum(axis=0)) / n
    pearson = float(((scaled - expected) ** 2 / expected).sum())
    shares = table.T.reshape(-1) / table.sum()

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
    p_value = float(special.fdtrc(d0, d0 * nu, statistic)) if nu > 0 else np.nan  # stats.f.sf, without overhead
    return statistic, d0, d0 * nu, p_value
