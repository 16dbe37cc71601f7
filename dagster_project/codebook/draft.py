"""Draft a wave's codebook rows from its delivered files, grade comparability, and say what needs a person.

The draft adds to the seeds only what would load correctly as drafted: a matched variable's row and
its recodes, a new question with its options, the exclusions and the comparability grades. A
variable it is not sure of (two variables saying the same item, answer labels that fit the matched
question's options too poorly, a name taken by a stratification variable, no label) gets no row, so
the wave does not load until a person has decided; the review table says why, per variable.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dagster_project.codebook import matching
from dagster_project.codebook.delivery import DeliveredFile, DeliveredVariable, read_delivery
from dagster_project.codebook.matching import KnownItem, answer_labels, composed, map_answer_label
from dagster_project.codebook.seeds import SeedChange, add_rows, read_seed
from dagster_project.codebook.wording import fold, same_text, slug, split_label
from dagster_project.lib.wave_files import ID_COLUMN

# Actions of the review table.
MATCHED = "matched"
NEW_QUESTION = "new_question"
EXCLUDED = "excluded"
NEEDS_REVIEW = "needs_review"
STRATIFICATION = "stratification"
RESPONDENT_ID = "respondent_id"
NOT_ASKED = "not_asked"
# Below this confidence a matched variable is listed for a person to check.
CONFIDENT = 0.9
SAME_WORDING_REASON = "Zelfde vraagtekst en antwoordopties"


@dataclass
class ReviewRow:
    """One line of the review table: a delivered variable (or an earlier item this wave no longer asks)."""

    wave: int
    respondent_group: str
    raw_variable: str
    variable_label: str
    action: str
    question_id: str = ""
    item_id: str = ""
    confidence: float | None = None
    wording_changed: bool | None = None
    options_changed: bool | None = None
    grade: str = ""
    compared_with_wave: int | None = None
    note: str = ""
    needs_look: bool = False
    kept: bool = False  # the codebook already had this variable's row for the wave: kept as written

    def add_note(self, text: str, look: bool = False) -> None:
        """Append a sentence to the note; `look` puts the row on the list for a person."""
        self.note = f"{self.note}; {text}" if self.note else text
        self.needs_look = self.needs_look or look


@dataclass
class Draft:
    """Everything one draft proposes, before it is written."""

    wave: int
    review: list[ReviewRow] = field(default_factory=list)
    rows: dict[str, list[dict]] = field(default_factory=dict)  # seed name -> drafted rows
    changes: list[SeedChange] = field(default_factory=list)
    file_labels: dict[str, str] = field(default_factory=dict)

    def add(self, seed: str, row: dict) -> None:
        """Queue a row for a seed."""
        self.rows.setdefault(seed, []).append(row)


class Codebook:
    """The seeds as the draft needs them (text columns, as written)."""

    def __init__(self, seeds_dir: Path) -> None:
        self.seeds_dir = seeds_dir
        self.questions = read_seed(seeds_dir, "codebook_questions").set_index("question_id", drop=False)
        self.variables = read_seed(seeds_dir, "codebook_variables")
        self.options = read_seed(seeds_dir, "codebook_answer_options").astype({"answer_code": int})
        self.recodes = read_seed(seeds_dir, "codebook_recodes")
        self.excluded = read_seed(seeds_dir, "codebook_excluded_variables")
        self.comparability = read_seed(seeds_dir, "codebook_comparability")

    def rows_of(self, wave: int, group: str) -> pd.DataFrame:
        """The codebook_variables rows of one wave and group."""
        return self.variables[(self.variables["wave"] == str(wave)) & (self.variables["respondent_group"] == group)]

    def previous_wave(self, wave: int, group: str) -> int | None:
        """The group's newest wave before `wave` in the codebook: the wave a wave change compares with."""
        waves = self.variables.loc[self.variables["respondent_group"] == group, "wave"].astype(int)
        earlier = waves[waves < wave]
        return int(earlier.max()) if len(earlier) else None

    def answer_codes(self, wave: int, question_id: str) -> set[int]:
        """The harmonised codes a wave's recodes give a question."""
        rows = self.recodes[(self.recodes["wave"] == str(wave)) & (self.recodes["question_id"] == question_id)]
        return {int(code) for code in rows["answer_code"]}

    def option_label(self, question_id: str, code: int) -> str:
        """The Dutch label of a harmonised answer code."""
        rows = self.options[(self.options["question_id"] == question_id) & (self.options["answer_code"] == code)]
        return str(rows["answer_label"].iloc[0]) if len(rows) else str(code)


def grade_pair(
    question_type: str,
    previous: tuple[str, str],
    current: tuple[str, str],
    previous_codes: set[int],
    current_codes: set[int],
    label_of,
    previous_wave: int,
    wave: int,
) -> tuple[str, str, bool, bool]:
    """Grade one item between two waves from their codebook wordings and answer codes.

    Returns (grade, reason in Dutch, wording changed, options changed). The grade's answer options
    are the harmonised codes each wave's recodes give the question; a numeric item's values are not
    options and are not compared.
    """
    old, new = composed(question_type, *previous), composed(question_type, *current)
    wording_changed = fold(old) != fold(new)
    added = sorted(current_codes - previous_codes) if question_type != "numeric" else []
    removed = sorted(previous_codes - current_codes) if question_type != "numeric" else []
    options_changed = bool(added or removed)
    if options_changed:
        parts = [f"antwoordoptie toegevoegd: '{label_of(code)}'" for code in added]
        parts += [f"antwoordoptie vervallen: '{label_of(code)}'" for code in removed]
        if wording_changed:
            parts.append("vraagtekst gewijzigd")
        reason = "; ".join(parts)
        return "C", reason[0].upper() + reason[1:], wording_changed, True
    if wording_changed:
        # The grade already says the wording changed (the viewer prefixes "Vraagtekst gewijzigd"): the
        # reason gives both wordings.
        return "B", f"In {previous_wave} '{old}', in {wave} '{new}'", True, False
    return "A", SAME_WORDING_REASON, False, False


def _texts_for(variable: DeliveredVariable, item: KnownItem) -> tuple[str, str, bool]:
    """The question and item text to record for a matched variable, and whether the wording changed.

    Unchanged wording (folded, a cut label by its beginning) keeps the codebook's full texts of the
    newest earlier wave; a changed one takes the label, split into question and item where it can be.
    """
    question_text, item_text = item.wordings[0]
    if same_text(variable.label, composed(item.question_type, question_text, item_text)) or (
        item.question_type in ("multi", "grid") and same_text(variable.label, item_text)
    ):
        return question_text, item_text, False
    parts = split_label(variable.label)
    if item.question_type in ("single", "numeric"):
        return variable.label, variable.label, True
    if parts is not None:
        new_question, new_item = parts
        return new_question, new_item, True
    return variable.label, item_text, True


class Drafter:
    """Drafts one wave: per group, match, map codes, grade, propose new questions and exclusions."""

    def __init__(self, raw_dir: Path, seeds_dir: Path, wave: int) -> None:
        self.raw_dir = raw_dir
        self.wave = wave
        self.codebook = Codebook(seeds_dir)
        self.draft = Draft(wave)
        # Recodes drafted in this run, per question: raw code -> answer code (shared by every group).
        self.recodes: dict[str, dict[float, int]] = {}
        self.new_questions: dict[str, dict] = {}  # folded question text -> the new question's row and items
        self.new_options: dict[str, dict[str, int]] = {}  # question_id -> folded label -> new answer code

    def run(self) -> Draft:
        """Draft every delivered group of the wave."""
        for file in read_delivery(self.raw_dir, str(self.wave)):
            self.draft.file_labels[file.group] = file.file_label
            self._draft_group(file)
        for question_id, codes in self.recodes.items():
            for raw_code, answer_code in sorted(codes.items()):
                self.draft.add("codebook_recodes", _recode_row(self.wave, question_id, raw_code, answer_code))
        self._grade_wave()
        return self.draft

    # -- one group -------------------------------------------------------------------------------

    def _draft_group(self, file: DeliveredFile) -> None:
        group = file.group
        written = self.codebook.rows_of(self.wave, group)
        written_by_name = {row.raw_variable: row for row in written.itertuples(index=False)}
        excluded = self.codebook.excluded
        excluded_names = set(
            excluded.loc[(excluded["wave"] == str(self.wave)) & (excluded["respondent_group"] == group), "raw_variable"]
        )
        earlier = self.codebook.variables[
            (self.codebook.variables["respondent_group"] == group)
            & (self.codebook.variables["wave"].astype(int) < self.wave)
        ]
        items = matching.known_items(earlier, self.codebook.questions, self.codebook.options) if len(earlier) else []
        taken = set(written["item_id"])
        open_items = [item for item in items if item.item_id not in taken]

        to_match: list[DeliveredVariable] = []
        for variable in file.variables:
            row = ReviewRow(self.wave, group, variable.name, variable.label, "")
            if variable.name == ID_COLUMN:
                row.action = RESPONDENT_ID
                row.note = "the respondent key of the input contract"
            elif variable.name in excluded_names:
                row.action, row.kept = EXCLUDED, True
                row.note = "listed in codebook_excluded_variables (kept as written)"
            elif variable.name in written_by_name:
                kept = written_by_name[variable.name]
                row.action, row.question_id, row.item_id = MATCHED, kept.question_id, kept.item_id
                row.confidence, row.kept = 1.0, True
                row.note = "row already in codebook_variables for this wave: kept as written"
            elif variable.exclusion is not None:
                row.action = EXCLUDED
                row.add_note(f"proposed for exclusion: {variable.exclusion} ({variable.spss_format})", look=True)
                self.draft.add(
                    "codebook_excluded_variables",
                    {"wave": self.wave, "respondent_group": group, "raw_variable": variable.name,
                     "reason": variable.exclusion},
                )  # fmt: skip
            elif not variable.label and variable.name in file.stratification:
                row.action = STRATIFICATION
                row.note = "stratification variable of the population file: weighted on, not an answer"
            elif not variable.label:
                row.action = NEEDS_REVIEW
                row.add_note(
                    "no variable label: cannot be matched by its wording. Label it in the file, or write its "
                    "codebook_variables row by hand (or exclude it)",
                    look=True,
                )
            else:
                to_match.append(variable)
            if row.action:
                self.draft.review.append(row)

        assignment = matching.assign(to_match, open_items, file)
        by_item = {candidate.item.item_id: name for name, candidate in assignment.matches.items()}
        for variable in to_match:
            row = ReviewRow(self.wave, group, variable.name, variable.label, "")
            self.draft.review.append(row)
            self._draft_variable(variable, file, assignment, row)
        asked = taken | set(by_item)
        self._list_not_asked(group, items, asked)

    def _draft_variable(
        self, variable: DeliveredVariable, file: DeliveredFile, assignment: matching.Assignment, row: ReviewRow
    ) -> None:
        best = assignment.best.get(variable.name, [])
        duplicate_of = next((item for item, names in assignment.duplicates.items() if variable.name in names), None)
        if duplicate_of is not None:
            others = [name for name in assignment.duplicates[duplicate_of] if name != variable.name]
            row.action, row.item_id = NEEDS_REVIEW, duplicate_of
            row.add_note(
                f"matches item {duplicate_of} as well as {', '.join(others)} does: one item, two variables. Keep "
                f"one (write its codebook_variables row) and exclude or rename the other; neither was drafted",
                look=True,
            )
            return
        candidate = assignment.matches.get(variable.name)
        if variable.name in file.stratification:
            clash = candidate or (best[0] if best and matching.is_match(best[0]) else None)
            if clash is None:
                row.action = STRATIFICATION
                row.note = "stratification variable of the population file: weighted on, not an answer"
                return
            row.action, row.item_id = NEEDS_REVIEW, clash.item.item_id
            row.add_note(
                f"named like the stratification variable '{variable.name}' of the population file, but its label "
                f"reads as item {clash.item.item_id}: the pipeline would weight on it, not load it as an answer. "
                f"Rename one of the two in the files",
                look=True,
            )
            return
        if candidate is None:
            self._draft_new_question(variable, file, row, best)
            return
        self._draft_match(variable, candidate, row, best)

    def _draft_match(
        self, variable: DeliveredVariable, candidate: matching.Candidate, row: ReviewRow, best: list
    ) -> None:
        item = candidate.item
        row.action, row.question_id, row.item_id = MATCHED, item.question_id, item.item_id
        row.confidence = round(min(candidate.score, 100.0) / 100, 2)
        mapping, unmapped, unlabelled = self._map_codes(variable, item)
        if item.question_type in matching.SCALE_TYPES + ("multi",):
            known = len({code for code in mapping.values() if code in dict(item.options)})
            if known < max(1, len(item.options) / 2) or (item.question_type == "multi" and unmapped):
                row.action = NEEDS_REVIEW
                row.add_note(
                    f"its wording says item {item.item_id}, but its value labels "
                    f"{sorted(answer_labels(variable).values())} fit too few of that question's options "
                    f"{[label for _, label in item.options]}: check the file or write the rows by hand; not drafted",
                    look=True,
                )
                return
        if unlabelled:
            row.action = NEEDS_REVIEW
            row.add_note(
                f"codes {[f'{code:g}' for code in unlabelled]} occur in the file without a value label: label them "
                f"(or declare them missing) and draft again; not drafted",
                look=True,
            )
            return
        conflict = self._merge_recodes(item.question_id, mapping)
        if conflict:
            row.action = NEEDS_REVIEW
            row.add_note(conflict, look=True)
            return
        question_text, item_text, _ = _texts_for(variable, item)
        previous = self._previous_row(variable.group, item.item_id)
        self.draft.add(
            "codebook_variables",
            {
                "wave": self.wave, "respondent_group": variable.group, "raw_variable": variable.name,
                "question_id": item.question_id, "item_id": item.item_id, "question_text": question_text,
                "item_text": item_text, "asked_if": previous.get("asked_if", ""),
                "routing_text": previous.get("routing_text", ""),
            },
        )  # fmt: skip
        for label in unmapped:
            row.add_note(f"new answer option '{label}' added to {item.question_id}", look=True)
            if fold(label) in matching.NON_RESPONSE_LABELS:
                row.add_note(
                    f"'{label}' reads as no answer but the file does not declare it missing: declare it missing "
                    f"in the file, or it is counted as an answer",
                    look=True,
                )
        if variable.user_missing:
            row.add_note(f"declared missing in the file: {', '.join(variable.user_missing)} (loaded as missing)")
        if row.confidence < CONFIDENT:
            row.add_note(f"confidence {row.confidence:.2f}: check the match", look=True)
        runner_up = next((other for other in best if other.item.item_id != item.item_id), None)
        if candidate.wording < 100 and runner_up is not None and runner_up.score >= candidate.score - 3:
            row.add_note(f"close to {runner_up.item.item_id} too ({runner_up.score:.0f})", look=True)

    def _map_codes(self, variable: DeliveredVariable, item: KnownItem) -> tuple[dict[float, int], list[str], list]:
        """Raw code -> harmonised code by label; labels that fit no option become new options.

        Returns the mapping, the labels that became new options, and the codes that occur without a label.
        """
        labels = answer_labels(variable)
        mapping: dict[float, int] = {}
        unmapped: list[str] = []
        if item.question_type == "numeric":
            values = set(variable.codes) | {code for code, label in labels.items() if fold(label).isdigit()}
            return {code: int(code) for code in sorted(values) if float(code).is_integer()}, [], []
        for raw_code, label in sorted(labels.items()):
            code = map_answer_label(label, item.options)
            if code is None:
                code = self._new_option(item.question_id, label)
                unmapped.append(label)
            mapping[raw_code] = code
        unlabelled = sorted(set(variable.codes) - set(labels))
        return mapping, unmapped, unlabelled

    def _new_option(self, question_id: str, label: str) -> int:
        """A new answer code for a label the question did not have (one code per label per draft)."""
        drafted = self.new_options.setdefault(question_id, {})
        if fold(label) in drafted:
            return drafted[fold(label)]
        existing = self.codebook.options[self.codebook.options["question_id"] == question_id]
        codes = [int(code) for code in existing["answer_code"]] + list(drafted.values())
        orders = [int(order) for order in existing["sort_order"] if str(order).strip()]
        code = max(codes, default=0) + 1
        drafted[fold(label)] = code
        self.draft.add(
            "codebook_answer_options",
            {"question_id": question_id, "answer_code": code, "answer_label": label,
             "sort_order": max(orders, default=0) + len(drafted)},
        )  # fmt: skip
        return code

    def _merge_recodes(self, question_id: str, mapping: dict[float, int]) -> str | None:
        """Add a variable's codes to the question's recodes; a clash with another group's file is returned."""
        existing = self.codebook.recodes[
            (self.codebook.recodes["wave"] == str(self.wave)) & (self.codebook.recodes["question_id"] == question_id)
        ]
        written = {
            float(raw): int(code) for raw, code in zip(existing["raw_code"], existing["answer_code"], strict=True)
        }
        drafted = self.recodes.setdefault(question_id, {})
        for raw_code, code in mapping.items():
            before = written.get(raw_code, drafted.get(raw_code))
            if before is not None and before != code:
                return (
                    f"raw code {raw_code:g} means answer {code} here but {before} in codebook_recodes for "
                    f"{question_id} in this wave (recodes hold per wave and question): not drafted"
                )
        for raw_code, code in mapping.items():
            if raw_code not in written:
                drafted[raw_code] = code
        return None

    def _previous_row(self, group: str, item_id: str) -> dict:
        rows = self.codebook.variables[
            (self.codebook.variables["respondent_group"] == group)
            & (self.codebook.variables["item_id"] == item_id)
            & (self.codebook.variables["wave"].astype(int) < self.wave)
        ]
        if rows.empty:
            return {}
        return rows.assign(_wave=rows["wave"].astype(int)).sort_values("_wave").iloc[-1].to_dict()

    # -- new questions ---------------------------------------------------------------------------

    def _draft_new_question(self, variable: DeliveredVariable, file: DeliveredFile, row: ReviewRow, best) -> None:
        labels = answer_labels(variable)
        parts = split_label(variable.label)
        question_text, item_text = parts if parts else (variable.label, variable.label)
        dichotomy = bool(labels) and {matching._label_kind(label) for label in labels.values()} <= {"yes", "no"}
        numeric = not labels or all(fold(label).isdigit() for label in labels.values())
        unlabelled = sorted(set(variable.codes) - set(labels))
        if unlabelled and not numeric:
            row.action = NEEDS_REVIEW
            row.add_note(
                f"new question whose codes {[f'{code:g}' for code in unlabelled]} occur without a value label: "
                f"label them and draft again; not drafted",
                look=True,
            )
            return
        key = fold(question_text)
        question = self.new_questions.get(key)
        if question is None:
            taken = set(self.codebook.questions.index) | {q["question_id"] for q in self.new_questions.values()}
            question_id = slug(question_text, taken=taken)
            qtype = "numeric" if numeric else ("multi" if parts and dichotomy else ("grid" if parts else "single"))
            question = {"question_id": question_id, "question_type": qtype, "items": {}, "codes": {}}
            self.new_questions[key] = question
            short_label = textwrap.shorten(question_text.rstrip(" ?:"), 60, placeholder=" …")
            self.draft.add(
                "codebook_questions",
                {"question_id": question_id, "question_type": qtype, "chapter": f"Nieuw in {self.wave}",
                 "topic": f"Nieuw in {self.wave}", "question_label": short_label},
            )  # fmt: skip
        question_id, qtype = question["question_id"], question["question_type"]
        if qtype in ("single", "numeric"):
            item_id = question_id
        else:
            item_key = fold(item_text)
            if item_key not in question["items"]:
                question["items"][item_key] = slug(
                    item_text, words=2, taken={f"{question_id}_{i}" for i in question["items"].values()}
                )
            item_id = f"{question_id}_{question['items'][item_key]}"
        mapping = self._new_question_codes(question, labels, variable.codes, qtype)
        conflict = self._merge_recodes(question_id, mapping)
        if conflict:
            row.action = NEEDS_REVIEW
            row.add_note(conflict, look=True)
            return
        row.action, row.question_id, row.item_id = NEW_QUESTION, question_id, item_id
        self.draft.add(
            "codebook_variables",
            {"wave": self.wave, "respondent_group": variable.group, "raw_variable": variable.name,
             "question_id": question_id, "item_id": item_id, "question_text": question_text,
             "item_text": item_text, "asked_if": "", "routing_text": ""},
        )  # fmt: skip
        options = ", ".join(f"{code} {label}" for label, code in question["codes"].items()) or "numeric values"
        row.add_note(
            f"new {qtype} question {question_id} ({options}); give it a chapter, topic and short label in "
            f"codebook_questions and its routing (asked_if) if not everyone was asked",
            look=True,
        )
        if best and best[0].wording >= matching.MIN_WORDING:
            row.add_note(f"nearest known item: {best[0].item.item_id} ({best[0].score:.0f}, below the match threshold)")

    def _new_question_codes(self, question: dict, labels: dict[float, str], codes, qtype: str) -> dict[float, int]:
        """Harmonised codes of a new question: Ja 1 / Nee 2, Genoemd 1 / Niet genoemd 0, else the file's codes."""
        if qtype == "numeric":
            return {code: int(code) for code in sorted(set(codes) | set(labels)) if float(code).is_integer()}
        mapping = {}
        for raw_code, label in sorted(labels.items()):
            kind = matching._label_kind(label)
            if qtype == "multi":
                code, text = (1, "Genoemd") if kind == "yes" else (0, "Niet genoemd")
            elif kind is not None and set(map(matching._label_kind, labels.values())) == {"yes", "no"}:
                code, text = (1, "Ja") if kind == "yes" else (2, "Nee")
            else:
                code, text = int(raw_code), label
            if text not in question["codes"]:
                question["codes"][text] = code
                self.draft.add(
                    "codebook_answer_options",
                    {"question_id": question["question_id"], "answer_code": code, "answer_label": text,
                     "sort_order": code if qtype != "multi" else 2 - code},
                )  # fmt: skip
            mapping[raw_code] = question["codes"][text]
        return mapping

    # -- what the wave no longer asks, and the grades -------------------------------------------------

    def _list_not_asked(self, group: str, items: list[KnownItem], asked: set[str]) -> None:
        previous = self.codebook.previous_wave(self.wave, group)
        if previous is None:
            return
        in_previous = set(self.codebook.rows_of(previous, group)["item_id"])
        for item in items:
            if item.item_id in in_previous and item.item_id not in asked:
                row = ReviewRow(self.wave, group, "", composed(item.question_type, *item.wordings[0]), NOT_ASKED)
                row.question_id, row.item_id, row.compared_with_wave = item.question_id, item.item_id, previous
                row.add_note(f"asked in {previous}, not in this delivery: no trend from {previous}", look=True)
                self.draft.review.append(row)

    def _grade_wave(self) -> None:
        """Grade every item of the wave (drafted or already written) against the group's previous wave."""
        drafted = pd.DataFrame(self.draft.rows.get("codebook_variables", []), dtype=str)
        variables = (
            pd.concat([self.codebook.variables, drafted], ignore_index=True)
            if len(drafted)
            else self.codebook.variables
        )
        recodes = self.draft.rows.get("codebook_recodes", [])
        rows = grade_wave(
            self.codebook, variables, recodes, self.wave, self.draft.rows.get("codebook_answer_options", [])
        )
        review = {(r.respondent_group, r.item_id): r for r in self.draft.review if r.action in (MATCHED,)}
        for graded in rows:
            self.draft.add("codebook_comparability", graded)
            row = review.get((graded["respondent_group"], graded["item_id"]))
            if row is None:
                continue
            row.grade, row.compared_with_wave = graded["grade"], graded["compared_with_wave"]
            row.wording_changed, row.options_changed = graded["wording_changed"], graded["options_changed"]
            if graded["grade"] != "A":
                what = "reworded (B)" if graded["grade"] == "B" else "trend break (C), not tested"
                row.add_note(f"{what}: {graded['reason']}", look=True)


def _recode_row(wave: int, question_id: str, raw_code: float, answer_code: int) -> dict:
    return {"wave": wave, "question_id": question_id, "raw_code": raw_code, "answer_code": answer_code}


def grade_wave(codebook: Codebook, variables: pd.DataFrame, extra_recodes: list[dict], wave: int, extra_options=()):
    """Comparability rows of every item of `wave` asked in its group's previous wave, from codebook rows."""
    recodes = codebook.recodes
    if extra_recodes:
        recodes = pd.concat([recodes, pd.DataFrame(extra_recodes).astype(str)], ignore_index=True)
    options = codebook.options
    if extra_options:
        options = pd.concat(
            [options, pd.DataFrame(list(extra_options)).astype({"answer_code": int})], ignore_index=True
        )

    def codes(of_wave: int, question_id: str) -> set[int]:
        rows = recodes[(recodes["wave"] == str(of_wave)) & (recodes["question_id"] == question_id)]
        return {int(float(code)) for code in rows["answer_code"]}

    def label_of(question_id: str):
        def _label(code: int) -> str:
            rows = options[(options["question_id"] == question_id) & (options["answer_code"] == code)]
            return str(rows["answer_label"].iloc[0]) if len(rows) else str(code)

        return _label

    graded = []
    current = variables[variables["wave"] == str(wave)]
    for group, rows in current.groupby("respondent_group", sort=False):
        previous_wave = codebook.previous_wave(wave, str(group))
        if previous_wave is None:
            continue
        before = variables[(variables["wave"] == str(previous_wave)) & (variables["respondent_group"] == group)]
        before = before.drop_duplicates("item_id").set_index("item_id")
        for row in rows.itertuples(index=False):
            if row.item_id not in before.index:
                continue
            old = before.loc[row.item_id]
            qtype = (
                str(codebook.questions.loc[row.question_id, "question_type"])
                if row.question_id in codebook.questions.index
                else "single"
            )
            grade, reason, wording_changed, options_changed = grade_pair(
                qtype,
                (str(old["question_text"]), str(old["item_text"])),
                (str(row.question_text), str(row.item_text)),
                codes(previous_wave, row.question_id),
                codes(wave, row.question_id),
                label_of(row.question_id),
                previous_wave,
                wave,
            )
            graded.append(
                {"wave": wave, "respondent_group": group, "item_id": row.item_id, "compared_with_wave": previous_wave,
                 "grade": grade, "reason": reason, "wording_changed": wording_changed,
                 "options_changed": options_changed},
            )  # fmt: skip
    return graded


def write_draft(draft: Draft, seeds_dir: Path) -> list[SeedChange]:
    """Add the drafted rows to the seeds (existing rows kept as they are)."""
    draft.changes = [add_rows(seeds_dir, seed, rows) for seed, rows in draft.rows.items()]
    return draft.changes
