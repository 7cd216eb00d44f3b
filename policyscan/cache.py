"""The document cache at three levels, each keyed by what it depends on.

- pages: the file's content hash, the engine (and OCR) and the extractor version;
- sentences: the same, plus the segmenter (`segment.nlp_key()`);
- tags: the same, plus the model's identity.

A rescan with a new model reads the sentences and only classifies again; a
rescan of unchanged files with the same model reads the tags and loads nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .extract import ENGINES, EXTRACTOR_VERSION, extract_file, ocr_requested
from .fileio import atomic_write_text, file_hash
from .records import Block, Extraction, Page

CACHE_ENV = "POLICYSCAN_CACHE_DIR"
#: The folder of each level's entries (tags-v2: each sentence's labels and scores as sentences.jsonl writes them).
_FOLDERS = {"sentences": "sentences-v1", "tags": "tags-v2"}


def default_cache_dir() -> Path:
    """$POLICYSCAN_CACHE_DIR, else the user's cache directory."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "policyscan"


def _to_json(extraction: Extraction) -> dict:
    pages = [
        {"number": p.number, "text": p.text, "blocks": [[b.kind, b.start, b.end] for b in p.blocks], "ocr": p.ocr} for p in extraction.pages
    ]
    return {"version": EXTRACTOR_VERSION, "pages": pages, "warnings": list(extraction.warnings)}


def _from_json(data: dict, path: str) -> Extraction:
    if data.get("version") != EXTRACTOR_VERSION:
        raise ValueError("stale cache entry")
    pages = []
    for p in data["pages"]:
        text = p["text"]
        blocks = tuple(Block(kind, text[start:end], start, end) for kind, start, end in p["blocks"])
        if any(not (0 <= b.start <= b.end <= len(text)) for b in blocks):
            raise ValueError("block offsets out of range")
        pages.append(Page(int(p["number"]), text, blocks, bool(p.get("ocr", False))))
    return Extraction(path, tuple(pages), tuple(data["warnings"]))


def sentence_key(digest: str, engine: str, pipeline: str) -> str:
    """The cache key of a document's sentences: its content, the extractor and the segmenter."""
    return hashlib.sha256("\n".join([digest, _variant(engine), EXTRACTOR_VERSION, pipeline]).encode()).hexdigest()


def tag_key(digest: str, engine: str, pipeline: str, model: str) -> str:
    """The cache key of a document's tagged sentences: its content, the extractor, the segmenter and the model."""
    return hashlib.sha256("\n".join([digest, _variant(engine), EXTRACTOR_VERSION, pipeline, model]).encode()).hexdigest()


def _variant(engine: str) -> str:
    """The engine, marked when OCR is on: OCR changes what a file gives."""
    return f"{engine}+ocr" if ocr_requested() else engine


class DocumentCache:
    """Extractions and tagged sentences of documents on disk; a damaged or stale entry is ignored and rebuilt."""

    def __init__(self, directory: str | Path | None = None, enabled: bool = True) -> None:
        self.directory = Path(directory) if directory else default_cache_dir()
        self.enabled = enabled

    def _entry(self, kind: str, key: str) -> Path:
        return self.directory / kind / key[:2] / f"{key}.json"

    def _read(self, entry: Path) -> dict | None:
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def _write(self, entry: Path, data: dict) -> None:
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(entry, json.dumps(data, ensure_ascii=False))
        except OSError:
            pass  # a read-only cache must not stop the work

    def get(self, path: str | Path, engine: str = ENGINES[0], digest: str | None = None) -> Extraction:
        """The extraction of a file, from the cache when a sound entry exists."""
        if not self.enabled:
            return extract_file(path, engine=engine)
        entry = self._entry(f"extract-v{EXTRACTOR_VERSION}/{_variant(engine)}", digest or file_hash(path))
        data = self._read(entry)
        if data is not None:
            try:
                return _from_json(data, str(path))
            except (ValueError, KeyError, TypeError):
                pass
        extraction = extract_file(path, engine=engine)
        self._write(entry, _to_json(extraction))
        return extraction

    def has(self, kind: str, key: str) -> bool:
        """Whether an entry of `kind` ("sentences" or "tags") exists (it may still be damaged)."""
        return self.enabled and self._entry(_FOLDERS[kind], key).exists()

    def get_sentences(self, key: str) -> dict | None:
        """Cached sentences of a document (pages, warnings, sentence rows), or None."""
        return self._read(self._entry(_FOLDERS["sentences"], key)) if self.enabled else None

    def put_sentences(self, key: str, data: dict) -> None:
        """Cache a document's sentences."""
        if self.enabled:
            self._write(self._entry(_FOLDERS["sentences"], key), data)

    def get_tags(self, key: str) -> dict | None:
        """Cached tagged sentences of a document, or None."""
        return self._read(self._entry(_FOLDERS["tags"], key)) if self.enabled else None

    def put_tags(self, key: str, data: dict) -> None:
        """Cache a document's tagged sentences."""
        if self.enabled:
            self._write(self._entry(_FOLDERS["tags"], key), data)
