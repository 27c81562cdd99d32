"""Token-sized chunks that keep their page and the section they sit under."""

from dataclasses import dataclass

from langchain_text_splitters import RecursiveCharacterTextSplitter

from concierge.tools.documents.extraction import Page, markdown_heading
from concierge.tools.tokens import DEFAULT_ENCODING, count_tokens, seed_tiktoken_cache

CHUNK_TOKENS = 400
OVERLAP_TOKENS = 50


@dataclass(frozen=True)
class Chunk:
    text: str
    page: int
    section: str
    tokens: int


def _splitter() -> RecursiveCharacterTextSplitter:
    seed_tiktoken_cache()
    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=DEFAULT_ENCODING,
        chunk_size=CHUNK_TOKENS,
        chunk_overlap=OVERLAP_TOKENS,
        separators=["\n\n", "\n", ". ", "? ", "! ", "; ", ", ", " ", ""],
        keep_separator="end",
    )


def chunk_pages(pages: list[Page]) -> list[Chunk]:
    """Split each section (a Markdown heading, or a PDF page's heading-like line) into chunks.

    A chunk never spans two sections, so the section it reports is exact.
    """
    splitter = _splitter()
    chunks: list[Chunk] = []
    for page in pages:
        for section, body in _sections(page.text):
            if not body.strip():
                continue
            for piece in splitter.split_text(body):
                text = f"{section}\n{piece}" if section and not piece.startswith(section) else piece
                chunks.append(Chunk(text.strip(), page.number, section, count_tokens(text)))
    return chunks


def _sections(text: str) -> list[tuple[str, str]]:
    """Cut text at headings; the section is the heading path below the title, e.g. `Returns > Books`."""
    path: list[tuple[int, str]] = []
    sections: list[tuple[str, list[str]]] = [("", [])]
    lines = text.splitlines()
    # Markdown says where its headings are: guessing more from plain lines would cut a spec table
    # ("Weight: 1.62 ounces") into empty sections and lose it.
    marked = any(markdown_heading(line) for line in lines)
    for line in lines:
        heading = markdown_heading(line) or (None if marked else _plain_heading(line))
        if heading is None:
            sections[-1][1].append(line)
            continue
        level, title = heading
        path = [(lv, t) for lv, t in path if lv < level] + [(level, title)]
        below_title = [t for lv, t in path if lv > 1] or [title]
        sections.append((" > ".join(below_title), []))
    return [(name, "\n".join(lines)) for name, lines in sections]


def _plain_heading(line: str) -> tuple[int, str] | None:
    """A heading in text without markup (a PDF page): short, capitalised, unpunctuated."""
    s = line.strip()
    if not (3 <= len(s) <= 60) or not s[0].isupper() or s[-1] in ".,:;!?)-" or s.startswith(("-", "*")):
        return None
    if ": " in s:
        return None  # "Weight: 3 lbs" is a spec line, not a heading
    words = s.split()
    return (2, s) if 1 <= len(words) <= 8 and not any(c.isdigit() for c in s[:2]) else None
