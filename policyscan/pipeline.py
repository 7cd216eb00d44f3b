"""Per-document processing that turns a bad file into a reported failure instead of a crash."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .cache import ExtractionCache
from .errors import InputError
from .extract import ENGINES
from .records import Document, Sentence
from .segment import load_pipeline, segment


@dataclass(frozen=True)
class DocumentResult:
    """The sentences of one document, or the reason it failed."""

    document: Document
    sentences: tuple[Sentence, ...] = ()
    pages: int = 0
    characters: int = 0
    warnings: tuple[str, ...] = ()
    error: str | None = None


def process_document(document: Document, cache: ExtractionCache, engine: str = ENGINES[0]) -> DocumentResult:
    """Extract and segment one document; an unreadable file becomes a result with `error` set."""
    try:
        extraction = cache.get(document.path, engine=engine)
    except InputError as exc:
        return DocumentResult(document, error=exc.reason)
    except Exception as exc:  # an unforeseen parser failure must not stop a batch
        return DocumentResult(document, error=f"extraction failed ({type(exc).__name__}: {exc})")
    sentences = tuple(segment(extraction, document.doc_id, load_pipeline()))
    characters = sum(len(s.text) for s in sentences)
    return DocumentResult(document, sentences, len(extraction.pages), characters, extraction.warnings)


def extract_documents(documents: Iterable[Document], cache: ExtractionCache, engine: str = ENGINES[0]) -> Iterator[DocumentResult]:
    """Process documents one by one, in order."""
    for document in documents:
        yield process_document(document, cache, engine)
