"""Hostile and damaged input (issue 11): one bad document never costs the batch the outputs of the others."""

from __future__ import annotations

import json
import os
import shutil
import zlib
from pathlib import Path

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


def _page_with_stream(stream: bytes, filtered: bool = True) -> list[bytes]:
    """A one-page PDF whose content stream is `stream`, Flate-compressed or given as it is."""
    body = zlib.compress(stream) if filtered else stream
    head = b"<</Length %d /Filter /FlateDecode>>" % len(body) if filtered else b"<</Length %d>>" % len(body)
    return [
        b"<</Type /Catalog /Pages 2 0 R>>",
        b"<</Type /Pages /Kids [3 0 R] /Count 1>>",
        b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources <</Font <</F1 5 0 R>>>>>>",
        head + b"\nstream\n" + body + b"\nendstream",
        b"<</Type /Font /Subtype /Type1 /BaseFont /Helvetica>>",
    ]


_LINES = (
    b"BT /F1 11 Tf 72 760 Td (De vrijwilligerscentrale van Lindenhoek helpt verenigingen bij het vinden van nieuwe bestuursleden.) Tj"
    b" 0 -16 Td (Ook biedt zij elk voorjaar een cursus aan voor penningmeesters van kleine stichtingen en clubs.) Tj ET\n"
)


def test_issue_11_stream_that_inflates_past_the_limit_is_too_large(tmp_path, engine):
    bomb = write_objects(tmp_path / "bom.pdf", _page_with_stream(_LINES + b"%" + b" " * (3 << 20) + b"\n"))
    assert bomb.stat().st_size < 20_000  # a few kilobytes that inflate to 3 MB
    with pytest.raises(
        TooLargeError,
        match=r"bom.pdf: too large: a compressed stream inflates to more than 2 MB \(raise the limit with POLICYSCAN_MAX_INFLATED_MB\)",
    ):
        extract_file(bomb, engine, limits=Limits(inflated_mb=2))
    assert extract_file(bomb, engine, limits=Limits(inflated_mb=4)).pages[0].text.startswith("De vrijwilligerscentrale")


def _damage(objects: list[bytes]) -> list[bytes]:
    """The objects with the middle of the content stream's deflate data overwritten, as a bad copy does."""
    start = objects[3].index(b"stream\n") + 7
    damaged = bytearray(objects[3])
    damaged[start + 12 : start + 40] = b"\x00" * 28
    return [*objects[:3], bytes(damaged), *objects[4:]]


def test_issue_11_damaged_stream_is_named_in_a_warning(tmp_path, engine):
    objects = _page_with_stream(_LINES)
    assert extract_file(write_objects(tmp_path / "goed.pdf", objects), engine).warnings == ()
    second = [b"<</Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 7 0 R /Resources <</Font <</F1 5 0 R>>>>>>"]
    two_pages = [*objects[:1], b"<</Type /Pages /Kids [3 0 R 6 0 R] /Count 2>>", *objects[2:], *second, _damage(objects)[3]]
    warnings = extract_file(write_objects(tmp_path / "half.pdf", two_pages), engine).warnings
    assert "damaged compressed streams: 1 of 2: text may be missing" in warnings


def test_issue_11_pdf_whose_only_stream_is_damaged_is_a_damaged_pdf_not_a_scan(tmp_path, engine):
    path = write_objects(tmp_path / "kapot.pdf", _damage(_page_with_stream(_LINES)))
    with pytest.raises(DamagedPDFError, match=r"kapot.pdf: damaged PDF: no text could be read \(damaged compressed streams: 1 of 1\)"):
        extract_file(path, engine)


def test_issue_11_stream_check_reads_every_real_pdf_without_a_false_alarm():
    from policyscan.pdf.streams import check_streams

    real = Path(__file__).parent.parent / ".." / "shared" / "realpdfs"
    files = sorted(real.glob("*.pdf"))
    if not files:
        pytest.skip("../shared/realpdfs is not beside the repository")
    damaged = {f.name: check_streams(f, 512 << 20).damaged for f in files}
    assert {name for name, n in damaged.items() if n} <= {"pm_zen_of_python_corrupted.pdf"}  # the one corrupted on purpose


def test_issue_11_time_limit_stops_work_within_a_page_and_restores_the_alarm(tmp_path):
    import signal
    import time

    from policyscan.extract import _deadline

    before = signal.getsignal(signal.SIGALRM)
    with pytest.raises(TooLargeError, match=r"x.pdf: took too long: over 0.05 s \(raise the limit with POLICYSCAN_MAX_SECONDS\)"):
        with _deadline(tmp_path / "x.pdf", 0.05):
            time.sleep(30)  # stands for one page that never ends: the alarm interrupts it
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)
