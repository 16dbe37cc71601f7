"""Synthetic respondents whose weighted answers reproduce the published tables.

No microdata of the monitor are public, so the project makes its own. Per wave and group:

1. strata are drawn so that their counts follow the response columns of bijlage 1, and the
   respondents are raked to the population columns with the pipeline's own raking module;
2. every respondent gets a latent score per item that leans on the strata (so that unweighted shares
   miss the published figures and weighted shares hit them) plus noise; the six intensity questions
   A-F share one latent "intensity" so that their joint distribution gives the cooperation models;
   items where the report names a kindcentrum difference add a shift for kindcentrum respondents;
3. the answering respondents (the published base, chosen among those the routing asks) are sorted
   by score and each answer code is given to the next slice whose cumulative weight equals the code's
   target share; small bases, where one respondent weighs several points, are then refined by
   swapping respondents until every share is within half a point where the weights allow it.

Everything is drawn from generators seeded by (seed, wave, group, item), so the output is the same
for a seed whatever order things are made in.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from dagster_project.lib.codebook import Codebook, Routing
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.raking import margins_from_population_frame, rake
from dagster_project.sample_data.calibration import BASE_WAVE, CalibrationTargets, ItemTarget
from dagster_project.sample_data.report_reference import ReportReference
from dagster_project.sample_data.sizes import respondents_per_wave
from publication.settings import KINDCENTRUM_CODE, KINDCENTRUM_ITEM

DEFAULT_SEED = 2019

# The six questions of the cooperation models share one latent; the noise per question sets how often
# a respondent's answers scatter over models (and so the share that fits none).
INTENSITY_ITEMS = (
    "intensiteit_aanbod",
    "intensiteit_medewerkers",
    "intensiteit_kennis",
    "intensiteit_management",
    "intensiteit_bestuurlijk",
    "visie",
)
INTENSITY_NOISE = 0.85
# Standard deviation of the strata effects on an item's latent score.
STRATA_EFFECT_SD = 0.55
# Shift of the latent score of kindcentrum respondents where the report names a difference, in
# standard deviations of the score: large enough that a named difference is clearly significant.
KINDCENTRUM_SHIFT_SHARE = 1.3
KINDCENTRUM_SHIFT_MEAN = 0.45
# Answers outside the substantive scale go to the bottom of the latent order.
NON_SUBSTANTIVE_LABELS = ("weet niet",)
# Refine an item's answers when a share misses its target by more than this.
REFINE_TOLERANCE = 0.004


@dataclass
class GeneratedGroup:
    """One wave and group: respondents with strata and harmonised answers, plus population margins."""

    wave: int
    group: str
    frame: pd.DataFrame  # respondent_id, strata, one column per item_id (harmonised codes, NaN = not asked)
    strata_columns: list[str]
    population: pd.DataFrame  # variable, category, count (empty when the group is not weighted)
    weight: np.ndarray
    notes: list[str] = field(default_factory=list)


def _rng(*parts: object) -> np.random.Generator:
    """A generator seeded by the parts, stable across runs and processes."""
    return np.random.default_rng([zlib.crc32(str(part).encode()) for part in parts])


def _largest_remainder(fractions: np.ndarray, total: int) -> np.ndarray:
    """Whole counts summing to `total` in the given proportions."""
    raw = fractions / fractions.sum() * total
    counts = np.floor(raw).astype(int)
    order = np.argsort(-(raw - counts), kind="stable")
    counts[order[: total - counts.sum()]] += 1
    return counts


class SampleGenerator:
    """Generates every wave and group of the synthetic sample for one seed and scale."""

    def __init__(
        self,
        seed: int = DEFAULT_SEED,
        scale: float = 1.0,
        codebook: Codebook | None = None,
        reference: ReportReference | None = None,
    ) -> None:
        if scale <= 0:
            raise ValueError(f"scale must be positive, got {scale}")
        self.seed = seed
        self.scale = scale
        self.codebook = codebook or Codebook()
        self.reference = reference or ReportReference()
        self.targets = CalibrationTargets(self.codebook, self.reference)
        self.sizes = respondents_per_wave()
        self._routing_items = {
            Routing.parse(text).item_id for text in self.codebook.variables["asked_if"].dropna().unique()
        }
        kc = self.reference.kindcentrum_differences
        self.kindcentrum_shift = {
            (row.respondent_group, row.item_id): (
                KINDCENTRUM_SHIFT_MEAN if row.measure == "mean" else KINDCENTRUM_SHIFT_SHARE
            )
            for row in kc.itertuples()
        }

    # --- sizes -------------------------------------------------------------------------------
    def n_respondents(self, wave: int, group: str) -> int:
        """Respondents of a wave and group at this scale."""
        return max(1, round(self.sizes[(wave, group)] * self.scale))

    def _filter_share(self, wave: int, group: str, routing: Routing | None, variables: pd.DataFrame) -> float:
        """Expected fraction of the group that the routing asks, following nested routing."""
        if routing is None:
            return 1.0
        target = self.targets.target(wave, group, routing.item_id)
        row = variables[variables["item_id"] == routing.item_id].iloc[0]
        parent = Routing.parse(row["asked_if"])
        return target.share_of(routing.codes) * self._filter_share(wave, group, parent, variables)

    def base_n(self, wave: int, group: str, item: ItemTarget, routing: Routing | None, variables: pd.DataFrame) -> int:
        """Respondents answering an item: the published base, scaled to the wave's size and routing."""
        if wave == BASE_WAVE:
            return max(1, round(item.base_n * self.scale))
        base_variables = self.codebook.variables_of(BASE_WAVE, group)
        ratio = (self.n_respondents(wave, group) * self._filter_share(wave, group, routing, variables)) / (
            self.n_respondents(BASE_WAVE, group) * self._filter_share(BASE_WAVE, group, routing, base_variables)
        )
        return max(1, round(item.base_n * self.scale * ratio))

    # --- strata and weights ------------------------------------------------------------------
    def _strata(self, wave: int, group: str, n: int) -> tuple[pd.DataFrame, pd.DataFrame]:
        strata = self.reference.strata
        strata = strata[(strata["respondent_group"] == group) & strata["used_for_weighting"]]
        frame = pd.DataFrame(index=range(n))
        population = []
        for variable, rows in strata.groupby("variable", sort=False):
            counts = _largest_remainder(rows["response_n"].to_numpy(float), n)
            values = np.repeat(rows["category"].to_numpy(int), counts)
            _rng(self.seed, wave, group, "strata", variable).shuffle(values)
            frame[variable] = values
            population.append(rows[["variable", "category", "population_n"]].rename(columns={"population_n": "count"}))
        population_frame = (
            pd.concat(population, ignore_index=True)
            if population
            else pd.DataFrame({"variable": [], "category": [], "count": []})
        )
        return frame, population_frame

    def _strata_effect(self, group: str, item_id: str, strata: pd.DataFrame) -> np.ndarray:
        """How an item's latent score leans on the strata; the same in every wave."""
        if strata.empty or item_id == KINDCENTRUM_ITEM or item_id in self._routing_items:
            # Kindcentrum status stays independent of everything, so kindcentra differ only where named;
            # items that route others stay flat too, so that the unweighted number asked fits the bases.
            return np.zeros(len(strata))
        rng = _rng(self.seed, group, item_id, "strata-effect")
        effect = np.zeros(len(strata))
        for variable in strata.columns:
            values = strata[variable].to_numpy(float)
            spread = values.std()
            if spread > 0:
                effect += rng.normal(0, STRATA_EFFECT_SD) * (values - values.mean()) / spread
        return effect

    # --- answers -----------------------------------------------------------------------------
    def _assignment_order(self, question_id: str, codes: tuple[int, ...]) -> list[int]:
        options = self.codebook.options_of(question_id).set_index("answer_code")["answer_label"]
        low = [code for code in codes if str(options[code]).strip().lower() in NON_SUBSTANTIVE_LABELS]
        if self.codebook.question_type(question_id) == "multi":
            return [0, 1]
        return low + [code for code in codes if code not in low]

    def _choose_answering(
        self, rng: np.random.Generator, eligible: np.ndarray, n_answering: int
    ) -> tuple[np.ndarray, list[str]]:
        """Who answers: a random subset of those asked; where the published base exceeds them, some more."""
        asked = np.flatnonzero(eligible)
        notes = []
        if n_answering <= len(asked):
            return np.sort(rng.choice(asked, size=n_answering, replace=False)), notes
        others = np.flatnonzero(~eligible)
        extra = rng.choice(others, size=min(n_answering - len(asked), len(others)), replace=False)
        notes.append(f"base {n_answering} exceeds the {len(asked)} respondents the routing asks")
        return np.sort(np.r_[asked, extra]), notes

    def generate_group(self, wave: int, group: str) -> GeneratedGroup:
        """One wave and group."""
        n = self.n_respondents(wave, group)
        strata, population = self._strata(wave, group, n)
        weight = rake(strata, margins_from_population_frame(population)).weight
        variables = self.codebook.variables_of(wave, group)
        if variables.empty:
            raise KeyError(f"the codebook has no variables for {group} in {wave}")
        answers: dict[str, np.ndarray] = {}
        notes: list[str] = []

        intensity = _rng(self.seed, wave, group, "intensity").normal(size=n) + self._strata_effect(
            group, "intensity", strata
        )
        is_kindcentrum = np.zeros(n, dtype=bool)
        for row in self._generation_order(variables).itertuples(index=False):
            item_id = row.item_id
            target = self.targets.target(wave, group, item_id)
            routing = Routing.parse(row.asked_if)
            eligible = np.ones(n, dtype=bool) if routing is None else np.isin(answers[routing.item_id], routing.codes)
            rng = _rng(self.seed, wave, group, item_id)
            members, member_notes = self._choose_answering(
                rng, eligible, self.base_n(wave, group, target, routing, variables)
            )
            notes += [f"{wave}/{group}/{item_id}: {note}" for note in member_notes]

            if item_id in INTENSITY_ITEMS:
                score = intensity + INTENSITY_NOISE * rng.normal(size=n)
            else:
                score = self._strata_effect(group, item_id, strata) + rng.normal(size=n)
            shift = self.kindcentrum_shift.get((group, item_id))
            if shift:
                # In standard deviations of the item's score, so that shared and own scores shift alike.
                score = score + shift * score.std() * is_kindcentrum

            order = self._assignment_order(row.question_id, target.codes)
            wanted = np.array([target.shares[target.codes.index(code)] for code in order])
            codes = assign_by_score(score[members], weight[members], np.array(order), wanted)
            members, codes = refine_to_targets(members, codes, weight, eligible, np.array(order), wanted, rng)
            column = np.full(n, np.nan)
            column[members] = codes
            answers[item_id] = column
            if item_id == KINDCENTRUM_ITEM:
                is_kindcentrum = column == KINDCENTRUM_CODE

        # Keep questionnaire order in the file, whatever order the items were generated in.
        answers_frame = pd.DataFrame({item_id: answers[item_id] for item_id in variables["item_id"]})
        ids = [int(f"{wave}{RESPONDENT_GROUPS.index(group) + 1}{i:05d}") for i in range(1, n + 1)]
        frame = pd.concat([pd.DataFrame({"respondent_id": ids}), strata, answers_frame], axis=1)
        return GeneratedGroup(wave, group, frame, list(strata.columns), population, weight, notes)

    def _generation_order(self, variables: pd.DataFrame) -> pd.DataFrame:
        """Questionnaire order, except that the kindcentrum question comes before the items it shifts."""
        first = variables["item_id"] == KINDCENTRUM_ITEM
        # Routing of `noemer` itself must be generated before it.
        parents = set()
        routing = Routing.parse(variables.loc[first, "asked_if"].iloc[0]) if first.any() else None
        while routing is not None:
            parents.add(routing.item_id)
            row = variables[variables["item_id"] == routing.item_id].iloc[0]
            routing = Routing.parse(row["asked_if"])
        rank = np.where(variables["item_id"].isin(parents), 0, np.where(first, 1, 2))
        return variables.assign(_rank=rank).sort_values("_rank", kind="stable").drop(columns="_rank")

    def generate(self) -> list[GeneratedGroup]:
        """Every wave and group the codebook and the wave sizes know."""
        return [
            self.generate_group(wave, group)
            for wave in self.codebook.waves()
            for group in RESPONDENT_GROUPS
            if (wave, group) in self.sizes
        ]


def assign_by_score(score: np.ndarray, weight: np.ndarray, codes: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Give codes in order of score so that each code's cumulative weight matches its share."""
    order = np.argsort(score, kind="stable")
    cumulative = np.cumsum(weight[order])
    midpoints = (cumulative - weight[order] / 2) / cumulative[-1]
    boundaries = np.cumsum(shares)[:-1]
    result = np.empty(len(score), dtype=int)
    result[order] = codes[np.searchsorted(boundaries, midpoints, side="right")]
    return result


def weighted_shares(codes: np.ndarray, weight: np.ndarray, code_values: np.ndarray) -> np.ndarray:
    """Weighted share of each code value."""
    total = weight.sum()
    return np.array([weight[codes == value].sum() / total for value in code_values])


def _objective(codes: np.ndarray, weights: np.ndarray, code_values: np.ndarray, shares: np.ndarray) -> tuple:
    """Largest miss of any share, then the sum of squared misses."""
    miss = weighted_shares(codes, weights, code_values) - shares
    return float(np.abs(miss).max()), float((miss**2).sum())


def _greedy(
    members: np.ndarray,
    codes: np.ndarray,
    weight: np.ndarray,
    outside: np.ndarray,
    code_values: np.ndarray,
    shares: np.ndarray,
    max_moves: int,
) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Apply the best improving move until none improves or the shares are within tolerance."""
    members, codes, outside = members.copy(), codes.copy(), outside.copy()
    best = _objective(codes, weight[members], code_values, shares)
    for _ in range(max_moves):
        if best[0] <= REFINE_TOLERANCE:
            break
        # One representative per (weight, code) among members and per weight among the others.
        by_weight: dict[float, int] = {}
        for other in outside:
            by_weight.setdefault(round(float(weight[other]), 9), int(other))
        seen: set[tuple[float, int]] = set()
        improved = None
        for position, (member, code) in enumerate(zip(members, codes, strict=True)):
            key = (round(float(weight[member]), 9), int(code))
            if key in seen:
                continue
            seen.add(key)
            moves = [("recode", position, int(value)) for value in code_values if value != code]
            moves += [
                ("swap", position, (other, int(value)))
                for other_weight, other in by_weight.items()
                if other_weight != key[0]
                for value in code_values
            ]
            moves += [
                ("exchange", position, other_position)
                for other_position, (other_member, other_code) in enumerate(zip(members, codes, strict=True))
                if other_code != code and round(float(weight[other_member]), 9) != key[0]
            ]
            for kind, at, value in moves:
                trial_members, trial_codes = members, codes.copy()
                if kind == "recode":
                    trial_codes[at] = value
                elif kind == "exchange":
                    trial_codes[[at, value]] = codes[[value, at]]
                else:
                    trial_members = members.copy()
                    trial_members[at], trial_codes[at] = value
                score = _objective(trial_codes, weight[trial_members], code_values, shares)
                if score < best:
                    best, improved = score, (kind, at, value, trial_members, trial_codes)
        if improved is None:
            break
        kind, at, value, new_members, new_codes = improved
        if kind == "swap":
            outside = np.r_[outside[outside != value[0]], members[at]]
        members, codes = new_members, new_codes
    return members, codes, best


def refine_to_targets(
    members: np.ndarray,
    codes: np.ndarray,
    weight: np.ndarray,
    eligible: np.ndarray,
    code_values: np.ndarray,
    shares: np.ndarray,
    rng: np.random.Generator,
    max_moves: int = 400,
    restarts: int = 40,
) -> tuple[np.ndarray, np.ndarray]:
    """Local search on small bases until every weighted share is within tolerance where weights allow.

    Moves: recode a respondent, exchange two respondents' answers, or replace a respondent by another
    who was asked. Each move must lower the largest miss (ties broken by the sum of squares). On large
    bases the score order already hits every share within a fraction of a point and nothing changes;
    on small ones a greedy search can stall, so it restarts from random answering sets.
    """
    best = _objective(codes, weight[members], code_values, shares)
    if best[0] <= REFINE_TOLERANCE:
        return members, codes
    pool = np.flatnonzero(eligible)
    outside = np.setdiff1d(pool, members)
    best_members, best_codes, best = _greedy(members, codes, weight, outside, code_values, shares, max_moves)
    for _ in range(restarts if len(members) < 100 and len(pool) >= len(members) else 0):
        if best[0] <= REFINE_TOLERANCE:
            break
        start = np.sort(rng.choice(pool, size=len(members), replace=False))
        start_codes = assign_by_score(rng.normal(size=len(start)), weight[start], code_values, shares)
        trial = _greedy(start, start_codes, weight, np.setdiff1d(pool, start), code_values, shares, max_moves)
        if trial[2] < best:
            best_members, best_codes, best = trial
    order = np.argsort(best_members)
    return best_members[order], best_codes[order]
