"""The batch scan: documents -> sentences -> labels -> profiles -> a results folder, replaced as a whole."""

from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from .cache import ExtractionCache
from .corpus import find_documents
from .errors import OutputExistsError
from .extract import ENGINES
from .fileio import current_umask
from .persist import default_model_path
from .pipeline import DocumentResult, ModelRef, model_reference, process_document
from .profile import TaggedSentence, profiles_by
from .records import Document
from .report import report_data, write_coverage, write_coverage_long, write_documents, write_errors, write_report, write_sentences
from .taxonomy import Taxonomy

MARKER = ".policyscan-results"


@dataclass(frozen=True)
class ScanSummary:
    """What a scan did."""

    documents: int
    failed: int
    pages: int
    sentences: int
    municipalities: int
    seconds: float
    failures: tuple[tuple[str, str, str], ...]

    def line(self) -> str:
        """The one-line summary printed at the end of a scan."""
        return (
            f"{self.documents} documents ({self.failed} failed), {self.pages} pages, {self.sentences} sentences, "
            f"{self.municipalities} municipalities in {self.seconds:.1f}s"
        )


def _results(documents: Sequence[Document], cache: ExtractionCache, engine: str, jobs: int, model: ModelRef) -> Iterator[DocumentResult]:
    """Tagged document results in input order, from `jobs` worker processes."""
    if jobs <= 1 or len(documents) <= 1:
        for document in documents:
            yield process_document(document, cache, engine, model)
        return
    n = len(documents)
    with cf.ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(process_document, documents, [cache] * n, [engine] * n, [model] * n)


def tagged_sentences(result: DocumentResult) -> list[TaggedSentence]:
    """The sentences of one document with their municipality, labels and scores."""
    municipality = result.document.municipality
    return [TaggedSentence(s, municipality, p.labels, p.scores) for s, p in zip(result.sentences, result.predictions, strict=True)]


def _document_row(result: DocumentResult) -> dict:
    d = result.document
    return {
        "doc_id": d.doc_id,
        "path": d.path,
        "municipality": d.municipality,
        "code": d.code,
        "year": d.year,
        "title": d.title,
        "status": "failed" if result.error else "ok",
        "error": result.error,
        "pages": result.pages,
        "sentences": len(result.sentences),
        "characters": result.characters,
        "warnings": "; ".join(result.warnings),
    }


def _prepare_output(outdir: Path, force: bool) -> Path:
    """A fresh temporary folder beside `outdir`; refuses to replace a folder that is not a policyscan results folder."""
    if outdir.exists() and not force:
        if not outdir.is_dir() or (any(outdir.iterdir()) and not (outdir / MARKER).exists()):
            raise OutputExistsError(f"{outdir} exists and is not a policyscan results folder; choose another -o or pass --force")
    outdir.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-", dir=outdir.parent))
    os.chmod(tmp, 0o777 & ~current_umask())
    return tmp


def _swap_in(tmp: Path, outdir: Path) -> None:
    """Replace `outdir` by `tmp` with renames, so readers see the old results or the new ones."""
    if outdir.exists():
        old = outdir.with_name(f".{outdir.name}.old-{os.getpid()}")
        os.replace(outdir, old)
        os.replace(tmp, outdir)
        shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(tmp, outdir)


def scan(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    taxonomy: Taxonomy,
    model: str | Path | None = None,
    manifest: str | Path | None = None,
    jobs: int = 1,
    cache: ExtractionCache | None = None,
    engine: str = ENGINES[0],
    min_sentences: int = 2,
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_document: Callable[[DocumentResult], None] | None = None,
) -> ScanSummary:
    """Scan documents into `outdir`: sentences.jsonl, documents.csv, coverage.csv, coverage_long.csv, report.html, errors.csv.

    `model` is a model folder (default: $POLICYSCAN_MODEL or the shipped model); it is checked here and loaded by the workers.
    `on_start` is called with the number of documents found, `on_document` with each result as it arrives.
    """
    started = time.monotonic()
    outdir = Path(outdir)
    ref = model_reference(model or default_model_path(), taxonomy)
    documents, problems = find_documents(list(inputs), manifest)
    if on_start:
        on_start(len(documents))
    cache = cache or ExtractionCache()
    tmp = _prepare_output(outdir, force)
    try:
        tagged, rows, failures = [], [], [(p.path, p.municipality, p.reason) for p in problems]
        for result in _results(documents, cache, engine, jobs, ref):
            rows.append(_document_row(result))
            if result.error:
                failures.append((result.document.path, result.document.municipality, result.error))
            else:
                tagged += tagged_sentences(result)
            if on_document:
                on_document(result)
        ok = [r for r in rows if r["status"] == "ok"]
        by_doc = {r["doc_id"]: (r["municipality"], 1) for r in ok}
        by_muni = {m: (m, n) for m, n in Counter(r["municipality"] for r in ok).items()}
        municipal = profiles_by(tagged, taxonomy, "municipality", by_muni, min_sentences)
        per_doc = {p.key: p for p in profiles_by(tagged, taxonomy, "document", by_doc, min_sentences)}
        codes = {r["municipality"]: r["code"] for r in rows if r["code"]}
        summary = ScanSummary(
            len(rows), len(rows) - len(ok), sum(r["pages"] for r in ok), len(tagged), len(municipal), 0.0, tuple(failures)
        )
        _write_all(tmp, tagged, rows, municipal, per_doc, codes, failures, taxonomy, summary, ref.name, min_sentences)
        _swap_in(tmp, outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return replace(summary, seconds=round(time.monotonic() - started, 2))


def _write_all(tmp, tagged, rows, municipal, per_doc, codes, failures, taxonomy, summary, model_name, min_sentences) -> None:
    write_sentences(tmp / "sentences.jsonl", tagged)
    write_documents(tmp / "documents.csv", rows, per_doc, taxonomy)
    write_coverage(tmp / "coverage.csv", municipal, taxonomy, codes)
    write_coverage_long(tmp / "coverage_long.csv", municipal, taxonomy)
    if failures:
        write_errors(tmp / "errors.csv", failures)
    meta = {
        "documents": summary.documents,
        "failed": summary.failed,
        "pages": summary.pages,
        "sentences": summary.sentences,
        "municipalities": summary.municipalities,
        "model": model_name,
        "min_sentences": min_sentences,
    }
    write_report(tmp / "report.html", report_data(municipal, tagged, taxonomy, meta))
    (tmp / MARKER).write_text("policyscan scan results; this folder is replaced as a whole by the next scan\n", encoding="utf-8")
