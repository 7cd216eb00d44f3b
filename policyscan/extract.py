"""PDF and plain-text files -> pages of clean text blocks in reading order.

The layout rules work on positioned words (text, box, font size, bold), so any
engine that yields such words can feed them; pdfplumber is the reference engine.
"""

from __future__ import annotations

import itertools
import re
import statistics
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .errors import DamagedPDFError, EncryptedPDFError, InputError, NotAPDFError, NoTextError
from .fileio import read_text
from .records import Block, Extraction, Page

#: Bumped whenever extraction output can change, so cached results are rebuilt.
EXTRACTOR_VERSION = "2"

#: Text engines; the first is the default. Both feed the same layout rules.
ENGINES = ("pdfium", "pdfplumber")

_LIGATURES = {"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl", "\ufb06": "st"}
_INVISIBLE = dict.fromkeys(map(ord, "\u00ad\u200b\u200c\u200d\u2060\ufeff"), None)
_SPACES = re.compile(r"[\s\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BULLET = re.compile(r"^(?:[\u2022\u25cf\u25aa\u25a0\u25e6\u2023\u2043\u2219\u00b7\u25ba\u27a2\u2013\u2014*>-]|o)\s+")
_LIST_NUMBER = re.compile(r"^(?:(?:\(?\d{1,2}[.)]|\(?[a-z][.)]|\(?[ivx]{1,4}[.)])\s+(?=\S)|\d{1,2}[.)](?=[A-Z]))")
_HEADING_NUMBER = re.compile(r"^\d{1,2}(?:\.\d{1,2})+\.?\s+\S")
_PAGE_NUMBER = re.compile(
    r"^(?:(?:pagina|page|blz\.?|p\.)\s*)?[-\u2013\u2014]?\s*\d{1,4}\s*[-\u2013\u2014]?(?:\s*(?:van|of|/)\s*\d{1,4})?$",
    re.IGNORECASE,
)
_END_PUNCT = ".:;!?\u2026"
_ELISION_NEXT = {"en", "of", "en/of", "tot", "noch", "dan", "als", "én", "c.q.", "and", "or"}
_MARGIN = 0.09


def normalize_text(text: str) -> str:
    """Text with ligatures expanded, soft hyphens dropped and whitespace collapsed."""
    for ligature, letters in _LIGATURES.items():
        text = text.replace(ligature, letters)
    return _SPACES.sub(" ", text.translate(_INVISIBLE)).strip()


@dataclass(frozen=True)
class Word:
    """A positioned word as an engine reports it."""

    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    bold: bool


@dataclass
class _Line:
    words: list[Word]
    column: int = 0
    kind: str = "body"
    text: str = field(init=False, default="")

    def __post_init__(self) -> None:
        self.words.sort(key=lambda w: w.x0)
        self.text = normalize_text(" ".join(w.text for w in self.words))

    @property
    def x0(self) -> float:
        return self.words[0].x0

    @property
    def top(self) -> float:
        return min(w.top for w in self.words)

    @property
    def bottom(self) -> float:
        return max(w.bottom for w in self.words)

    @property
    def size(self) -> float:
        return round(statistics.median(w.size for w in self.words), 1)

    @property
    def bold(self) -> bool:
        return sum(len(w.text) for w in self.words if w.bold) * 2 > len(self.text)


@dataclass
class _RawPage:
    number: int
    width: float
    height: float
    lines: list[_Line]
    tables: list[str]


# ---------------------------------------------------------------- engines


def _check_pdf_bytes(path: Path) -> None:
    with path.open("rb") as handle:
        head = handle.read(1024)
        handle.seek(0, 2)
        size = handle.tell()
        handle.seek(max(0, size - 2048))
        tail = handle.read()
    if b"%PDF-" not in head:
        raise NotAPDFError(path, "not a PDF (no %PDF header)")
    if b"%%EOF" not in tail:
        raise DamagedPDFError(path, "damaged or truncated PDF (no end-of-file marker)")


def _pdf_error(path: Path, exc: Exception) -> InputError:
    inner = exc.args[0] if exc.args and isinstance(exc.args[0], Exception) else exc
    name = type(inner).__name__
    if "Password" in name or "Encrypt" in name:
        return EncryptedPDFError(path, "encrypted PDF (password-protected); remove the password first")
    return DamagedPDFError(path, f"damaged PDF ({name}: {inner})".rstrip(": )") + ")")


def _plumber_words(page) -> list[Word]:
    words = page.extract_words(keep_blank_chars=False, use_text_flow=False, extra_attrs=["size", "fontname"])
    return [
        Word(
            text=w["text"],
            x0=float(w["x0"]),
            x1=float(w["x1"]),
            top=float(w["top"]),
            bottom=float(w["bottom"]),
            size=float(w["size"]),
            bold=_is_bold(w["fontname"]),
        )
        for w in words
        if w.get("upright", True) and w["text"].strip()
    ]


def _is_bold(fontname: str) -> bool:
    return bool(re.search(r"bold|black|heavy|semibold|demi", fontname, re.IGNORECASE))


def _plumber_tables(page) -> tuple[list[tuple[float, float, float, float]], list[str]]:
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


def _inside(word: Word, box: tuple[float, float, float, float]) -> bool:
    x0, top, x1, bottom = box
    cx, cy = (word.x0 + word.x1) / 2, (word.top + word.bottom) / 2
    return x0 <= cx <= x1 and top <= cy <= bottom


def _read_plumber_pages(path: Path) -> tuple[list[_RawPage], list[str]]:
    import pdfplumber
    from pdfplumber.utils.exceptions import PdfminerException

    _check_pdf_bytes(path)
    pages, warnings = [], []
    try:
        pdf = pdfplumber.open(path)
    except PdfminerException as exc:
        raise _pdf_error(path, exc) from exc
    except Exception as exc:  # pdfminer raises many unrelated types on bad files
        raise _pdf_error(path, exc) from exc
    with pdf:
        try:
            plumber_pages = list(pdf.pages)
        except Exception as exc:
            raise _pdf_error(path, exc) from exc
        if not plumber_pages:
            raise DamagedPDFError(path, "PDF has no pages")
        for number, page in enumerate(plumber_pages, 1):
            try:
                pages.append(_raw_page(page, number))
            except Exception as exc:  # isolate a page that makes the parser fail
                warnings.append(f"page {number} skipped: {type(exc).__name__}: {exc}")
            finally:
                page.close()
    return pages, warnings


def _raw_page(page, number: int) -> _RawPage:
    words = _plumber_words(page)
    boxes, tables = _plumber_tables(page)
    if boxes:
        words = [w for w in words if not any(_inside(w, b) for b in boxes)]
    lines = _layout_lines(words, float(page.width), float(page.height))
    return _RawPage(number, float(page.width), float(page.height), lines, tables)


# ---------------------------------------------------------------- layout


def _group_rows(words: list[Word]) -> list[list[Word]]:
    """Words grouped into visual rows by vertical overlap, top to bottom."""
    rows: list[list[Word]] = []
    for word in sorted(words, key=lambda w: (round(w.top, 1), w.x0)):
        if rows:
            last = rows[-1]
            ref_top = statistics.median(w.top for w in last)
            ref_height = max(w.bottom - w.top for w in last) or 1.0
            if abs(word.top - ref_top) <= 0.4 * ref_height:
                last.append(word)
                continue
        rows.append([word])
    return rows


def _find_gutter(words: list[Word], width: float, height: float) -> tuple[float, float] | None:
    """The empty vertical band between two text columns, if the page has one."""
    words = [w for w in words if height * _MARGIN <= w.top and w.bottom <= height * (1 - _MARGIN)]
    if len(words) < 20:
        return None
    lo, hi = int(width * 0.3), int(width * 0.7)
    cover = [0] * (int(width) + 2)
    for w in words:
        for x in range(max(lo, int(w.x0)), min(hi, int(w.x1)) + 1):
            cover[x] += 1
    allowed = max(1, len(words) // 100)
    best, run_start = (0, 0), None
    for x in range(lo, hi + 1):
        if cover[x] <= allowed:
            run_start = x if run_start is None else run_start
            if x - run_start > best[1] - best[0]:
                best = (run_start, x)
        else:
            run_start = None
    if best[1] - best[0] < 8:
        return None
    left = sum(1 for w in words if w.x1 <= best[0] + 1)
    right = sum(1 for w in words if w.x0 >= best[1] - 1)
    if min(left, right) < max(3, 0.03 * len(words)):
        return None
    return float(best[0]), float(best[1])


def _layout_lines(words: list[Word], width: float, height: float) -> list[_Line]:
    """Lines in reading order: per band between full-width lines, left column then right."""
    gutter = _find_gutter(words, width, height)
    rows = _group_rows(words)
    if gutter is None:
        return [_Line(row) for row in rows]
    g0, g1 = gutter
    ordered: list[_Line] = []
    left: list[_Line] = []
    right: list[_Line] = []
    for row in rows:
        if any(w.x0 < g0 and w.x1 > g1 for w in row):
            ordered += left + right + [_Line(row)]
            left, right = [], []
            continue
        lw = [w for w in row if (w.x0 + w.x1) / 2 < (g0 + g1) / 2]
        rw = [w for w in row if (w.x0 + w.x1) / 2 >= (g0 + g1) / 2]
        left += [_Line(lw, column=1)] if lw else []
        right += [_Line(rw, column=2)] if rw else []
    return ordered + left + right


# ---------------------------------------------------------------- running headers and footers


def _margin_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def _in_margin(line: _Line, page: _RawPage) -> str | None:
    if line.top < page.height * _MARGIN:
        return "top"
    if line.bottom > page.height * (1 - _MARGIN):
        return "bottom"
    return None


def _mark_running_lines(pages: list[_RawPage], body_size: float) -> None:
    """Mark headers, footers and page numbers, by repetition and by position."""
    keys: Counter[tuple[str, str]] = Counter()
    for page in pages:
        seen = {(zone, _margin_key(line.text)) for line in page.lines if (zone := _in_margin(line, page))}
        keys.update(seen)
    repeated = {k for k, n in keys.items() if n >= 2 and n >= 0.4 * len(pages)}
    for page in pages:
        for line in page.lines:
            zone = _in_margin(line, page)
            if zone is None:
                continue
            if (zone, _margin_key(line.text)) in repeated or _PAGE_NUMBER.match(line.text):
                line.kind = "running"
            elif line.size <= body_size + 0.5 and _isolated(line, page, zone):
                line.kind = "running"


def _isolated(line: _Line, page: _RawPage, zone: str) -> bool:
    """True when a margin line stands apart from the body text, as a running header or footer does."""
    others = [o for o in page.lines if o is not line and _in_margin(o, page) is None]
    if not others:
        return False
    if zone == "top":
        gap = min(o.top for o in others) - line.bottom
    else:
        gap = line.top - max(o.bottom for o in others)
    return gap > 1.5 * (line.bottom - line.top)


# ---------------------------------------------------------------- lines -> blocks


def _body_size(pages: list[_RawPage]) -> float:
    sizes: Counter[float] = Counter()
    for page in pages:
        for line in page.lines:
            sizes[line.size] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 10.0


def _is_heading(line: _Line, body_size: float) -> bool:
    text = line.text
    if not text or text[-1] in ".:;\u2026" or len(text.split()) > 14 or _BULLET.match(text):
        return False
    if line.size >= body_size + 1.0:
        return True
    if line.bold and any(c.isalpha() for c in text):
        return True
    return bool(_HEADING_NUMBER.match(text)) and len(text.split()) <= 10 and text[-1] not in "!?"


def _list_marker(text: str) -> re.Match[str] | None:
    return _BULLET.match(text) or _LIST_NUMBER.match(text)


@dataclass
class _Draft:
    kind: str
    lines: list[_Line]
    indent: float

    def accepts(self, line: _Line, pitch: float) -> bool:
        last = self.lines[-1]
        if line.kind != "body" or self.kind == "heading" or line.column != last.column:
            return False
        if line.top - last.top > 1.45 * pitch or line.top < last.top or abs(line.size - last.size) > 0.6:
            return False
        if _list_marker(line.text):
            return False
        return not (self.kind == "list_item" and line.x0 < self.indent - 2)


def _line_pitch(pages: list[_RawPage], body_size: float) -> float:
    steps = []
    for page in pages:
        body = [ln for ln in page.lines if ln.kind == "body" and abs(ln.size - body_size) < 0.6]
        steps += [b.top - a.top for a, b in itertools.pairwise(body) if a.column == b.column and 0 < b.top - a.top < 4 * body_size]
    return statistics.median(steps) if steps else body_size * 1.2


def _drafts(page: _RawPage, body_size: float, pitch: float) -> list[_Draft]:
    drafts: list[_Draft] = []
    for line in page.lines:
        if line.kind == "running":
            continue
        if line.kind == "body" and _is_heading(line, body_size):
            line.kind = "heading"
        if drafts and drafts[-1].accepts(line, pitch):
            drafts[-1].lines.append(line)
            continue
        if line.kind == "heading" and drafts and drafts[-1].kind == "heading" and _continues_heading(drafts[-1], line, pitch):
            drafts[-1].lines.append(line)
            continue
        marker = _list_marker(line.text) if line.kind == "body" else None
        kind = "heading" if line.kind == "heading" else "list_item" if marker else "paragraph"
        indent = _text_start(line, marker)
        drafts.append(_Draft(kind, [line], indent))
    return drafts


def _continues(prev: _Draft, nxt: _Draft) -> bool:
    """True when `nxt` carries on a paragraph that `prev` broke off at the end of a column or page."""
    if prev.kind not in ("paragraph", "list_item") or nxt.kind != "paragraph":
        return False
    last, first = prev.lines[-1], nxt.lines[0]
    return last.text[-1:] not in _END_PUNCT and abs(last.size - first.size) <= 0.6


def _join_column_breaks(drafts: list[_Draft]) -> list[_Draft]:
    """Drafts with paragraphs that run on into the next column merged."""
    merged: list[_Draft] = []
    for draft in drafts:
        if merged and _continues(merged[-1], draft):
            last, first = merged[-1].lines[-1], draft.lines[0]
            if first.column != last.column or first.top < last.top:
                merged[-1].lines += draft.lines
                continue
        merged.append(draft)
    return merged


def _continues_heading(draft: _Draft, line: _Line, pitch: float) -> bool:
    last = draft.lines[-1]
    return line.column == last.column and abs(line.size - last.size) < 0.6 and 0 < line.top - last.top <= 1.3 * max(pitch, last.size * 1.2)


def _text_start(line: _Line, marker: re.Match[str] | None) -> float:
    if marker is None or len(line.words) < 2:
        return line.x0
    marker_words = len(marker.group(0).split())
    return line.words[min(marker_words, len(line.words) - 1)].x0


def join_lines(lines: list[str]) -> str:
    """Lines of one block joined; a word hyphenated over a line break is made whole again."""
    text = ""
    for line in (ln.strip() for ln in lines):
        text = _join(text, line) if text else line
    return text


def _join(text: str, nxt: str) -> str:
    """Two lines as one: drop a line-break hyphen, keep a real one, else add a space."""
    if len(text) < 2 or text[-1] not in "-\u00ad" or not text[-2].isalpha() or not nxt:
        return f"{text} {nxt}"
    if text[-1] == "\u00ad":
        return text[:-1] + nxt
    if nxt.split()[0].lower() in _ELISION_NEXT:
        return f"{text} {nxt}"  # "zorg-" + "en welzijnsorganisaties": Dutch elision
    fragment = re.split(r"[\s/(]", text)[-1][:-1]
    acronym = any(c.isupper() for c in fragment[1:]) or (fragment[:1].isupper() and len(fragment) <= 3)
    if acronym or not nxt[:1].islower():
        return text + nxt  # "Wmo-" + "loket", "Noord-" + "Brabant": a real hyphen
    return text[:-1] + nxt


def _block_text(draft: _Draft) -> str:
    texts = [ln.text for ln in draft.lines]
    marker = _list_marker(texts[0]) if draft.kind == "list_item" else None
    if marker:
        texts[0] = texts[0][marker.end() :]
    return normalize_text(join_lines(texts))


def _page_record(number: int, parts: list[tuple[str, str]]) -> Page:
    blocks, cursor, chunks = [], 0, []
    for kind, text in parts:
        if not text:
            continue
        if chunks:
            chunks.append("\n\n")
            cursor += 2
        blocks.append(Block(kind, text, cursor, cursor + len(text)))
        chunks.append(text)
        cursor += len(text)
    return Page(number, "".join(chunks), tuple(blocks))


def _pages_from_raw(raw_pages: list[_RawPage]) -> list[Page]:
    body_size = _body_size(raw_pages)
    _mark_running_lines(raw_pages, body_size)
    pitch = _line_pitch(raw_pages, body_size)
    per_page = [_join_column_breaks(_drafts(raw, body_size, pitch)) for raw in raw_pages]
    for before, after in itertools.pairwise(per_page):
        if before and after and _continues(before[-1], after[0]):
            before[-1].lines += after.pop(0).lines  # a sentence belongs to the page where it starts
    pages = []
    for raw, drafts in zip(raw_pages, per_page, strict=True):
        parts = [(d.kind, _block_text(d)) for d in drafts] + [("table", t) for t in raw.tables]
        pages.append(_page_record(raw.number, parts))
    return pages


# ---------------------------------------------------------------- entry points


def extract_pdf(path: str | Path, engine: str = ENGINES[0]) -> Extraction:
    """The pages of a PDF as clean text blocks; raises an InputError for a file that cannot be read."""
    path = Path(path)
    if engine not in ENGINES:
        raise ValueError(f"unknown engine {engine!r}; choose from {', '.join(ENGINES)}")
    if engine == "pdfium":
        from .engine_pdfium import read_pages
    else:
        read_pages = _read_plumber_pages
    raw_pages, warnings = read_pages(path)
    if not raw_pages:
        raise DamagedPDFError(path, "damaged PDF: no page could be read (" + "; ".join(warnings) + ")")
    pages = _pages_from_raw(raw_pages)
    if not any(p.blocks for p in pages):
        raise NoTextError(path, "no text layer (scanned or image-only PDF): needs OCR")
    warnings += [f"page {p.number}: no text layer, needs OCR" for p in pages if not p.blocks]
    return Extraction(str(path), tuple(pages), tuple(warnings))


def extract_text_file(path: str | Path) -> Extraction:
    """A plain-text file as one page; blank lines separate blocks, short unpunctuated lines are headings."""
    path = Path(path)
    raw = read_text(path)  # by BOM or content: UTF-8, UTF-16 (Notepad's "Unicode") or Windows-1252 with a warning
    parts = []
    for chunk in re.split(r"\n\s*\n", raw.replace("\r\n", "\n")):
        lines = [ln.strip() for ln in chunk.split("\n") if ln.strip()]
        if not lines:
            continue
        text = normalize_text(join_lines(lines))
        marker = _list_marker(text)
        if len(lines) == 1 and text[-1] not in _END_PUNCT and len(text.split()) <= 14:
            parts.append(("heading", text))
        elif marker:
            parts.append(("list_item", text[marker.end() :]))
        else:
            parts.append(("paragraph", text))
    if not parts:
        raise NoTextError(path, "empty text file")
    return Extraction(str(path), (_page_record(1, parts),), ())


def extract_file(path: str | Path, engine: str = ENGINES[0]) -> Extraction:
    """Extract a PDF or a .txt file, chosen by suffix."""
    path = Path(path)
    if not path.is_file():
        raise InputError(path, "file not found")
    if path.suffix.lower() == ".txt":
        return extract_text_file(path)
    return extract_pdf(path, engine=engine)
