"""Render simple Markdown (headings, paragraphs, `-` bullets) to a PDF with fpdf2."""

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

from concierge.tools.documents.extraction import markdown_heading

_SIZES = {1: 18, 2: 14, 3: 12}
FIXED_DATE = datetime(2026, 1, 1, tzinfo=UTC)


def markdown_to_pdf(markdown: str, target: Path, title: str) -> None:
    pdf = FPDF(format="A4")
    pdf.set_title(title)
    pdf.set_creation_date(FIXED_DATE)  # the same text gives the same bytes, so re-seeding is a no-op
    pdf.set_margins(20, 20, 20)
    pdf.add_page()
    for block in markdown.split("\n\n"):
        block = block.strip()
        if not block:
            continue
        heading = markdown_heading(block)
        if heading:
            level, text = heading
            pdf.set_font("Helvetica", "B", _SIZES.get(level, 11))
            pdf.multi_cell(0, 8, text, new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
            continue
        pdf.set_font("Helvetica", "", 11)
        for line in block.splitlines():
            text = f"  - {line.strip()[2:]}" if line.strip().startswith("- ") else line.strip()
            pdf.multi_cell(0, 6, text, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(3)
    pdf.output(str(target))
