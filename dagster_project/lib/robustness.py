"""The robustness panel: whether a significant finding holds without weights and under other variances.

One row per finding the default method calls significant (a wave change or a kindcentrum difference:
a whole question, an answer code, a combined answer or the grade), with its p-value under four
treatments of the weights:

- unweighted: every weight 1 (the fixed-weight method on the counts);
- fixed: the stored raked weights treated as fixed (`rao_scott_f`, `svyttest`);
- calibrated: the raked calibrated design (`rao_scott_f_calibrated`, `svyttest_calibrated`);
- trimmed: the weights capped at `trim_weight_multiple` times the median weight of the wave and group,
  raked again to the margins, capped again and so on until no weight exceeds the cap (at most
  `MAX_TRIM_ROUNDS` rounds), then treated as fixed.

`robust` is significant (p < 0.05) under all four; `fragile_under` names the treatments under which it
is not. Everything comes from the sums per calibration cell: raking from equal start weights gives
every respondent of a calibration cell the same weight, so trimming and raking again act on cells too
(`trimmed_cell_weights`), and a cell's trimmed sums are n·w and n·w².
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from dagster_project.lib import survey_tests
from dagster_project.lib.significance import ALPHA, CALIBRATED, default_methods, settings

# The cap of the trimmed weights, a multiple of the median weight of the wave and group (dbt var).
TRIM_WEIGHT_MULTIPLE = float(settings.dbt_vars().get("trim_weight_multiple", 5))
MAX_TRIM_ROUNDS = 50
MARGINS_QUERY = "select wave, respondent_group, variable, category, population_count from marts.weighting_margins"
TREATMENTS = ("unweighted", "fixed", "calibrated", "trimmed")
COLUMNS = [
    "comparison", "respondent_group", "question_id", "item_id", "answer_code", "answer_grouping", "wave",
    "wave_from", "method", "difference", "p_unweighted", "p_fixed", "p_calibrated",
    "p_trimmed", "robust", "fragile_under", "trim_weight_multiple",
]  # fmt: skip


def _tokens(cell: str) -> list[tuple[str, int]]:
    return [(token.split("=")[0], int(token.split("=")[1])) for token in cell.split(";") if token]


def trimmed_cell_weights(cells: pd.DataFrame, margins: pd.DataFrame, multiple: float) -> dict[str, float]:
    """Per calibration cell of one wave and group, the trimmed weight (mean 1 over the respondents).

    `cells`: calibration_cell, n, weight (the raked weight of its respondents); `margins`: variable,
    category, population_count. The cap is `multiple` times the median respondent weight; capped
    weights are raked again by iterative proportional fitting of the cells' totals to the margins
    scaled to the respondents (from the capped weights, so that raking only moves what it must),
    until no weight is above the cap by more than 1e-9 relative or `MAX_TRIM_ROUNDS` rounds pass.
    A group without margins keeps weight 1.
    """
    names = list(cells["calibration_cell"])
    n = cells["n"].to_numpy(float)
    weight = cells["weight"].to_numpy(float)
    if not margins.shape[0] or not any(_tokens(name) for name in names):
        return dict.fromkeys(names, 1.0)
    order = np.argsort(weight)
    cumulative = np.cumsum(n[order])
    median = float(weight[order][np.searchsorted(cumulative, cumulative[-1] / 2)])
    cap = multiple * median
    # Per margin category, which cells belong to it and the respondents it must weigh.
    categories = []
    for variable, rows in margins.groupby("variable"):
        membership = np.array([dict(_tokens(name))[variable] for name in names])
        total = rows["population_count"].sum()
        for row in rows.itertuples(index=False):
            categories.append((membership == int(row.category), row.population_count / total * n.sum()))
    for _ in range(MAX_TRIM_ROUNDS):
        weight = np.minimum(weight, cap)
        for _ in range(1000):
            for in_category, target in categories:
                weight[in_category] *= target / (n[in_category] @ weight[in_category])
            if max(abs(n[c] @ weight[c] / target - 1) for c, target in categories) < 1e-12:
                break
        if weight.max() <= cap * (1 + 1e-9):
            break
    weight = weight * n.sum() / (n @ weight)
    return dict(zip(names, weight.tolist(), strict=True))


def _cells(rows: pd.DataFrame, numeric: bool, in_b: np.ndarray, stratum, weights: np.ndarray, levels, recode):
    """Fixed-weight cells of the compared respondents with per-row weights (constant within a row)."""
    value = rows["answer_value" if numeric else "answer_code"].to_numpy(float)
    if recode is not None:
        value = recode(value).astype(float)
    n = rows["n"].to_numpy(float)
    return survey_tests.Cells.of(stratum, in_b, value, n, n * weights, n * weights**2, levels)


def _recode(finding: pd.Series):
    if pd.notna(finding["answer_code"]):
        return lambda values: values == finding["answer_code"]
    return None


def robustness_panel(
    wave_change: pd.DataFrame,
    subgroup: pd.DataFrame,
    calibration: pd.DataFrame,
    margins: pd.DataFrame,
    groupings: dict,
    multiple: float,
    variance: str,
) -> pd.DataFrame:
    """One row per significant finding of the default method, with its p-value under the four treatments.

    `wave_change` and `subgroup` as the statistics stage writes them; `calibration` as
    `significance.load_calibration_cells`; `margins` as marts.weighting_margins (wave,
    respondent_group, variable, category, population_count); `groupings` as
    `significance.load_groupings`.
    """
    answered = calibration[calibration["is_answered"]].copy()
    answered["weight"] = answered["weight_sum"] / answered["n"]
    trimmed = {}
    for (wave, group), rows in calibration.groupby(["wave", "respondent_group"]):
        # Every item's rows hold every respondent once (answerers and non-answerers): one item suffices.
        first = rows[rows["item_id"] == rows["item_id"].iloc[0]]
        per_cell = first.groupby("calibration_cell", as_index=False)[["n", "weight_sum"]].sum()
        per_cell["weight"] = per_cell["weight_sum"] / per_cell["n"]
        group_margins = margins[(margins["wave"] == wave) & (margins["respondent_group"] == group)]
        for cell, value in trimmed_cell_weights(per_cell, group_margins, multiple).items():
            trimmed[(wave, group, cell)] = value
    cell_keys = zip(answered["wave"], answered["respondent_group"], answered["calibration_cell"], strict=True)
    answered["weight_trimmed"] = [trimmed[key] for key in cell_keys]
    by_item = dict(tuple(answered.groupby(["respondent_group", "item_id"], sort=False)))
    fixed_method, _ = default_methods("fixed")
    defaults = set(default_methods(variance))
    rows = []
    for comparison, frame, wave_column in (("wave change", wave_change, "wave_to"), ("kindcentrum", subgroup, "wave")):
        significant = frame[frame["method"].isin(defaults) & frame["is_significant"].eq(True)]
        keys = ["respondent_group", "item_id", "answer_code", "answer_grouping", wave_column]
        if comparison == "wave change":
            keys.append("wave_from")
        indexed = frame.set_index([*keys, "method"])
        for _, finding in significant.iterrows():
            base = finding["method"].removesuffix("_calibrated")
            key = tuple(finding[k] for k in keys)
            p_fixed = indexed.loc[(*key, base), "p_value"]
            p_calibrated = indexed.loc[(*key, CALIBRATED[base]), "p_value"]
            item = by_item[(finding["respondent_group"], finding["item_id"])]
            numeric = base == "svyttest"
            if comparison == "wave change":
                item = item[item["wave"].isin([finding["wave_from"], finding["wave_to"]])]
                in_b = (item["wave"] == finding["wave_to"]).to_numpy()
                stratum = item["wave"].to_numpy()
                levels = (finding["wave_from"], finding["wave_to"])
            else:
                item = item[(item["wave"] == finding["wave"]) & item["is_kindcentrum"].notna()]
                in_b = item["is_kindcentrum"].astype(bool).to_numpy()
                stratum = np.zeros(len(item))
                levels = (False, True)
            recode = _recode(finding)
            if pd.notna(finding["answer_grouping"]):
                members = dict(groupings.get(finding["question_id"], []))[finding["answer_grouping"]]
                recode = lambda values, members=members: np.isin(values, members)  # noqa: E731
            p = {"fixed": float(p_fixed), "calibrated": float(p_calibrated)}
            treatments = (("unweighted", np.ones(len(item))), ("trimmed", item["weight_trimmed"].to_numpy()))
            for treatment, weights in treatments:
                cells = _cells(item, numeric, in_b, stratum, weights, levels, recode)
                p[treatment] = survey_tests.run_test_cells(base, cells).p_value
            fragile = [t for t in TREATMENTS if not p[t] < ALPHA]
            rows.append(
                {
                    "comparison": comparison,
                    "respondent_group": finding["respondent_group"],
                    "question_id": finding["question_id"],
                    "item_id": finding["item_id"],
                    "answer_code": finding["answer_code"],
                    "answer_grouping": finding["answer_grouping"],
                    "wave": finding[wave_column],
                    "wave_from": finding["wave_from"] if comparison == "wave change" else None,
                    "method": finding["method"],
                    "difference": finding["difference"],
                    **{f"p_{t}": p[t] for t in TREATMENTS},
                    "robust": not fragile,
                    "fragile_under": ", ".join(fragile) or None,
                    "trim_weight_multiple": float(multiple),
                }
            )
    frame = pd.DataFrame(rows).reindex(columns=COLUMNS)
    frame["answer_code"] = frame["answer_code"].astype("Int64")
    frame["wave_from"] = frame["wave_from"].astype("Int64")
    return frame
