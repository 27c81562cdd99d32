"""Text out of uploaded files, page by page, with the headings each page's text falls under."""

import re
from dataclasses import dataclass
from pathlib import Path

from pypdf import PdfReader
from pypdf.errors import PdfReadError


class ExtractionError(Exception):
    """A file whose text cannot be had; the message is for a person."""


@dataclass(frozen=True)
class Page:
    number: int
    """1-based; 0 for formats without pages."""
    text: str


def extract_pages(path: Path, media_type: str) -> list[Page]:
    if media_type == "application/pdf":
        return extract_pdf(path)
    return [Page(0, path.read_bytes().decode("utf-8", errors="replace"))]


def extract_pdf(path: Path) -> list[Page]:
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError("encrypted, password required")
        pages = [Page(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
    except PdfReadError as exc:
        raise ExtractionError(f"unreadable PDF: {exc}") from exc
    if not any(p.text.strip() for p in pages):
        raise ExtractionError("no extractable text (scanned document)")
    return pages


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")


def markdown_heading(line: str) -> tuple[int, str] | None:
    """`## Returns` -> (2, "Returns")."""
    m = _HEADING.match(line.strip())
    return (len(m.group(1)), m.group(2)) if m else None
