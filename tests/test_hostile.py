"""Hostile and damaged input (issue 11): one bad document never costs the batch the outputs of the others."""

from __future__ import annotations

import json
import os
import shutil

import pytest
from click.testing import CliRunner
from rawpdf import write_objects

from policyscan.cache import ExtractionCache
from policyscan.cli import main
from policyscan.errors import DamagedPDFError
from policyscan.extract import extract_file
from policyscan.pipeline import process_document
from policyscan.records import Document


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
    result = process_document(Document("lang", str(path), "Lindenhoek"), ExtractionCache(enabled=False))
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
