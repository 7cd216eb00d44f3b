"""Words of image-only pages, read with Tesseract's Dutch model (the `tesseract` program, Debian's tesseract-ocr and tesseract-ocr-nld).

The page is rendered with PDFium and handed to `tesseract ... tsv`; its word
boxes become `Word`s in points, so the layout rules treat OCR'd pages as any other.
"""

from __future__ import annotations

import functools
import io
import os
import re
import shutil
import statistics
import subprocess
from pathlib import Path

from .words import Word

LANGUAGE = "nld"
#: Rendering resolution: Tesseract reads body text best at about 300 dpi.
DPI = 300
INSTALL = "install Debian's tesseract-ocr and tesseract-ocr-nld"
_MIN_CONFIDENCE = 30.0


@functools.lru_cache(maxsize=1)
def available() -> bool:
    """True when the tesseract program and its Dutch model are installed."""
    exe = shutil.which("tesseract")
    if not exe:
        return False
    try:
        listed = subprocess.run([exe, "--list-langs"], capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return LANGUAGE in listed.stdout.split()


def read_page(path: Path, number: int, timeout: float = 120.0) -> tuple[list[Word], float, float]:
    """The words Tesseract reads on page `number` (1-based) of a PDF, in points from the top-left corner of the page turned upright, and that page's width and height."""
    import pypdfium2 as pdfium

    document = pdfium.PdfDocument(str(path))
    try:
        page = document[number - 1]
        try:
            image = page.render(scale=DPI / 72).to_pil().convert("L")
        finally:
            page.close()
    finally:
        document.close()
    turn = _upright_turn(image, timeout)
    if turn:
        image = image.rotate(-turn, expand=True)  # Tesseract says how far to turn clockwise; PIL turns counter-clockwise
    tsv = _tesseract(image, ["-l", LANGUAGE, "--psm", "3", "tsv"], timeout)
    return words_from_tsv(tsv, 72 / DPI), image.width * 72 / DPI, image.height * 72 / DPI


def _tesseract(image, arguments: list[str], timeout: float) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    # one thread per page: Tesseract's own threads oversubscribe the cores of a batch (measured 2.8 s instead of 17.7 s a page)
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    done = subprocess.run(
        ["tesseract", "stdin", "stdout", *arguments], input=buffer.getvalue(), capture_output=True, timeout=timeout, check=False, env=env
    )
    if done.returncode and arguments[-1] == "tsv":
        raise subprocess.CalledProcessError(done.returncode, "tesseract", done.stdout, done.stderr)
    return done.stdout.decode("utf-8", "replace")


def _upright_turn(image, timeout: float) -> int:
    """Degrees to turn a scanned page clockwise so its text stands upright, from Tesseract's orientation detection (0 when unsure)."""
    report = _tesseract(image, ["--psm", "0"], timeout)
    found = re.search(r"Rotate: (\d+)", report)
    confident = re.search(r"Orientation confidence: ([\d.]+)", report)
    if not found or not confident or float(confident[1]) < 2.0:
        return 0
    return int(found[1]) % 360


def words_from_tsv(tsv: str, scale: float) -> list[Word]:
    """Words from Tesseract's TSV output, in points; a word's size is its line's height, evened out across the page.

    A line's height depends on its letters (ascenders, descenders), so lines within a quarter of the page's
    median height get the median: body text then has one size and headings stand out.
    """
    rows = [line.split("\t") for line in tsv.splitlines()[1:]]
    words = [r for r in rows if len(r) == 12 and r[0] == "5" and r[11].strip() and float(r[10]) >= _MIN_CONFIDENCE]
    lines: dict[tuple[str, ...], float] = {}
    for r in words:
        lines[tuple(r[1:5])] = max(lines.get(tuple(r[1:5]), 0.0), float(r[9]) * scale)
    median = statistics.median(lines.values()) if lines else 0.0
    sizes = {key: round(median if abs(h - median) <= 0.25 * median else h, 1) for key, h in lines.items()}
    out = []
    for r in words:
        left, top, width, height = (float(v) * scale for v in r[6:10])
        out.append(Word(r[11], left, left + width, top, top + height, sizes[tuple(r[1:5])], False))
    return out
