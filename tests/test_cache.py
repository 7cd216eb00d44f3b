"""The document cache (pages, sentences, tags) is used when sound and rebuilt when damaged."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from policyscan.cache import DocumentCache, sentence_key, tag_key
from policyscan.process import process_document
from policyscan.records import Document


def _entries(cache_dir):
    return sorted(cache_dir.rglob("*.json"))


def test_second_run_reads_the_cache(suite, tmp_path):
    cache = DocumentCache(tmp_path)
    first = cache.get(suite["root"] / "brief.pdf")
    [entry] = _entries(tmp_path)
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["pages"][0]["text"] = data["pages"][0]["text"].replace("maatjesproject", "MAATJESPROJECT")
    entry.write_text(json.dumps(data), encoding="utf-8")
    second = cache.get(suite["root"] / "brief.pdf")
    assert "MAATJESPROJECT" in second.pages[0].text
    assert "MAATJESPROJECT" not in first.pages[0].text


def test_damaged_entry_is_rebuilt(suite, tmp_path):
    cache = DocumentCache(tmp_path)
    first = cache.get(suite["root"] / "brief.pdf")
    [entry] = _entries(tmp_path)
    entry.write_text('{"version": "1", "pages": [{"number": 1, "te', encoding="utf-8")
    assert cache.get(suite["root"] / "brief.pdf") == first
    assert json.loads(entry.read_text(encoding="utf-8"))["pages"][0]["text"] == first.pages[0].text


def test_disabled_cache_writes_nothing(suite, tmp_path):
    DocumentCache(tmp_path, enabled=False).get(suite["root"] / "brief.pdf")
    assert _entries(tmp_path) == []


def test_env_var_sets_location(monkeypatch, tmp_path):
    monkeypatch.setenv("POLICYSCAN_CACHE_DIR", str(tmp_path / "elders"))
    assert DocumentCache().directory == tmp_path / "elders"


# The sentence level: a rescan with a new model reuses the sentences; a warm run loads neither spaCy nor a PDF engine.

ROOT = Path(__file__).resolve().parent.parent
#: Runs the command line in a fresh interpreter, then prints which heavy libraries that process imported.
RUN_AND_REPORT_IMPORTS = """
import json, sys
from policyscan.cli import main
try:
    main(sys.argv[1:], prog_name="policyscan")
except SystemExit as exc:
    code = exc.code
print(json.dumps({"exit": code, "loaded": sorted(m for m in ("spacy", "pypdfium2", "pdfplumber", "sklearn", "matplotlib") if m in sys.modules)}))
"""


def _run(*args: str, cache_dir: Path) -> dict:
    """The exit code of `policyscan ARGS` run in its own process, and the heavy libraries it imported."""
    env = os.environ | {"PYTHONPATH": str(ROOT), "POLICYSCAN_CACHE_DIR": str(cache_dir), "POLICYSCAN_SPACY_PIPELINE": "blank"}
    proc = subprocess.run([sys.executable, "-c", RUN_AND_REPORT_IMPORTS, *args], env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.splitlines()[-1]) | {"stderr": proc.stderr}


def _rows(path: Path, fields: tuple[str, ...]) -> list[tuple]:
    return [tuple(row[f] for f in fields) for row in map(json.loads, path.read_text(encoding="utf-8").splitlines())]


@pytest.fixture()
def corpus(suite, tmp_path) -> Path:
    """Two documents of one fictional municipality."""
    folder = tmp_path / "in" / "Lindenhoek"
    folder.mkdir(parents=True)
    for name in ("nota.pdf", "brief.pdf"):
        shutil.copy(suite["root"] / name, folder / name)
    return tmp_path / "in"


def test_rescan_with_another_model_reuses_the_sentences_without_spacy(corpus, small_model_dir, tmp_path):
    cache = tmp_path / "cache"
    first = _run("scan", str(corpus), "-o", str(tmp_path / "shipped"), "-q", cache_dir=cache)
    assert first["exit"] == 0 and "spacy" in first["loaded"], first["stderr"]
    second = _run("scan", str(corpus), "-o", str(tmp_path / "small"), "-q", "--model", str(small_model_dir), cache_dir=cache)
    assert second["exit"] == 0, second["stderr"]
    assert "spacy" not in second["loaded"] and "pypdfium2" not in second["loaded"]
    assert len(list((cache / "plots-v1").iterdir())) == 2  # other figures: the plots are drawn again (here or by the plotting process)
    fields = ("doc_id", "path", "page", "index", "section", "text")
    assert _rows(tmp_path / "small" / "sentences.jsonl", fields) == _rows(tmp_path / "shipped" / "sentences.jsonl", fields)
    shipped = _rows(tmp_path / "shipped" / "sentences.jsonl", ("scores",))
    assert shipped != _rows(tmp_path / "small" / "sentences.jsonl", ("scores",))  # the second model did classify


def test_fully_cached_scan_imports_no_spacy_and_no_pdf_engine(corpus, tmp_path):
    cache = tmp_path / "cache"
    _run("scan", str(corpus), "-o", str(tmp_path / "a"), "-q", cache_dir=cache)
    again = _run("scan", str(corpus), "-o", str(tmp_path / "b"), "-q", cache_dir=cache)
    assert again["exit"] == 0, again["stderr"]
    assert not {"spacy", "pypdfium2", "pdfplumber", "sklearn", "matplotlib"} & set(again["loaded"])  # plots copied, not drawn
    written = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert {"summary_presence.png", "summary_risk.svg", "report.html"} <= set(written)
    assert sorted(p.name for p in (tmp_path / "b").iterdir()) == written
    for name in written:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_warm_extract_imports_no_spacy_and_no_pdf_engine(corpus, tmp_path):
    cache = tmp_path / "cache"
    cold = _run("extract", str(corpus), "-o", str(tmp_path / "cold.jsonl"), "-q", cache_dir=cache)
    assert cold["exit"] == 0 and {"spacy", "pypdfium2"} <= set(cold["loaded"]), cold["stderr"]
    warm = _run("extract", str(corpus), "-o", str(tmp_path / "warm.jsonl"), "-q", cache_dir=cache)
    assert warm["exit"] == 0 and not {"spacy", "pypdfium2", "pdfplumber"} & set(warm["loaded"]), warm["stderr"]
    assert (tmp_path / "cold.jsonl").read_bytes() == (tmp_path / "warm.jsonl").read_bytes()


def _sentence_entries(cache_dir: Path) -> list[Path]:
    return sorted((cache_dir / "sentences-v1").rglob("*.json"))


def test_extract_reads_the_sentence_level(suite, tmp_path):
    document = Document("brief", str(suite["root"] / "brief.pdf"), "Lindenhoek")
    cache = DocumentCache(tmp_path)
    first = process_document(document, cache)
    [entry] = _sentence_entries(tmp_path)
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["sentences"][0][2] = data["sentences"][0][2].upper()  # same length, so the row stays consistent
    entry.write_text(json.dumps(data), encoding="utf-8")
    second = process_document(document, cache)
    assert second.sentences[0].text == first.sentences[0].text.upper()
    assert second.sentences[1:] == first.sentences[1:]


@pytest.mark.parametrize(
    "damage",
    [
        lambda data: '{"pages": 1, "warnings": [], "sentences": [[1, null, "Een zin',  # truncated
        lambda data: json.dumps(data | {"sentences": [row[:3] for row in data["sentences"]]}),  # rows too short
        lambda data: json.dumps(data | {"sentences": [[r[0], r[1], r[2], r[3], r[4] + 7, r[5]] for r in data["sentences"]]}),  # offsets off
        lambda data: json.dumps(data | {"pages": "twee"}),
    ],
)
def test_damaged_sentence_entry_is_rebuilt(suite, tmp_path, damage):
    document = Document("nota", str(suite["root"] / "nota.pdf"), "Lindenhoek")
    cache = DocumentCache(tmp_path)
    first = process_document(document, cache)
    [entry] = _sentence_entries(tmp_path)
    sound = entry.read_text(encoding="utf-8")
    entry.write_text(damage(json.loads(sound)), encoding="utf-8")
    assert process_document(document, cache) == first
    assert entry.read_text(encoding="utf-8") == sound


def test_sentence_key_changes_with_the_segmenter_and_the_extractor():
    digest = "0" * 64
    assert sentence_key(digest, "pdfium", "blank-nl/spacy-3.8/rules-1") != sentence_key(digest, "pdfium", "blank-nl/spacy-3.8/rules-2")
    assert sentence_key(digest, "pdfium", "x") != sentence_key(digest, "pdfplumber", "x")
    assert sentence_key(digest, "pdfium", "x") != tag_key(digest, "pdfium", "x", "model")
