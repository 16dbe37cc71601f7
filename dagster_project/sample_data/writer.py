"""Write generated waves as the input contract's files: SPSS answer files and population CSVs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyreadstat

from dagster_project.lib.codebook import Codebook
from dagster_project.sample_data.generator import GeneratedGroup
from dagster_project.sample_data.report_reference import ReportReference

# SPSS keeps variable labels up to 256 bytes and value labels up to 120; the codebook has the full texts.
MAX_VARIABLE_LABEL_BYTES = 256
MAX_VALUE_LABEL_BYTES = 120
ELLIPSIS = "…"
# SPSS keeps a file label of at most 64 bytes.
FILE_LABEL = "Samenwerking in beeld: SYNTHETISCHE data, geen echte respondent"


def truncate_label(text: str, limit: int) -> str:
    """The text, cut to fit SPSS's byte limit, with an ellipsis where it was cut."""
    encoded = text.encode("utf-8")
    if len(encoded) <= limit:
        return text
    return encoded[: limit - len(ELLIPSIS.encode())].decode("utf-8", errors="ignore") + ELLIPSIS


def raw_frame(group: GeneratedGroup, codebook: Codebook, reference: ReportReference) -> tuple[pd.DataFrame, dict, dict]:
    """The answer file as the wave's questionnaire software would export it.

    Returns the frame with raw variable names and raw codes, the variable labels and the value labels.
    """
    variables = codebook.variables_of(group.wave, group.group)
    strata = reference.strata[reference.strata["respondent_group"] == group.group]
    columns: dict[str, pd.Series] = {"respondent_id": group.frame["respondent_id"].astype("int64")}
    labels = {"respondent_id": "Respondentnummer"}
    value_labels: dict[str, dict[float, str]] = {}
    for variable in group.strata_columns:
        rows = strata[strata["variable"] == variable]
        columns[variable] = group.frame[variable].astype(float)
        labels[variable] = str(rows["variable_label"].iloc[0])
        value_labels[variable] = {float(row.category): str(row.category_label) for row in rows.itertuples()}
    for row in variables.itertuples(index=False):
        to_raw = codebook.raw_code_of(group.wave, row.question_id)
        # NaN (not asked) stays NaN, which SPSS stores as system-missing.
        columns[row.raw_variable] = group.frame[row.item_id].map(to_raw).astype(float)
        qtype = codebook.question_type(row.question_id)
        text = row.question_text if qtype in ("single", "numeric") else f"{row.question_text} - {row.item_text}"
        labels[row.raw_variable] = truncate_label(str(text), MAX_VARIABLE_LABEL_BYTES)
        options = codebook.options_of(row.question_id)
        value_labels[row.raw_variable] = {
            float(to_raw[int(option.answer_code)]): truncate_label(str(option.answer_label), MAX_VALUE_LABEL_BYTES)
            for option in options.itertuples()
        }
    return pd.DataFrame(columns), labels, value_labels


def write_group(group: GeneratedGroup, out_dir: Path, codebook: Codebook, reference: ReportReference) -> list[Path]:
    """Write one wave and group; return the files written."""
    frame, labels, value_labels = raw_frame(group, codebook, reference)
    sav_path = out_dir / "waves" / str(group.wave) / f"{group.group}.sav"
    sav_path.parent.mkdir(parents=True, exist_ok=True)
    pyreadstat.write_sav(
        frame,
        sav_path,
        file_label=FILE_LABEL,
        column_labels=labels,
        variable_value_labels=value_labels,
    )
    written = [sav_path]
    if not group.population.empty:
        population_path = out_dir / "population" / str(group.wave) / f"{group.group}.csv"
        population_path.parent.mkdir(parents=True, exist_ok=True)
        population = group.population.astype({"category": int, "count": int})
        population.to_csv(population_path, index=False)
        written.append(population_path)
    return written
