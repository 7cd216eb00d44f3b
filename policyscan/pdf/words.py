"""The engine contract: positioned words and raw pages, plus the checks and helpers both engines share."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

from ..errors import DamagedPDFError, EncryptedPDFError, InputError, NotAPDFError

#: A rectangle on the page as (x0, top, x1, bottom), in points from the top-left corner.
Box = tuple[float, float, float, float]

_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb06": "st"}
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demi", re.IGNORECASE)
ENCRYPTED = "encrypted PDF (password-protected); remove the password first"


def normalize_text(text: str) -> str:
    """Text with ligatures expanded, soft hyphens dropped and whitespace collapsed."""
    for ligature, letters in _LIGATURES.items():
        text = text.replace(ligature, letters)
    return _SPACES.sub(" ", text.translate(_INVISIBLE)).strip()


class Word(NamedTuple):
    """A positioned word as an engine reports it (a named tuple: a page has thousands, and a frozen dataclass took four times as long to make)."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class RawPage:
    """One page as an engine read it: its words outside tables, the tables' text, the characters of rotated text left out; `problem` says why a page was skipped."""

    number: int
    width: float
    height: float
    words: list[Word] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    problem: str | None = None
    rotated: int = 0
    ocr: bool = False


def undecodable(words: list[Word]) -> bool:
    """True when a page's text is mostly not letters or digits: glyph codes from a font without a Unicode map, not language."""
    text = "".join(w.text for w in words)
    return len(text) >= 20 and sum(map(str.isalnum, text)) < 0.3 * len(text)


def is_bold_font(fontname: str) -> bool:
    """True when a font's name says it is bold."""
    return bool(_BOLD_FONT.search(fontname))


def inside(word: Word, box: Box) -> bool:
    """True when the centre of `word` lies in `box`."""
    x0, top, x1, bottom = box
    cx, cy = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
    return x0 <= cx <= x1 and top <= cy <= bottom


def outside(words: list[Word], boxes: list[Box]) -> list[Word]:
    """The words that lie in none of `boxes` (table cells are read as tables, not as lines)."""
    if not boxes:
        return words
    return [w for w in words if not any(inside(w, b) for b in boxes)]


def check_pdf_bytes(path: Path) -> None:
    """Raise when the file is not a PDF or lacks its end-of-file marker."""
    with path.open("rb") as handle:
        if b"%PDF-" not in handle.read(1024):
            raise NotAPDFError(path, "not a PDF (no %PDF header)")
        if not _has_eof_marker(handle):
            raise DamagedPDFError(path, "damaged or truncated PDF (no end-of-file marker)")


def _has_eof_marker(handle: BinaryIO, chunk: int = 1 << 20) -> bool:
    """True when %%EOF occurs anywhere in the file, searched from the end (bytes after it are tolerated, as pdftotext does)."""
    end = handle.seek(0, 2)
    while end > 0:
        start = max(0, end - chunk)
        handle.seek(start)
        if b"%%EOF" in handle.read(end - start + 4):  # overlap so a marker across chunks is found
            return True
        end = start
    return False


def pdf_error(path: Path, exc: Exception) -> InputError:
    """The input error for a parser's exception: encrypted or damaged."""
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    name = type(inner).__name__
    if "Password" in name or "Encrypt" in name:
        return EncryptedPDFError(path, ENCRYPTED)
    return DamagedPDFError(path, f"damaged PDF ({name}: {inner})".rstrip(": )") + ")")


def read_isolated(number: int, read: Callable[[], RawPage]) -> RawPage:
    """`read()`, or a page with `problem` set when the parser fails on this page alone."""
    try:
        return read()
    except InputError:
        raise
    except Exception as exc:  # isolate a page that makes the parser fail
        return RawPage(number, 0.0, 0.0, problem=f"page {number} skipped: {type(exc).__name__}: {exc}")
