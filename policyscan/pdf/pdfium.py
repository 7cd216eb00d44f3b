"""The fast engine: positioned words and ruled tables read with PDFium (pypdfium2)."""

from __future__ import annotations

import ctypes
import math
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from ..errors import DamagedPDFError, EncryptedPDFError
from .words import ENCRYPTED, Box, RawPage, Word, check_pdf_bytes, inside, is_bold_font, normalize_text, outside, read_isolated

try:  # PDFium's per-character calls in a C loop, built from native.c when the package is installed with a C compiler
    from . import native as _native
except ImportError:  # the same calls through ctypes, one per character
    _native = None

_SPACES = {" ", "\t", "\r", "\n", "\u00a0"}
_SPACE_CODES = np.array([ord(c) for c in _SPACES], dtype=np.uint32)
#: The turn of a character whose angle lies between two quarter turns.
_BETWEEN = -1
#: A text object whose matrix turns less than this (in radians, as tan) reads at angle 0: far inside the 0.1 a quarter turn allows.
_UPRIGHT = 0.05
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


def _address(name: str) -> int:
    """The address of PDFium's function `name`, from pypdfium2's binding."""
    return ctypes.cast(getattr(pdfium_c, name), ctypes.c_void_p).value


def _bulk(name: str, restype, *argtypes):
    """PDFium's function `name` on plain addresses and ints, for calls mapped over every character.

    About half the cost per call of pypdfium2's typed binding; PYFUNCTYPE keeps the GIL through the
    call (these calls take well under a microsecond), which saves another tenth.
    """
    return ctypes.PYFUNCTYPE(restype, *argtypes)(_address(name))


_char_angle = _bulk("FPDFText_GetCharAngle", ctypes.c_float, ctypes.c_void_p, ctypes.c_int)
_loose_box = _bulk("FPDFText_GetLooseCharBox", ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
_text_object = _bulk("FPDFText_GetTextObject", ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
_text_index = _bulk("FPDFText_GetTextIndexFromCharIndex", ctypes.c_int, ctypes.c_void_p, ctypes.c_int)
_unicode = _bulk("FPDFText_GetUnicode", ctypes.c_uint, ctypes.c_void_p, ctypes.c_int)
_page_count = _bulk("FPDFPage_CountObjects", ctypes.c_int, ctypes.c_void_p)
_page_object = _bulk("FPDFPage_GetObject", ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int)
_form_count = _bulk("FPDFFormObj_CountObjects", ctypes.c_int, ctypes.c_void_p)
_form_object = _bulk("FPDFFormObj_GetObject", ctypes.c_void_p, ctypes.c_void_p, ctypes.c_ulong)
_object_type = _bulk("FPDFPageObj_GetType", ctypes.c_int, ctypes.c_void_p)
_object_matrix = _bulk("FPDFPageObj_GetMatrix", ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_object_bounds = _bulk("FPDFPageObj_GetBounds", ctypes.c_int, *[ctypes.c_void_p] * 5)
_char_matrix = _bulk("FPDFText_GetMatrix", ctypes.c_int, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p)
_font_size = _bulk("FPDFText_GetFontSize", ctypes.c_double, ctypes.c_void_p, ctypes.c_int)
_font_info = _bulk("FPDFText_GetFontInfo", ctypes.c_ulong, ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_ulong, ctypes.c_void_p)
_render_mode = _bulk("FPDFTextObj_GetTextRenderMode", ctypes.c_int, ctypes.c_void_p)
_object_font_size = _bulk("FPDFTextObj_GetFontSize", ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)
_object_font = _bulk("FPDFTextObj_GetFont", ctypes.c_void_p, ctypes.c_void_p)
_base_font_name = _bulk("FPDFFont_GetBaseFontName", ctypes.c_size_t, ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t)
_draw_mode = _bulk("FPDFPath_GetDrawMode", ctypes.c_int, *[ctypes.c_void_p] * 3)


#: The functions the C loop calls, by address.
_LOOSE_BOX_AT, _CHAR_ANGLE_AT, _TEXT_INDEX_AT, _TEXT_OBJECT_AT = map(
    _address, ("FPDFText_GetLooseCharBox", "FPDFText_GetCharAngle", "FPDFText_GetTextIndexFromCharIndex", "FPDFText_GetTextObject")
)


def _loose_boxes(address: int, indices: np.ndarray) -> np.ndarray:
    """FPDFText_GetLooseCharBox of the characters at `indices`: rows of (left, top, right, bottom) as float32, zeros where it fails."""
    rects = np.zeros((len(indices), 4), dtype=np.float32)  # FS_RECTF
    if _native is not None:
        _native.rects(_LOOSE_BOX_AT, address, indices.astype(np.int32), rects)
    else:
        start = rects.ctypes.data
        deque(map(_loose_box, repeat(address, len(indices)), indices.tolist(), range(start, start + rects.nbytes, 16)), maxlen=0)
    return rects


def _char_angles(address: int, indices: np.ndarray) -> np.ndarray:
    """FPDFText_GetCharAngle of the characters at `indices`, in radians (-1 where PDFium cannot tell)."""
    if _native is None:
        return np.fromiter(map(_char_angle, repeat(address, len(indices)), indices.tolist()), np.float64, len(indices))
    angles = np.zeros(len(indices), dtype=np.float32)
    _native.floats(_CHAR_ANGLE_AT, address, indices.astype(np.int32), angles)
    return angles.astype(np.float64)


def _text_indices(address: int, count: int) -> np.ndarray:
    """FPDFText_GetTextIndexFromCharIndex of the page's first `count` characters: each one's place in the page's text, -1 for none."""
    if _native is None:
        return np.fromiter(map(_text_index, repeat(address, count), range(count)), np.int64, count)
    where = np.zeros(count, dtype=np.int32)
    _native.ints(_TEXT_INDEX_AT, address, np.arange(count, dtype=np.int32), where)
    return where.astype(np.int64)


def _text_objects(address: int, indices: list[int]) -> list[int | None]:
    """FPDFText_GetTextObject of the characters at `indices`: the address of each one's text object, None for none."""
    if _native is None:
        return list(map(_text_object, repeat(address, len(indices)), indices))
    found = np.zeros(len(indices), dtype=np.uint64)
    _native.pointers(_TEXT_OBJECT_AT, address, np.array(indices, dtype=np.int32), found)
    objects = found.tolist()
    return [obj or None for obj in objects] if 0 in objects else objects


class _Style:
    """The effective size and boldness of a page's characters, looked up once per text object (its characters share font and matrix)."""

    def __init__(self, address: int, objects: _Objects) -> None:
        self.address = address
        self.buffer = ctypes.create_string_buffer(_FONT_BUFFER)
        self.flags = ctypes.c_int()
        self.matrix = pdfium_c.FS_MATRIX()
        self.known = _object_styles(objects, self.buffer)
        styles = set(self.known.values())
        # every character is of one of these objects, so when they all look alike no character needs looking up
        self.uniform = styles.pop() if len(styles) == 1 and len(self.known) == len(objects.texts) and not objects.text_in_forms else None

    def __call__(self, indices: list[int]) -> list[tuple[float, bool]]:
        """Size and boldness of the characters at `indices`."""
        if self.uniform is not None:
            return [self.uniform] * len(indices)
        objects = _text_objects(self.address, indices)
        if None in objects:  # a character of no text object: its own lookup
            return [self.known.get(obj) or self._look_up(obj, i) for obj, i in zip(objects, indices, strict=True)]
        for obj, i in dict(zip(reversed(objects), reversed(indices), strict=True)).items():
            if obj not in self.known:
                self._look_up(obj, i)
        return list(map(self.known.__getitem__, objects))

    def _look_up(self, obj: int | None, index: int) -> tuple[float, bool]:
        """The style of the character at `index`, remembered for its text object."""
        style = (self.size(index), self.bold(index))
        if obj is not None:
            self.known[obj] = style
        return style

    def size(self, index: int) -> float:
        """The font size times the scale of the text matrix: producers often write `1 Tf` and scale with `Tm`."""
        scale = 1.0
        if _char_matrix(self.address, index, ctypes.addressof(self.matrix)):
            m = self.matrix
            scale = math.sqrt(abs(m.a * m.d - m.b * m.c)) or 1.0
        return round(_font_size(self.address, index) * scale, 2)

    def bold(self, index: int) -> bool:
        """Bold by the font's name or by stroked glyph outlines; PDFium's weight is guessed from stem widths and unreliable."""
        _font_info(self.address, index, ctypes.addressof(self.buffer), _FONT_BUFFER, ctypes.addressof(self.flags))
        if is_bold_font(self.buffer.value.decode("latin-1", "replace")):
            return True
        obj = _text_object(self.address, index)
        return obj is not None and _render_mode(obj) == pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE


def _object_styles(objects: _Objects, buffer: ctypes.Array) -> dict[int, tuple[float, bool]]:
    """Size and boldness of the text objects outside forms, read from the objects: what `_Style` would find through their characters."""
    count = len(objects.texts)
    sizes = np.zeros(count, dtype=np.float32)
    start = sizes.ctypes.data
    read = list(map(_object_font_size, objects.texts, range(start, start + 4 * count, 4)))
    fonts = list(map(_object_font, objects.texts))
    modes = list(map(_render_mode, objects.texts))
    names: dict[int, str | None] = {}
    styles = {}
    for obj, size, ok, font, mode, (a, b, c, d) in zip(objects.texts, sizes.tolist(), read, fonts, modes, objects.matrices, strict=True):
        if font not in names and font is not None:
            length = _base_font_name(font, ctypes.addressof(buffer), _FONT_BUFFER)
            names[font] = buffer.value.decode("latin-1", "replace") if 0 < length <= _FONT_BUFFER else None
        name = names.get(font)
        if ok and name is not None:  # else its characters are looked up one by one
            scale = math.sqrt(abs(a * d - b * c)) or 1.0
            styles[obj] = (round(size * scale, 2), is_bold_font(name) or mode == pdfium_c.FPDF_TEXTRENDERMODE_FILL_STROKE)
    return styles


def _words(page: pdfium.PdfPage, width: float, height: float, objects: _Objects) -> tuple[list[Word], int, int]:
    """Words from PDFium's characters (split at spaces, at line changes and at wide gaps) in the frame where most text reads left to right.

    Also returns how many characters at another angle were left out, and the quarter turns of that frame.
    The text comes in one call and the boxes in one pass of C calls into a numpy array; the angles too,
    unless `objects` says that every text object reads at angle 0.
    """
    textpage = page.get_textpage()
    try:
        count = textpage.count_chars()
        if count <= 0:
            return [], 0, 0
        address = ctypes.cast(textpage.raw, ctypes.c_void_p).value
        codes, kept = _char_codes(textpage, address, count)
        spaces = np.isin(codes, _SPACE_CODES)
        turn, rotated = 0, 0
        if not objects.upright:
            visible = np.flatnonzero(kept & ~spaces)
            turns = _quarters(_char_angles(address, visible))
            turn = _most_common(turns)
            rotated = visible[turns != turn]
            kept[rotated] = False  # left out without ending the word around them
            rotated = len(rotated)
        # PDFium writes U+FFFE for a line-end hyphen (U+0002) and for a character without Unicode: only the latter ends a word
        odd = np.flatnonzero(kept & ((codes == 0xFFFE) | (codes == 0)))
        spaces[odd[[_unicode(address, i) == 0 for i in odd.tolist()]]] = True
        codes[(codes == 0xFFFE) | (codes == 2)] = ord("-")
        index = np.flatnonzero(kept)
        breaks = spaces[index]
        boxes = _boxes(address, index, breaks, turn, width, height)
        style = _Style(address, objects)
        chars = codes[index].tobytes().decode("utf-32-le")
        words = _group(chars, breaks, boxes, lambda ks: style(index[ks].tolist()))
        if any(ch.isspace() for ch in set(chars) - _SPACES):  # spaces that break no word can make words of nothing else
            words = [w for w in words if w.text.strip()]
        return words, rotated, turn
    finally:
        textpage.close()


def _char_codes(textpage: pdfium.PdfTextPage, address: int, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each character's code point, from the page's text taken in one call, and which characters that text holds.

    PDFium's text leaves out control characters it does not count as text; then each character's place in
    it is looked up, so that no character takes the box of its neighbour.
    """
    codes = _codes(textpage.get_text_range(0, count)[:count])
    if len(codes) == count:
        return codes.copy(), np.ones(count, dtype=bool)
    where = _text_indices(address, count)
    present = (where >= 0) & (where < len(codes))
    if not len(codes):
        return np.full(count, ord(" "), dtype=np.uint32), present
    return np.where(present, codes[np.where(present, where, 0)], ord(" ")).astype(np.uint32), present


def _codes(text: str) -> np.ndarray:
    """The code points of `text` as an array."""
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32)


def _quarters(angles: np.ndarray) -> np.ndarray:
    """Each angle in quarter turns clockwise, as PDFium measures it (0-3), or _BETWEEN; PDFium gives -1 when it cannot tell, read as 0."""
    quarters = np.round(angles / (math.pi / 2))
    turns = np.where(np.abs(angles - quarters * math.pi / 2) < 0.1, quarters % 4, _BETWEEN).astype(np.int64)
    return np.where(angles < 0, 0, turns)


def _most_common(turns: np.ndarray) -> int:
    """The turn most characters have (the first seen among equals), 0 when that is none."""
    if not len(turns):
        return 0
    values, first, counts = np.unique(turns, return_index=True, return_counts=True)
    best = int(values[np.lexsort((first, -counts))[0]])
    return 0 if best == _BETWEEN else best


def _boxes(address: int, index: np.ndarray, breaks: np.ndarray, turn: int, width: float, height: float) -> np.ndarray:
    """The loose boxes of the characters at `index` as rows of (x0, x1, top, bottom) in the upright frame (zeros for breaks)."""
    left, top, right, bottom = _loose_boxes(address, index[~breaks]).astype(np.float64).T
    if turn == 3:  # reads upwards
        upright = (bottom, top, left, right)
    elif turn == 2:
        upright = (width - right, width - left, bottom, top)
    elif turn == 1:  # reads downwards
        upright = (height - top, height - bottom, width - right, width - left)
    else:
        upright = (left, right, height - top, height - bottom)
    boxes = np.zeros((len(index), 4))
    boxes[~breaks] = np.column_stack(upright)
    return boxes


def _group(chars: str, breaks: np.ndarray, boxes: np.ndarray, style: Callable[[list[int]], list[tuple[float, bool]]]) -> list[Word]:
    """Words from characters with their (x0, x1, top, bottom) boxes: split at breaks, where a character leaves the line, after a wide gap and where the text jumps back.

    A run between breaks whose characters each follow on from the one before (the common case) is one word,
    decided with array operations; any other run goes character by character through `_split`.
    """
    letters = np.flatnonzero(~breaks)
    if not len(letters):
        return []
    text = _codes(chars)[letters].tobytes().decode("utf-32-le")
    x0, x1, top, bottom = boxes[letters].T
    run = np.cumsum(breaks)[letters]
    first = np.ones(len(letters), dtype=bool)
    first[1:] = run[1:] != run[:-1]
    starts = np.flatnonzero(first)
    ends = np.append(starts[1:], len(letters))
    styles = style(letters[starts].tolist())
    sizes, bolds = zip(*styles, strict=True)
    size = np.repeat(np.array(sizes, dtype=np.float64), ends - starts)
    head = np.repeat(starts, ends - starts)
    follows = np.ones(len(letters), dtype=bool)
    # the negation of _split's tests, so that NaN (false either way) also sends a run through _split
    follows[1:] = (
        (np.abs(top[1:] - top[head[1:]]) <= 0.5 * size[1:])
        & (x0[1:] - x1[:-1] <= 0.25 * size[1:])
        & (x0[1:] >= x1[:-1] - size[1:])
        & (x1[1:] >= x1[:-1])  # so that the previous character's right edge is the word's
    )
    follows[first] = True
    plain = np.logical_and.reduceat(follows, starts)
    starts, ends = starts.tolist(), ends.tolist()
    texts = [text[s:e] for s, e in zip(starts, ends, strict=True)]
    words = list(
        map(
            Word, texts, x0[starts].tolist(), x1[np.subtract(ends, 1)].tolist(), top[starts].tolist(), bottom[starts].tolist(), sizes, bolds
        )
    )
    if plain.all():
        return words
    out: list[Word] = []
    for word, s, e, ok in zip(words, starts, ends, plain.tolist(), strict=True):
        if ok:
            out.append(word)
        else:
            positions = letters[s:e].tolist()
            out += _split(chars, positions, boxes[positions].tolist(), style)
    return out


def _split(
    chars: str, positions: list[int], boxes: list[list[float]], style: Callable[[list[int]], list[tuple[float, bool]]]
) -> list[Word]:
    """Words from the characters at `positions` (no break between them) with their boxes, one character at a time."""
    words: list[Word] = []
    run: list[str] = []
    box: list[float] = []
    size, bold = 0.0, False
    for k, (x0, x1, y_top, y_bottom) in zip(positions, boxes, strict=True):
        if run and (abs(y_top - box[2]) > 0.5 * size or x0 - box[1] > 0.25 * size or x0 < box[1] - size):
            words.append(Word("".join(run), box[0], box[1], box[2], box[3], size, bold))
            run = []
        if not run:
            size, bold = style([k])[0]
            box = [x0, x1, y_top, y_bottom]
        else:
            box[1] = max(box[1], x1)
        run.append(chars[k])
    if run:
        words.append(Word("".join(run), box[0], box[1], box[2], box[3], size, bold))
    return words


@dataclass
class _Objects:
    """What one walk over a page's objects finds: the vector paths the table search reads, whether all text is upright, and the text objects outside forms with their matrices."""

    paths: list[int] = field(default_factory=list)
    upright: bool = True
    failure: str | None = None
    texts: list[int] = field(default_factory=list)
    matrices: list[tuple[float, float, float, float]] = field(default_factory=list)
    text_in_forms: bool = False


def _walk(page: pdfium.PdfPage) -> _Objects:
    """The page's paths at the top level and one form deep (in drawing order), and whether every text object, in forms at any depth, reads at angle 0.

    PDFium gives each character the matrix of its text object times the matrices of the forms around it, so
    when all those read upright no character needs its own angle.
    """
    found = _Objects()
    matrix = pdfium_c.FS_MATRIX()

    def visit(container: int, form: bool, level: int, outer: tuple[float, float, float, float]) -> None:
        count = (_form_count if form else _page_count)(container)
        objects = list(map(_form_object if form else _page_object, repeat(container, max(count, 0)), range(max(count, 0))))
        if count < 0 or None in objects:
            found.upright = False
            if level <= 1 and found.failure is None:
                found.failure = "Failed to get number of pageobjects." if count < 0 else "Failed to get pageobject."
            return
        for obj, kind in zip(objects, map(_object_type, objects), strict=True):
            if kind == pdfium_c.FPDF_PAGEOBJ_PATH and level <= 1:
                found.paths.append(obj)
            elif kind in (pdfium_c.FPDF_PAGEOBJ_TEXT, pdfium_c.FPDF_PAGEOBJ_FORM):
                if not _object_matrix(obj, ctypes.addressof(matrix)):
                    found.upright = False
                    continue
                a, b, c, d = outer
                m = (matrix.a * a + matrix.b * c, matrix.a * b + matrix.b * d, matrix.c * a + matrix.d * c, matrix.c * b + matrix.d * d)
                if kind == pdfium_c.FPDF_PAGEOBJ_FORM:
                    visit(obj, True, level + 1, m)
                    continue
                if not (m[0] > 0 and abs(m[2]) < _UPRIGHT * m[0]):
                    found.upright = False
                if form:
                    found.text_in_forms = True
                else:
                    found.texts.append(obj)
                    found.matrices.append((matrix.a, matrix.b, matrix.c, matrix.d))

    visit(ctypes.cast(page.raw, ctypes.c_void_p).value, False, 0, (1.0, 0.0, 0.0, 1.0))
    return found


def _path_boxes(objects: _Objects, width: float, height: float) -> list[Box]:
    """Bounding boxes (x0, top, x1, bottom) of the page's vector paths, without page-sized backgrounds and borders."""
    if objects.failure:
        raise pdfium.PdfiumError(objects.failure)
    boxes = []
    bounds = (ctypes.c_float * 4)()  # left, bottom, right, top
    at = [ctypes.addressof(bounds) + 4 * i for i in range(4)]
    for obj in objects.paths:
        if not _object_bounds(obj, *at):
            raise pdfium.PdfiumError("Failed to locate pageobject.")
        x0, y0, x1, y1 = bounds
        if x1 - x0 >= _PAGE_SIZED * width and y1 - y0 >= _PAGE_SIZED * height:
            continue  # a white box behind the page or a border around it: no table
        if (x1 - x0) * (y1 - y0) >= _PANEL * width * height and not _outline(obj):
            continue  # a large filled shape is a background panel or a drawing, not a table's rules
        boxes.append((x0, height - y1, x1, height - y0))
    return boxes


def _outline(obj: int) -> bool:
    """True for a path that is only stroked (an outline), not filled."""
    fill, stroke = ctypes.c_int(), ctypes.c_int()
    ok = _draw_mode(obj, ctypes.addressof(fill), ctypes.addressof(stroke))
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
    """Rows top to bottom, cells split at the vertical rules (`edges`, ascending), as 'a | b | c' lines.

    A word joins the first row whose top lies within half its height of its own. Rows are made in order of
    their tops, all at or above the word's, so that row is found by bisection rather than by trying each;
    on non-finite geometry every row is tried, as the rule reads.
    """
    finite = all(math.isfinite(v) for w in words for v in (w.top, w.bottom, w.x0))
    rows: dict[float, list[Word]] = {}
    tops: list[float] = []
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        half = 0.5 * (word.bottom - word.top)
        if finite:
            i = bisect_left(tops, True, key=lambda k, word=word, half=half: abs(k - word.top) < half)
            key = tops[i] if i < len(tops) else word.top
        else:
            key = next((k for k in rows if abs(k - word.top) < half), word.top)
        if key not in rows:
            tops.append(key)
        rows.setdefault(key, []).append(word)
    lines = []
    for key in sorted(rows):
        cells: dict[int, list[str]] = {}
        for word in sorted(rows[key], key=lambda w: w.x0):
            column = bisect_right(edges, word.x0) if finite else sum(1 for edge in edges if edge <= word.x0)
            cells.setdefault(column, []).append(word.text)
        lines.append(" | ".join(normalize_text(" ".join(cells[c])) for c in sorted(cells)))
    return "\n".join(lines)


def _raw_page(page: pdfium.PdfPage, number: int) -> RawPage:
    width, height = page.get_size()
    objects = _walk(page)
    words, rotated, turn = _words(page, width, height, objects)
    if turn % 2:
        width, height = height, width
    boxes, tables = _tables(words, _path_boxes(objects, width, height)) if words and not turn else ([], [])
    return RawPage(number, width, height, outside(words, boxes), tables, rotated=rotated)


def read_pages(path: Path) -> Iterator[RawPage]:
    """The raw pages of a PDF, read with PDFium; a page that fails comes back with `problem` set."""
    document = _open(path)
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
                yield read_isolated(number, lambda page=page, number=number: _raw_page(page, number))
            finally:
                page.close()
    finally:
        document.close()
