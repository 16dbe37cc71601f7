"""An example delivery from another questionnaire tool: a synthetic wave as a real next wave would arrive.

The project's own files match the codebook by construction. A real next wave does not: its tool names
and orders the variables its own way, codes Ja/Nee as 1/0 and a chosen option as 1 "Gekozen", rewords
a few questions, adds an answer option, declares a no-answer code missing, drops an item, asks a new
question, and carries columns that must never be loaded (an open remark, an e-mail address, the time
the form was started). `make_delivery` makes such a wave from the generator's answers, and says in a
manifest what it changed, so that a test can check the codebook draft against the truth.

    python -m dagster_project.sample_data.delivery --out DIR --wave 2022 --seed 2022 --names qualtrics
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import zlib
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

from dagster_project.lib.codebook import Codebook
from dagster_project.lib.groups import RESPONDENT_GROUPS
from dagster_project.lib.paths import EMBEDDED_SAMPLE_DIR, SEEDS_DIR
from dagster_project.sample_data.extra_waves import add_codebook_rows
from dagster_project.sample_data.generator import SampleGenerator
from dagster_project.sample_data.writer import MAX_VARIABLE_LABEL_BYTES, raw_frame, truncate_label

# What the example tool changes, by harmonised item (each in every group that asks it).
REWORDED = {
    "duur": ("Hoeveel jaar werkt u al samen met deze organisatie?", None),
    "doelen_onderwijsachterstanden": (None, "Het voorkomen en tegengaan van onderwijsachterstanden"),
}
ADDED_OPTION = ("financiering", 5.0, "Weet ik niet", 0.08)  # question, raw code, label, share moved to it
USER_MISSING = ("aantal_partners", 99.0, "Geen antwoord", 0.04)  # declared missing in the file
DROPPED = "rol_gemeente_financieren"
NEW_QUESTION = (
    "Hoe vaak heeft u overleg met de gemeente over de samenwerking?",
    {1.0: "Nooit", 2.0: "Eén keer per jaar", 3.0: "Meerdere keren per jaar", 4.0: "Maandelijks of vaker"},
)
NEVER_LOADED = {"opmerking": "open text", "email": "identifying", "StartDate": "tool metadata"}
NAMING = ("qualtrics", "limesurvey")
FILE_LABEL = "Export vragenlijst: SYNTHETISCHE data, geen echte respondent"


@dataclass
class Manifest:
    """What the example delivery did, per group: the truth a draft is checked against."""

    wave: int
    naming: str
    item_of: dict[str, dict[str, str]] = field(default_factory=dict)  # group -> tool name -> item_id
    reworded: dict[str, list[str]] = field(default_factory=dict)  # group -> item_ids
    added_option: dict[str, list[str]] = field(default_factory=dict)  # group -> item_ids
    dropped: dict[str, list[str]] = field(default_factory=dict)
    new_question: dict[str, str] = field(default_factory=dict)  # group -> tool name
    never_loaded: dict[str, dict[str, str]] = field(default_factory=dict)  # group -> tool name -> reason
    user_missing: dict[str, str] = field(default_factory=dict)  # group -> tool name
    emails: list[str] = field(default_factory=list)


def _rng(*parts: object) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(str(part).encode()) for part in parts])


def _tool_names(blocks: list[list[str]], naming: str) -> list[list[str]]:
    """Names as the tool exports them: per question block, one name per variable."""
    names = []
    for number, block in enumerate(blocks, start=1):
        if naming == "qualtrics":
            names.append([f"Q{number}"] if len(block) == 1 else [f"Q{number}_{k}" for k in range(1, len(block) + 1)])
        else:
            stem = f"G01Q{number:03d}"
            names.append([stem] if len(block) == 1 else [f"{stem}_SQ{k:03d}" for k in range(1, len(block) + 1)])
    return names


def _label(qtype: str, question_text: str, item_text: str, naming: str) -> str:
    if qtype in ("single", "numeric"):
        text = question_text
    elif naming == "qualtrics":
        text = f"{question_text} - {item_text}"
    else:
        text = f"{question_text} [{item_text}]"
    return truncate_label(text, MAX_VARIABLE_LABEL_BYTES)


def make_delivery(out_raw: Path, wave: int = 2022, seed: int = 2022, naming: str = "qualtrics") -> Manifest:
    """Write `waves/<wave>/<group>.sav` and `population/<wave>/<group>.csv` under `out_raw`; return the manifest."""
    if naming not in NAMING:
        raise ValueError(f"naming {naming!r}: one of {NAMING}")
    manifest = Manifest(wave=wave, naming=naming)
    with tempfile.TemporaryDirectory() as scratch:
        seeds = Path(scratch) / "seeds"
        shutil.copytree(SEEDS_DIR, seeds)
        add_codebook_rows(seeds, [wave])  # 2019's questionnaire under the new wave, to generate from
        codebook = Codebook(seeds)
        generator = SampleGenerator(seed=seed, codebook=codebook)
        sizes = {group: n for (w, group), n in generator.sizes.items() if w == 2019}
        generator.sizes.update({(wave, group): n for group, n in sizes.items()})
        for group in RESPONDENT_GROUPS:
            generated = generator.generate_group(wave, group)
            frame, labels, value_labels = raw_frame(generated, codebook, generator.reference)
            strata = {name: (labels[name], value_labels[name]) for name in generated.strata_columns}
            _write_tool_file(out_raw, generated, frame, strata, codebook, manifest, seed)
            if not generated.population.empty:
                path = out_raw / "population" / str(wave) / f"{group}.csv"
                path.parent.mkdir(parents=True, exist_ok=True)
                generated.population.astype({"category": int, "count": int}).to_csv(path, index=False)
    return manifest


def _write_tool_file(
    out_raw: Path, generated, frame: pd.DataFrame, strata: dict, codebook: Codebook, manifest: Manifest, seed: int
) -> None:
    """One group's file as the example tool exports it (see the module's docstring for what changes)."""
    group, wave, naming = generated.group, generated.wave, manifest.naming
    rng = _rng(seed, wave, group, naming)
    rows = codebook.variables_of(wave, group)
    rows = rows[rows["item_id"] != DROPPED]
    if DROPPED in set(codebook.variables_of(wave, group)["item_id"]):
        manifest.dropped.setdefault(group, []).append(DROPPED)
    # Question blocks in a shuffled order: the tool's questionnaire is ordered its own way.
    blocks = [list(block["raw_variable"]) for _, block in rows.groupby("question_id", sort=False)]
    blocks = [blocks[i] for i in rng.permutation(len(blocks))]
    names = _tool_names(blocks, naming)
    by_raw = rows.set_index("raw_variable")

    columns = {"respondent_id": frame["respondent_id"]}
    labels = {"respondent_id": "Respondentnummer"}
    value_labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[float]] = {}
    for stratum, (label, codes) in strata.items():
        columns[stratum], labels[stratum], value_labels[stratum] = frame[stratum], label, codes
    n = len(frame)
    item_of = manifest.item_of.setdefault(group, {})
    for block, block_names in zip(blocks, names, strict=True):
        for raw_variable, name in zip(block, block_names, strict=True):
            row = by_raw.loc[raw_variable]
            qtype = codebook.question_type(row.question_id)
            values = frame[raw_variable].to_numpy(float).copy()
            options = codebook.options_of(row.question_id)
            to_raw = codebook.raw_code_of(wave, row.question_id)
            codes = {float(to_raw[int(o.answer_code)]): str(o.answer_label) for o in options.itertuples()}
            question_text, item_text = row.question_text, row.item_text
            if row.item_id in REWORDED:
                question_text = REWORDED[row.item_id][0] or question_text
                item_text = REWORDED[row.item_id][1] or item_text
                manifest.reworded.setdefault(group, []).append(row.item_id)
            if qtype == "multi":
                codes = {1.0: "Gekozen", 0.0: "Niet gekozen"}
            elif [label for _, label in sorted(codes.items())] == ["Ja", "Nee"]:
                values = np.where(values == 2.0, 0.0, values)  # the tool's Ja/Nee: 1/0
                codes = {1.0: "Ja", 0.0: "Nee"}
            if row.question_id == ADDED_OPTION[0]:
                _, code, label, share = ADDED_OPTION
                answered = np.flatnonzero(~np.isnan(values))
                moved = rng.choice(answered, size=max(1, round(share * len(answered))), replace=False)
                values[moved] = code
                codes[code] = label
                manifest.added_option.setdefault(group, []).append(row.item_id)
            if row.item_id == USER_MISSING[0]:
                _, code, label, share = USER_MISSING
                answered = np.flatnonzero(~np.isnan(values))
                values[rng.choice(answered, size=max(1, round(share * len(answered))), replace=False)] = code
                codes[code] = label
                missing[name] = [code]
                manifest.user_missing[group] = name
            columns[name] = values
            labels[name] = _label(qtype, question_text, item_text, naming)
            value_labels[name] = {code: truncate_label(label, 120) for code, label in codes.items()}
            item_of[name] = row.item_id

    new_name = "Q_nieuw" if naming == "qualtrics" else "G02Q001"
    text, codes = NEW_QUESTION
    answered = rng.random(n) < 0.9
    columns[new_name] = np.where(answered, rng.integers(1, 5, n).astype(float), np.nan)
    labels[new_name], value_labels[new_name] = text, codes
    manifest.new_question[group] = new_name

    # The columns no table may ever hold.
    started = datetime(wave, 1, 10, 9, 0) + pd.to_timedelta(rng.integers(0, 60 * 24 * 40, n), unit="min")
    emails = [f"directie{number}@organisatie{number % 97}.example.nl" for number in frame["respondent_id"]]
    remarks = rng.choice(["", "Goede samenwerking.", "Wij zoeken een nieuwe partner.", "Geen opmerkingen"], n)
    columns["opmerking"] = pd.Series(remarks, dtype=object)
    columns["email"] = pd.Series(emails, dtype=object)
    columns["StartDate"] = pd.Series([stamp.to_pydatetime() for stamp in started])
    labels.update({"opmerking": "Heeft u nog opmerkingen?", "email": "E-mailadres", "StartDate": "Begonnen op"})
    manifest.never_loaded[group] = dict(NEVER_LOADED)
    manifest.emails.extend(emails)

    path = out_raw / "waves" / str(wave) / f"{group}.sav"
    path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        pd.DataFrame(columns),
        path,
        file_label=FILE_LABEL,
        column_labels=labels,
        variable_value_labels=value_labels,
        missing_ranges=missing,
        variable_format={"StartDate": "DATETIME20"},
    )


def main(argv: list[str] | None = None) -> int:
    """Write an example delivery beside a copy of the embedded sample; print the manifest as JSON."""
    parser = argparse.ArgumentParser(
        prog="python -m dagster_project.sample_data.delivery", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--out", type=Path, required=True, help="raw folder to write (the embedded sample is copied in first)"
    )
    parser.add_argument("--wave", type=int, default=2022)
    parser.add_argument("--seed", type=int, default=2022)
    parser.add_argument("--names", choices=NAMING, default="qualtrics", help="the tool's variable naming")
    args = parser.parse_args(argv)
    shutil.copytree(EMBEDDED_SAMPLE_DIR, args.out, dirs_exist_ok=True)
    manifest = make_delivery(args.out, args.wave, args.seed, args.names)
    summary = asdict(manifest)
    summary["emails"] = len(summary["emails"])
    print(json.dumps(summary, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
