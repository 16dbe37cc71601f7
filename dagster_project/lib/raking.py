"""Raking weights: iterative proportional fitting of one wave and group to its population margins.

One module for the pipeline's weights and for the sample generator, so that the synthetic data are
calibrated with exactly the weights the warehouse will compute. The fitting itself is done by `svy`,
which reproduces R's `survey::rake`; this module adds the contract checks and the normalisation that
the design fixes (mean 1 within wave and group, and a copy scaled to the population total).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

# Convergence as the design fixes it: the largest relative misfit over all margin levels.
DEFAULT_TOLERANCE = 1e-10
DEFAULT_MAX_ITERATIONS = 1000

Margins = Mapping[str, Mapping[int, float]]


class RakingError(ValueError):
    """The strata and the population margins do not fit together."""


@dataclass(frozen=True)
class RakingResult:
    """Weights of one wave and group, aligned with the rows of the strata frame."""

    weight: np.ndarray  # mean 1
    weight_population: np.ndarray  # sums to the population total
    population_total: float
    iterations: int = 0  # IPF sweeps to converge at the tolerance; 0 when not weighted


def margins_from_population_frame(population: pd.DataFrame) -> dict[str, dict[int, float]]:
    """Turn a population file (`variable,category,count`) into `{variable: {category: count}}`."""
    margins: dict[str, dict[int, float]] = {}
    for row in population.itertuples(index=False):
        margins.setdefault(str(row.variable), {})[int(row.category)] = float(row.count)
    return margins


def check_margins(strata: pd.DataFrame, margins: Margins) -> float:
    """Fail with a clear message unless every respondent falls in a margin with a positive count.

    Returns the population total, which every margin must agree on.
    """
    totals = {variable: sum(counts.values()) for variable, counts in margins.items()}
    if len(set(round(total, 6) for total in totals.values())) > 1:
        raise RakingError(f"population margins disagree on the total: {totals}")
    for variable, counts in margins.items():
        if variable not in strata.columns:
            raise RakingError(f"stratification variable '{variable}' is not in the respondent file")
        column = strata[variable]
        if column.isna().any():
            rows = [int(row) for row in np.flatnonzero(column.isna().to_numpy())[:5]]
            raise RakingError(f"stratification variable '{variable}' is missing for rows {rows}")
        bad = [count for count in counts.values() if not count > 0]
        if bad:
            raise RakingError(f"population counts of '{variable}' must be positive, got {bad}")
        unknown = sorted(set(column.astype(int)) - set(counts))
        if unknown:
            raise RakingError(
                f"stratification variable '{variable}' has codes {unknown} that the population file "
                f"does not list (it lists {sorted(counts)})"
            )
        empty = sorted(set(counts) - set(column.astype(int)))
        if empty:
            raise RakingError(
                f"population category {empty} of '{variable}' has no respondents, so no weight can reach it"
            )
    return float(next(iter(totals.values())))


def rake(
    strata: pd.DataFrame,
    margins: Margins,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
) -> RakingResult:
    """Rake equal start weights to every margin; return weights with mean 1 and population-scaled.

    With no margins (a group without a population file) every weight is 1.
    """
    n = len(strata)
    if n == 0:
        raise RakingError("cannot weight an empty respondent file")
    if not margins:
        ones = np.ones(n)
        return RakingResult(weight=ones, weight_population=ones.copy(), population_total=float(n))

    population_total = check_margins(strata, margins)
    result = _svy_rake(strata, margins, tolerance, max_iterations)
    if result is None:
        raise RakingError(f"raking did not converge to {tolerance:g} in {max_iterations} iterations")
    return RakingResult(
        weight=result * n / result.sum(),
        weight_population=result * population_total / result.sum(),
        population_total=population_total,
        iterations=_iterations_to_converge(strata, margins, tolerance, max_iterations),
    )


def _svy_rake(strata: pd.DataFrame, margins: Margins, tolerance: float, max_iterations: int) -> np.ndarray | None:
    """Raked weights from equal start weights, or None when svy does not converge in time."""
    # svy works on polars frames; imported here so that modules that only read files stay light.
    import polars as pl
    import svy

    n = len(strata)
    columns = {variable: strata[variable].astype(int).to_numpy() for variable in margins}
    frame = pl.DataFrame({"_row": np.arange(n), "_start": np.ones(n), **columns})
    sample = svy.Sample(frame, svy.Design(case_id="_row", wgt="_start"))
    raked = sample.weighting.rake(
        controls={variable: {int(k): float(v) for k, v in counts.items()} for variable, counts in margins.items()},
        tol=tolerance,
        max_iter=max_iterations,
        wgt_name="_raked",
        on_nonconvergence="ignore",
    )
    if any("converge" in str(warning).lower() for warning in raked.warnings):
        return None
    return raked.data.sort("_row")["_raked"].to_numpy()


def _iterations_to_converge(strata: pd.DataFrame, margins: Margins, tolerance: float, max_iterations: int) -> int:
    """The fewest IPF sweeps with which svy converges: svy does not report it, so search for it.

    Each trial is a raking of at most a few hundred rows in svy's compiled core, so the ten or so
    trials of the binary search cost milliseconds.
    """
    low, high = 1, max_iterations
    while low < high:
        middle = (low + high) // 2
        if _svy_rake(strata, margins, tolerance, middle) is None:
            low = middle + 1
        else:
            high = middle
    return low
