"""What an uploaded file really is, judged from its bytes rather than its name."""

import re
import unicodedata
from pathlib import PurePosixPath, PureWindowsPath

PDF = "application/pdf"
TEXT = "text/plain"
MARKDOWN = "text/markdown"
SUFFIXES = {PDF: ".pdf", TEXT: ".txt", MARKDOWN: ".md"}
_MARKDOWN_NAMES = (".md", ".markdown", ".mdown")
_MARKDOWN_SIGNS = re.compile(r"^(#{1,6} |[-*] |\d+\. |> |```)|\[[^\]]+\]\([^)]+\)", re.MULTILINE)


class UnsupportedFile(Exception):
    """An upload that is not a PDF, plain text or Markdown; the message is for a person."""


def sniff(data: bytes, filename: str) -> str:
    """PDF (`%PDF-` in the first KB, as readers accept), else text if it decodes as text, else refused."""
    if b"%PDF-" in data[:1024]:
        return PDF
    name = filename.lower()
    if name.endswith(".pdf"):
        raise UnsupportedFile(f"{display_name(filename)!r} is named .pdf but is not a PDF (no %PDF header)")
    if not data.strip():
        raise UnsupportedFile("the file is empty")
    if not _looks_like_text(data[:65536]):
        raise UnsupportedFile("not a PDF, plain text or Markdown file (binary content)")
    if name.endswith(_MARKDOWN_NAMES) or len(_MARKDOWN_SIGNS.findall(data[:65536].decode("utf-8", "ignore"))) >= 2:
        return MARKDOWN
    return TEXT


def _looks_like_text(head: bytes) -> bool:
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return True  # UTF-16 with a byte-order mark: NULs are expected
    if b"\x00" in head:
        return False
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13, 27))
    return controls <= len(head) * 0.01


def display_name(filename: str) -> str:
    """The name to show: last path component, no control characters, at most 200 characters.

    Only shown and stored as data: files are written under generated names, never this one.
    """
    base = PureWindowsPath(PurePosixPath(filename.replace("\x00", "")).name).name
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C").strip().lstrip(".")
    return (base or "upload")[:200]
