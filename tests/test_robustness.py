"""The robustness panel: each p-value column against an independent computation, and against R.

First hand-made cells (no warehouse): a group of four calibration cells in two waves, findings with
known fixed and calibrated p-values; the unweighted and trimmed p-values are computed here from the
respondents' rows, the trimmed weights by solving the margins with the capped cell held at the cap
(the point the cap-and-rake loop converges to). Then R (`tests/reference/r/make_robustness_reference.R`,
survey 4.1.1): the trimmed weights of every wave and group of the embedded sample, and every finding of
the sample's panel, unweighted, fixed and trimmed, at the documented multiple (5, where the cap binds
nowhere) and at 1.25 (where it binds on school directors and childcare organisations).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from dagster_project.lib import robustness, survey_tests
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.lib.significance import (
    ALPHA,
    load_calibration_cells,
    load_groupings,
)

REFERENCE_DIR = Path(__file__).parent / "reference"
TOLERANCE = 1e-8  # p-values and weights, absolute
KEYS = [
    "comparison", "respondent_group", "question_id", "item_id", "answer_code", "answer_grouping", "wave",
    "wave_from", "method",
]  # fmt: skip

# ---- hand-made cells ------------------------------------------------------------------------------

GROUP = "basisscholen"
WAVES = (2016, 2019)
# Calibration cell -> (respondents, raked weight). The median respondent is in a=1;b=2 (weight 0.9).
CELLS = {"a=1;b=1": (40, 0.6), "a=1;b=2": (30, 0.9), "a=2;b=1": (20, 1.3), "a=2;b=2": (10, 2.4)}
# Population shares of each margin's categories (scaled to the respondents by the panel).
MARGINS = {("a", 1): 0.6, ("a", 2): 0.4, ("b", 1): 0.55, ("b", 2): 0.45}
MULTIPLE = 1.5  # the cap, 1.35, binds on a=2;b=2
GROUPINGS = {"duur": [("lang", (2, 3))]}


def _respondents(seed: int = 18) -> pd.DataFrame:
    """One row per respondent: wave, cell, its raked weight, the answer to duur (1-3), the grade, kindcentrum."""
    rng = np.random.default_rng(seed)
    rows = []
    for wave in WAVES:
        for cell, (n, weight) in CELLS.items():
            for _ in range(n):
                # duur leans to code 3 in 2019 and in the heavy cells, so weights and waves both matter
                lean = 0.25 * (wave == 2019) + 0.15 * cell.startswith("a=2")
                duur = int(rng.choice([1, 2, 3], p=[0.45 - lean, 0.3, 0.25 + lean]))
                kindcentrum = [None, False, True][int(rng.choice(3, p=[0.1, 0.55, 0.35]))]
                grade = float(rng.integers(5, 10) + (kindcentrum is True) * rng.integers(0, 2))
                rows.append(
                    {"wave": wave, "calibration_cell": cell, "weight": weight, "is_kindcentrum": kindcentrum,
                     "duur": duur if rng.random() > 0.05 else None, "cijfer": grade if rng.random() > 0.1 else None}
                )  # fmt: skip
    return pd.DataFrame(rows)


def _calibration_frame(respondents: pd.DataFrame) -> pd.DataFrame:
    """The respondents added up as int_calibration_cells does: per cell, item, answer; answered or not."""
    parts = []
    for item, question_type in (("duur", "single"), ("cijfer", "numeric")):
        frame = respondents.assign(
            item_id=item,
            question_id=item,
            question_type=question_type,
            is_answered=respondents[item].notna(),
            answer_code=respondents[item] if question_type == "single" else None,
            answer_value=respondents[item] if question_type == "numeric" else None,
            weight_squares=respondents["weight"] ** 2,
            n=1.0,
        )
        parts.append(frame)
    keys = [
        "wave", "item_id", "question_id", "question_type", "is_kindcentrum", "calibration_cell", "is_answered",
        "answer_code", "answer_value",
    ]  # fmt: skip
    cells = (
        pd.concat(parts)
        .rename(columns={"weight": "weight_sum"})
        .groupby(keys, dropna=False, as_index=False)[["n", "weight_sum", "weight_squares"]]
        .sum()
    )
    cells["respondent_group"] = GROUP
    cells["is_kindcentrum"] = cells["is_kindcentrum"].astype(object)
    return cells.sort_values(["wave", "item_id"], kind="stable").reset_index(drop=True)


def _margins() -> pd.DataFrame:
    rows = [
        {"wave": wave, "respondent_group": GROUP, "variable": variable, "category": category,
         "population_count": share * 1000}
        for wave in WAVES
        for (variable, category), share in MARGINS.items()
    ]  # fmt: skip
    return pd.DataFrame(rows)


def _row(item, code, grouping, method, p, significant, **extra) -> dict:
    return {
        "respondent_group": GROUP, "question_id": item, "item_id": item, "answer_code": code,
        "answer_grouping": grouping, "method": method, "p_value": p, "is_significant": significant,
        "difference": 0.1, **extra,
    }  # fmt: skip


def _findings() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Test rows as the statistics stage writes them: significant defaults, their twins, decoys."""
    pair = {"wave_from": 2016, "wave_to": 2019}
    wave_change = pd.DataFrame(
        [
            _row("duur", None, None, "rao_scott_f", 0.004, True, **pair),
            _row("duur", None, None, "rao_scott_f_calibrated", 0.003, True, **pair),
            _row("duur", None, None, "pearson_weighted", 0.0001, True, **pair),
            _row("duur", 3, None, "rao_scott_f", 0.01, True, **pair),
            _row("duur", 3, None, "rao_scott_f_calibrated", 0.07, False, **pair),
            _row("duur", 1, None, "rao_scott_f", 0.2, False, **pair),  # not significant: no finding
            _row("duur", 1, None, "rao_scott_f_calibrated", 0.03, True, **pair),
            _row("duur", None, "lang", "rao_scott_f", 0.02, True, **pair),
            _row("duur", None, "lang", "rao_scott_f_calibrated", 0.015, True, **pair),
        ]
    )
    subgroup = pd.DataFrame(
        [
            _row("cijfer", None, None, "svyttest", 0.001, True, wave=2019),
            _row("cijfer", None, None, "svyttest_calibrated", 0.002, True, wave=2019),
        ]
    )
    for frame in (wave_change, subgroup):
        frame["answer_code"] = frame["answer_code"].astype("Int64")
    return wave_change, subgroup


def solved_trimmed_weights(multiple: float) -> dict[str, float]:
    """The trimmed cell weights by linear algebra: the margins hold, each capped cell sits at the cap.

    The cap-and-rake loop stops when raking no longer lifts a capped cell above the cap: then the cells
    it capped are at the cap and the margins hold, four linear equations in the four cell weights.
    """
    names = list(CELLS)
    n = np.array([CELLS[name][0] for name in names], float)
    weight = np.array([CELLS[name][1] for name in names])
    order = np.argsort(weight)
    median = weight[order][np.searchsorted(np.cumsum(n[order]), n.sum() / 2)]
    cap = multiple * median
    capped = weight > cap
    equations, targets = [], []
    for (variable, category), share in MARGINS.items():
        member = np.array([f"{variable}={category}" in name.split(";") for name in names])
        equations.append(n * member)
        targets.append(share * n.sum())
    for index in np.flatnonzero(capped):
        equations.append(np.eye(len(names))[index])
        targets.append(cap)
    solution, *_ = np.linalg.lstsq(np.array(equations), np.array(targets), rcond=None)
    assert np.allclose(np.array(equations) @ solution, targets, atol=1e-12), "the margins and the cap conflict"
    return dict(zip(names, solution, strict=True))


def unweighted_t_p_value(y: np.ndarray, in_b: np.ndarray) -> float:
    """The p-value of svyttest with every weight 1 and no strata, from its definition.

    The difference of the two means; its linearised variance n/(n-1) Σ (z_i - z̄)² with
    z_i = (y_i - m_b)/n_b on side b and -(y_i - m_a)/n_a on side a; t on n - 2 df.
    """
    a, b = y[~in_b], y[in_b]
    z = np.where(in_b, (y - b.mean()) / len(b), -(y - a.mean()) / len(a))
    variance = len(y) / (len(y) - 1) * ((z - z.mean()) ** 2).sum()
    t = (b.mean() - a.mean()) / np.sqrt(variance)
    return float(2 * stats.t.sf(abs(t), len(y) - 2))


@pytest.fixture(scope="module")
def hand_made():
    respondents = _respondents()
    wave_change, subgroup = _findings()
    panel = robustness.robustness_panel(
        wave_change, subgroup, _calibration_frame(respondents), _margins(), GROUPINGS, MULTIPLE, "fixed"
    )
    return respondents, panel


def _panel_row(panel, answer_code=None, grouping=None, item="duur") -> pd.Series:
    keep = (panel["item_id"] == item) & (
        panel["answer_code"].isna() if answer_code is None else panel["answer_code"].eq(answer_code)
    )
    keep &= panel["answer_grouping"].isna() if grouping is None else panel["answer_grouping"].eq(grouping)
    assert keep.sum() == 1
    return panel[keep].iloc[0]


def test_the_panel_has_one_row_per_significant_default_finding_with_the_marts_fixed_and_calibrated_p(hand_made):
    _, panel = hand_made
    assert sorted(map(str, panel["answer_code"].fillna(-1).astype(int))) == ["-1", "-1", "-1", "3"]
    assert set(panel["method"]) == {"rao_scott_f", "svyttest"}
    question = _panel_row(panel)
    assert (question["p_fixed"], question["p_calibrated"]) == (0.004, 0.003)
    code = _panel_row(panel, answer_code=3)
    assert (code["p_fixed"], code["p_calibrated"]) == (0.01, 0.07)
    grade = _panel_row(panel, item="cijfer")
    assert (grade["p_fixed"], grade["p_calibrated"], grade["comparison"], grade["wave"]) == (
        0.001, 0.002, "kindcentrum", 2019,
    )  # fmt: skip
    assert pd.isna(grade["wave_from"]) and code["wave_from"] == 2016


def test_the_trimmed_weights_are_the_margins_solved_with_the_capped_cells_at_the_cap():
    cells = pd.DataFrame({"calibration_cell": list(CELLS), "n": [v[0] for v in CELLS.values()]})
    cells["weight"] = [v[1] for v in CELLS.values()]
    margins = _margins()
    trimmed = robustness.trimmed_cell_weights(cells, margins[margins["wave"] == 2016], MULTIPLE)
    expected = solved_trimmed_weights(MULTIPLE)
    assert expected["a=2;b=2"] == pytest.approx(MULTIPLE * 0.9)  # the cap binds
    for name, value in expected.items():
        assert abs(trimmed[name] - value) < TOLERANCE, name
    # a cap above every weight changes nothing but the margins' fit (these weights are not raked)
    assert max(robustness.trimmed_cell_weights(cells, margins[margins["wave"] == 2016], 100).values()) < 2.4


def _item_rows(respondents, item, comparison):
    frame = respondents[respondents[item].notna()]
    if comparison == "kindcentrum":
        frame = frame[(frame["wave"] == 2019) & frame["is_kindcentrum"].notna()]
        return frame, frame["is_kindcentrum"].astype(bool).to_numpy(), None
    return frame, (frame["wave"] == 2019).to_numpy(), frame["wave"].to_numpy()


@pytest.mark.parametrize(
    ("answer_code", "grouping", "recode"),
    [(None, None, None), (3, None, lambda y: y == 3), (None, "lang", lambda y: np.isin(y, (2, 3)))],
)
def test_unweighted_and_trimmed_p_of_a_wave_change_are_the_rao_scott_f_of_the_rows(
    hand_made, answer_code, grouping, recode
):
    respondents, panel = hand_made
    row = _panel_row(panel, answer_code=answer_code, grouping=grouping)
    frame, in_b, strata = _item_rows(respondents, "duur", "wave change")
    y = frame["duur"].to_numpy(float)
    y = y if recode is None else recode(y).astype(float)
    trimmed = frame["calibration_cell"].map(solved_trimmed_weights(MULTIPLE)).to_numpy()
    assert row["p_unweighted"] == pytest.approx(
        survey_tests.rao_scott_f(y, in_b, np.ones(len(y)), strata).p_value, abs=TOLERANCE
    )
    assert row["p_trimmed"] == pytest.approx(survey_tests.rao_scott_f(y, in_b, trimmed, strata).p_value, abs=TOLERANCE)
    # the trimmed weights matter here: the test would not pass with the raked weights
    raked = survey_tests.rao_scott_f(y, in_b, frame["weight"].to_numpy(), strata).p_value
    assert abs(raked - row["p_trimmed"]) > 1e-6


def test_unweighted_and_trimmed_p_of_a_kindcentrum_grade_are_svyttest_of_the_rows(hand_made):
    respondents, panel = hand_made
    row = _panel_row(panel, item="cijfer")
    frame, in_b, _ = _item_rows(respondents, "cijfer", "kindcentrum")
    y = frame["cijfer"].to_numpy(float)
    assert row["p_unweighted"] == pytest.approx(unweighted_t_p_value(y, in_b), abs=TOLERANCE)
    trimmed = frame["calibration_cell"].map(solved_trimmed_weights(MULTIPLE)).to_numpy()
    assert row["p_trimmed"] == pytest.approx(survey_tests.svyttest(y, in_b, trimmed).p_value, abs=TOLERANCE)


def test_robust_is_significant_under_all_four_and_fragile_under_names_the_others(hand_made):
    _, panel = hand_made
    columns = [f"p_{treatment}" for treatment in robustness.TREATMENTS]
    for _, row in panel.iterrows():
        below = {treatment: row[f"p_{treatment}"] < ALPHA for treatment in robustness.TREATMENTS}
        assert row["robust"] == all(below.values())
        expected = ", ".join(t for t in robustness.TREATMENTS if not below[t]) or None
        assert (None if pd.isna(row["fragile_under"]) else row["fragile_under"]) == expected
    assert _panel_row(panel, answer_code=3)["fragile_under"].startswith(("calibrated", "unweighted"))
    assert not panel[columns].isna().any().any()


def test_under_the_calibrated_setting_the_findings_are_the_calibrated_methods_significant_rows():
    respondents = _respondents()
    wave_change, subgroup = _findings()
    panel = robustness.robustness_panel(
        wave_change, subgroup, _calibration_frame(respondents), _margins(), GROUPINGS, MULTIPLE, "calibrated"
    )
    # duur code 3 is significant fixed only, code 1 calibrated only
    assert sorted(panel["answer_code"].dropna().astype(int)) == [1]
    assert set(panel["method"]) == {"rao_scott_f_calibrated", "svyttest_calibrated"}
    code = _panel_row(panel, answer_code=1)
    assert (code["p_fixed"], code["p_calibrated"], code["robust"]) == (0.2, 0.03, False)


# ---- against R ------------------------------------------------------------------------------------


def test_the_trimmed_weights_of_every_wave_and_group_of_the_sample_are_r_rake_capped_and_raked_again():
    expected = pd.read_csv(REFERENCE_DIR / "r_trimmed_weights.csv", keep_default_na=False)
    assert len(expected) == 24
    binding = 0
    for (wave, group), cells in expected.groupby(["wave", "respondent_group"]):
        population = EMBEDDED_SAMPLE_DIR / "population" / str(wave) / f"{group}.csv"
        margins = pd.read_csv(population).rename(columns={"count": "population_count"}) if population.exists() else (
            pd.DataFrame(columns=["variable", "category", "population_count"])
        )  # fmt: skip
        frame = cells.assign(weight=cells["weight"].astype(float))
        for multiple, column in ((5.0, "trimmed"), (float(cells["binding_multiple"].iloc[0]), "trimmed_binding")):
            trimmed = robustness.trimmed_cell_weights(frame, margins, multiple)
            for cell in frame.itertuples(index=False):
                error = abs(trimmed[cell.calibration_cell] - float(getattr(cell, column)))
                assert error < TOLERANCE, (wave, group, cell.calibration_cell, multiple, error)
            binding += column == "trimmed_binding" and not np.allclose(frame[column].astype(float), frame["weight"])
    # at 1.25 the cap moves the weights of school directors and childcare organisations in both waves
    assert binding == 4


def _r_panel() -> pd.DataFrame:
    return pd.read_csv(REFERENCE_DIR / "r_robustness.csv", dtype={"answer_code": "Int64", "wave_from": "Int64"})


def _keyed(frame: pd.DataFrame) -> pd.DataFrame:
    frame = frame.copy()
    frame["answer_grouping"] = frame["answer_grouping"].fillna("")
    return frame.set_index(KEYS).sort_index()


def test_the_panel_of_the_warehouse_has_r_p_values_unweighted_fixed_and_trimmed(con):
    warehouse = _keyed(con.execute("select * from marts.robustness").df())
    expected = _keyed(_r_panel())
    assert list(warehouse.index) == list(expected.index), "the findings are the panel's of the sample"
    for column in ("p_unweighted", "p_fixed", "p_trimmed"):
        error = (warehouse[column] - expected[column]).abs().max()
        assert error < TOLERANCE, (column, error)


def test_the_panel_at_a_binding_cap_has_r_trimmed_p_values(con):
    panel = robustness.robustness_panel(
        con.execute("select * from stats.test_wave_change").df(),
        con.execute("select * from stats.test_subgroup").df(),
        load_calibration_cells(con),
        con.execute(robustness.MARGINS_QUERY).df(),
        load_groupings(con),
        1.25,
        "fixed",
    )
    expected = _keyed(_r_panel())
    panel = _keyed(panel)
    assert list(panel.index) == list(expected.index)
    error = (panel["p_trimmed"] - expected["p_trimmed_binding"]).abs()
    assert error.max() < TOLERANCE
    # the cap binds: the trimmed p-values move (from the fixed ones) for most findings
    assert ((expected["p_trimmed_binding"] - expected["p_fixed"]).abs() > 1e-4).sum() > 50


def test_the_mart_has_one_row_per_significant_default_finding_and_robust_is_all_four_below_alpha(con):
    significant = con.execute(
        "select 'wave change' as comparison, respondent_group, item_id, answer_code, answer_grouping, wave_to as wave,"
        " wave_from, method from marts.test_wave_change where is_default_method and is_significant "
        "union all select 'kindcentrum', respondent_group, item_id, answer_code, answer_grouping, wave, null, method"
        " from marts.test_subgroup where is_default_method and is_significant"
    ).df()
    panel = con.execute("select * from marts.robustness").df()
    columns = ["comparison", "respondent_group", "item_id", "answer_code", "answer_grouping", "wave", "wave_from"]
    keys = lambda frame: sorted(map(str, frame[[*columns, "method"]].itertuples(index=False)))  # noqa: E731
    assert len(panel) == len(significant) > 100
    assert keys(panel) == keys(significant)
    p = panel[[f"p_{treatment}" for treatment in robustness.TREATMENTS]]
    assert p.notna().all().all()
    assert (panel["robust"] == (p < ALPHA).all(axis=1)).all()
    assert 0 < (~panel["robust"]).sum() < len(panel)
