"""Extraction of PDFs written the way real producers write them (issue 11), on both engines.

The fixtures are built by hand (tests/rawpdf.py): text-matrix font sizes,
background boxes and page borders, fonts PDFium reads as bold, US Letter
running lines near the band, narrow margins, short last pages.
"""

from __future__ import annotations

import pytest

from policyscan.errors import NoTextError
from policyscan.extract import extract_pdf
from policyscan.segment import segment
from policyscan.testing.rawpdf import LETTER, Producer, RawDoc, filler_sentences, type3_without_unicode

SENTENCES = filler_sentences(64)


def _build(tmp_path, producer: Producer, build, header: str | None = None, footer: str | None = None) -> tuple:
    doc = RawDoc(producer, header, footer)
    build(doc)
    path = doc.output(tmp_path / "producer.pdf")
    return path, doc.truth


def _sentences(path, nlp, engine) -> list[str]:
    return [s.text for s in segment(extract_pdf(path, engine), "doc", nlp)]


def _blocks(path, engine, kind: str | None = None) -> list:
    return [b for p in extract_pdf(path, engine).pages for b in p.blocks if kind is None or b.kind == kind]


# ---------------------------------------------------------------- 1: the font size set through the text matrix


def _ruled_table(doc, top: float, rows: list[list[str]]) -> None:
    """A table of 150 x 20 pt cells, each with its own stroked rectangle, its top row at `top` points from the page's foot."""
    for r, row in enumerate(rows):
        for c, cell in enumerate(row):
            x, y = 72 + c * 150, top - r * 20
            doc.op(f"q 0.5 w {x} {y - 20} 150 20 re S Q")
            doc.op(f"BT /F1 9 Tf {x + 4} {y - 14} Td ({cell}) Tj ET")


def test_issue_11_text_matrix_size_assembles_paragraphs(tmp_path, engine):
    path, _ = _build(tmp_path, Producer(size_in_matrix=True), lambda d: d.paragraph(*SENTENCES[:8]))
    paragraphs = _blocks(path, engine, "paragraph")
    assert [b.text for b in paragraphs] == [" ".join(SENTENCES[:8])]


def test_issue_11_text_matrix_size_finds_size_headings(tmp_path, nlp, engine):
    def build(doc):
        doc.lines(["Waarom vrijwilligers ertoe doen"], size=16)
        doc.y += 8
        doc.paragraph(*SENTENCES[:4])

    path, _ = _build(tmp_path, Producer(size_in_matrix=True), build)
    assert next((b.kind, b.text) for b in _blocks(path, engine)) == ("heading", "Waarom vrijwilligers ertoe doen")
    assert {s.section for s in segment(extract_pdf(path, engine), "doc", nlp)} == {"Waarom vrijwilligers ertoe doen"}


def test_issue_11_kerned_words_stay_whole_with_text_matrix_size(tmp_path, engine):
    def build(doc):
        for _i in range(4):
            doc.y += 14
            doc.op(
                f"BT /F1 1 Tf 10 0 0 10 72 {doc.height - doc.y:.2f} Tm "
                "[(Elke par) -40 (tij in de raad steunt bi) -30 (jvoorbeeld de vrijwilligers van Lindenhoek.)] TJ ET"
            )

    path, _ = _build(tmp_path, Producer(size_in_matrix=True), build)
    text = " ".join(b.text for b in _blocks(path, engine))
    assert "Elke partij in de raad steunt bijvoorbeeld de vrijwilligers van Lindenhoek." in text
    assert "par tij" not in text and "bi jvoorbeeld" not in text


# ---------------------------------------------------------------- 2: a background box or page border is no table


RULES = "q 0 0 0 RG 0.5 w 20 500 m 575.28 500 l S 20 400 m 575.28 400 l S 20 300 m 575.28 300 l S Q"


@pytest.mark.parametrize("furniture", ["background", "border"])
def test_issue_11_page_background_or_border_is_no_table(tmp_path, nlp, engine, furniture):
    producer = Producer(size_in_matrix=False, background=furniture == "background", border=furniture == "border")
    path, truth = _build(tmp_path, producer, lambda d: (d.paragraph(*SENTENCES[:10]), d.op(RULES)))
    assert _sentences(path, nlp, engine) == truth.sentences
    assert not _blocks(path, engine, "table")


def test_issue_11_table_on_a_background_is_still_a_table(tmp_path, nlp, engine):
    def build(doc):
        doc.paragraph(*SENTENCES[:3])
        top = doc.height - doc.y - 20
        _ruled_table(doc, top, [["Onderdeel", "Budget"], ["Vrijwilligerspunt", "48.000"], ["Waardering", "6.000"]])
        doc.y += 80
        doc.paragraph(*SENTENCES[3:5])

    path, truth = _build(tmp_path, Producer(size_in_matrix=False, background=True), build)
    assert _sentences(path, nlp, engine) == truth.sentences
    tables = _blocks(path, engine, "table")
    assert len(tables) == 1 and "Vrijwilligerspunt | 48.000" in tables[0].text


def test_issue_11_filled_panel_touching_a_table_takes_no_prose_with_it(tmp_path, nlp, engine):
    def build(doc):
        doc.paragraph(*SENTENCES[:2])
        top = doc.height - doc.y - 10
        doc.op(f"q 0.9 0.9 1 rg -1 -1 597 {top - 60:.2f} re f Q")  # a panel from the table down to the page's foot
        _ruled_table(doc, top, [["Principe", "Fout"], ["Waarneembaar", "3"], ["Bedienbaar", "4"]])
        doc.y += 90
        doc.paragraph(*SENTENCES[2:12])

    path, truth = _build(tmp_path, Producer(size_in_matrix=False), build)
    assert _sentences(path, nlp, engine) == truth.sentences
    assert [b.text for b in _blocks(path, engine, "table")] == ["Principe | Fout\nWaarneembaar | 3\nBedienbaar | 4"]


# ---------------------------------------------------------------- 3: bold from the font name, not PDFium's weight


def test_issue_11_regular_font_with_heavy_stem_is_not_bold(tmp_path, nlp, engine):
    def build(doc):
        doc.heading("Inleiding")
        doc.paragraph(*SENTENCES[:6])

    path, truth = _build(tmp_path, Producer(size_in_matrix=True, stem_v=139, truetype=True), build)
    assert [b.kind for b in _blocks(path, engine)] == ["heading", "paragraph"]
    assert _sentences(path, nlp, engine) == truth.sentences


def test_issue_11_stroked_text_is_bold(tmp_path, engine):
    def build(doc):
        doc.lines(["Inleiding"], mode=2)
        doc.y += 10
        doc.paragraph(*SENTENCES[:4])

    path, _ = _build(tmp_path, Producer(size_in_matrix=False), build)
    if engine == "pdfplumber":
        pytest.skip("pdfminer does not report the text render mode")
    assert [b.kind for b in _blocks(path, engine)] == ["heading", "paragraph"]


def test_issue_11_bold_line_continuing_a_sentence_is_no_heading(tmp_path, nlp, engine):
    lines = [
        "De vrijwilligers van Lindenhoek zetten zich elke week in voor hun buren,",
        "voor de sportvereniging en de bibliotheek in de kern Brugwaarde",
        "en krijgen daarvoor steun van het vrijwilligerspunt aan de Kerkstraat.",
    ]

    def build(doc):
        doc.lines(lines[:1])
        doc.lines(lines[1:2], bold=True)
        doc.lines(lines[2:])

    path, _ = _build(tmp_path, Producer(size_in_matrix=False), build)
    assert _sentences(path, nlp, engine) == [" ".join(lines)]
    assert not _blocks(path, engine, "heading")


# ---------------------------------------------------------------- 4: running headers and footers by repetition


def _flow(doc) -> None:
    for i in range(0, 48, 3):
        doc.paragraph(*SENTENCES[i : i + 3])


def test_issue_11_us_letter_running_lines_just_outside_the_band(tmp_path, nlp, engine):
    producer = Producer(size_in_matrix=False, page=LETTER, margin_top=96, margin_bottom=96, running_at=792 * 0.09 + 2.7)
    path, truth = _build(tmp_path, producer, _flow, header="Nota vrijwilligers Lindenhoek", footer="Gemeente Lindenhoek 2025")
    assert _sentences(path, nlp, engine) == truth.sentences


def test_issue_11_narrow_margins_keep_the_first_body_line(tmp_path, nlp, engine):
    path, truth = _build(tmp_path, Producer(size_in_matrix=False, margin_top=30, margin_bottom=30), _flow)
    assert _sentences(path, nlp, engine) == truth.sentences


def test_issue_11_narrow_margins_with_running_lines(tmp_path, nlp, engine):
    producer = Producer(size_in_matrix=False, margin_top=36, margin_bottom=36, running_at=18)
    path, truth = _build(tmp_path, producer, _flow, header="Nota vrijwilligers Lindenhoek", footer="Gemeente Lindenhoek 2025")
    assert _sentences(path, nlp, engine) == truth.sentences


def test_issue_11_short_last_page_is_text_not_needing_ocr(tmp_path, nlp, engine):
    def build(doc):
        doc.paragraph(*SENTENCES[:55])

    path, truth = _build(tmp_path, Producer(size_in_matrix=True), build, header="Nota Lindenhoek", footer="Gemeente Lindenhoek")
    extraction = extract_pdf(path, engine)
    assert len(extraction.pages) == 2
    assert not [w for w in extraction.warnings if "OCR" in w]
    assert _sentences(path, nlp, engine) == truth.sentences


# ---------------------------------------------------------------- other findings


def test_issue_11_three_columns_read_column_by_column(tmp_path, nlp, engine):
    def build(doc):
        doc.columns([" ".join(SENTENCES[c * 10 : c * 10 + 10]) for c in range(3)])
        doc.truth.sentences += SENTENCES[:30]

    path, truth = _build(tmp_path, Producer(size_in_matrix=True), build)
    assert _sentences(path, nlp, engine) == truth.sentences


def test_issue_11_text_drawn_at_90_degrees_is_warned_about(tmp_path, nlp, engine):
    def build(doc):
        doc.paragraph(*SENTENCES[:6])
        for i in range(3):
            doc.text(300, 700 - i * 12, SENTENCES[10 + i][:60], 10, angle=90)

    path, truth = _build(tmp_path, Producer(size_in_matrix=False), build)
    assert _sentences(path, nlp, engine) == truth.sentences
    assert extract_pdf(path, engine).warnings == ("page 1: rotated text not read",)


def test_one_short_rotated_line_is_named_as_such(tmp_path, nlp, engine):
    """A margin stamp set at 90 degrees is still named, but as the one short line it is, not as lost text."""

    def build(doc):
        doc.paragraph(*SENTENCES[:6])
        doc.text(560, 400, "Lindenhoek, kenmerk 2025-0412", 8, angle=90)

    path, truth = _build(tmp_path, Producer(size_in_matrix=False), build)
    assert _sentences(path, nlp, engine) == truth.sentences
    assert extract_pdf(path, engine).warnings == ("page 1: rotated text not read (one short line, under 100 characters)",)


def test_issue_11_page_turned_with_rotate_is_read_or_named(tmp_path, nlp, engine):
    path, truth = _build(tmp_path, Producer(size_in_matrix=False, rotate=90), lambda d: d.paragraph(*SENTENCES[:6]))
    if engine == "pdfplumber":
        with pytest.raises(NoTextError, match="no upright text: all text is rotated"):
            extract_pdf(path, engine)
    else:
        assert _sentences(path, nlp, engine) == truth.sentences


@pytest.mark.parametrize("angle", [90, 270])
def test_issue_11_page_of_text_drawn_turned_reads_upright(tmp_path, nlp, angle):
    def build(doc):
        lines = doc.wrap(" ".join(SENTENCES[:6]), 600, 10)
        for i, line in enumerate(lines):
            x = 100 + 13.5 * i if angle == 90 else 500 - 13.5 * i
            y = 100 if angle == 90 else 740
            doc.op(f"BT /F1 10 Tf {'0 1 -1 0' if angle == 90 else '0 -1 1 0'} {x:.2f} {y} Tm ({line}) Tj ET")
        doc.truth.sentences += SENTENCES[:6]

    path, truth = _build(tmp_path, Producer(size_in_matrix=False), build)
    assert _sentences(path, nlp, "pdfium") == truth.sentences


def test_issue_11_key_value_lines_and_captions_are_no_sentences(tmp_path, nlp, engine):
    def build(doc):
        doc.paragraph(*SENTENCES[:3])
        for key, value in [("Juridische vorm", "Gemeenschappelijke regeling"), ("Deelnemers", "Lindenhoek en Brugwaarde")]:
            doc.y += 13.5
            doc.text(72, doc.y, key, 10)
            doc.text(230, doc.y, value, 10)
        doc.y += 10
        doc.lines(["Tabel 6.1 Subsidies voor vrijwilligersorganisaties in 2025"])
        doc.y += 10
        doc.paragraph(*SENTENCES[3:6])

    path, truth = _build(tmp_path, Producer(size_in_matrix=False), build)
    assert _sentences(path, nlp, engine) == truth.sentences
    labels = [b.text for b in _blocks(path, engine, "table")]
    assert "Tabel 6.1 Subsidies voor vrijwilligersorganisaties in 2025" in labels
    assert any("Juridische vorm Gemeenschappelijke regeling" in t for t in labels)


def test_issue_11_type3_font_without_unicode_map_is_named_unreadable(tmp_path, engine):
    path = type3_without_unicode(tmp_path / "type3.pdf", SENTENCES[:20])
    with pytest.raises(NoTextError, match=r"text cannot be decoded \(fonts without a Unicode map\): needs OCR"):
        extract_pdf(path, engine)


# ---------------------------------------------------------------- the two engines agree


def _headed_flow(doc):
    doc.lines(["Vrijwilligers in Lindenhoek"], size=16)
    doc.y += 8
    _flow(doc)


FIXTURES = {
    "text-matrix sizes": (Producer(size_in_matrix=True), _headed_flow, None, None),
    "background box": (Producer(background=True), _flow, None, None),
    "page border": (Producer(border=True), _flow, None, None),
    "heavy-stem font": (Producer(stem_v=139, truetype=True), _headed_flow, None, None),
    "US Letter": (Producer(page=LETTER, margin_top=96, margin_bottom=96, running_at=74), _flow, "Nota Lindenhoek", "Gemeente Lindenhoek"),
    "narrow margins": (Producer(margin_top=30, margin_bottom=30), _flow, None, None),
    "hanging list": (Producer(), lambda d: (_flow(d), d.hanging_list(SENTENCES[50:56])), None, None),
    "three columns": (Producer(), lambda d: d.columns([" ".join(SENTENCES[c * 10 : c * 10 + 10]) for c in range(3)]), None, None),
}


@pytest.mark.parametrize("name", FIXTURES)
def test_issue_11_engines_agree_on_every_fixture(tmp_path, nlp, name):
    producer, build, header, footer = FIXTURES[name]
    path, _ = _build(tmp_path, producer, build, header, footer)
    assert _sentences(path, nlp, "pdfium") == _sentences(path, nlp, "pdfplumber")


@pytest.mark.parametrize("name", ["nota", "brief"])
def test_engines_agree_on_the_suite(suite, nlp, name):
    path = suite["root"] / f"{name}.pdf"
    assert _sentences(path, nlp, "pdfium") == _sentences(path, nlp, "pdfplumber")


@pytest.mark.parametrize("flush", [False, True])
def test_issue_11_list_items_keep_their_wrapped_lines(tmp_path, nlp, engine, flush):
    items = [s.replace(" en vraagt", ", vraagt hiervoor hulp van buurtbewoners en vraagt") for s in SENTENCES[20:26]]

    def build(doc):
        doc.paragraph(*SENTENCES[:2])
        doc.hanging_list(items, marker="1." if flush else "\u2022", flush=flush)
        doc.y += 8
        doc.paragraph(*SENTENCES[2:4])

    path, truth = _build(tmp_path, Producer(size_in_matrix=True), build)
    assert _sentences(path, nlp, engine) == truth.sentences
    assert [b.text for b in _blocks(path, engine, "list_item")] == items


#: A font that draws "ft", "fi" and "ff" as one glyph each and names those glyphs after private-use code points, with no
#: Unicode map: PDFium and pdfminer both return the private-use characters ("hee\ue01e").
_LIGATURE_GLYPHS = {"ft": (1, "uniE01E"), "ffi": (2, "uniE01C"), "fi": (3, "uniE017"), "ff": (4, "uniE030")}
_LIGATURE_TEXT = [
    "De gemeente Lindenhoek heeft de vrijwilligersvergoeding in 2025 verhoogd naar een bedrag dat past bij de inzet.",
    "Het college heeft de officiële stukken over de financiering van het dorpshuis aan de raad gestuurd.",
    "Dit betreft vooral het effect van de nieuwe regeling op kleine verenigingen en hun vrijwilligers.",
    "Een maatje heeft tijd voor een wandeling, een kop koffie of een gesprek over de financiën van de week.",
]


def _ligature_pdf(path):
    from policyscan.testing.rawpdf import write_objects

    def encode(line: str) -> bytes:
        for letters, (code, _) in _LIGATURE_GLYPHS.items():  # ffi before fi and ff: dicts keep this order
            line = line.replace(letters, chr(code))
        return line.encode("latin-1").replace(b"(", b"\\(").replace(b")", b"\\)")

    lines = b" ".join(b"(" + encode(line) + b") Tj 0 -16 Td" for line in _LIGATURE_TEXT)
    content = b"BT /F1 9 Tf 60 760 Td " + lines + b" ET"
    differences = " ".join(f"{code} /{name}" for code, name in sorted(_LIGATURE_GLYPHS.values()))
    return write_objects(
        path,
        [
            b"<</Type /Catalog /Pages 2 0 R>>",
            b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
            b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources <</Font <</F1 5 0 R>>>>>>",
            b"<</Length %d>>\nstream\n" % len(content) + content + b"\nendstream",
            b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding <</Type /Encoding /BaseEncoding /WinAnsiEncoding"
            b" /Differences [" + differences.encode() + b"]>>>>",
        ],
    )


def test_issue_11_ligatures_as_private_use_characters_are_read_as_their_letters(tmp_path, nlp, engine):
    extraction = extract_pdf(_ligature_pdf(tmp_path / "ligaturen.pdf"), engine)
    assert [s.text for s in segment(extraction, "d", nlp)] == _LIGATURE_TEXT
    assert extraction.warnings == (
        "ligatures without a Unicode map read as letters (9 words): U+E017 as 'fi', U+E01C as 'ffi', U+E01E as 'ft', U+E030 as 'ff'",
    )
