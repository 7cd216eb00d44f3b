"""The layout rules: positioned words -> lines in reading order -> blocks (paragraphs, headings, list items, tables).

Running headers, footers and page numbers are dropped here, hyphenated line
breaks joined, and paragraphs broken by a column or page end made whole.
"""

from __future__ import annotations

import bisect
import itertools
import math
import re
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from ..records import Block, Page
from .words import RawPage, Word, normalize_text

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
#: Running lines are recognised by repetition within this share of the page from its top or bottom edge.
_EDGE = 0.15


@dataclass
class _Line:
    """A row of words (never changed after it is made, so its extent and size are worked out once)."""

    words: list[Word]
    column: int = 0
    kind: str = "body"
    text: str = field(init=False, default="")
    x0: float = field(init=False, default=0.0)
    top: float = field(init=False, default=0.0)
    bottom: float = field(init=False, default=0.0)
    size: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        self.words.sort(key=lambda w: w.x0)
        self.text = normalize_text(" ".join(w.text for w in self.words))
        self.x0 = self.words[0].x0
        self.top = min(w.top for w in self.words)
        self.bottom = max(w.bottom for w in self.words)
        self.size = round(_median([w.size for w in self.words]), 1)

    @property
    def bold(self) -> bool:
        return sum(len(w.text) for w in self.words if w.bold) * 2 > len(self.text)


def _median(values: list[float]) -> float:
    """statistics.median, without its generality (the same arithmetic)."""
    return _middle(sorted(values))


def _middle(ordered: list[float]) -> float:
    """The median of values already sorted."""
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


@dataclass
class _Sheet:
    """A page's lines in reading order, with its tables."""

    number: int
    width: float
    height: float
    lines: list[_Line]
    tables: list[str]


# ---------------------------------------------------------------- reading order


def _group_rows(words: list[Word]) -> list[list[Word]]:
    """Words grouped into visual rows by vertical overlap, top to bottom (a word joins the last row when its top is near the row's median top)."""
    rows: list[list[Word]] = []
    tops: list[float] = []  # the last row's tops, sorted
    height = 0.0  # the last row's tallest word
    for word in sorted(words, key=lambda w: (round(w.top, 1), w.x0)):
        if rows:
            if abs(word.top - _middle(tops)) <= 0.4 * (height or 1.0):
                rows[-1].append(word)
                bisect.insort(tops, word.top)
                height = max(height, word.bottom - word.top)
                continue
        rows.append([word])
        tops, height = [word.top], word.bottom - word.top
    return rows


def _free_runs(words: list[Word], lo: int, hi: int, allowed: int) -> list[tuple[int, int]]:
    """Maximal runs of whole points in [lo, hi] crossed by at most `allowed` words, from sorted coverage changes (never an array as wide as the page).

    A word covers the whole points from int(x0) to int(x1); the changes of coverage are counted where words start
    and end, and the coverage between two neighbouring change points is their running sum.
    """
    x0 = np.fromiter((w.x0 for w in words), np.float64, len(words))
    x1 = np.fromiter((w.x1 for w in words), np.float64, len(words))
    if not (np.isfinite(x0).all() and np.isfinite(x1).all()):
        for w in words:  # int() of the first coordinate that is not a number raises, as it always did
            int(w.x0), int(w.x1)
    first, last = np.maximum(lo, np.trunc(x0)), np.minimum(hi, np.trunc(x1))
    inside = first <= last
    starts, ends = first[inside].astype(np.int64), last[inside].astype(np.int64) + 1
    points = np.unique(np.concatenate(([lo, hi + 1], starts, ends)))
    change = np.bincount(np.searchsorted(points, starts), minlength=len(points)) - np.bincount(
        np.searchsorted(points, ends), minlength=len(points)
    )
    free = np.cumsum(change)[:-1] <= allowed  # the coverage from each point up to the next
    edges = np.diff(np.concatenate(([False], free, [False])).astype(np.int8))
    opens, closes = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return [(int(points[a]), int(points[b]) - 1) for a, b in zip(opens.tolist(), closes.tolist(), strict=True)]


def _body_words(words: list[Word], height: float) -> list[Word]:
    return [w for w in words if height * _MARGIN <= w.top and w.bottom <= height * (1 - _MARGIN)]


def _find_gutter(words: list[Word], width: float, height: float) -> tuple[float, float] | None:
    """The empty vertical band between two text columns, if the page has one."""
    words = _body_words(words, height)
    if len(words) < 20:
        return None
    runs = _free_runs(words, int(width * 0.3), int(width * 0.7), max(1, len(words) // 100))
    best = max(runs, key=lambda r: r[1] - r[0], default=(0, 0))
    if best[1] - best[0] < 8 or not _splits(words, [best]):
        return None
    return float(best[0]), float(best[1])


def _splits(words: list[Word], gutters: list[tuple[int, int]]) -> bool:
    """True when every column between the gutters holds a fair share of the words."""
    edges = [-math.inf, *(x for g in gutters for x in g), math.inf]
    need = max(3, 0.03 * len(words))
    columns = [sum(1 for w in words if edges[i] - 1 <= w.x0 and w.x1 <= edges[i + 1] + 1) for i in range(0, len(edges), 2)]
    return min(columns) >= need


def _find_gutters(words: list[Word], width: float, height: float) -> list[tuple[float, float]]:
    """The gutters between three text columns when the page has them, else the one between two, else none."""
    body = _body_words(words, height)
    if len(body) >= 30:
        runs = [r for r in _free_runs(body, int(width * 0.2), int(width * 0.8), max(1, len(body) // 100)) if r[1] - r[0] >= 8]
        first = [r for r in runs if width * 0.25 <= (r[0] + r[1]) / 2 <= width * 0.45]
        second = [r for r in runs if width * 0.55 <= (r[0] + r[1]) / 2 <= width * 0.75]
        if first and second:
            pair = [max(first, key=lambda r: r[1] - r[0]), max(second, key=lambda r: r[1] - r[0])]
            if _splits(body, pair):
                return [(float(g[0]), float(g[1])) for g in pair]
    gutter = _find_gutter(words, width, height)
    return [gutter] if gutter else []


def _layout_lines(words: list[Word], width: float, height: float) -> list[_Line]:
    """Lines in reading order: per band between full-width lines, column by column from left to right."""
    gutters = _find_gutters(words, width, height)
    rows = _group_rows(words)
    if not gutters:
        return [_Line(row) for row in rows]
    middles = [(g0 + g1) / 2 for g0, g1 in gutters]
    ordered: list[_Line] = []
    columns: list[list[_Line]] = [[] for _ in range(len(gutters) + 1)]
    for row in rows:
        if any(w.x0 < g0 and w.x1 > g1 for w in row for g0, g1 in gutters):
            ordered += [line for column in columns for line in column] + [_Line(row)]
            columns = [[] for _ in columns]
            continue
        parts: list[list[Word]] = [[] for _ in columns]
        for w in row:
            parts[sum(1 for m in middles if (w.x0 + w.x1) / 2 >= m)].append(w)
        for index, part in enumerate(parts):
            columns[index] += [_Line(part, column=index + 1)] if part else []
    return ordered + [line for column in columns for line in column]


# ---------------------------------------------------------------- running headers and footers


def _margin_key(text: str) -> str:
    return re.sub(r"\d+", "#", text.lower()).strip()


def _in_margin(line: _Line, page: _Sheet, share: float = _MARGIN) -> str | None:
    if line.top < page.height * share:
        return "top"
    if line.bottom > page.height * (1 - share):
        return "bottom"
    return None


def _mark_running_lines(pages: list[_Sheet], body_size: float) -> None:
    """Mark headers, footers and page numbers: by repetition near the edges first, by position in the margin band second.

    A line that runs on into the body (close to it, with a sentence crossing between them) is never dropped.
    """
    keys: Counter[tuple[str, str]] = Counter()
    for page in pages:
        keys.update({(zone, _margin_key(line.text)) for line in page.lines if (zone := _in_margin(line, page, _EDGE))})
    repeated = {k for k, n in keys.items() if n >= 2 and n >= 0.4 * len(pages)}
    for page in pages:
        for line in page.lines:
            zone = _in_margin(line, page, _EDGE)
            if zone is None:
                continue
            neighbour = _neighbour(line, page, zone)
            if _runs_on(line, neighbour, zone) or _runs_on(line, _neighbour(line, page, _OTHER_SIDE[zone]), _OTHER_SIDE[zone]):
                continue
            if (zone, _margin_key(line.text)) in repeated and _apart(line, neighbour, zone, 0.8):
                line.kind = "running"
            elif _in_margin(line, page) and (
                _PAGE_NUMBER.match(line.text) or (line.size <= body_size + 0.5 and _apart(line, neighbour, zone))
            ):
                line.kind = "running"


def _neighbour(line: _Line, page: _Sheet, zone: str) -> _Line | None:
    """The nearest line below a line near the top edge, or above one near the bottom edge (the body side)."""
    slack = 0.3 * (line.bottom - line.top)
    if zone == "top":
        below = [o for o in page.lines if o is not line and o.top >= line.bottom - slack]
        return min(below, key=lambda o: o.top, default=None)
    above = [o for o in page.lines if o is not line and o.bottom <= line.top + slack]
    return max(above, key=lambda o: o.bottom, default=None)


_OTHER_SIDE = {"top": "bottom", "bottom": "top"}


def _gap(line: _Line, neighbour: _Line, zone: str) -> float:
    return neighbour.top - line.bottom if zone == "top" else line.top - neighbour.bottom


def _runs_on(line: _Line, neighbour: _Line | None, zone: str) -> bool:
    """True when an edge line and its neighbour are set as one paragraph and a sentence crosses between them."""
    if neighbour is None or abs(neighbour.size - line.size) > 0.6 or _gap(line, neighbour, zone) > 0.8 * (line.bottom - line.top):
        return False
    upper = line if zone == "top" else neighbour
    return upper.text[-1:] not in _END_PUNCT


def _apart(line: _Line, neighbour: _Line | None, zone: str, lines: float = 1.5) -> bool:
    """True when an edge line stands apart from the body text by more than `lines` line heights, as a running header or footer does."""
    if neighbour is None:
        return lines < 1.0  # alone on its side of the page: only a repeated line counts as running
    return _gap(line, neighbour, zone) > lines * (line.bottom - line.top)


# ---------------------------------------------------------------- lines -> blocks


def _body_size(pages: list[_Sheet]) -> float:
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
        if _list_marker(line.text) or _tab_gap(line) != _tab_gap(last):
            return False
        return not (self.kind == "list_item" and line.x0 < self.indent - 2 and not _runs_into(last, line))


def _runs_into(last: _Line, line: _Line) -> bool:
    """True when `line` plainly carries on the sentence of `last`: no end punctuation, and it goes on in lower case or with a number."""
    return last.text[-1:] not in _END_PUNCT and (line.text[:1].islower() or line.text[:1].isdigit() or line.text[:1] in "(\u20ac%")


def _line_pitch(pages: list[_Sheet], body_size: float) -> float:
    steps = []
    for page in pages:
        body = [ln for ln in page.lines if ln.kind == "body" and abs(ln.size - body_size) < 0.6]
        steps += [b.top - a.top for a, b in itertools.pairwise(body) if a.column == b.column and 0 < b.top - a.top < 4 * body_size]
    return _median(steps) if steps else body_size * 1.2


def _drafts(page: _Sheet, body_size: float, pitch: float) -> list[_Draft]:
    drafts: list[_Draft] = []
    for line in page.lines:
        if line.kind == "running":
            continue
        if line.kind == "body" and _is_heading(line, body_size) and not _carries_on(drafts, line, pitch):
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


def _carries_on(drafts: list[_Draft], line: _Line, pitch: float) -> bool:
    """True when `line` continues the sentence of the paragraph just above it: never a heading, however bold."""
    if not drafts or drafts[-1].kind not in ("paragraph", "list_item") or drafts[-1].lines[-1].text[-1:] in _END_PUNCT:
        return False
    return drafts[-1].accepts(line, pitch)


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


_CAPTION = re.compile(
    r"^(?:tabel|figuur|grafiek|afbeelding|kaart|schema|bijlage|table|figure)\s+[\dIVX]+(?:[.\-]\d+)*[.:]?(?:\s|$)", re.IGNORECASE
)


def _mark_labels(drafts: list[_Draft]) -> list[_Draft]:
    """Table and figure captions and key/value lines ("Juridische vorm    Gemeenschappelijke regeling") kept out of the prose."""
    for draft in drafts:
        if draft.kind != "paragraph" or draft.lines[-1].text[-1:] in _END_PUNCT:
            continue
        if len(draft.lines) <= 2 and _CAPTION.match(draft.lines[0].text):
            draft.kind = "table"
        elif all(_tab_gap(line) for line in draft.lines):
            draft.kind = "table"
    return drafts


def _tab_gap(line: _Line) -> bool:
    """True when a line is a key and a value in words a tab stop apart (not a margin's line number before its text)."""
    words = line.words
    for i, (a, b) in enumerate(itertools.pairwise(words), 1):
        if b.x0 - a.x1 > 3 * max(line.size, 1.0):
            return _wordy(words[:i]) and _wordy(words[i:])
    return False


def _wordy(words: list[Word]) -> bool:
    return any(sum(c.isalpha() for c in w.text) >= 2 for w in words)


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


def _page_record(number: int, parts: list[tuple[str, str]], ocr: bool = False) -> Page:
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
    return Page(number, "".join(chunks), tuple(blocks), ocr)


def pages_from_raw(raw_pages: list[RawPage]) -> tuple[list[Page], list[int]]:
    """Clean pages from an engine's raw pages (lines in reading order, running lines dropped, blocks assembled), and the numbers of pages with no text but running lines."""
    sheets = [_Sheet(r.number, r.width, r.height, _layout_lines(r.words, r.width, r.height), r.tables) for r in raw_pages]
    body_size = _body_size(sheets)
    _mark_running_lines(sheets, body_size)
    pitch = _line_pitch(sheets, body_size)
    per_page = [_mark_labels(_join_column_breaks(_drafts(sheet, body_size, pitch))) for sheet in sheets]
    for before, after in itertools.pairwise(per_page):
        if before and after and _continues(before[-1], after[0]):
            before[-1].lines += after.pop(0).lines  # a sentence belongs to the page where it starts
    pages = []
    for raw, sheet, drafts in zip(raw_pages, sheets, per_page, strict=True):
        parts = [(d.kind, _block_text(d)) for d in drafts] + [("table", t) for t in sheet.tables]
        pages.append(_page_record(sheet.number, parts, raw.ocr))
    bare = [sheet.number for sheet in sheets if not sheet.tables and all(line.kind == "running" for line in sheet.lines)]
    return pages, bare


def plain_text_page(raw: str) -> Page:
    """A plain text as one page; blank lines separate blocks, short unpunctuated lines are headings."""
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
    return _page_record(1, parts)
