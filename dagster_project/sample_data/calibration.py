"""Calibration targets: the exact weighted answer distributions the synthetic waves must reproduce.

The report prints rounded whole percentages that need not sum to 100. A target is the distribution
closest to the printed one (smallest largest deviation) that sums to 1 and, for the grade, has the
printed mean. 2016 equals 2019 except where the report states a 2016 figure. For a change the report
calls significant, both waves sit at the far edge of their rounding interval (half a point), which is
still what the report printed, so that the change is as visible as the printed figures allow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linprog

from dagster_project.lib.codebook import Codebook
from dagster_project.sample_data.report_reference import ReportReference

BASE_WAVE = 2019
# Half a rounding unit, a little inside the interval so that floating point stays on the right side.
SHARE_EDGE = 0.0045
MEAN_EDGE = 0.03
SMALL_BASE = 200


@dataclass(frozen=True)
class ItemTarget:
    """The weighted distribution one item must show in one wave and group."""

    item_id: str
    question_id: str
    codes: tuple[int, ...]  # harmonised codes, in sort order
    shares: tuple[float, ...]  # aligned with codes, summing to 1
    base_n: int  # published base of the base wave

    def share_of(self, codes: tuple[int, ...]) -> float:
        """The target share of a set of codes."""
        return float(sum(share for code, share in zip(self.codes, self.shares, strict=True) if code in codes))

    @property
    def mean(self) -> float:
        """Mean code, meaningful for the numeric grade."""
        return float(np.dot(self.codes, self.shares))


def closest_distribution(
    printed: np.ndarray,
    values: np.ndarray | None = None,
    mean: float | None = None,
    keep_zero: np.ndarray | None = None,
) -> np.ndarray:
    """Shares summing to 1 (and with the given mean) that deviate least from the printed fractions.

    `keep_zero` marks codes that must stay empty.
    """
    k = len(printed)
    # Variables: k shares and the largest deviation t; minimise t.
    cost = np.r_[np.zeros(k), 1.0]
    upper = np.vstack([np.c_[np.eye(k), -np.ones(k)], np.c_[-np.eye(k), -np.ones(k)]])
    upper_rhs = np.r_[printed, -printed]
    equal = [np.r_[np.ones(k), 0.0]]
    equal_rhs = [1.0]
    if mean is not None:
        assert values is not None
        equal.append(np.r_[values, 0.0])
        equal_rhs.append(mean)
    solution = linprog(
        cost,
        A_ub=upper,
        b_ub=upper_rhs,
        A_eq=np.array(equal),
        b_eq=np.array(equal_rhs),
        bounds=[(0, 0) if keep_zero is not None and keep_zero[i] else (0, 1) for i in range(k)] + [(0, None)],
        method="highs",
    )
    if not solution.success:
        raise ValueError(f"no distribution near {printed} with mean {mean}: {solution.message}")
    shares = np.clip(solution.x[:k], 0, None)
    return shares / shares.sum()


def with_share_of(shares: np.ndarray, codes: list[int], chosen: tuple[int, ...], total: float) -> np.ndarray:
    """Rescale so that the chosen codes hold `total` together, each side keeping its proportions."""
    inside = np.isin(codes, chosen)
    result = shares.astype(float).copy()
    for mask, wanted in ((inside, total), (~inside, 1.0 - total)):
        current = result[mask].sum()
        result[mask] = result[mask] * wanted / current if current > 0 else wanted / max(mask.sum(), 1)
    return result


class CalibrationTargets:
    """Targets per wave, group and item, built from the codebook and the reference fixtures."""

    def __init__(self, codebook: Codebook, reference: ReportReference) -> None:
        self.codebook = codebook
        self.reference = reference
        self._base = self._base_targets()

    def _base_targets(self) -> dict[tuple[str, str], ItemTarget]:
        shares = self.reference.shares
        shares = shares[shares["wave"] == BASE_WAVE]
        means = self.reference.means.set_index(["respondent_group", "item_id"])["published_mean"]
        changes = self.reference.changes
        targets: dict[tuple[str, str], ItemTarget] = {}
        for (group, item_id), rows in shares.groupby(["respondent_group", "item_id"], sort=False):
            question_id = str(rows["question_id"].iloc[0])
            qtype = self.codebook.question_type(question_id)
            codes = [int(code) for code in self.codebook.options_of(question_id)["answer_code"]]
            printed = dict(zip(rows["answer_code"].astype(int), rows["published_pct"] / 100.0, strict=True))
            if qtype == "multi":
                chosen = printed[1]
                vector = np.array([chosen if code == 1 else 1.0 - chosen for code in codes])
            else:
                values = np.array(codes, dtype=float)
                mean = means.get((group, item_id))
                change = changes[(changes["respondent_group"] == group) & (changes["item_id"] == item_id)]
                if mean is not None and not change.empty and change["measure"].iloc[0] == "mean":
                    mean = float(mean) + _sign(change["direction"].iloc[0]) * MEAN_EDGE
                printed_vector = np.array([printed.get(code, 0.0) for code in codes])
                # On a small base one respondent weighs more than half a point, so a printed 0% was nobody.
                keep_zero = (printed_vector == 0) if int(rows["base_n"].iloc[0]) < SMALL_BASE else None
                vector = closest_distribution(printed_vector, values, mean, keep_zero)
            for change in changes[
                (changes["respondent_group"] == group) & (changes["item_id"] == item_id)
            ].itertuples():
                if change.measure == "share":
                    total = vector[np.isin(codes, change.codes)].sum() + _sign(change.direction) * SHARE_EDGE
                    vector = with_share_of(vector, codes, change.codes, total)
            targets[(group, item_id)] = ItemTarget(
                item_id=item_id,
                question_id=question_id,
                codes=tuple(codes),
                shares=tuple(float(share) for share in vector),
                base_n=int(rows["base_n"].iloc[0]),
            )
        return targets

    def target(self, wave: int, group: str, item_id: str) -> ItemTarget:
        """The target of one item; 2016 (or any other wave) differs only where the report says so."""
        base = self._base.get((group, item_id))
        if base is None:
            raise KeyError(f"the report publishes no figures for {group}/{item_id}")
        if wave == BASE_WAVE:
            return base
        changes = self.reference.changes
        changes = changes[(changes["respondent_group"] == group) & (changes["item_id"] == item_id)]
        shares = np.array(base.shares)
        codes = list(base.codes)
        for change in changes.itertuples():
            # Stated figures are 2016's; other waves have no published figure and keep 2019's targets.
            if wave != 2016:
                continue
            if change.measure == "share":
                total = change.value_2016 / 100.0 - _sign(change.direction) * SHARE_EDGE
                shares = with_share_of(shares, codes, change.codes, total)
            else:
                mean = change.value_2016 - _sign(change.direction) * MEAN_EDGE
                shares = closest_distribution(shares, np.array(codes, dtype=float), mean)
        return ItemTarget(base.item_id, base.question_id, base.codes, tuple(map(float, shares)), base.base_n)


def _sign(direction: str) -> int:
    return {"up": 1, "higher": 1, "down": -1, "lower": -1}[direction]


def describe(targets: CalibrationTargets, group: str, item_id: str) -> pd.DataFrame:
    """The 2016 and 2019 targets of an item side by side, for reading."""
    first, second = targets.target(2016, group, item_id), targets.target(2019, group, item_id)
    return pd.DataFrame({"code": first.codes, "2016": first.shares, "2019": second.shares})
