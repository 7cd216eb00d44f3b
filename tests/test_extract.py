"""Extraction: layout, cleaning and bad input, on PDFs generated with known text."""

from __future__ import annotations

import re

import pytest

from policyscan.errors import DamagedPDFError, EncryptedPDFError, NotAPDFError, NoTextError
from policyscan.extract import extract_file, extract_pdf, join_lines, normalize_text
from policyscan.segment import segment


def _sentences(path, nlp, engine) -> list[str]:
    return [" ".join(s.text.split()) for s in segment(extract_pdf(path, engine), "doc", nlp)]


@pytest.mark.parametrize("name", ["nota", "brief"])
def test_recall_of_true_sentences(suite, nlp, name, engine):
    truth = suite["truth"][name]
    found = set(_sentences(suite["root"] / f"{name}.pdf", nlp, engine))
    missing = [s for s in truth.sentences if s not in found]
    assert 1 - len(missing) / len(truth.sentences) >= 0.97, missing


@pytest.mark.parametrize("name", ["nota", "brief"])
def test_no_running_or_heading_text_in_sentences(suite, nlp, name, engine):
    truth = suite["truth"][name]
    for sentence in _sentences(suite["root"] / f"{name}.pdf", nlp, engine):
        for forbidden in truth.running + truth.headings:
            assert forbidden not in sentence
        assert not re.search(r"\bPagina \d+", sentence)


def test_table_cells_stay_out_of_sentences(suite, nlp, engine):
    sentences = _sentences(suite["root"] / "nota.pdf", nlp, engine)
    assert not [s for s in sentences if "€ 48.000" in s or "Budget 2025" in s]
    tables = [b for p in extract_pdf(suite["root"] / "nota.pdf", engine).pages for b in p.blocks if b.kind == "table"]
    assert tables and "Vrijwilligerspunt | € 48.000 | € 49.500" in tables[0].text


def test_headings_become_section_context(suite, nlp, engine):
    sentences = segment(extract_pdf(suite["root"] / "nota.pdf", engine), "nota", nlp)
    by_text = {s.text: s for s in sentences}
    assert by_text["Sportverenigingen hebben moeite om bestuurders en trainers te vinden."].section == "3 Sport, cultuur en groen"
    assert (
        by_text["Iedere vrijwilliger is via de gemeente verzekerd tegen ongevallen en aansprakelijkheid."].section
        == "1.2 Afspraken op een rij"
    )


def test_two_columns_read_left_before_right(suite, nlp, engine):
    texts = _sentences(suite["root"] / "nota.pdf", nlp, engine)
    left_last = texts.index("Een vrijwilliger die vastloopt, kan altijd terecht bij een professionele consulent.")
    right_first = texts.index("Sportverenigingen hebben moeite om bestuurders en trainers te vinden.")
    left_first = texts.index("In de wijk Oosterveld ontmoeten ouderen elkaar iedere dinsdag in het buurthuis De Linde.")
    assert left_first < left_last < right_first


def test_list_items_lose_their_markers(suite, engine):
    blocks = [b for p in extract_pdf(suite["root"] / "nota.pdf", engine).pages for b in p.blocks if b.kind == "list_item"]
    texts = [b.text for b in blocks]
    assert "We verlagen de drempel om vrijwilligerswerk te beginnen." in texts
    assert "Het vrijwilligerspunt is op werkdagen van 9.00 tot 12.30 uur geopend." in texts
    assert not [t for t in texts if t[0] in "•-1234567890"]


def test_image_page_inside_a_document_is_a_warning(suite, engine):
    extraction = extract_pdf(suite["root"] / "nota.pdf", engine)
    assert any("needs OCR" in w for w in extraction.warnings)


def test_offsets_recover_sentence_from_page_text(suite, nlp, engine):
    extraction = extract_pdf(suite["root"] / "nota.pdf", engine)
    pages = {p.number: p for p in extraction.pages}
    for sentence in segment(extraction, "nota", nlp):
        assert pages[sentence.page].text[sentence.start : sentence.end] == sentence.text


@pytest.mark.parametrize(
    ("name", "error", "reason"),
    [
        ("beveiligd.pdf", EncryptedPDFError, "encrypted PDF"),
        ("afgebroken.pdf", DamagedPDFError, "truncated"),
        ("geen-pdf.pdf", NotAPDFError, "not a PDF"),
        ("scan.pdf", NoTextError, "needs OCR"),
    ],
)
def test_bad_input_raises_clear_error(suite, name, error, reason, engine):
    with pytest.raises(error, match=reason) as info:
        extract_file(suite["root"] / name, engine)
    assert name in str(info.value) and "\n" not in str(info.value)


def test_damaged_body_with_intact_trailer_is_reported(tmp_path, engine):
    path = tmp_path / "kapot.pdf"
    path.write_bytes(b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nxref garbage\ntrailer\n%%EOF\n")
    with pytest.raises(DamagedPDFError, match="damaged PDF"):
        extract_file(path, engine)


@pytest.mark.parametrize(
    ("lines", "joined"),
    [
        (["Steeds meer vrijwil-", "ligers doen mee."], "Steeds meer vrijwilligers doen mee."),
        (["overleg met de zorg-", "en welzijnsorganisaties"], "overleg met de zorg- en welzijnsorganisaties"),
        (["de sport-", "of cultuurvereniging"], "de sport- of cultuurvereniging"),
        (["mail naar het", "e-mailadres"], "mail naar het e-mailadres"),
        (["het Wmo-", "loket"], "het Wmo-loket"),
        (["een VOG-", "aanvraag"], "een VOG-aanvraag"),
        (["in Noord-", "Brabant"], "in Noord-Brabant"),
        (["kosten -", "zoals huur"], "kosten - zoals huur"),
    ],
)
def test_join_lines_handles_dutch_hyphens(lines, joined):
    assert join_lines(lines) == joined


def test_normalize_text_expands_ligatures_and_whitespace():
    assert normalize_text("de \ufb01nanciering\u00a0van  vrij\u00adwilligers\u200b") == "de financiering van vrijwilligers"


def test_text_file_is_read_as_plain_text(tmp_path, nlp, engine):
    path = tmp_path / "notitie.txt"
    path.write_text(
        "Inleiding\n\nWij steunen de vrijwilligers in Lindenhoek. Zij\nmaken het verschil.\n\n- Een tweede punt.\n", encoding="utf-8"
    )
    extraction = extract_file(path, engine)
    kinds = [b.kind for b in extraction.pages[0].blocks]
    assert kinds == ["heading", "paragraph", "list_item"]
    texts = [s.text for s in segment(extraction, "notitie", nlp)]
    assert texts == ["Wij steunen de vrijwilligers in Lindenhoek.", "Zij maken het verschil.", "Een tweede punt."]


# ---------------------------------------------------------------- regressions found while writing the sample corpus

RUN_ON = [f"Zin {i} van de nota gaat over vrijwilligers in Lindenhoek die zich inzetten voor buren en wijk." for i in range(60)]


def _roundtrip(tmp_path, nlp, build, engine) -> list[str]:
    from policyscan.testing.pdfgen import Layout, PolicyPDF

    doc = PolicyPDF(Layout(columns=2), header="Nota Lindenhoek", footer="Gemeente Lindenhoek")
    build(doc)
    doc.output(tmp_path / "regressie.pdf")
    return _sentences(tmp_path / "regressie.pdf", nlp, engine)


def test_issue_sentence_split_at_column_and_page_break(tmp_path, nlp, engine):
    sentences = _roundtrip(tmp_path, nlp, lambda doc: doc.paragraph(*RUN_ON), engine)
    assert sentences == RUN_ON


def test_issue_sparse_second_column_keeps_its_text(tmp_path, nlp, engine):
    def build(doc):
        doc.paragraph(*RUN_ON[:17])
        doc.paragraph("Deze nota is vastgesteld door de gemeenteraad van Meerhaven in zijn vergadering van 27 februari 2025.")

    assert "Deze nota is vastgesteld door de gemeenteraad van Meerhaven in zijn vergadering van 27 februari 2025." in _roundtrip(
        tmp_path, nlp, build, engine
    )


def test_issue_two_digit_list_numbers_are_stripped(tmp_path, nlp, engine):
    items = [f"Maatregel {i} wordt uitgevoerd door het vrijwilligerspunt." for i in range(1, 13)]
    sentences = _roundtrip(tmp_path, nlp, lambda doc: doc.bullets(items, numbered=True), engine)
    assert sentences == items


def test_issue_body_line_starting_with_hoofdstuk_is_no_heading(tmp_path):
    path = tmp_path / "h.txt"
    path.write_text("Hoofdstuk 7 gaat over de ondersteuning van\nvrijwilligers en organisaties.\n", encoding="utf-8")
    blocks = extract_file(path).pages[0].blocks
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "Hoofdstuk 7 gaat over de ondersteuning van vrijwilligers en organisaties.")
    ]


def test_issue_heading_ending_in_question_mark(tmp_path, nlp, engine):
    def build(doc):
        doc.heading("2.2 Wie meldt zich?", level=2)
        doc.paragraph("Vooral gepensioneerden melden zich aan bij de vacaturebank.")

    pdf_sentences = _roundtrip(tmp_path, nlp, build, engine)
    assert pdf_sentences == ["Vooral gepensioneerden melden zich aan bij de vacaturebank."]
    sections = {s.section for s in segment(extract_pdf(tmp_path / "regressie.pdf", engine), "x", nlp)}
    assert sections == {"2.2 Wie meldt zich?"}


def test_issue_wide_table_cells_stay_out_of_sentences(tmp_path, nlp, engine):
    def build(doc):
        doc.paragraph("Het budget staat in de tabel.")
        doc.table([["Onderdeel", "Planning"], ["Mantelzorgpunt en respijtzorg in alle kernen", "start platform in het najaar"]])
        doc.paragraph("Daarna volgt de evaluatie.")

    assert _roundtrip(tmp_path, nlp, build, engine) == ["Het budget staat in de tabel.", "Daarna volgt de evaluatie."]


def test_pdf_without_pages_is_reported(tmp_path, engine):
    path = tmp_path / "leeg.pdf"
    body = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
    xref = len(body)
    body += b"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000058 00000 n \n"
    body += b"trailer\n<< /Size 3 /Root 1 0 R >>\nstartxref\n" + str(xref).encode() + b"\n%%EOF\n"
    path.write_bytes(body)
    with pytest.raises(DamagedPDFError, match="no pages"):
        extract_file(path, engine)
