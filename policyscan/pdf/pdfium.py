"""The fast engine: positioned words and ruled tables read with PDFium (pypdfium2)."""

from __future__ import annotations

import ctypes
import math
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..errors import DamagedPDFError, EncryptedPDFError
from .words import ENCRYPTED, Box, RawPage, Word, check_pdf_bytes, inside, is_bold_font, normalize_text, outside, read_isolated

_SPACES = {" ", "\t", "\r", "\n", "\u00a0"}
#: PDFium reports a hyphen at a line end as U+0002 (shown as U+FFFE); it is a plain "-" to the layout rules.
_LINE_END_HYPHEN = {"\ufffe", "\x02"}
_FONT_BUFFER = 128
#: A path at least this share of the page's width and height is a background or a border.
_PAGE_SIZED = 0.8
#: A filled path covering at least this share of the page is a background panel or a drawing.
_PANEL = 0.25
_TOUCH = 1.5
_GRID = 64.0


def _open(path: Path) -> pdfium.PdfDocument:
    check_pdf_bytes(path)
    try:
        return pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        if "password" in str(exc).lower():
            raise EncryptedPDFError(path, ENCRYPTED) from exc
        raise DamagedPDFError(path, f"damaged PDF ({exc})") from exc


class _Style:
    """A character's effective size and boldness, with buffers reused across characters."""

    def __init__(self) -> None:
        self.buffer = ctypes.create_string_buffer(_FONT_BUFFER)
        self.flags = ctypes.c_int()
        self.matrix = pdfium_c.FS_MATRIX()

    def size(self, textpage, index: int) -> float:
        """The font size times the scale of the text matrix: producers often write `1 Tf` and scale with `Tm`."""
        scale = 1.0
        if pdfium_c.FPDFText_GetMatrix(textpage, index, self.matrix):
            m = self.matrix
            scale = math.sqrt(abs(m.a * m.d - m.b * m.c)) or 1.0
        return round(pdfium_c.FPDFText_GetFontSize(textpage, index) * scale, 2)

    def bold(self, textpage, index: int) -> bool:
        """Bold by the font's name or by stroked glyph outlines; PDFium's weight is guessed from stem widths and unreliable."""
        pdfium_c.FPDFText_GetFontInfo(textpage, index, self.buffer, _FONT_BUFFER, ctypes.byref(self.flags))
        if is_bold_font(self.buffer.value.decode("latin-1", "replace")):
            return True
        obj = pdfium_c.FPDFText_GetTextObject(textpage, index)
        return bool(obj) and pdfium_c.FPDFTextObj_GetTextRenderMode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE


def _words(page: pdfium.PdfPage, width: float, height: float, style: _Style) -> tuple[list[Word], int, int]:
    """Words from PDFium's characters (split at spaces, at line changes and at wide gaps) in the frame where most text reads left to right.

    Also returns how many characters at another angle were left out, and the quarter turns of that frame.
    """
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return [], 0, 0
        text = textpage.get_text_range(0, count)[:count]
        raw = textpage.raw
        turns = [_quarter(pdfium_c.FPDFText_GetCharAngle(raw, i)) for i in range(len(text))]
        turn = Counter(t for t, ch in zip(turns, text, strict=True) if ch not in _SPACES).most_common(1)
        turn = turn[0][0] if turn and turn[0][0] is not None else 0
        rect = pdfium_c.FS_RECTF()
        words: list[Word] = []
        chars: list[str] = []
        box: list[float] = []
        size = 0.0
        bold = False
        rotated = 0
        for i, ch in enumerate(text):
            ch = "-" if ch in _LINE_END_HYPHEN else ch
            if ch not in _SPACES and turns[i] != turn:
                rotated += 1
                continue
            if ch in _SPACES or pdfium_c.FPDFText_GetUnicode(raw, i) == 0:
                if chars:
                    words.append(Word("".join(chars), box[0], box[1], box[2], box[3], size, bold))
                    chars = []
                continue
            pdfium_c.FPDFText_GetLooseCharBox(raw, i, rect)
            x0, x1, y_top, y_bottom = _upright(rect, turn, width, height)
            if chars and (abs(y_top - box[2]) > 0.5 * size or x0 - box[1] > 0.25 * size or x0 < box[1] - size):
                words.append(Word("".join(chars), box[0], box[1], box[2], box[3], size, bold))
                chars = []
            if not chars:
                size = style.size(raw, i)
                bold = style.bold(raw, i)
                box = [x0, x1, y_top, y_bottom]
            else:
                box[1] = max(box[1], x1)
            chars.append(ch)
        if chars:
            words.append(Word("".join(chars), box[0], box[1], box[2], box[3], size, bold))
        return [w for w in words if w.text.strip()], rotated, turn
    finally:
        textpage.close()


def _quarter(angle: float) -> int | None:
    """A character's angle in quarter turns clockwise, as PDFium measures it (0-3), or None between them; PDFium gives -1 when it cannot tell."""
    if angle < 0:
        return 0
    quarters = round(angle / (math.pi / 2))
    return quarters % 4 if abs(angle - quarters * math.pi / 2) < 0.1 else None


def _upright(rect, turn: int, width: float, height: float) -> tuple[float, float, float, float]:
    """A character box as (x0, x1, top, bottom) from the top-left, in the page turned so that text at `turn` quarter turns reads left to right."""
    left, right, bottom, top = rect.left, rect.right, rect.bottom, rect.top
    if turn == 3:  # reads upwards
        return bottom, top, left, right
    if turn == 2:
        return width - right, width - left, bottom, top
    if turn == 1:  # reads downwards
        return height - top, height - bottom, width - right, width - left
    return left, right, height - top, height - bottom


def _path_boxes(page: pdfium.PdfPage, width: float, height: float) -> list[Box]:
    """Bounding boxes (x0, top, x1, bottom) of the page's vector paths, without page-sized backgrounds and borders."""
    boxes = []
    for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_PATH], max_depth=2):
        x0, y0, x1, y1 = obj.get_bounds()
        if x1 - x0 >= _PAGE_SIZED * width and y1 - y0 >= _PAGE_SIZED * height:
            continue  # a white box behind the page or a border around it: no table
        if (x1 - x0) * (y1 - y0) >= _PANEL * width * height and not _outline(obj):
            continue  # a large filled shape is a background panel or a drawing, not a table's rules
        boxes.append((x0, height - y1, x1, height - y0))
    return boxes


def _outline(obj) -> bool:
    """True for a path that is only stroked (an outline), not filled."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    ok = pdfium_c.FPDFPath_GetDrawMode(obj.raw, ctypes.byref(fill), ctypes.byref(stroke))
    return bool(ok) and fill.value == 0 and bool(stroke.value)


def _touch(a: Box, b: Box, tol: float = _TOUCH) -> bool:
    return a[0] <= b[2] + tol and b[0] <= a[2] + tol and a[1] <= b[3] + tol and b[1] <= a[3] + tol


def _clusters(boxes: list[Box]) -> list[list[Box]]:
    """Groups of path boxes that touch each other (a grid of cells or rules), found through a coarse grid, not by comparing every pair."""
    parent = list(range(len(boxes)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    cells: dict[tuple[int, int], list[int]] = {}
    large: list[int] = []
    for i, box in enumerate(boxes):
        span = _grid_span(box)
        if span is None:
            large.append(i)
            continue
        for key in span:
            for j in cells.setdefault(key, []):
                if root(i) != root(j) and _touch(box, boxes[j]):
                    parent[root(i)] = root(j)
            cells[key].append(i)
    for i in large:
        for j in range(len(boxes)):
            if i != j and root(i) != root(j) and _touch(boxes[i], boxes[j]):
                parent[root(i)] = root(j)
    groups: dict[int, list[Box]] = {}
    for i, box in enumerate(boxes):
        groups.setdefault(root(i), []).append(box)
    return list(groups.values())


def _grid_span(box: Box) -> list[tuple[int, int]] | None:
    """The grid cells a box (grown by the touch tolerance) covers, or None for a box too large for the grid."""
    x0, x1 = int((box[0] - _TOUCH) // _GRID), int((box[2] + _TOUCH) // _GRID)
    y0, y1 = int((box[1] - _TOUCH) // _GRID), int((box[3] + _TOUCH) // _GRID)
    if (x1 - x0 + 1) * (y1 - y0 + 1) > 64:
        return None
    return [(x, y) for x in range(x0, x1 + 1) for y in range(y0, y1 + 1)]


def _has_inner_grid(group: list[Box], bbox: Box) -> bool:
    """True when rules or cell edges run inside the group's outline both across and down, as in a table, not a frame."""
    inner_x = any(bbox[0] + _TOUCH < x < bbox[2] - _TOUCH for b in group for x in (b[0], b[2]))
    inner_y = any(bbox[1] + _TOUCH < y < bbox[3] - _TOUCH for b in group for y in (b[1], b[3]))
    return inner_x and inner_y


def _tables(words: list[Word], boxes: list[Box]) -> tuple[list[Box], list[str]]:
    """Ruled tables: clusters of at least four paths spanning two rows and two columns with an inner grid, with their text."""
    found, texts = [], []
    for group in _clusters(boxes):
        lefts = {round(b[0]) for b in group} | {round(b[2]) for b in group}
        tops = {round(b[1]) for b in group} | {round(b[3]) for b in group}
        if len(group) < 4 or len(lefts) < 3 or len(tops) < 3:
            continue
        bbox = (min(b[0] for b in group), min(b[1] for b in group), max(b[2] for b in group), max(b[3] for b in group))
        if not _has_inner_grid(group, bbox):
            continue
        cells = [w for w in words if inside(w, bbox)]
        if not cells:
            continue
        found.append(bbox)
        texts.append(_table_text(cells, sorted(lefts)))
    return found, texts


def _table_text(words: list[Word], edges: list[int]) -> str:
    """Rows top to bottom, cells split at the vertical rules, as 'a | b | c' lines."""
    rows: dict[float, list[Word]] = {}
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        key = next((k for k in rows if abs(k - word.top) < 0.5 * (word.bottom - word.top)), word.top)
        rows.setdefault(key, []).append(word)
    lines = []
    for key in sorted(rows):
        cells: dict[int, list[str]] = {}
        for word in sorted(rows[key], key=lambda w: w.x0):
            column = sum(1 for edge in edges if edge <= word.x0)
            cells.setdefault(column, []).append(word.text)
        lines.append(" | ".join(normalize_text(" ".join(cells[c])) for c in sorted(cells)))
    return "\n".join(lines)


def _raw_page(page: pdfium.PdfPage, number: int, style: _Style) -> RawPage:
    width, height = page.get_size()
    words, rotated, turn = _words(page, width, height, style)
    if turn % 2:
        width, height = height, width
    boxes, tables = _tables(words, _path_boxes(page, width, height)) if words and not turn else ([], [])
    return RawPage(number, width, height, outside(words, boxes), tables, rotated=rotated)


def read_pages(path: Path) -> Iterator[RawPage]:
    """The raw pages of a PDF, read with PDFium; a page that fails comes back with `problem` set."""
    document = _open(path)
    style = _Style()
    try:
        if len(document) == 0:
            raise DamagedPDFError(path, "damaged PDF: the page tree holds no pages")
        for number in range(1, len(document) + 1):
            try:
                page = document[number - 1]
            except pdfium.PdfiumError as exc:
                yield RawPage(number, 0.0, 0.0, problem=f"page {number} skipped: {exc}")
                continue
            try:
                yield read_isolated(number, lambda page=page, number=number: _raw_page(page, number, style))
            finally:
                page.close()
    finally:
        document.close()
