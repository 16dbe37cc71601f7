"""The factsheet PDF: the Overzicht's blocks for the newest wave, with their charts and bases, from a serving copy.

The publish stage writes it beside the serving copy (`locations.factsheet_path`) and swaps it in with
the copies and the workbook; the Overzicht page offers it for download. Its blocks, figures and charts
are the page's (`factsheet_blocks`, `factsheet_charts`): the charts become PNG images through
vl-convert (Vega's renderer compiled into the wheel: no browser), the pages are set with fpdf2.

The text uses the PDF's built-in Helvetica (no font file to ship), so it is limited to Windows-1252:
▲/▼ appear in the chart images and as words in the text. No Streamlit and no pipeline import here.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import vl_convert
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from fpdf.fonts import FontFace

from publication import factsheet_blocks, factsheet_charts, queries
from publication.base_policy import HIDDEN, MARKED, POLICY_TEXT, STATUS_COLUMN
from publication.texts import SYNTHETIC_TEXT, dutch_quality_summary

TITLE = "Samenwerking in beeld"
PNG_SCALE = 2.0
PX_TO_MM = 25.4 / 96  # a chart pixel at 96 dpi
CHART_WIDTH = 430  # pixels of the plot area; the labels come beside it
MARKER_WORDS = {"hoger": "hoger", "lager": "lager"}
SOURCE = (
    "Bron: Samenwerking in beeld, gepubliceerde gegevens. Percentages en gemiddelden zijn gewogen; "
    "n is het aantal respondenten (ongewogen) waarop een cijfer rust."
)


def pdf_text(text: object) -> str:
    """Text the built-in fonts can set: the marks as words, anything else outside Windows-1252 replaced."""
    plain = str(text).replace("▲", "(hoger)").replace("▼", "(lager)").replace("⚠", "let op:")
    return plain.encode("cp1252", errors="replace").decode("cp1252")


def chart_png(figures: pd.DataFrame, kind: str, title: str | None) -> bytes | None:
    """One chart as a PNG, or None when it has nothing to draw."""
    chart = factsheet_charts.block_chart(figures, kind, width=CHART_WIDTH, title=title)
    return None if chart is None else vl_convert.vegalite_to_png(chart.to_dict(), scale=PNG_SCALE)


def figure_value(row: pd.Series) -> str:
    """A figure as the table prints it: a whole percentage or a grade with a decimal comma; a dash when hidden."""
    if pd.isna(row["value"]):
        return "-"
    return factsheet_charts.value_text(row["value"], row["kind"])


def figure_note(row: pd.Series) -> str:
    """The marks of a figure in words: a significant change or difference, a small or hidden base."""
    notes = []
    if isinstance(row["marker"], str):
        notes.append(f"significant {MARKER_WORDS[row['marker']]}")
    if row[STATUS_COLUMN] == MARKED:
        notes.append("kleine basis")
    elif row[STATUS_COLUMN] == HIDDEN:
        notes.append("niet getoond (basis < 10)")
    return ", ".join(notes)


class Factsheet(FPDF):
    """An A4 page set with a footer naming the publication and the page."""

    def __init__(self, footer_text: str) -> None:
        """A4 portrait, 15 mm margins, Windows-1252 text in the built-in fonts."""
        super().__init__(orientation="P", unit="mm", format="A4")
        self.core_fonts_encoding = "windows-1252"
        self.set_margins(15, 15, 15)
        self.set_auto_page_break(True, margin=16)
        self.footer_text = footer_text

    def footer(self) -> None:
        """The publication and the page number at the foot of every page."""
        self.set_y(-12)
        self.set_font("Helvetica", "", 7.5)
        self.set_text_color(90, 90, 90)
        self.cell(0, 5, pdf_text(f"{self.footer_text} · pagina {self.page_no()}"), align="C")
        self.set_text_color(0, 0, 0)

    def paragraph(self, text: str, size: float = 9.5, style: str = "", height: float = 4.6) -> None:
        """A wrapped paragraph across the text width."""
        self.set_font("Helvetica", style, size)
        self.multi_cell(0, height, pdf_text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    def png(self, image: bytes) -> None:
        """An image at its natural size (shrunk to the text width), on a new page when it does not fit."""
        width, height = self.png_size(image)
        if self.will_page_break(height):
            self.add_page()
        self.image(io.BytesIO(image), x=self.l_margin, w=width, h=height)
        self.ln(1.5)

    def png_size(self, image: bytes) -> tuple[float, float]:
        """The width and height in mm an image is set at."""
        width_px, height_px = _png_size(image)
        width = min(self.epw, width_px / PNG_SCALE * PX_TO_MM)
        return width, width * height_px / width_px


def _png_size(image: bytes) -> tuple[int, int]:
    """A PNG's width and height in pixels, from its header."""
    return int.from_bytes(image[16:20], "big"), int.from_bytes(image[20:24], "big")


def write_header(pdf: Factsheet, publication: pd.Series, wave: int) -> None:
    """Title, the publication's number and date, and the synthetic-sample notice when it applies."""
    published_at = pd.Timestamp(publication["published_at"]).strftime("%d-%m-%Y %H:%M")
    pdf.set_font("Helvetica", "B", 20)
    pdf.cell(0, 10, pdf_text(f"{TITLE}: factsheet {wave}"), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font("Helvetica", "", 9.5)
    quality = dutch_quality_summary(publication["n_checks"], publication["n_errors"], publication["n_warnings"])
    pdf.paragraph(
        f"Publicatie {int(publication['publication_id'])} van {published_at} (UTC) · kwaliteitscontroles: {quality} · "
        f"projectversie {publication['project_commit'] or 'onbekend'}"
    )
    pdf.ln(2)
    if bool(publication["is_synthetic_sample"]):
        pdf.set_fill_color(255, 243, 205)
        pdf.set_draw_color(214, 158, 46)
        pdf.set_font("Helvetica", "B", 10)
        pdf.multi_cell(0, 5.2, pdf_text(SYNTHETIC_TEXT), border=1, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_fill_color(255, 255, 255)
        pdf.set_draw_color(0, 0, 0)
        pdf.ln(2)
    pdf.paragraph(
        "De belangrijkste bevindingen, blok voor blok zoals de factsheet van het rapport, opnieuw berekend uit de "
        "gepubliceerde gegevens. Een driehoekje omhoog of omlaag in een grafiek: significant hoger of lager (p < 0,05) "
        "dan in de vorige meting, of bij kindcentra dan bij de overige respondenten. De dunne lijn bij een staaf of "
        "punt is het 95%-betrouwbaarheidsinterval. Onder elke grafiek staan de cijfers met hun basis.",
        size=8.5,
        height=4.2,
    )
    pdf.ln(1)


def write_figures_table(pdf: Factsheet, figures: pd.DataFrame) -> None:
    """The block's figures with their bases: what the chart draws, and what it leaves out."""
    pdf.set_font("Helvetica", "", 7.5)
    pdf.set_draw_color(190, 190, 190)
    widths = (78, 42, 16, 16, 28)
    with pdf.table(
        col_widths=widths,
        text_align=("LEFT", "LEFT", "RIGHT", "RIGHT", "LEFT"),
        line_height=3.8,
        headings_style=FontFace(emphasis="BOLD", fill_color=(235, 240, 245)),
    ) as table:
        header = table.row()
        for title in ("Cijfer", "Groep of reeks", "Waarde", "Basis (n)", "Opmerking"):
            header.cell(title)
        for _, row in figures.iterrows():
            cells = table.row()
            series = row["series"] if row["series"] == row["group_label"] else f"{row['group_label']}: {row['series']}"
            for value in (row["label"], series, figure_value(row), f"{int(row['base_n'])}", figure_note(row)):
                cells.cell(pdf_text(value))
    pdf.set_draw_color(0, 0, 0)
    pdf.ln(3)


def write_block(pdf: Factsheet, block: factsheet_blocks.Block, figures: pd.DataFrame, wave: int) -> None:
    """One block: its title, the factsheet's sentence, its charts and its figures with their bases."""
    panels = factsheet_charts.panels(figures, block.comparison != factsheet_blocks.GROUPS)
    images = [image for image in (chart_png(rows, kind, title) for title, kind, rows in panels) if image is not None]
    # The title and its sentence stay with the first chart: a new page when the three do not fit.
    if pdf.will_page_break(22 + (pdf.png_size(images[0])[1] if images else 20)):
        pdf.add_page()
    pdf.set_font("Helvetica", "B", 13)
    pdf.set_text_color(11, 79, 124)
    pdf.cell(0, 7, pdf_text(block.title), new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.paragraph(block.lead, size=9, height=4.4)
    pdf.ln(1)
    if figures.empty:
        pdf.paragraph(f"Geen cijfers voor meting {wave}.", size=9)
        return
    for image in images:
        pdf.png(image)
    write_figures_table(pdf, figures)


def write_factsheet(serving_path: Path, out_path: Path) -> Path:
    """Write the factsheet of the newest wave of the serving copy at `serving_path` to `out_path` (PDF)."""
    serving_path = Path(serving_path)
    publication = queries.fetch("publication", path=serving_path)
    if publication.empty:
        raise ValueError(f"{serving_path} holds no publication")
    publication = publication.iloc[0]
    wave = int(queries.fetch("waves", path=serving_path)["wave"].max())
    figures = factsheet_blocks.wave_figures(lambda name, **params: queries.fetch(name, params, serving_path), wave)

    pdf = Factsheet(f"{TITLE} · factsheet {wave} · publicatie {int(publication['publication_id'])}")
    pdf.set_title(f"{TITLE}: factsheet {wave}")
    pdf.set_author(TITLE)
    pdf.set_creation_date(pd.Timestamp(publication["published_at"]).tz_localize("UTC").to_pydatetime())
    pdf.add_page()
    write_header(pdf, publication, wave)
    for block in factsheet_blocks.BLOCKS:
        write_block(pdf, block, figures[block.key], wave)
    pdf.ln(2)
    pdf.paragraph(POLICY_TEXT, size=8, height=4)
    pdf.paragraph(SOURCE, size=8, height=4)
    # fpdf2 builds the document in memory and writes the file only here: a failure before leaves none.
    pdf.output(str(out_path))
    return Path(out_path)
