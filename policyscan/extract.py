"""PDF and plain-text files -> pages of clean text blocks in reading order.

The engines in `policyscan.pdf` read positioned words; the layout rules in
`policyscan.pdf.layout` turn them into blocks. This module chooses the engine
and falls back to pdfplumber for a file PDFium cannot open.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from .errors import DamagedPDFError, InputError, NoTextError
from .pdf.layout import join_lines, pages_from_raw, plain_text_page
from .pdf.words import RawPage, Word, normalize_text
from .records import Extraction

__all__ = ["ENGINES", "EXTRACTOR_VERSION", "Word", "extract_file", "extract_pdf", "extract_text_file", "join_lines", "normalize_text"]

#: Bumped whenever extraction output can change, so cached results are rebuilt.
EXTRACTOR_VERSION = "3"

#: Text engines; the first is the default. Both feed the same layout rules.
ENGINES = ("pdfium", "pdfplumber")


def _read(path: Path, engine: str) -> tuple[list[RawPage], list[str]]:
    """The raw pages of a PDF with the chosen engine; a file PDFium cannot open is read with pdfplumber, which reads it or names the problem."""
    from .pdf import plumber

    if engine == "pdfplumber":
        return _collect(plumber.read_pages(path))
    from .pdf import pdfium

    try:
        return _collect(pdfium.read_pages(path))
    except DamagedPDFError:
        pages, warnings = _collect(plumber.read_pages(path))
        return pages, ["PDFium could not open the file; read with pdfplumber instead", *warnings]


def _collect(raw_pages: Iterator[RawPage]) -> tuple[list[RawPage], list[str]]:
    pages, warnings = [], []
    for raw in raw_pages:
        if raw.problem:
            warnings.append(raw.problem)
        else:
            pages.append(raw)
    return pages, warnings


def extract_pdf(path: str | Path, engine: str = ENGINES[0]) -> Extraction:
    """The pages of a PDF as clean text blocks; raises an InputError for a file that cannot be read."""
    path = Path(path)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    raw_pages, warnings = _read(path, engine)
    if not raw_pages:
        raise DamagedPDFError(path, "damaged PDF: no page could be read (" + "; ".join(warnings) + ")")
    pages, bare = pages_from_raw(raw_pages)
    if not any(p.blocks for p in pages):
        raise NoTextError(path, "no text layer (scanned or image-only PDF): needs OCR")
    warnings += [f"page {number}: no text layer, needs OCR" for number in bare]
    return Extraction(str(path), tuple(pages), tuple(warnings))


def extract_text_file(path: str | Path) -> Extraction:
    """A plain-text file as one page; blank lines separate blocks, short unpunctuated lines are headings."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raw = path.read_text(encoding="cp1252")
    page = plain_text_page(raw)
    if not page.blocks:
        raise NoTextError(path, "empty text file")
    return Extraction(str(path), (page,), ())


def extract_file(path: str | Path, engine: str = ENGINES[0]) -> Extraction:
    """Extract a PDF or a .txt file, chosen by suffix."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    if path.suffix.lower() == ".txt":
        return extract_text_file(path)
    return extract_pdf(path, engine=engine)
