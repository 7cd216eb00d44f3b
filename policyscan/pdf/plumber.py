"""The reference engine: positioned words and ruled tables read with pdfplumber (pdfminer.six)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

from ..errors import DamagedPDFError
from .words import Box, RawPage, Word, check_pdf_bytes, is_bold_font, normalize_text, outside, pdf_error, read_isolated

#: pdfminer writes a character it cannot map to Unicode as "(cid:N)".
_CID = re.compile(r"\(cid:\d+\)")


def _words(page) -> tuple[list[Word], int]:
    """The upright words of a page, and how many characters of rotated text were left out."""
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size", "fontname"])
    upright = [
        Word(
            text=_CID.sub("\ufffd", w["text"]),
            x0=float(w["x0"]),
            x1=float(w["x1"]),
            top=float(w["top"]),
            bottom=float(w["bottom"]),
            size=float(w["size"]),
            bold=is_bold_font(w["fontname"]),
        )
        for w in words
        if w.get("upright", True) and w["text"].strip()
    ]
    return upright, sum(len(w["text"]) for w in words if not w.get("upright", True))


def _tables(page) -> tuple[list[Box], list[str]]:
    if not (page.rects or page.lines):
        return [], []
    boxes, texts = [], []
    for table in page.find_tables():
        rows = table.extract()
        cells = [[normalize_text(c or "") for c in row] for row in rows]
        if len(rows) < 2 or max(len(r) for r in rows) < 2:
            continue
        boxes.append(table.bbox)
        texts.append("\n".join(" | ".join(row) for row in cells))
    return boxes, texts


def _raw_page(page, number: int) -> RawPage:
    boxes, tables = _tables(page)
    words, rotated = _words(page)
    return RawPage(number, float(page.width), float(page.height), outside(words, boxes), tables, rotated=rotated)


def read_pages(path: Path) -> Iterator[RawPage]:
    """The raw pages of a PDF, read with pdfplumber; a page that fails comes back with `problem` set."""
    import pdfplumber

    check_pdf_bytes(path)
    try:
        pdf = pdfplumber.open(path)
    except Exception as exc:  # pdfminer raises many unrelated types on bad files
        raise pdf_error(path, exc) from exc
    with pdf:
        try:
            pages = list(pdf.pages)
        except Exception as exc:
            raise pdf_error(path, exc) from exc
        if not pages:
            raise DamagedPDFError(path, "damaged PDF: the page tree holds no pages")
        for number, page in enumerate(pages, 1):
            try:
                yield read_isolated(number, lambda page=page, number=number: _raw_page(page, number))
            finally:
                page.close()
