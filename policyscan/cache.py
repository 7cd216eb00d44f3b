"""The extraction cache: extracted pages keyed by the file's content hash and the extractor version."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from .extract import ENGINES, EXTRACTOR_VERSION, extract_file
from .fileio import atomic_write_text
from .records import Block, Extraction, Page

ENV_VAR = "POLICYSCAN_CACHE_DIR"


def default_cache_dir() -> Path:
    """$POLICYSCAN_CACHE_DIR, else the user's cache directory."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "policyscan"


def file_hash(path: str | Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _to_json(extraction: Extraction) -> dict:
    pages = [{"number": p.number, "text": p.text, "blocks": [[b.kind, b.start, b.end] for b in p.blocks]} for p in extraction.pages]
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
        pages.append(Page(int(p["number"]), text, blocks))
    return Extraction(path, tuple(pages), tuple(data["warnings"]))


class ExtractionCache:
    """Extractions on disk; a damaged or stale entry is ignored and rebuilt."""

    def __init__(self, directory: str | Path | None = None, enabled: bool = True) -> None:
        self.directory = Path(directory) if directory else default_cache_dir()
        self.enabled = enabled

    def _entry(self, digest: str, engine: str) -> Path:
        return self.directory / f"extract-v{EXTRACTOR_VERSION}" / engine / digest[:2] / f"{digest}.json"

    def get(self, path: str | Path, engine: str = ENGINES[0]) -> Extraction:
        """The extraction of a file, from the cache when a sound entry exists."""
        if not self.enabled:
            return extract_file(path, engine=engine)
        entry = self._entry(file_hash(path), engine)
        try:
            return _from_json(json.loads(entry.read_text(encoding="utf-8")), str(path))
        except (OSError, ValueError, KeyError, TypeError):
            pass
        extraction = extract_file(path, engine=engine)
        try:
            entry.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_text(entry, json.dumps(_to_json(extraction), ensure_ascii=False))
        except OSError:
            pass  # a read-only cache must not stop extraction
        return extraction
