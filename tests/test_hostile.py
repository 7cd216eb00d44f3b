"""Hostile and damaged input (issue 11): one bad document never costs the batch the outputs of the others."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner

from policyscan.cache import DocumentCache
from policyscan.cli import main
from policyscan.errors import DamagedPDFError, TooLargeError
from policyscan.extract import Limits, collapse_warnings, extract_file
from policyscan.process import process_document
from policyscan.records import Document
from policyscan.testing.rawpdf import Producer, RawDoc, write_objects


def test_issue_11_file_name_that_is_not_utf8_is_written_escaped(suite, tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(suite["root"] / "brief.pdf", folder / "brief.pdf")
    shutil.copy(suite["root"] / "brief.pdf", os.fsencode(folder) + b"/caf\xe9.pdf")
    out = tmp_path / "s.jsonl"
    result = CliRunner().invoke(main, ["extract", str(folder), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    paths = {row["path"] for row in rows}
    assert str(folder / "brief.pdf") in paths
    assert os.fsencode(folder) + b"/caf\xe9.pdf" in {os.fsencode(p) for p in paths}
    assert "caf\\udce9.pdf" in out.read_text(encoding="utf-8")


def test_issue_11_paragraph_over_spacy_max_length_is_split_not_fatal(tmp_path, nlp):
    path = tmp_path / "lang.txt"
    sentence = "Vrijwilligers in Lindenhoek helpen hun buren met boodschappen en vervoer. "
    path.write_text(sentence * (nlp.max_length // len(sentence) + 50), encoding="utf-8")
    result = process_document(Document("lang", str(path), "Lindenhoek"), DocumentCache(enabled=False))
    assert result.error is None
    assert len(result.sentences) > nlp.max_length // len(sentence)
    assert result.sentences[0].text == sentence.strip()


def test_issue_11_trailing_bytes_after_eof_are_accepted(suite, tmp_path, engine):
    path = tmp_path / "staart.pdf"
    path.write_bytes((suite["root"] / "brief.pdf").read_bytes() + b"\x00garbage after the end\n" * 400)
    assert extract_file(path, engine).pages


def test_issue_11_truncated_file_is_still_refused(suite, tmp_path, engine):
    data = (suite["root"] / "brief.pdf").read_bytes()
    path = tmp_path / "kort.pdf"
    path.write_bytes(data[: len(data) - 200])
    with pytest.raises(DamagedPDFError, match="truncated"):
        extract_file(path, engine)


@pytest.mark.parametrize("kids", [b"3 0 R", b"[3 0 R]"])
def test_issue_11_broken_page_tree_is_a_damaged_pdf(tmp_path, engine, kids):
    tree = [b"<</Type /Catalog /Pages 2 0 R>>", b"<</Type /Pages /Kids " + kids + b" /Count 1>>", b"<</Type /Pages /Count 1>>"]
    path = write_objects(tmp_path / "boom.pdf", tree)
    with pytest.raises(DamagedPDFError, match="damaged PDF") as info:
        extract_file(path, engine)
    assert "NoneType" not in str(info.value)


@pytest.mark.parametrize(
    ("limits", "message"),
    [
        (Limits(pages=2), r"too large: more than 2 pages \(raise the limit with POLICYSCAN_MAX_PAGES\)"),
        (Limits(characters=500), r"too large: more than 500 characters of text \(raise the limit with POLICYSCAN_MAX_CHARACTERS\)"),
        (Limits(seconds=0), r"took too long: over 0 s at page 1 \(raise the limit with POLICYSCAN_MAX_SECONDS\)"),
    ],
)
def test_issue_11_document_over_a_limit_is_too_large(suite, engine, limits, message):
    with pytest.raises(TooLargeError, match=message) as info:
        extract_file(suite["root"] / "nota.pdf", engine, limits=limits)
    assert "nota.pdf" in str(info.value)


def test_issue_11_batch_goes_on_past_a_document_over_the_page_limit(suite, tmp_path, monkeypatch):
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("nota.pdf", "brief.pdf"):
        shutil.copy(suite["root"] / name, folder / name)
    monkeypatch.setenv("POLICYSCAN_MAX_PAGES", "2")
    out = tmp_path / "s.jsonl"
    result = CliRunner().invoke(main, ["extract", str(folder), "-o", str(out), "--no-cache"])
    assert result.exit_code == 1
    assert "nota.pdf: too large: more than 2 pages (raise the limit with POLICYSCAN_MAX_PAGES)" in result.output
    texts = [json.loads(line)["text"] for line in out.read_text(encoding="utf-8").splitlines()]
    assert texts == suite["truth"]["brief"].sentences


def test_issue_11_thousands_of_blank_pages_give_one_warning(tmp_path, engine):
    doc = RawDoc(Producer(size_in_matrix=False))
    doc.paragraph(
        "Lindenhoek telt ruim duizend vrijwilligers die zich inzetten voor hun buren.",
        "De meesten van hen helpen een paar uur per week bij de sportclub of in het buurthuis.",
    )
    for _ in range(300):
        doc.new_page()
    extraction = extract_file(doc.output(tmp_path / "leeg.pdf"), engine)
    assert extraction.warnings == ("pages 2-301: no text layer, needs OCR",)


def test_collapse_warnings_keeps_gaps_and_other_messages():
    warnings = [
        "PDFium could not open the file",
        "page 2 skipped: X",
        "page 3 skipped: X",
        "page 5: no text",
        "page 6: no text",
        "page 8: no text",
    ]
    assert collapse_warnings(warnings) == [
        "PDFium could not open the file",
        "pages 2-3 skipped: X",
        "pages 5-6: no text",
        "page 8: no text",
    ]


@pytest.mark.parametrize("words", [3, 19])
def test_issue_11_document_with_almost_no_text_is_named_in_a_warning(tmp_path, engine, words):
    doc = RawDoc(Producer(size_in_matrix=False))
    doc.paragraph(" ".join(["Voorblad"] * (words - 1)) + " Lindenhoek")
    extraction = extract_file(doc.output(tmp_path / "voorblad.pdf"), engine)
    assert extraction.warnings == (
        f"almost no text: {words} words on 1 page (a placeholder, a cover sheet, or a scan whose text layer is not the page:"
        " check the PDF, try --ocr)",
    )


def test_issue_11_a_short_letter_of_twenty_words_gets_no_warning(tmp_path, engine):
    doc = RawDoc(Producer(size_in_matrix=False))
    doc.paragraph(
        "De gemeente Lindenhoek dankt alle vrijwilligers van de voedselbank voor hun inzet in het afgelopen jaar en wenst hun veel succes."
    )
    assert extract_file(doc.output(tmp_path / "brief.pdf"), engine).warnings == ()
