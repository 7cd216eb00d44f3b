"""PDF and plain-text files -> pages of clean text blocks in reading order.

The engines in `policyscan.pdf` read positioned words; the layout rules in
`policyscan.pdf.layout` turn them into blocks. This module chooses the engine
and falls back to pdfplumber for a file PDFium cannot open.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import DamagedPDFError, InputError, NoTextError, TooLargeError
from .fileio import read_text
from .pdf.layout import join_lines, pages_from_raw, plain_text_page
from .pdf.streams import StreamCheck, check_streams
from .pdf.words import RawPage, Word, normalize_text, undecodable
from .progress import counted
from .records import Extraction

__all__ = [
    "ENGINES",
    "EXTRACTOR_VERSION",
    "Limits",
    "Word",
    "extract_file",
    "extract_pdf",
    "extract_text_file",
    "join_lines",
    "normalize_text",
]

#: Bumped whenever extraction output can change, so cached results are rebuilt (5: the rotated-text warning of
#: 55c947f changed the warnings without a bump, and caches filled before it kept giving the old text).
EXTRACTOR_VERSION = "5"

#: Text engines; the first is the default. Both feed the same layout rules.
ENGINES = ("pdfium", "pdfplumber")


@dataclass(frozen=True)
class Limits:
    """What one document may take, so that no PDF holds up or exhausts a batch; each has an environment variable to raise it."""

    pages: int = 5_000
    characters: int = 20_000_000
    seconds: float = 600.0
    inflated_mb: int = 512

    def __post_init__(self) -> None:
        if self.pages < 1 or self.characters < 1 or self.seconds < 0 or self.inflated_mb < 1:
            raise ValueError("limits must be positive")

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, raised or lowered by $POLICYSCAN_MAX_PAGES, $POLICYSCAN_MAX_CHARACTERS and $POLICYSCAN_MAX_SECONDS."""
        default = cls()
        return cls(
            pages=int(os.environ.get(LIMIT_ENV["pages"], default.pages)),
            characters=int(os.environ.get(LIMIT_ENV["characters"], default.characters)),
            seconds=float(os.environ.get(LIMIT_ENV["seconds"], default.seconds)),
            inflated_mb=int(os.environ.get(LIMIT_ENV["inflated_mb"], default.inflated_mb)),
        )


LIMIT_ENV = {
    "pages": "POLICYSCAN_MAX_PAGES",
    "characters": "POLICYSCAN_MAX_CHARACTERS",
    "seconds": "POLICYSCAN_MAX_SECONDS",
    "inflated_mb": "POLICYSCAN_MAX_INFLATED_MB",
}
#: Set to 1 to read image-only pages with Tesseract (the command line's --ocr sets it).
OCR_ENV = "POLICYSCAN_OCR"


def ocr_requested() -> bool:
    """True when $POLICYSCAN_OCR asks for OCR of pages without a text layer."""
    return os.environ.get(OCR_ENV, "").strip().lower() in {"1", "true", "yes", "on"}


def _read(path: Path, engine: str, limits: Limits) -> tuple[list[RawPage], list[str], StreamCheck]:
    """The raw pages of a PDF with the chosen engine; a file PDFium cannot open is read with pdfplumber, which reads it or names the problem."""
    from .pdf import plumber

    streams = check_streams(path, limits.inflated_mb << 20)
    if streams.over:
        raise TooLargeError(
            path,
            f"too large: a compressed stream inflates to more than {limits.inflated_mb:,} MB"
            f" (raise the limit with {LIMIT_ENV['inflated_mb']})",
        )
    damaged = [f"{_damaged(streams)}: text may be missing"] if streams.damaged else []
    if engine == "pdfplumber":
        pages, warnings = _collect(path, plumber.read_pages(path), limits)
        return pages, damaged + warnings, streams
    from .pdf import pdfium

    try:
        pages, warnings = _collect(path, pdfium.read_pages(path), limits)
        return pages, damaged + warnings, streams
    except TooLargeError:
        raise
    except DamagedPDFError:
        pages, warnings = _collect(path, plumber.read_pages(path), limits)
        return pages, ["PDFium could not open the file; read with pdfplumber instead", *damaged, *warnings], streams


def _damaged(streams: StreamCheck) -> str:
    return f"damaged compressed streams: {streams.damaged} of {streams.streams}"


def _collect(path: Path, raw_pages: Iterator[RawPage], limits: Limits) -> tuple[list[RawPage], list[str]]:
    """The readable pages and the problems of the others, stopped with TooLargeError at the first limit passed."""
    pages, warnings = [], []
    started, characters = time.monotonic(), 0
    for raw in raw_pages:
        if raw.number > limits.pages:
            raise TooLargeError(path, f"too large: more than {limits.pages:,} pages (raise the limit with {LIMIT_ENV['pages']})")
        if raw.problem:
            warnings.append(raw.problem)
        else:
            pages.append(raw)
            characters += sum(len(w.text) for w in raw.words) + sum(len(t) for t in raw.tables)
        if characters > limits.characters:
            raise TooLargeError(
                path, f"too large: more than {limits.characters:,} characters of text (raise the limit with {LIMIT_ENV['characters']})"
            )
        if time.monotonic() - started > limits.seconds:
            raise TooLargeError(
                path, f"took too long: over {limits.seconds:g} s at page {raw.number} (raise the limit with {LIMIT_ENV['seconds']})"
            )
    return pages, warnings


_PAGE_WARNING = re.compile(r"^page (\d+)(:| skipped:) (.*)$")


READ_BY_OCR = "read by OCR"
_OCR_WARNING = re.compile(rf"^pages? (\d+)(?:-(\d+))?: {READ_BY_OCR}$")


def ocr_pages(warnings: Sequence[str]) -> int:
    """How many pages a document's warnings say were read by OCR ("page 4: read by OCR", "pages 2-9: read by OCR")."""
    found = (_OCR_WARNING.match(w) for w in warnings)
    return sum(int(m[2] or m[1]) - int(m[1]) + 1 for m in found if m)


def collapse_warnings(warnings: list[str]) -> list[str]:
    """Warnings with runs of consecutive pages that share a message folded into one ("pages 2-5000: no text layer")."""
    out: list[str] = []
    run: tuple[int, int, str, str] | None = None  # first page, last page, separator, message
    for warning in [*warnings, ""]:
        match = _PAGE_WARNING.match(warning)
        if run and match and int(match[1]) == run[1] + 1 and (match[2], match[3]) == run[2:]:
            run = (run[0], int(match[1]), run[2], run[3])
            continue
        if run:
            pages = f"page {run[0]}" if run[0] == run[1] else f"pages {run[0]}-{run[1]}"
            out.append(f"{pages}{run[2]} {run[3]}")
        run = (int(match[1]), int(match[1]), match[2], match[3]) if match else None
        if not match and warning:
            out.append(warning)
    return out


def _read_by_ocr(path: Path, raw_pages: list[RawPage]) -> list[str]:
    """Words for the pages without text, read with Tesseract; the warnings of pages it could not read."""
    from .pdf import ocr

    if not ocr.available():
        return [f"OCR requested but not available: {ocr.INSTALL}"]
    warnings = []
    for raw in raw_pages:
        if raw.words or raw.tables:
            continue
        try:
            raw.words, raw.width, raw.height = ocr.read_page(path, raw.number)
            raw.ocr = True
        except (OSError, subprocess.SubprocessError) as exc:
            warnings.append(f"page {raw.number}: OCR failed ({type(exc).__name__})")
    return warnings


def _read_ligatures(raw_pages: list[RawPage]) -> list[str]:
    """Private-use characters that stand for ligatures replaced, in place, by the letters they most likely are; a warning
    names each guess."""
    from .pdf import ligatures

    held = [w.text for raw in raw_pages for w in raw.words if ligatures.has_private(w.text)]
    held += [t for raw in raw_pages for t in raw.tables if ligatures.has_private(t)]
    if not held:
        return []
    choice = ligatures.guess(held)
    for raw in raw_pages:
        raw.words = [w._replace(text=ligatures.replace(w.text, choice)) if ligatures.has_private(w.text) else w for w in raw.words]
        raw.tables = [ligatures.replace(t, choice) for t in raw.tables]
    guesses = ", ".join(f"U+{ord(code):04X} as '{letters}'" for code, letters in sorted(choice.items()))
    return [f"ligatures without a Unicode map read as letters ({counted(len(held), 'word')}): {guesses}"]


def _no_text_reason(garbled: list[int], rotated: list[int], ocr_on: bool) -> str:
    from .pdf import ocr

    missing = f"; {ocr.INSTALL}" if ocr_on and not ocr.available() else ""
    if garbled:
        return f"text cannot be decoded (fonts without a Unicode map): needs OCR{missing}"
    if rotated:
        return "no upright text: all text is rotated and was not read (the pdfium engine reads pages turned with /Rotate)"
    return f"no text layer (scanned or image-only PDF): needs OCR{missing}"


#: A PDF with fewer words than this in all is named in a warning: researchers expect a policy document, not a slip.
FEW_WORDS = 20
#: Rotated text shorter than this many characters on a page is about one line (a stamp or a reference in the margin).
SHORT_ROTATED = 100
SHORT_ROTATED_NOTE = f" (one short line, under {SHORT_ROTATED} characters)"


def extract_pdf(path: str | Path, engine: str = ENGINES[0], limits: Limits | None = None, ocr: bool | None = None) -> Extraction:
    """The pages of a PDF as clean text blocks; raises an InputError for a file that cannot be read or passes a limit.

    With `ocr` (default: $POLICYSCAN_OCR) pages without a text layer are read with Tesseract.
    """
    path = Path(path)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    limits = limits or Limits.from_env()
    with _deadline(path, limits.seconds):
        return _extract_pdf(path, engine, limits, ocr)


@contextlib.contextmanager
def _deadline(path: Path, seconds: float) -> Iterator[None]:
    """Stop the work inside with "took too long" after `seconds`, also within a page (an alarm signal; main thread only, and
    only when no other alarm is set: elsewhere the check between pages still holds)."""
    usable = hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread() and seconds > 0
    if not usable or signal.getitimer(signal.ITIMER_REAL)[0] > 0:
        yield
        return

    def expire(signum: int, frame: object) -> None:
        raise TooLargeError(path, f"took too long: over {seconds:g} s (raise the limit with {LIMIT_ENV['seconds']})")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def _extract_pdf(path: Path, engine: str, limits: Limits, ocr: bool | None) -> Extraction:
    """`extract_pdf` without the deadline."""
    raw_pages, warnings, streams = _read(path, engine, limits)
    warnings += _read_ligatures(raw_pages)
    if not raw_pages:
        raise DamagedPDFError(path, "damaged PDF: no page could be read (" + "; ".join(collapse_warnings(warnings)) + ")")
    garbled = [raw.number for raw in raw_pages if undecodable(raw.words)]
    for raw in raw_pages:
        if raw.number in garbled:
            raw.words = []  # glyph codes, not text: never sentences
    ocr_on = ocr if ocr is not None else ocr_requested()
    if ocr_on:
        warnings += _read_by_ocr(path, raw_pages)
        garbled = [n for n in garbled if not any(r.number == n and r.ocr for r in raw_pages)]
    pages, bare = pages_from_raw(raw_pages)
    rotated = [raw.number for raw in raw_pages if raw.rotated]
    if not any(p.blocks for p in pages):
        if streams.damaged:
            raise DamagedPDFError(path, f"damaged PDF: no text could be read ({_damaged(streams)})")
        raise NoTextError(path, _no_text_reason(garbled, rotated, ocr_on))
    warnings += [f"page {number}: text cannot be decoded (font without a Unicode map), needs OCR" for number in garbled]
    warnings += [  # a short one is a margin stamp, not a turned table
        f"page {raw.number}: rotated text not read" + (SHORT_ROTATED_NOTE if raw.rotated < SHORT_ROTATED else "")
        for raw in raw_pages
        if raw.rotated
    ]
    warnings += [f"page {number}: no text layer, needs OCR" for number in bare if number not in rotated and number not in garbled]
    read = [raw.number for raw in raw_pages if raw.ocr]
    warnings += [f"page {number}: {READ_BY_OCR}" for number in read]
    words = sum(len(block.text.split()) for page in pages for block in page.blocks)
    if words < FEW_WORDS:
        warnings.append(
            f"almost no text: {counted(words, 'word')} on {counted(len(raw_pages), 'page')}"
            " (a placeholder, a cover sheet, or a scan whose text layer is not the page: check the PDF, try --ocr)"
        )
    return Extraction(str(path), tuple(pages), tuple(collapse_warnings(warnings)))


def extract_text_file(path: str | Path) -> Extraction:
    """A plain-text file as one page; blank lines separate blocks, short unpunctuated lines are headings."""
    path = Path(path)
    raw = read_text(path)  # by BOM or content: UTF-8, UTF-16 (Notepad's "Unicode") or Windows-1252 with a warning
    page = plain_text_page(raw)
    if not page.blocks:
        raise NoTextError(path, "empty text file")
    return Extraction(str(path), (page,), ())


def extract_file(path: str | Path, engine: str = ENGINES[0], limits: Limits | None = None, ocr: bool | None = None) -> Extraction:
    """Extract a PDF or a .txt file, chosen by suffix."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    if path.suffix.lower() == ".txt":
        return extract_text_file(path)
    return extract_pdf(path, engine=engine, limits=limits, ocr=ocr)
