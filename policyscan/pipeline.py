"""One document from file to tagged sentences, turning a bad file into a reported failure instead of a crash.

Tagged sentences are cached by the file's content, the extractor, the
segmenter and the model, so a rescan of unchanged files loads neither spaCy
nor the model.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .cache import ExtractionCache, tag_key
from .errors import InputError, PolicyscanError
from .extract import ENGINES
from .fileio import file_hash
from .model import Model
from .persist import MODEL_FILE, load_model, verify_model
from .records import Document, Prediction, Sentence
from .segment import load_pipeline, pipeline_key, segment
from .taxonomy import Taxonomy


@functools.lru_cache(maxsize=2)
def _loaded(path: str) -> Model:
    return load_model(path)


@dataclass(frozen=True)
class ModelRef:
    """A model by path and identity: what a worker process needs to load it once."""

    path: str
    identity: str
    labels: tuple[str, ...]
    name: str


def model_reference(path: str | Path, taxonomy: Taxonomy) -> ModelRef:
    """A checked reference to a model folder (files match the card, labels match the taxonomy); loaded only on a cache miss."""
    card = verify_model(path, taxonomy)
    folder = Path(path) if Path(path).is_dir() else Path(path).parent
    identity = (
        card.get("scorer_sha256") or card.get("model_sha256") or file_hash(folder / MODEL_FILE if Path(path).is_dir() else Path(path))
    )
    name = card.get("name", folder.name) + (f" (trained {card['trained_at'][:10]})" if card.get("trained_at") else "")
    return ModelRef(str(path), identity, tuple(card["labels"]), name)


@dataclass(frozen=True)
class DocumentResult:
    """The sentences of one document (with predictions when a model was given), or the reason it failed."""

    document: Document
    sentences: tuple[Sentence, ...] = ()
    predictions: tuple[Prediction, ...] = ()
    pages: int = 0
    characters: int = 0
    warnings: tuple[str, ...] = ()
    error: str | None = None


def _to_cache(result: DocumentResult, labels: tuple[str, ...]) -> dict:
    rows = [
        [s.page, s.section, s.text, s.start, s.end, list(p.labels), [p.scores[lab] for lab in labels], s.ocr]
        for s, p in zip(result.sentences, result.predictions, strict=True)
    ]
    return {"labels": list(labels), "pages": result.pages, "warnings": list(result.warnings), "sentences": rows}


def _from_cache(document: Document, data: dict, labels: tuple[str, ...]) -> DocumentResult:
    if tuple(data["labels"]) != labels:
        raise ValueError("cached labels differ")
    sentences, predictions = [], []
    for index, (page, section, text, start, end, on, scores, *ocr) in enumerate(data["sentences"]):
        sentences.append(Sentence(document.doc_id, document.path, page, index, section, text, start, end, bool(ocr and ocr[0])))
        predictions.append(Prediction(tuple(on), dict(zip(labels, scores, strict=True))))
    characters = sum(len(s.text) for s in sentences)
    return DocumentResult(document, tuple(sentences), tuple(predictions), data["pages"], characters, tuple(data["warnings"]))


def process_document(document: Document, cache: ExtractionCache, engine: str = ENGINES[0], model: ModelRef | None = None) -> DocumentResult:
    """Extract, segment and (with a model) tag one document; an unreadable file becomes a result with `error` set."""
    try:
        digest = file_hash(document.path) if cache.enabled else ""
        key = tag_key(digest, engine, pipeline_key(), model.identity) if model and cache.enabled else None
        cached = cache.get_tags(key) if key else None
        if cached is not None:
            try:
                return _from_cache(document, cached, model.labels)
            except (ValueError, KeyError, TypeError):
                pass  # a damaged entry is rebuilt
        extraction = cache.get(document.path, engine=engine, digest=digest or None)
    except InputError as exc:
        return DocumentResult(document, error=exc.reason)
    except OSError as exc:
        return DocumentResult(document, error=f"cannot read file ({exc.strerror})")
    except Exception as exc:  # an unforeseen parser failure must not stop a batch
        return DocumentResult(document, error=f"extraction failed ({type(exc).__name__}: {exc})")
    try:  # every stage after extraction, too, fails one document and never the batch
        sentences = tuple(segment(extraction, document.doc_id, load_pipeline()))
        predictions = tuple(_loaded(model.path).predict([s.text for s in sentences])) if model else ()
    except PolicyscanError as exc:
        if not isinstance(exc, InputError):
            raise  # a model or set-up problem concerns the whole run
        return DocumentResult(document, error=exc.reason)
    except Exception as exc:
        return DocumentResult(document, error=f"sentence splitting or tagging failed ({type(exc).__name__}: {exc})")
    characters = sum(len(s.text) for s in sentences)
    result = DocumentResult(document, sentences, predictions, len(extraction.pages), characters, extraction.warnings)
    if key:
        cache.put_tags(key, _to_cache(result, model.labels))
    return result


def extract_documents(documents: Iterable[Document], cache: ExtractionCache, engine: str = ENGINES[0]) -> Iterator[DocumentResult]:
    """Process documents one by one, in order, without tagging."""
    for document in documents:
        yield process_document(document, cache, engine)
