"""What the published documents say, read back as a reader would: the workbook's cover and the factsheet's text."""

from __future__ import annotations

import re
from pathlib import Path

import openpyxl
from pypdf import PdfReader

from publication.workbook import COVER_SHEET


def cover_value(workbook: openpyxl.Workbook, label: str):
    """The value beside a label on the workbook's cover sheet."""
    return next(row[1] for row in workbook[COVER_SHEET].iter_rows(values_only=True) if row[0] == label)


def workbook_publication(path: Path) -> int:
    """The publication number the workbook's cover names."""
    return int(cover_value(openpyxl.load_workbook(path), "Publicatie"))


def pdf_lines(path: Path) -> str:
    """The PDF's text, every page, whitespace made single spaces."""
    return " ".join(" ".join((page.extract_text() or "").split()) for page in PdfReader(path).pages)


def factsheet_publication(path: Path) -> int:
    """The publication number the factsheet's header names."""
    return int(re.search(r"Publicatie (\d+) van", pdf_lines(path)).group(1))
