"""The PDFium engine's bulk word assembly: equal to reading one character at a time, on real pages and on any geometry (issue 13)."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import numpy as np
import pypdfium2 as pdfium
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from policyscan.pdf import pdfium as engine
from policyscan.pdf.pdfium import _BETWEEN, _group, _most_common, _quarters, _table_text, _walk, read_pages
from policyscan.pdf.words import Word, normalize_text
from policyscan.testing.rawpdf import RawDoc


def _one_at_a_time(
    chars: str, breaks: list[bool], boxes: list[tuple[float, float, float, float]], styles: list[tuple[float, bool]]
) -> list[Word]:
    """The engine's rule as it read characters before issue 13, one at a time."""
    words, run, box, size, bold = [], [], [], 0.0, False
    for k, ch in enumerate(chars):
        if breaks[k]:
            if run:
                words.append(Word("".join(run), *box, size, bold))
                run = []
            continue
        x0, x1, y_top, y_bottom = boxes[k]
        if run and (abs(y_top - box[2]) > 0.5 * size or x0 - box[1] > 0.25 * size or x0 < box[1] - size):
            words.append(Word("".join(run), *box, size, bold))
            run = []
        if not run:
            size, bold = styles[k]
            box = [x0, x1, y_top, y_bottom]
        else:
            box[1] = max(box[1], x1)
        run.append(ch)
    if run:
        words.append(Word("".join(run), *box, size, bold))
    return words


_coordinate = st.one_of(st.floats(-50, 400), st.sampled_from([0.0, 10.0, 10.5, 12.5, math.nan]))
_char = st.tuples(
    st.sampled_from("ab1é-"),
    st.booleans(),
    st.tuples(_coordinate, st.floats(0, 20), _coordinate, st.floats(0, 12)),
    st.sampled_from([(1.0, False), (10.0, False), (10.0, True), (12.5, False), (math.nan, False)]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_char, max_size=40), st.booleans())
def test_bulk_grouping_equals_reading_one_character_at_a_time(chars, steady):
    text = "".join(c for c, *_ in chars)
    breaks = [b for _, b, _, _ in chars]
    boxes = []
    for i, (_, _, (x, w, top, h), _) in enumerate(chars):
        if steady:  # mostly text that reads on, as on real pages: the array path rather than _split
            x, top = 7.0 * i, 100.0
        boxes.append((x, x + w, top, top + h))
    styles = [s for *_, s in chars]

    def style(ks: list[int]) -> list[tuple[float, bool]]:
        return [styles[k] for k in ks]

    got = _group(text, np.array(breaks, dtype=bool), np.array(boxes, dtype=np.float64).reshape(-1, 4), style)
    want = _one_at_a_time(text, breaks, boxes, styles)
    assert [repr(w) for w in got] == [repr(w) for w in want]  # repr: NaN compares unequal to itself


def _quarter(angle: float) -> int | None:
    """The engine's rule for one character's angle before issue 13."""
    if angle < 0:
        return 0
    quarters = round(angle / (math.pi / 2))
    return quarters % 4 if abs(angle - quarters * math.pi / 2) < 0.1 else None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.floats(-1.5, 7), st.sampled_from([-1.0, 0.0, math.pi / 2, math.pi, 3 * math.pi / 2, 2 * math.pi - 1e-6, 0.0999, 0.1001])
        )
    )
)
def test_bulk_angles_and_majority_equal_the_rule_per_character(angles):
    turns = _quarters(np.array(angles, dtype=np.float64)).tolist()
    assert turns == [_BETWEEN if t is None else t for t in map(_quarter, angles)]
    common = Counter(map(_quarter, angles)).most_common(1)
    assert _most_common(np.array(turns, dtype=np.int64)) == (common[0][0] if common and common[0][0] is not None else 0)


def test_issue_13_control_character_left_out_of_the_text_shifts_no_word(tmp_path):
    # PDFium leaves a character it reads as a control code (here byte 3, no glyph in WinAnsi) out of the page's
    # text; the words after it once took their neighbour's box and broke in two ("ve rzekering")
    doc = RawDoc()
    doc.paragraph(
        "De gemeente Lindenhoek\x03 steunt vrijwilligers in elke wijk.",
        "Het Brugwaarde\x03 fonds betaalt de verzekering van alle vrijwilligers.",
    )
    doc.paragraph("Vrijwilligers in Lindenhoek krijgen elk jaar een waardering van de raad.")
    page = next(read_pages(doc.output(tmp_path / "control.pdf")))
    texts = [w.text for w in page.words]
    assert texts[:5] == ["De", "gemeente", "Lindenhoek", "steunt", "vrijwilligers"]
    assert {"verzekering", "Vrijwilligers"} <= set(texts)
    steunt, vrijwilligers = page.words[3], page.words[4]
    assert steunt.x1 < vrijwilligers.x0  # each word has its own box, not the one of the character before it


def test_walk_tells_upright_pages_from_pages_with_turned_text(tmp_path):
    upright, turned = RawDoc(), RawDoc()
    for doc in (upright, turned):
        doc.paragraph("Brugwaarde zoekt vrijwilligers voor de bibliotheek.")
    turned.text(40, 700, "Kantlijn van Brugwaarde", 8, angle=90)
    found = []
    for name, doc in (("upright", upright), ("turned", turned)):
        document = pdfium.PdfDocument(str(doc.output(tmp_path / f"{name}.pdf")))
        found.append(_walk(document[0]).upright)
        document.close()
    assert found == [True, False]


def _table_text_by_trying_each_row(words: list[Word], edges: list[int]) -> str:
    """The table rule as written before issue 13: every row and every edge tried for every word."""
    rows: dict[float, list[Word]] = {}
    for word in sorted(words, key=lambda w: (w.top, w.x0)):
        key = next((k for k in rows if abs(k - word.top) < 0.5 * (word.bottom - word.top)), word.top)
        rows.setdefault(key, []).append(word)
    lines = []
    for key in sorted(rows):
        cells: dict[int, list[str]] = {}
        for word in sorted(rows[key], key=lambda w: w.x0):
            cells.setdefault(sum(1 for edge in edges if edge <= word.x0), []).append(word.text)
        lines.append(" | ".join(normalize_text(" ".join(cells[c])) for c in sorted(cells)))
    return "\n".join(lines)


_cell_word = st.builds(
    lambda text, x, top, height: Word(text, x, x + 20, top, top + height, 10.0, False),
    st.sampled_from(["Lindenhoek", "€ 12.000", "2025", "-"]),
    st.one_of(st.floats(0, 500), st.integers(0, 500).map(float)),  # whole numbers land on the rules' edges
    st.one_of(st.floats(0, 300), st.sampled_from([100.0, 104.0, 108.0])),
    st.sampled_from([0.0, -2.0, 8.0, 10.0, 12.0]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_cell_word, max_size=40), st.lists(st.integers(0, 520), max_size=8))
def test_table_rows_found_by_bisection_equal_trying_every_row(words, edges):
    edges = sorted(edges)
    assert _table_text(words, edges) == _table_text_by_trying_each_row(words, edges)


_native = pytest.mark.skipif(engine._native is None, reason="the C helper policyscan.pdf.native is not built (no C compiler at install)")
CORPUS = Path(__file__).resolve().parent.parent / "corpus"


def _mixed_pages(tmp_path: Path) -> list[Path]:
    """PDFs that take every per-character path: turned text, mixed sizes and bold, and a control character PDFium leaves out."""
    turned = RawDoc()
    turned.heading("Vrijwilligers in Brugwaarde")
    turned.paragraph("De gemeente Brugwaarde betaalt de verzekering van alle vrijwilligers.", bold=True)
    turned.paragraph("Sportclubs in Lindenhoek zoeken trainers voor de jeugd.")
    turned.text(40, 700, "Kantlijn van Brugwaarde", 8, angle=90)
    turned.text(300, 300, "Omgekeerde regel", 9, angle=180)
    control = RawDoc()
    control.paragraph("De gemeente Lindenhoek\x03 steunt vrijwilligers in elke wijk.")
    return [turned.output(tmp_path / "turned.pdf"), control.output(tmp_path / "control.pdf")]


@_native
def test_issue_13_c_loop_reads_the_same_pages_as_ctypes(tmp_path, monkeypatch):
    files = sorted(CORPUS.glob("*/*.pdf"))[:6] + _mixed_pages(tmp_path)

    def read(path: Path) -> list:
        try:
            return list(read_pages(path))
        except Exception as exc:  # the corpus's damaged PDF fails the same way on both paths
            return [type(exc).__name__, str(exc)]

    in_c = [read(f) for f in files]
    monkeypatch.setattr(engine, "_native", None)
    by_ctypes = [read(f) for f in files]
    assert in_c == by_ctypes
    assert sum(len(page.words) for pages in in_c for page in pages if not isinstance(page, str)) > 500


@_native
def test_issue_13_c_loop_refuses_arrays_of_the_wrong_shape(tmp_path):
    document = pdfium.PdfDocument(str(_mixed_pages(tmp_path)[0]))
    textpage = document[0].get_textpage()
    address = engine.ctypes.cast(textpage.raw, engine.ctypes.c_void_p).value
    box = engine._address("FPDFText_GetLooseCharBox")
    rects = np.zeros((3, 4), dtype=np.float32)
    engine._native.rects(box, address, np.arange(3, dtype=np.int32), rects)
    assert rects[:, 2].min() > rects[:, 0].min()  # real boxes: right of left
    with pytest.raises(ValueError, match="int32"):
        engine._native.rects(box, address, np.arange(3, dtype=np.int64), rects)
    with pytest.raises(ValueError, match="16 bytes per index"):
        engine._native.rects(box, address, np.arange(4, dtype=np.int32), rects)
    with pytest.raises(TypeError):
        engine._native.rects(box, address, np.arange(3, dtype=np.int32), rects.tobytes())  # not writable
    textpage.close()
    document.close()
