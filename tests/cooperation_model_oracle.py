"""Cooperation models: which of the four models a respondent's answers to questions A-F fit.

The answer-to-model table of bijlage 1 is data (`dbt/seeds/cooperation_model_rules.csv`), versioned
by the wave from which a rule holds; this module applies it. The report's rule: a respondent with all
six questions answered and four or more answers fitting one model gets that model. The report does
not say what happens when two models both reach four; such a respondent is `niet_eenduidig`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from dagster_project.lib.paths import SEEDS_DIR
from publication import settings

MODELS: tuple[str, ...] = ("stand_alone", "face_to_face", "hand_in_hand", "all_in_one")
NOT_CLASSIFIABLE = "niet_in_te_delen"
AMBIGUOUS = "niet_eenduidig"
INCOMPLETE = "onvolledig"
MIN_MATCHES = settings.MODEL_THRESHOLD


def load_rules(wave: int, path: Path = SEEDS_DIR / "cooperation_model_rules.csv") -> pd.DataFrame:
    """The rules in force for a wave: for each question the newest version not after the wave."""
    rules = pd.read_csv(path)
    rules = rules[rules["valid_from_wave"] <= wave]
    if rules.empty:
        raise ValueError(f"no cooperation model rules hold for wave {wave}")
    newest = rules.groupby("question_id")["valid_from_wave"].transform("max")
    return rules[rules["valid_from_wave"] == newest].reset_index(drop=True)


def classify(answers: pd.DataFrame, rules: pd.DataFrame) -> pd.DataFrame:
    """Per respondent: the match count for each model and the model assigned.

    `answers` has one column per question of the rules (harmonised codes, NaN when not answered).
    """
    questions = sorted(rules["question_id"].unique())
    missing = [question for question in questions if question not in answers.columns]
    if missing:
        raise KeyError(f"answers lack the model questions {missing}")
    result = pd.DataFrame(index=answers.index)
    for model in MODELS:
        fits = np.zeros(len(answers), dtype=int)
        for question in questions:
            codes = rules[(rules["question_id"] == question) & (rules["cooperation_model"] == model)]
            fits += answers[question].isin(codes["answer_code"].astype(float)).to_numpy()
        result[f"matches_{model}"] = fits
    counts = result[[f"matches_{model}" for model in MODELS]].to_numpy()
    complete = answers[questions].notna().all(axis=1).to_numpy()
    reaching = counts >= MIN_MATCHES
    n_reaching = reaching.sum(axis=1)
    chosen = np.array(MODELS, dtype=object)[reaching.argmax(axis=1)]
    result["cooperation_model"] = np.select(
        [~complete, n_reaching == 0, n_reaching > 1],
        [INCOMPLETE, NOT_CLASSIFIABLE, AMBIGUOUS],
        default=chosen,
    )
    return result
