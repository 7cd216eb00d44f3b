"""OCR of image-only pages with Tesseract's Dutch model (issue 11); skipped where Tesseract is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from policyscan.errors import NoTextError
from policyscan.extract import extract_pdf
from policyscan.pdf import ocr
from policyscan.segment import segment
from policyscan.testing.rawpdf import Producer, RawDoc, scanned_copy

SENTENCES = [
    "De gemeente Lindenhoek steunt vrijwilligers die zich inzetten voor hun buren.",
    "Het vrijwilligerspunt in Brugwaarde helpt organisaties bij het werven van nieuwe vrijwilligers.",
    "Mantelzorgers krijgen ieder kwartaal een avond met informatie en een moment van rust.",
    "De raad bespreekt de resultaten van het beleid ieder jaar in het voorjaar.",
]


@pytest.fixture()
def scanned(tmp_path):
    doc = RawDoc(Producer(size_in_matrix=False, body_size=11))
    doc.heading("Vrijwilligers in Lindenhoek", 16)
    doc.paragraph(*SENTENCES)
    return scanned_copy(doc.output(tmp_path / "tekst.pdf"), tmp_path / "scan.pdf")


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr with tesseract-ocr-nld is not installed")
def test_issue_11_image_only_pdf_is_read_by_ocr(scanned, nlp, engine):
    extraction = extract_pdf(scanned, engine, ocr=True)
    sentences = segment(extraction, "scan", nlp)
    assert [s.text for s in sentences] == SENTENCES
    assert all(s.ocr for s in sentences) and all(s.to_dict()["ocr"] is True for s in sentences)
    assert {s.section for s in sentences} == {"Vrijwilligers in Lindenhoek"}
    assert "page 1: read by OCR" in extraction.warnings


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr with tesseract-ocr-nld is not installed")
def test_issue_11_page_scanned_upside_down_is_turned_before_ocr(tmp_path, nlp):
    doc = RawDoc(Producer(size_in_matrix=False, body_size=11))
    doc.paragraph(*SENTENCES)
    path = scanned_copy(doc.output(tmp_path / "tekst.pdf"), tmp_path / "omgekeerd.pdf", turn=180)
    assert [s.text for s in segment(extract_pdf(path, ocr=True), "scan", nlp)] == SENTENCES


def test_issue_11_without_ocr_an_image_only_pdf_keeps_its_error(scanned, engine):
    with pytest.raises(NoTextError, match=r"no text layer \(scanned or image-only PDF\): needs OCR$"):
        extract_pdf(scanned, engine, ocr=False)


def test_issue_11_without_tesseract_the_error_names_the_package(scanned, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")
    ocr.available.cache_clear()
    try:
        with pytest.raises(NoTextError, match="install Debian's tesseract-ocr and tesseract-ocr-nld"):
            extract_pdf(scanned, ocr=True)
    finally:
        ocr.available.cache_clear()


def test_text_layer_sentences_carry_no_ocr_field(suite, nlp):
    rows = [s.to_dict() for s in segment(extract_pdf(suite["root"] / "brief.pdf", ocr=True), "brief", nlp)]
    assert rows and all("ocr" not in row for row in rows)


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr with tesseract-ocr-nld is not installed")
def test_issue_11_extract_ocr_option_reads_the_scan(scanned, tmp_path, monkeypatch):
    import json

    from click.testing import CliRunner

    from policyscan.cli import main

    monkeypatch.setenv("POLICYSCAN_OCR", "")  # restored after the test: --ocr sets it for this process and its workers
    without = CliRunner().invoke(main, ["extract", str(scanned), "-o", str(tmp_path / "a.jsonl"), "--no-cache", "-q"])
    assert without.exit_code == 1 and "needs OCR" in without.output
    result = CliRunner().invoke(main, ["extract", str(scanned), "-o", str(tmp_path / "b.jsonl"), "--no-cache", "--ocr", "-q"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in (tmp_path / "b.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["text"] for r in rows] == SENTENCES and all(r["ocr"] is True for r in rows)


@pytest.mark.skipif(not ocr.available(), reason="tesseract-ocr with tesseract-ocr-nld is not installed")
def test_issue_11_documents_csv_counts_the_pages_read_by_ocr(scanned, tmp_path, monkeypatch):
    import csv
    import shutil

    from click.testing import CliRunner

    from policyscan.cli import main

    monkeypatch.setenv("POLICYSCAN_OCR", "")
    folder = tmp_path / "in" / "Lindenhoek"
    folder.mkdir(parents=True)
    shutil.copy(scanned, folder / "scan.pdf")
    shutil.copy(tmp_path / "tekst.pdf", folder / "tekst.pdf")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--no-cache", "--ocr"])
    assert result.exit_code == 0, result.output
    with (tmp_path / "out" / "documents.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = {Path(r["path"]).name: (r["pages"], r["ocr_pages"]) for r in csv.DictReader(handle)}
    assert rows == {"scan.pdf": ("1", "1"), "tekst.pdf": ("1", "0")}


def test_ocr_pages_reads_single_pages_and_folded_ranges():
    from policyscan.extract import ocr_pages

    assert ocr_pages(["page 3: rotated text not read", "pages 2-5: read by OCR", "page 9: read by OCR"]) == 5
    assert ocr_pages([]) == 0
