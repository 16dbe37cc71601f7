"""Calibration-aware variance: R's raked calibrated design, computed from sums per calibration cell.

The weights are raked to population margins, and R's survey package counts that calibration in every
variance of a design made with `calibrate(svydesign(ids = ~1, weights = ~1, data), ~ <strata>,
population = <margins>, calfun = "raking")`. Its `svyrecvar` replaces each respondent's influence value
z_i = w_i·u_i by w_i·e_i, e the residual of u regressed (ordinary least squares, the start weights being
1) on the calibration model matrix over every respondent of the design, then takes the usual
linearised variance of those (docs/statistics.md, "The calibrated variance"). A share is a domain mean
(`svymean` on `subset(design, answered)`): the respondents outside the domain have u = 0, but a
residual of their own, and stay in the variance; R's `svychisq` on that subset counts them in its
denominator df too, its `svyttest` does not.

The model matrix holds indicators of the margins' categories, so it is constant within a calibration
cell (the cross-classified strata, `weights.respondent_weights.calibration_cell`) and the regression
needs only the sums per cell: with N_c respondents and the sum U_c of their u, the fitted value of cell
c is X_c·β with β the least-squares fit of U_c / N_c on X_c weighted by N_c. Every respondent of a row
of `CalibratedCells` (one calibration cell, one answer, one side) has the same u and so the same
residual; the variance then needs the row's n, Σw and Σw² only (`survey_tests.linearised_variance`).
The cost is independent of the number of respondents.

Pooled waves: each wave is raked to its own margins. R cannot rbind two calibrated designs, so the
reference is one design of both waves, wave as stratum, calibrated to the margins crossed with wave
(`~ wave + wave:v1 + wave:v2`, population the margins of each wave): its model matrix is block
diagonal in the waves, so the residuals are those of each wave's own regression, as here (each wave a
calibration block). A group without margins (not weighted) has no regression: its variance is that of
`subset(svydesign(ids = ~1, weights = ~1, data), answered)`, which R also computes over every
respondent (u = 0 outside the domain, centred and counted over all), not the complete-case design of
the fixed-weight variance.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
from scipy import special

from dagster_project.lib import survey_tests
from dagster_project.lib.survey_tests import MeanEffect, ShareEffect, TestResult

CALIBRATED_METHODS = {"rao_scott_f": "rao_scott_f_calibrated", "svyttest": "svyttest_calibrated"}


@dataclass(frozen=True, eq=False)
class CalibratedCells:
    """The sums of one comparison of one item per row: (stratum, calibration cell, domain, side, value).

    Rows outside the domain (respondents of the design who did not answer the item, or who are on
    neither side) have `in_domain` False, value 0 and side a; they carry no estimate but their
    residuals count. `calibration` indexes the rows of `design`, one per calibration cell: the
    indicators of the margin categories the cell belongs to, per calibration block (a wave), so that
    the regression is each block's own. `stratum` is the variance stratum (the wave when waves are
    pooled, else 0). Make them with `CalibratedCells.of`.
    """

    stratum: np.ndarray
    calibration: np.ndarray
    in_domain: np.ndarray
    in_b: np.ndarray
    value: np.ndarray
    n: np.ndarray
    sum_w: np.ndarray
    sum_w2: np.ndarray
    design: np.ndarray
    levels: tuple[Any, Any]

    @classmethod
    def of(
        cls,
        stratum: Sequence,
        block: Sequence,
        calibration_cell: Sequence[str],
        in_domain: Sequence,
        in_b: Sequence,
        value: Sequence,
        n: Sequence,
        sum_w: Sequence,
        sum_w2: Sequence,
        levels: tuple[Any, Any],
    ) -> CalibratedCells:
        """Rows from per-entry arrays; entries of the same row key are added up, in order.

        `block` labels the calibration block (the wave), `calibration_cell` the cell within it as the
        weights stage writes it (`variable=code;...`, empty without margins). Outside the domain the
        side and value are ignored.
        """
        in_domain_array = np.asarray(in_domain, dtype=bool)
        in_b_array = np.asarray(in_b, dtype=bool) & in_domain_array
        value_array = np.where(in_domain_array, np.asarray(value, dtype=float), 0.0)
        if not np.isfinite(value_array).all():
            raise ValueError("a value in the domain must not be missing")
        if np.any(np.asarray(sum_w, dtype=float) <= 0):
            raise ValueError("weights must be positive")
        blocks = [str(label) for label in np.asarray(block).tolist()]
        cells = [str(cell) for cell in np.asarray(calibration_cell).tolist()]
        keys = list(dict.fromkeys(zip(blocks, cells, strict=True)))
        cell_index = {key: i for i, key in enumerate(keys)}
        calibration = np.array([cell_index[key] for key in zip(blocks, cells, strict=True)], dtype=float)
        columns = list(dict.fromkeys((b, token) for b, cell in keys for token in _tokens(cell)))
        column_index = {column: j for j, column in enumerate(columns)}
        design = np.zeros((len(keys), len(columns)))
        for i, (b, cell) in enumerate(keys):
            for token in _tokens(cell):
                design[i, column_index[(b, token)]] = 1.0
        _, stratum_index = np.unique(np.asarray(stratum), return_inverse=True)
        row_keys = np.column_stack(
            [stratum_index.reshape(-1), calibration, in_domain_array, in_b_array, value_array]
        ).astype(float)
        unique_keys, entry = np.unique(row_keys, axis=0, return_inverse=True)
        entry = entry.reshape(-1)

        def total(values: Sequence) -> np.ndarray:
            return np.bincount(entry, weights=np.asarray(values, dtype=float), minlength=len(unique_keys))

        return cls(
            stratum=unique_keys[:, 0].astype(int),
            calibration=unique_keys[:, 1].astype(int),
            in_domain=unique_keys[:, 2].astype(bool),
            in_b=unique_keys[:, 3].astype(bool),
            value=unique_keys[:, 4],
            n=np.rint(total(n)).astype(np.int64),
            sum_w=total(sum_w),
            sum_w2=total(sum_w2),
            design=design,
            levels=tuple(levels),
        )

    def recode(self, value: Sequence) -> CalibratedCells:
        """The same rows with each domain row's value replaced (a code by 0/1, codes by their grouping)."""
        value_array = np.where(self.in_domain, np.asarray(value, dtype=float), 0.0)
        return _merge(self, value_array)

    @cached_property
    def domain(self) -> survey_tests.Cells:
        """The domain's rows as the fixed-weight design's cells (complete cases, same strata)."""
        d = self.in_domain
        return survey_tests.Cells.of(
            self.stratum[d], self.in_b[d], self.value[d], self.n[d], self.sum_w[d], self.sum_w2[d], self.levels
        )

    def residuals(self, influence: np.ndarray) -> np.ndarray:
        """The influence columns (0 outside the domain) minus their least-squares fit on the margins.

        Rows with the same calibration cell share the design row, so the fit is on the cells' means
        of u weighted by their respondents (the same normal equations as R's qr.resid over every
        respondent).
        """
        u = influence.reshape(len(influence), -1)
        if self.design.shape[1] == 0:
            return u
        cells = len(self.design)
        respondents = np.bincount(self.calibration, weights=self.n.astype(float), minlength=cells)
        totals = np.zeros((cells, u.shape[1]))
        np.add.at(totals, self.calibration, self.n[:, None] * u)
        present = respondents > 0
        root = np.sqrt(respondents[present])[:, None]
        beta, *_ = np.linalg.lstsq(
            self.design[present] * root, totals[present] / respondents[present][:, None] * root, rcond=None
        )
        return u - self.design[self.calibration] @ beta

    def covariance(self, influence: np.ndarray) -> np.ndarray:
        """Calibrated covariance of the estimates whose influence values are w_i times the columns."""
        return survey_tests.linearised_variance(
            self.residuals(influence), self.stratum, self.n, self.sum_w, self.sum_w2
        )


def _tokens(cell: str) -> list[str]:
    return [token for token in cell.split(";") if token]


def _merge(cells: CalibratedCells, value: np.ndarray) -> CalibratedCells:
    """Rows with equal keys after a recode added up (a 2x2 of one code has two values in the domain)."""
    keys = np.column_stack([cells.stratum, cells.calibration, cells.in_domain, cells.in_b, value]).astype(float)
    unique_keys, entry = np.unique(keys, axis=0, return_inverse=True)
    entry = entry.reshape(-1)

    def total(values: np.ndarray) -> np.ndarray:
        return np.bincount(entry, weights=values.astype(float), minlength=len(unique_keys))

    return CalibratedCells(
        stratum=unique_keys[:, 0].astype(int),
        calibration=unique_keys[:, 1].astype(int),
        in_domain=unique_keys[:, 2].astype(bool),
        in_b=unique_keys[:, 3].astype(bool),
        value=unique_keys[:, 4],
        n=np.rint(total(cells.n)).astype(np.int64),
        sum_w=total(cells.sum_w),
        sum_w2=total(cells.sum_w2),
        design=cells.design,
        levels=cells.levels,
    )


# ---- estimates ------------------------------------------------------------------------------------------


def mean_standard_error(cells: CalibratedCells) -> float:
    """Calibrated standard error of the domain's weighted mean (side a only: one wave and group).

    R: SE(svymean(~y, subset(design, answered), na.rm = TRUE)); for a share, y is 0/1.
    """
    d = cells.in_domain
    total = cells.sum_w[d].sum()
    mean = float(cells.sum_w[d] @ cells.value[d] / total)
    influence = np.where(d, (cells.value - mean) / total, 0.0)
    return float(np.sqrt(cells.covariance(influence)[0, 0]))


def _difference_variance(cells: CalibratedCells) -> float:
    """Calibrated variance of the difference of the two sides' domain means (b - a)."""
    domain = cells.domain
    if not domain.both_groups():
        return np.nan
    if domain.constant_within_groups:
        return 0.0
    d, b = cells.in_domain, cells.in_b
    a = d & ~b
    total_a, total_b = cells.sum_w[a].sum(), cells.sum_w[b].sum()
    mean_a = float(cells.sum_w[a] @ cells.value[a] / total_a)
    mean_b = float(cells.sum_w[b] @ cells.value[b] / total_b)
    influence = np.where(b, (cells.value - mean_b) / total_b, np.where(a, -(cells.value - mean_a) / total_a, 0.0))
    return float(cells.covariance(influence)[0, 0])


def _share_effect(cells: CalibratedCells) -> ShareEffect:
    fixed = survey_tests.share_effect_cells(cells.domain)
    fields = survey_tests._difference_fields(fixed.difference, _difference_variance(cells))
    return ShareEffect(value_a=fixed.value_a, value_b=fixed.value_b, **fields)


def _mean_effect(cells: CalibratedCells) -> MeanEffect:
    fixed = survey_tests.mean_effect_cells(cells.domain)
    fields = survey_tests._difference_fields(fixed.difference, _difference_variance(cells))
    return MeanEffect(
        value_a=fixed.value_a,
        value_b=fixed.value_b,
        **fields,
        sd_pooled=fixed.sd_pooled,
        cohens_d=fixed.cohens_d,
    )


# ---- tests ------------------------------------------------------------------------------------------------


def rao_scott_f_calibrated(cells: CalibratedCells) -> TestResult:
    """svychisq(~item + side, subset(calibrated design, in the domain), statistic = "F").

    The cell shares' covariance is the calibrated one; R's N and its denominator df count every
    respondent of the design (its PSUs minus its strata), those outside the domain included, as a
    calibrated design keeps them in a subset (without margins, R drops them: the domain's count).
    """
    method = CALIBRATED_METHODS["rao_scott_f"]
    domain = cells.domain
    effect = _share_effect(cells) if np.isin(domain.value, (0.0, 1.0)).all() else None
    statistic, df_num, df_den, p_value = _rao_scott(cells, domain)
    return survey_tests._result(method, domain, statistic, df_num, df_den, p_value, effect)


def _rao_scott(cells: CalibratedCells, domain: survey_tests.Cells) -> tuple[float, float, float, float]:
    nan = (np.nan, np.nan, np.nan, np.nan)
    table = survey_tests._weighted_table(domain)
    if table is None:
        return nan
    n = int(cells.n.sum())
    nu = n - int(np.unique(cells.stratum).size)
    if cells.design.shape[1] == 0:
        # Without calibration R's subset drops the rows outside the domain (its variance pads them
        # back as zeros), so svychisq counts the domain's respondents and strata only.
        n, nu = domain.n_total, domain.n_total - domain.n_strata
    if any(cells.n[cells.stratum == h].sum() == 1 for h in np.unique(cells.stratum)):
        return nan
    if domain.constant_within_groups:
        # Perfectly separated: the interaction's influence is 0 for every respondent, as in survey_tests.
        return np.inf, 1.0, float(nu), 0.0
    d = cells.in_domain
    influence = np.zeros((len(cells.value), table.size))
    influence[d] = survey_tests.share_influence(cells.value[d], cells.in_b[d], table)
    covariance = cells.covariance(influence)
    return survey_tests.rao_scott_from_covariance(table, covariance, n, nu)


def svyttest_calibrated(cells: CalibratedCells) -> TestResult:
    """svyttest(item ~ side, subset(calibrated design, in the domain)).

    The difference's standard error is the calibrated one; the df is R's svyglm residual df on the
    subset, which counts the respondents in the domain only (N - strata - 1).
    """
    method = CALIBRATED_METHODS["svyttest"]
    domain = cells.domain
    effect = _mean_effect(cells)
    df = float(domain.n_total - domain.n_strata - 1)
    if not domain.both_groups() or df < 1 or not np.isfinite(effect.se_difference):
        return survey_tests._result(method, domain, np.nan, df, None, np.nan, effect)
    if domain.constant_within_groups:
        t = np.nan if effect.difference == 0 else np.copysign(np.inf, effect.difference)
    else:
        t = effect.difference / effect.se_difference
    p_value = float(2 * special.stdtr(df, -abs(t)))
    return survey_tests._result(method, domain, float(t), df, None, p_value, effect)


def run_test(method: str, cells: CalibratedCells) -> TestResult:
    """Run a calibrated method by its name."""
    if method == CALIBRATED_METHODS["rao_scott_f"]:
        return rao_scott_f_calibrated(cells)
    if method == CALIBRATED_METHODS["svyttest"]:
        return svyttest_calibrated(cells)
    raise ValueError(f"unknown calibrated method '{method}', expected one of {tuple(CALIBRATED_METHODS.values())}")
