"""One document from file to tagged sentences, turning a bad file into a reported failure instead of a crash.

Sentences are cached by the file's content, the extractor and the segmenter,
and tagged sentences also by the model (see `cache`): a rescan of unchanged
files loads neither spaCy nor the model, and a rescan with a new model only
classifies again.
"""

from __future__ import annotations

import collections
import concurrent.futures as cf
import contextlib
import functools
import itertools
import json
import os
import signal
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from .cache import DocumentCache, sentence_key, tag_key
from .corpus import Discovery, discover
from .errors import InputError, NoDocumentsError, PolicyscanError, PolicyscanWarning
from .extract import ENGINES
from .fileio import file_hash, package_data
from .progress import counted, failed_note
from .records import Document, Extraction, Prediction, Problem, Sentence, TaggedSentence
from .segment import nlp_key
from .taxonomy import Taxonomy

if TYPE_CHECKING:  # the model (numpy) is imported when a document needs classifying, not for a cached rescan
    from .model import Model


@functools.lru_cache(maxsize=2)
def _loaded(path: str) -> Model:
    from .persist import load_model

    return load_model(path)


@dataclass(frozen=True)
class ModelRef:
    """A model by path and identity: what a worker process needs to load it once."""

    path: str
    identity: str
    labels: tuple[str, ...]
    name: str


def model_reference(path: str | Path | None, taxonomy: Taxonomy) -> ModelRef:
    """A checked reference to a model (files match the card, labels match the taxonomy); loaded only on a cache miss."""
    from .persist import ModelFolder

    folder = ModelFolder.at(path)
    card = folder.verify(taxonomy)
    name = card.get("name", folder.name)
    if folder.folder == package_data("model"):
        name = "the shipped model"  # its folder is called "model", which reads as "model model" in the report
    name += f" (trained {card['trained_at'][:10]})" if card.get("trained_at") else ""
    return ModelRef(str(folder.path), folder.identity(card), tuple(card["labels"]), name)


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

    @property
    def problem(self) -> Problem | None:
        """The failure of this document as a `Problem`, or None when it was read."""
        if self.error is None:
            return None
        return Problem(self.document.path, self.document.municipality, self.error)

    def tagged(self) -> list[TaggedSentence]:
        """The sentences with their municipality, labels and scores (empty without predictions)."""
        municipality = self.document.municipality
        return [
            TaggedSentence(s, municipality, p.labels, p.scores, p.encoded) for s, p in zip(self.sentences, self.predictions, strict=True)
        ]


def _to_cache(result: DocumentResult, labels: tuple[str, ...]) -> dict:
    """A tagged document as the tag cache keeps it: each sentence's labels and scores only as sentences.jsonl writes them."""
    rows = [
        [s.page, s.section, s.text, s.start, s.end, s.ocr, p.json_fields()]
        for s, p in zip(result.sentences, result.predictions, strict=True)
    ]
    return {"labels": list(labels), "pages": result.pages, "warnings": list(result.warnings), "sentences": rows}


def _from_cache(document: Document, data: dict, labels: tuple[str, ...]) -> DocumentResult:
    """The tagged document of a tag cache entry; the sentences' labels and scores are decoded in one pass over the document."""
    if tuple(data["labels"]) != labels:
        raise ValueError("cached labels differ")
    rows = data["sentences"]
    decoded = json.loads("[" + ", ".join("{" + row[6] + "}" for row in rows) + "]")
    sentences, predictions = [], []
    for index, ((page, section, text, start, end, ocr, encoded), fields) in enumerate(zip(rows, decoded, strict=True)):
        scores = fields["scores"]
        if len(fields) != 2 or len(scores) != len(labels) or "\n" in encoded:  # it goes into sentences.jsonl as it is
            raise ValueError("damaged sentence row")
        sentences.append(Sentence(document.doc_id, document.path, page, index, section, text, start, end, bool(ocr)))
        predictions.append(Prediction(tuple(fields["labels"]), scores, encoded))
    characters = sum(len(s.text) for s in sentences)
    return DocumentResult(document, tuple(sentences), tuple(predictions), data["pages"], characters, tuple(data["warnings"]))


def _sentences_to_cache(result: DocumentResult) -> dict:
    rows = [[s.page, s.section, s.text, s.start, s.end, s.ocr] for s in result.sentences]
    return {"pages": result.pages, "warnings": list(result.warnings), "sentences": rows}


def _sentences_from_cache(document: Document, data: dict) -> DocumentResult:
    sentences = []
    for index, (page, section, text, start, end, ocr) in enumerate(data["sentences"]):
        if not (isinstance(text, str) and isinstance(page, int) and isinstance(start, int) and end == start + len(text)):
            raise ValueError("damaged sentence row")
        if section is not None and not isinstance(section, str):
            raise ValueError("damaged section")
        sentences.append(Sentence(document.doc_id, document.path, page, index, section, text, start, end, bool(ocr)))
    notes = tuple(data["warnings"])
    if not isinstance(data["pages"], int) or not all(isinstance(w, str) for w in notes):
        raise ValueError("damaged entry")
    characters = sum(len(s.text) for s in sentences)
    return DocumentResult(document, tuple(sentences), (), data["pages"], characters, notes)


@dataclass(frozen=True)
class _Keys:
    """A document's cache keys at the sentence and tag levels (no tag key without a model)."""

    sentences: str
    tags: str | None


def _keys(document: Document, cache: DocumentCache, engine: str, model: ModelRef | None) -> tuple[str, _Keys | None]:
    """The file's hash and its cache keys; neither when the cache is off."""
    if not cache.enabled:
        return "", None
    digest, pipeline = file_hash(document.path), nlp_key()
    tags = tag_key(digest, engine, pipeline, model.identity) if model else None
    return digest, _Keys(sentence_key(digest, engine, pipeline), tags)


def _cached(document: Document, cache: DocumentCache, keys: _Keys | None, model: ModelRef | None) -> tuple[DocumentResult | None, bool]:
    """The document's result from the cache, else None, and whether it is tagged; a damaged entry counts as none."""
    if keys is None:
        return None, False
    if keys.tags and (data := cache.get_tags(keys.tags)) is not None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            return _from_cache(document, data, model.labels), True
    if (data := cache.get_sentences(keys.sentences)) is not None:
        with contextlib.suppress(ValueError, KeyError, TypeError):
            return _sentences_from_cache(document, data), False
    return None, False


#: Whether the running `process_all` has had to read, split or tag a document (a rescan that finds every result in
#: the cache has not); the scan starts its plotting process then, and never on such a rescan.
_worked = False


def has_worked() -> bool:
    """Whether the running `process_all` has had a document read, split or tagged rather than taken from the cache."""
    return _worked


#: How many processes the running `process_all` keeps reading documents (see `reading`).
_reading: Callable[[], int] = lambda: 1  # noqa: E731


def reading() -> int:
    """How many processes the running `process_all` keeps reading documents now: 1 when it reads them itself, else
    those of its workers that have a document (the scan starts its plotting processes once a core is left)."""
    return _reading()


def process_document(document: Document, cache: DocumentCache, engine: str = ENGINES[0], model: ModelRef | None = None) -> DocumentResult:
    """Extract, segment and (with a model) tag one document; an unreadable file becomes a result with `error` set.

    Each step reads the cache first: tagged sentences, else sentences (spaCy is not loaded), else pages (the PDF is not parsed).
    """
    result, keys, done = _untagged(document, cache, engine, model)
    return result if done else _tagged([(result, keys)], cache, model)[0]


#: Sentences tagged in one call by `process_all`: the scorer tags 25k sentences a second one document (about 200
#: sentences) at a time and 32k in batches of a thousand or more.
BATCH_SENTENCES = 1000


def _untagged(document: Document, cache: DocumentCache, engine: str, model: ModelRef | None) -> tuple[DocumentResult, _Keys | None, bool]:
    """The document's result as far as it needs no model, its cache keys, and whether it is done (tagged, failed, or no model)."""
    global _worked
    try:
        digest, keys = _keys(document, cache, engine, model)
        result, tagged = _cached(document, cache, keys, model)
        if result is not None and (tagged or not model):
            return result, keys, True
        extraction = cache.get(document.path, engine=engine, digest=digest or None) if result is None else None
    except InputError as exc:
        return DocumentResult(document, error=exc.reason), None, True
    except OSError as exc:
        return DocumentResult(document, error=f"cannot read file ({exc.strerror})"), None, True
    except Exception as exc:  # an unforeseen parser failure must not stop a batch
        return DocumentResult(document, error=f"extraction failed ({type(exc).__name__}: {exc})"), None, True
    _worked = True  # sentences to split or tag (a file that fails again, as it did before, changes no figure)
    if result is None:
        try:  # every stage after extraction, too, fails one document and never the batch
            result = _segmented(document, extraction)
        except PolicyscanError as exc:
            if not isinstance(exc, InputError):
                raise  # a set-up problem concerns the whole run
            return DocumentResult(document, error=exc.reason), None, True
        except Exception as exc:
            return DocumentResult(document, error=f"sentence splitting or tagging failed ({type(exc).__name__}: {exc})"), None, True
        if keys:
            cache.put_sentences(keys.sentences, _sentences_to_cache(result))
    return result, keys, model is None


def _tagged(untagged: list[tuple[DocumentResult, _Keys | None]], cache: DocumentCache, model: ModelRef) -> list[DocumentResult]:
    """The documents with their sentences tagged in one call to the model, and cached.

    When that call fails unforeseen, each document is tagged alone, so that only the one that fails carries the error.
    """
    try:
        predictions = _loaded(model.path).predict([s.text for result, _ in untagged for s in result.sentences])
    except Exception as exc:
        if isinstance(exc, PolicyscanError) and not isinstance(exc, InputError):
            raise  # a model or set-up problem concerns the whole run
        if len(untagged) > 1:
            return [_tagged([one], cache, model)[0] for one in untagged]
        reason = exc.reason if isinstance(exc, InputError) else f"sentence splitting or tagging failed ({type(exc).__name__}: {exc})"
        return [DocumentResult(untagged[0][0].document, error=reason)]
    done, start = [], 0
    for result, keys in untagged:
        own = predictions[start : start + len(result.sentences)]
        start += len(result.sentences)
        result = replace(result, predictions=tuple(p.with_json() for p in own))
        if keys and keys.tags:
            cache.put_tags(keys.tags, _to_cache(result, model.labels))
        done.append(result)
    return done


def _in_batches(
    entries: Iterable[tuple[DocumentResult, _Keys | None, bool]], cache: DocumentCache, model: ModelRef | None
) -> Iterator[DocumentResult]:
    """The results of `entries` (a result, its cache keys, whether it is done) in order, the sentences of consecutive
    untagged ones tagged together (about BATCH_SENTENCES at a time); a done result comes as soon as those before it."""
    waiting: list[tuple[DocumentResult, _Keys | None, bool]] = []
    sentences = 0
    for result, keys, done in entries:
        waiting.append((result, keys, done))
        sentences += 0 if done else len(result.sentences)
        if sentences >= BATCH_SENTENCES or not sentences:
            yield from _release(waiting, cache, model)
            waiting, sentences = [], 0
    yield from _release(waiting, cache, model)


def _release(
    waiting: list[tuple[DocumentResult, _Keys | None, bool]], cache: DocumentCache, model: ModelRef | None
) -> Iterator[DocumentResult]:
    """The waiting documents in order, those still untagged tagged in one call."""
    untagged = [(result, keys) for result, keys, done in waiting if not done]
    tagged = iter(_tagged(untagged, cache, model) if untagged else [])
    for result, _, done in waiting:
        yield result if done else next(tagged)


def _segmented(document: Document, extraction: Extraction) -> DocumentResult:
    """The document's sentences, split with spaCy (loaded on first use)."""
    from .segment import load_nlp, segment

    sentences = tuple(segment(extraction, document.doc_id, load_nlp()))
    characters = sum(len(s.text) for s in sentences)
    return DocumentResult(document, sentences, (), len(extraction.pages), characters, extraction.warnings)


#: Why a document failed when the process reading it was killed (by the OS for lack of memory, or by a signal).
KILLED = "the process reading it was killed (out of memory?); try --jobs 1, or split or re-save the PDF"


def available_cores() -> int:
    """The cores this process may run on."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def worker_count(jobs: int, documents: int) -> int:
    """The processes worth starting: no more than asked, than documents, or than the machine has cores."""
    return max(1, min(jobs, documents, available_cores()))


def process_all(
    documents: Sequence[Document],
    cache: DocumentCache,
    engine: str = ENGINES[0],
    jobs: int = 1,
    model: ModelRef | None = None,
    work: Callable[..., DocumentResult] = process_document,
) -> Iterator[DocumentResult]:
    """Results in input order from up to `jobs` worker processes; a killed worker fails only the document it was reading.

    With more than one worker, documents whose results are cached are read here and only the others go to
    the workers (none are started when every result is cached); workers started by `start_workers` are used.
    The workers read and split documents; their sentences are tagged here, those of consecutive documents together
    (as in a sequential run). `work` is what a worker runs per document (`process_document`, given no model); tests
    pass one that dies like a worker the OS kills.
    """
    global _worked, _reading
    _worked, _reading = False, lambda: 1
    workers = worker_count(jobs, len(documents))
    if workers == 1:
        stop_workers()
        if work is process_document and model is not None:
            yield from _in_batches((_untagged(document, cache, engine, model) for document in documents), cache, model)
            return
        for document in documents:
            yield work(document, cache, engine, model)
        return
    keys = [_known_keys(document, cache, engine, model) for document in documents]
    cached = [_final_entry_exists(cache, k) for k in keys]
    to_do = [document for document, hit in zip(documents, cached, strict=True) if not hit]
    _worked = bool(to_do)
    if not to_do:
        stop_workers()
    busy = worker_count(jobs, len(to_do))
    pool = _started_pool(busy) if to_do else None
    stop_workers()  # any other early pool
    alone = _OneByOne(work)
    futures: collections.deque[cf.Future] = collections.deque()
    _reading = lambda: len(list(itertools.islice((f for f in futures if not f.done()), busy)))  # noqa: E731 (those handed on are done)

    def entries() -> Iterator[tuple[DocumentResult, _Keys | None, bool]]:
        for document, hit, known in zip(documents, cached, keys, strict=True):
            if hit:  # from the cache; rebuilt here if the entry is damaged
                yield process_document(document, cache, engine, model), None, True
                continue
            try:
                result = futures.popleft().result()  # a result handed on is not kept: memory stays flat on large batches
            except cf.process.BrokenProcessPool:  # a worker died: reading each unfinished document alone finds the one that kills
                result = alone.process(document, cache, engine, None)
            done = model is None or result.error is not None
            yield result, None if done else known, done

    try:  # the workers read and split; this process, which mostly waits for them, tags their sentences in batches
        if pool is not None:
            futures.extend(pool.submit(work, document, cache, engine, None) for document in to_do)
        yield from _in_batches(entries(), cache, model)
    except BaseException:  # Ctrl-C or an abandoned batch: the workers (which leave Ctrl-C to this process) are stopped now
        for running in (pool, alone.pool):
            _terminate(running)
        raise
    finally:  # start no more documents
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        alone.close()


def _terminate(pool: cf.ProcessPoolExecutor | None) -> None:
    """End a pool's processes without waiting for the documents they are reading."""
    if pool is None:
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        process.terminate()


def _ignore_interrupt() -> None:
    """What a worker does first: leave Ctrl-C to the main process, which stops the workers (a worker waiting for work
    would otherwise print a traceback of its own)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _known_keys(document: Document, cache: DocumentCache, engine: str, model: ModelRef | None) -> _Keys | None:
    """The document's cache keys, or none (the cache is off, or the file cannot be read: its worker reports that)."""
    try:
        return _keys(document, cache, engine, model)[1]
    except OSError:
        return None


def _final_entry_exists(cache: DocumentCache, keys: _Keys | None) -> bool:
    """Whether the cache holds the document's final result (tagged with the model, or its sentences without one)."""
    return keys is not None and cache.has(*(("tags", keys.tags) if keys.tags else ("sentences", keys.sentences)))


#: Pools started by `start_workers` before the work was known, by number of workers.
_EARLY: dict[int, cf.ProcessPoolExecutor] = {}


def start_workers(jobs: int, documents: int) -> None:
    """Start the worker processes of a coming `process_all` now, so that they import the PDF engine and spaCy while
    this process does its own start-up (imports, discovery, checking the model); the model is used here, not by them.

    `documents` is at most how many documents there will be; no more workers are started than it and the cores allow.
    """
    workers = worker_count(jobs, documents)
    if workers < 2 or workers in _EARLY:
        return
    pool = cf.ProcessPoolExecutor(max_workers=workers, initializer=_warm_up)
    pool.submit(int)  # the first task starts every worker (fork)
    _EARLY[workers] = pool


def stop_workers() -> None:
    """Stop the workers `start_workers` started that no `process_all` took (every result was cached, or the run failed first)."""
    while _EARLY:
        _, pool = _EARLY.popitem()
        stop_pool(pool)


def stop_pool(pool: cf.ProcessPoolExecutor) -> None:
    """End a pool's processes now (still warming up, or reading a document) and wait until the pool has reaped them.

    Joining the processes here while the pool's own thread reaps them too can leave one looking alive (its exit
    status went to the other thread); the pool's shutdown waits for that thread instead."""
    _terminate(pool)
    pool.shutdown(wait=True, cancel_futures=True)


def _started_pool(workers: int) -> cf.ProcessPoolExecutor:
    """The pool `start_workers` started (already running, possibly with a worker more than needed), else a new one."""
    if _EARLY:
        return _EARLY.pop(max(_EARLY))
    return cf.ProcessPoolExecutor(max_workers=workers, initializer=_ignore_interrupt)


def _warm_up() -> None:
    """What a worker does first: leave Ctrl-C to the main process, import the PDF engine and spaCy, and build the Dutch
    pipeline."""
    _ignore_interrupt()
    try:
        from .pdf import pdfium  # noqa: F401 (imported for its side effect: the engine is ready)
        from .segment import load_nlp

        load_nlp()
    except Exception:  # only a head start: the document that needs it reports the problem
        pass
    except KeyboardInterrupt:  # Ctrl-C reaches the workers too: the main process reports it, not a traceback from each
        pass


def input_count(inputs: Iterable[str | Path], limit: int) -> int:
    """How many documents the inputs may hold (files given, and files under folders with a document suffix), counted up to `limit`."""
    from .corpus import SUFFIXES

    count = 0
    for given in inputs:
        path = Path(given)
        files = (p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES) if path.is_dir() else iter([path])
        for _ in files:
            count += 1
            if count >= limit:
                return count
    return count


class _OneByOne:
    """Documents read one at a time in a process of their own, so a killed process names its document."""

    def __init__(self, work: Callable[..., DocumentResult]) -> None:
        self.work = work
        self.pool: cf.ProcessPoolExecutor | None = None

    def process(self, document: Document, cache: DocumentCache, engine: str, model: ModelRef | None) -> DocumentResult:
        """The document's result, or a failure saying its process was killed."""
        self.pool = self.pool or cf.ProcessPoolExecutor(max_workers=1, initializer=_ignore_interrupt)
        try:
            return self.pool.submit(self.work, document, cache, engine, model).result()
        except cf.process.BrokenProcessPool:
            self.close()
            return DocumentResult(document, error=KILLED)

    def close(self) -> None:
        """Stop the process, if one was started."""
        if self.pool is not None:
            self.pool.shutdown(cancel_futures=True)
            self.pool = None


def find_inputs(inputs: Sequence[str | Path], manifest: str | Path | None = None, names: bool = True) -> Discovery:
    """The documents under the inputs, each discovery warning issued as a PolicyscanWarning (with `names`, also those about
    municipality names, which only matter where documents are counted by municipality); NoDocumentsError when there is none."""
    found = discover(list(inputs), manifest)
    for message in found.warnings + (found.name_warnings if names else []):
        warnings.warn(message, PolicyscanWarning, stacklevel=2)
    if not found.documents:
        raise NoDocumentsError(
            "no documents to read, nothing written; give PDF or .txt files, or folders that hold them", tuple(found.problems)
        )
    return found


def extract_documents(documents: Iterable[Document], cache: DocumentCache, engine: str = ENGINES[0]) -> Iterator[DocumentResult]:
    """Process documents one by one, in order, without tagging."""
    for document in documents:
        yield process_document(document, cache, engine)


@dataclass(frozen=True)
class ExtractSummary:
    """What `extract_corpus` did: documents read, sentences written, and the inputs that failed."""

    documents: int
    sentences: int
    problems: tuple[Problem, ...]
    failed: int

    def line(self) -> str:
        """The one-line summary printed at the end of an extraction."""
        return f"{counted(self.documents, 'document')}{failed_note(len(self.problems))}, {counted(self.sentences, 'sentence')}"


def extract_corpus(
    inputs: Sequence[str | Path],
    output: TextIO,
    cache: DocumentCache | None = None,
    engine: str = ENGINES[0],
    on_start: Callable[[int], None] | None = None,
    on_document: Callable[[DocumentResult], None] | None = None,
) -> ExtractSummary:
    """Extract the sentences of the documents under `inputs` to `output` as JSON Lines; a bad file is counted, never raised.

    `on_start` is called with the number of documents found, `on_document` with each result as it arrives.
    """
    found = find_inputs(inputs, names=False)  # extract counts no municipalities
    documents, problems = found.documents, found.problems
    if on_start:
        on_start(len(documents))
    encode = json.JSONEncoder(ensure_ascii=False).encode
    n_sentences, failed = 0, []
    for result in extract_documents(documents, cache or DocumentCache(), engine):
        if on_document:
            on_document(result)
        if result.problem:
            failed.append(result.problem)
            continue
        for sentence in result.sentences:
            output.write(encode(sentence.to_dict()) + "\n")
        n_sentences += len(result.sentences)
    return ExtractSummary(len(documents), n_sentences, tuple(problems) + tuple(failed), len(failed))
