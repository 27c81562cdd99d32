"""Text out of uploaded files, page by page, with the headings each page's text falls under."""

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from charset_normalizer import from_bytes
from pypdf import PdfReader
from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError, PdfStreamError


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
    text = decode_text(path.read_bytes())
    if not text.strip():
        raise ExtractionError("the file is empty: there is no text to index")
    return [Page(0, text)]


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without a BOM) when it is; otherwise the encoding charset-normalizer detects."""
    for bom, codec in ((b"\xef\xbb\xbf", "utf-8-sig"), (b"\xff\xfe", "utf-16"), (b"\xfe\xff", "utf-16")):
        if data.startswith(bom):
            return data.decode(codec, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    best = from_bytes(data).best()
    if best is None:
        raise ExtractionError("the text's encoding could not be recognised: save it as UTF-8 and upload it again")
    return str(best)


def extract_pdf(path: Path) -> list[Page]:
    """Text page by page; pypdf's lenient mode recovers what it can of a damaged file."""
    try:
        reader = PdfReader(path, strict=False)
        if reader.is_encrypted and not reader.decrypt(""):
            raise ExtractionError("encrypted, password required: remove the password and upload it again")
        pages = [Page(i + 1, page.extract_text() or "") for i, page in enumerate(reader.pages)]
    except ExtractionError:
        raise
    except FileNotDecryptedError as exc:
        raise ExtractionError("encrypted, password required: remove the password and upload it again") from exc
    except DependencyError as exc:
        raise ExtractionError(f"encrypted with a cipher this server cannot open ({exc})") from exc
    except (PdfReadError, PdfStreamError) as exc:
        raise ExtractionError(f"unreadable PDF (damaged beyond repair): {exc}") from exc
    except Exception as exc:  # pypdf raises many kinds on broken files; none may take the worker down
        raise ExtractionError(f"unreadable PDF (damaged beyond repair): {type(exc).__name__}: {exc}") from exc
    if not _has_text(pages):
        raise ExtractionError("no extractable text (scanned document): it needs OCR, which this server does not have")
    return pages


def _has_text(pages: list[Page]) -> bool:
    """Any words beyond a label repeated on most pages (image-only files often carry just such a stray label)."""
    texts = [" ".join(p.text.split()) for p in pages]
    counts = Counter(t for t in texts if t)
    repeated = {t for t, n in counts.items() if len(pages) >= 3 and n >= len(pages) / 2 and len(t) < 40}
    return any(_WORDISH.search(t) for t in texts if t not in repeated)


_WORDISH = re.compile(r"\w")


_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*$")


def markdown_heading(line: str) -> tuple[int, str] | None:
    """`## Returns` -> (2, "Returns")."""
    m = _HEADING.match(line.strip())
    return (len(m.group(1)), m.group(2)) if m else None
