"""The synthetic sample reproduces the published report after raking, with the report's shapes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
from sample_reading import read_sample
from scipy.stats import chi2_contingency

from dagster_project.lib.codebook import Codebook
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR
from dagster_project.sample_data.__main__ import main as generate_cli
from dagster_project.sample_data.generator import SampleGenerator
from dagster_project.sample_data.report_reference import ReportReference
from dagster_project.sample_data.writer import MAX_VALUE_LABEL_BYTES, truncate_label
from tests.cooperation_model_oracle import NOT_CLASSIFIABLE, classify, load_rules

TOLERANCE_POINTS = 1.0
TOLERANCE_MEAN = 0.05
COMPARED_GROUPS = ("basisscholen", "kov_organisaties", "schoolbesturen")


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return Codebook()


@pytest.fixture(scope="module")
def reference() -> ReportReference:
    return ReportReference()


@pytest.fixture(scope="module")
def sample(codebook):
    return read_sample(EMBEDDED_SAMPLE_DIR, codebook)


def test_bases_equal_the_published_ones(sample, reference):
    misses = [
        f"{row.respondent_group}/{row.item_id}: base {sample[(2019, row.respondent_group)].base(row.item_id)}, "
        f"published {row.base_n}"
        for row in reference.shares.drop_duplicates(["respondent_group", "item_id"]).itertuples()
        if sample[(2019, row.respondent_group)].base(row.item_id) != row.base_n
    ]
    assert not misses, "\n".join(misses)


def test_every_published_2019_share_is_within_one_point_after_raking(sample, reference):
    misses = []
    for row in reference.shares.itertuples():
        share = 100 * sample[(2019, row.respondent_group)].weighted_share(row.item_id, (row.answer_code,))
        if abs(share - row.published_pct) > TOLERANCE_POINTS:
            misses.append(f"{row.respondent_group}/{row.item_id}={row.answer_code}: {share:.2f} vs {row.published_pct}")
    assert len(reference.shares) > 800
    assert not misses, f"{len(misses)} shares miss:\n" + "\n".join(misses)


def test_mean_grades_are_within_five_hundredths(sample, reference):
    for row in reference.means.itertuples():
        mean = sample[(2019, row.respondent_group)].weighted_mean(row.item_id)
        assert mean == pytest.approx(row.published_mean, abs=TOLERANCE_MEAN), row.respondent_group


def test_every_stated_2016_figure_is_hit(sample, reference):
    misses = []
    for row in reference.changes.itertuples():
        data = sample[(2016, row.respondent_group)]
        if row.measure == "mean":
            value, tolerance = data.weighted_mean(row.item_id), TOLERANCE_MEAN
        else:
            value, tolerance = 100 * data.weighted_share(row.item_id, row.codes), TOLERANCE_POINTS
        if abs(value - row.value_2016) > tolerance:
            misses.append(f"{row.respondent_group}/{row.item_id} {row.codes}: {value:.2f} vs {row.value_2016}")
    assert not misses, "\n".join(misses)


def test_weighting_matters_unweighted_shares_miss_where_weighted_ones_hit(sample, reference):
    rescued = []
    for row in reference.shares.itertuples():
        data = sample[(2019, row.respondent_group)]
        weighted = 100 * data.weighted_share(row.item_id, (row.answer_code,))
        unweighted = 100 * data.unweighted_share(row.item_id, (row.answer_code,))
        if abs(unweighted - row.published_pct) > TOLERANCE_POINTS >= abs(weighted - row.published_pct):
            rescued.append(row.item_id)
    # Hundreds of figures need the weights; the unweighted groups (kov_besturen) need none.
    assert len(rescued) > 200


def test_strata_follow_bijlage_1_and_population_files_its_population_columns(sample, reference):
    for row in reference.strata[reference.strata["used_for_weighting"]].itertuples():
        data = sample[(2019, row.respondent_group)]
        assert (data.raw[row.variable] == row.category).sum() == row.response_n, row.variable
        population = data.population.set_index(["variable", "category"])["count"]
        assert population[(row.variable, row.category)] == row.population_n
    assert sample[(2019, "kov_besturen")].population is None


def test_weights_reach_the_population_margins(sample):
    for data in sample.values():
        if data.population is None:
            assert np.all(data.weight == 1)
            continue
        assert data.weight.mean() == pytest.approx(1.0)
        total = data.population.groupby("variable")["count"].sum().iloc[0]
        for row in data.population.itertuples():
            in_category = (data.raw[row.variable] == row.category).to_numpy()
            assert data.weight[in_category].sum() / data.weight.sum() == pytest.approx(row.count / total, abs=1e-9)


def test_files_carry_the_codebook_labels(sample, codebook):
    for (wave, group), data in sample.items():
        value_labels = data.meta.variable_value_labels
        for row in codebook.variables_of(wave, group).itertuples():
            options = codebook.options_of(row.question_id)
            to_raw = codebook.raw_code_of(wave, row.question_id)
            # SPSS keeps 120 bytes of a value label; longer codebook labels are cut with an ellipsis.
            expected = {
                float(to_raw[code]): truncate_label(label, MAX_VALUE_LABEL_BYTES)
                for code, label in zip(options.answer_code, options.answer_label, strict=True)
            }
            assert value_labels[row.raw_variable] == expected, (wave, group, row.raw_variable)
            assert data.meta.column_names_to_labels[row.raw_variable].startswith(row.question_text[:40])
        assert data.meta.column_names_to_labels["respondent_id"] == "Respondentnummer"
        assert "SYNTHETISCHE" in data.meta.file_label


def test_2016_differs_from_2019_only_where_the_report_names_a_change(sample, codebook, reference):
    changes = reference.changes
    changed_items = set(zip(changes["respondent_group"], changes["item_id"], strict=True))
    unexpected = []
    for group in COMPARED_GROUPS:
        old, new = sample[(2016, group)], sample[(2019, group)]
        for item_id in set(old.answers.columns) & set(new.answers.columns):
            if (group, item_id) in changed_items or min(old.base(item_id), new.base(item_id)) < 30:
                continue
            for code in new.answers[item_id].dropna().unique():
                gap = 100 * (old.weighted_share(item_id, (code,)) - new.weighted_share(item_id, (code,)))
                if abs(gap) > TOLERANCE_POINTS:
                    unexpected.append(f"{group}/{item_id}={code:g}: {gap:+.2f} points")
    assert not unexpected, "\n".join(unexpected)
    for row in changes[changes["measure"] == "share"].itertuples():
        old, new = sample[(2016, row.respondent_group)], sample[(2019, row.respondent_group)]
        gap = 100 * (new.weighted_share(row.item_id, row.codes) - old.weighted_share(row.item_id, row.codes))
        stated = row.value_2019 - row.value_2016
        assert np.sign(gap) == np.sign(stated) and abs(gap) >= abs(stated) - 2, (row.item_id, gap, stated)


def _kindcentrum_masks(data):
    noemer = data.answers["noemer"]
    return (noemer == 3).to_numpy(), (noemer.notna() & (noemer != 3)).to_numpy()


def test_kindcentra_differ_where_the_report_names_a_difference(sample, reference):
    for row in reference.kindcentrum_differences.itertuples():
        data = sample[(2019, row.respondent_group)]
        kindcentrum, rest = _kindcentrum_masks(data)
        if row.measure == "mean":
            gap = data.weighted_mean(row.item_id, kindcentrum) - data.weighted_mean(row.item_id, rest)
            assert gap >= 0.25, (row.respondent_group, gap)
            continue
        column = data.answers[row.item_id]
        shares, variances = [], []
        for mask in (kindcentrum, rest):
            keep = mask & column.notna().to_numpy()
            weight = data.weight[keep]
            share = np.average(column[keep].isin(row.codes), weights=weight)
            effective_n = weight.sum() ** 2 / (weight**2).sum()
            shares.append(share)
            variances.append(share * (1 - share) / effective_n)
        # Clearly beyond chance: a z of 2.5 on effective sample sizes.
        z = (shares[0] - shares[1]) / np.sqrt(sum(variances))
        assert z >= 2.5, (row.respondent_group, row.item_id, shares, z)


def test_kindcentra_do_not_differ_elsewhere_beyond_chance(sample, reference):
    differences = reference.kindcentrum_differences
    named = set(zip(differences["respondent_group"], differences["item_id"], strict=True))
    for group in ("basisscholen", "kov_organisaties"):
        data = sample[(2019, group)]
        kindcentrum, rest = _kindcentrum_masks(data)
        p_values = []
        for item_id in data.answers.columns:
            column = data.answers[item_id]
            if (group, item_id) in named or item_id == "noemer":
                continue
            answered = column.notna().to_numpy()
            if min((answered & kindcentrum).sum(), (answered & rest).sum()) < 30:
                continue
            # Kindcentrum status is drawn independently of the strata, so unweighted counts test it fairly.
            table = pd.crosstab(kindcentrum[answered], column[answered])
            if table.shape[1] > 1:
                p_values.append(chi2_contingency(table, correction=False).pvalue)
        assert len(p_values) > 50
        assert np.mean(np.array(p_values) < 0.05) <= 0.12, group


def _model_shares(frame: pd.DataFrame, weight: np.ndarray, wave: int) -> pd.Series:
    models = classify(frame, load_rules(wave))["cooperation_model"]
    complete = (models != "onvolledig").to_numpy()
    return pd.Series(weight[complete]).groupby(models[complete].to_numpy()).sum() / weight[complete].sum()


def _assert_model_shapes(shares: pd.Series, none_range: tuple[float, float]) -> None:
    models = shares.drop([NOT_CLASSIFIABLE, "niet_eenduidig"], errors="ignore")
    assert models.idxmax() == "hand_in_hand", shares.to_dict()
    assert shares.get("all_in_one", 0) < 0.10
    assert none_range[0] <= shares.get(NOT_CLASSIFIABLE, 0) <= none_range[1], shares.to_dict()


@pytest.mark.parametrize("wave", [2016, 2019])
@pytest.mark.parametrize("group", ["basisscholen", "kov_organisaties"])
def test_hand_in_hand_is_most_common_all_in_one_rare_and_a_quarter_fits_no_model(sample, wave, group):
    data = sample[(wave, group)]
    _assert_model_shapes(_model_shares(data.answers, data.weight, wave), (0.20, 0.30))


@pytest.mark.parametrize(("seed", "scale"), [(7, 2.0), (11, 0.5)])
def test_other_seeds_and_scales_keep_the_shapes_with_proportional_sizes(seed, scale, reference):
    generator = SampleGenerator(seed=seed, scale=scale)
    for group in ("basisscholen", "kov_organisaties"):
        result = generator.generate_group(2019, group)
        assert len(result.frame) == round(
            reference.response.set_index("respondent_group").loc[group, "response_n"] * scale
        )
        _assert_model_shapes(_model_shares(result.frame, result.weight, 2019), (0.15, 0.35))
        shares = reference.shares[reference.shares["respondent_group"] == group]
        for row in shares[shares["base_n"] * scale >= 100].itertuples():
            column = result.frame[row.item_id]
            answered = column.notna().to_numpy()
            assert answered.sum() == round(row.base_n * scale)
            share = 100 * np.average(column[answered] == row.answer_code, weights=result.weight[answered])
            assert share == pytest.approx(row.published_pct, abs=TOLERANCE_POINTS), (group, row.item_id)


def test_the_same_seed_gives_the_same_respondents_and_another_seed_others():
    first = SampleGenerator(seed=5).generate_group(2019, "schoolbesturen").frame
    again = SampleGenerator(seed=5).generate_group(2019, "schoolbesturen").frame
    other = SampleGenerator(seed=6).generate_group(2019, "schoolbesturen").frame
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)


@pytest.mark.slow  # the whole sample generated again (about 12 s)
def test_the_embedded_sample_is_the_generators_output_for_the_defaults(tmp_path: Path):
    assert generate_cli(["--out", str(tmp_path)]) == 0
    generated = sorted(path.relative_to(tmp_path) for path in tmp_path.rglob("*.*"))
    embedded = sorted(path.relative_to(EMBEDDED_SAMPLE_DIR) for path in EMBEDDED_SAMPLE_DIR.rglob("*.*"))
    assert generated == embedded
    for relative in generated:
        if relative.suffix == ".csv":
            assert (tmp_path / relative).read_text() == (EMBEDDED_SAMPLE_DIR / relative).read_text()
            continue
        # .sav files carry their creation time in the header, so compare what they hold.
        new, new_meta = pyreadstat.read_sav(str(tmp_path / relative))
        old, old_meta = pyreadstat.read_sav(str(EMBEDDED_SAMPLE_DIR / relative))
        pd.testing.assert_frame_equal(new, old)
        assert new_meta.column_names_to_labels == old_meta.column_names_to_labels
        assert new_meta.variable_value_labels == old_meta.variable_value_labels
