"""The batch scan: documents -> sentences -> labels -> profiles -> a results folder, replaced as a whole."""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import os
import shutil
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .cache import DocumentCache
from .corpus import find_documents
from .errors import OutputExistsError
from .extract import ENGINES
from .fileio import current_umask
from .persist import ModelFolder
from .process import DocumentResult, ModelRef, model_reference, process_document
from .profile import Profile, profiles_by
from .records import Document, Problem, TaggedSentence
from .report import report_data, write_coverage, write_coverage_long, write_documents, write_errors, write_report, write_sentences
from .summary import write_summary
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
    failures: tuple[Problem, ...]

    def line(self) -> str:
        """The one-line summary printed at the end of a scan."""
        return (
            f"{self.documents} documents ({self.failed} failed), {self.pages} pages, {self.sentences} sentences, "
            f"{self.municipalities} municipalities in {self.seconds:.1f}s"
        )


def _results(documents: Sequence[Document], cache: DocumentCache, engine: str, jobs: int, model: ModelRef) -> Iterator[DocumentResult]:
    """Tagged document results in input order, from `jobs` worker processes."""
    if jobs <= 1 or len(documents) <= 1:
        for document in documents:
            yield process_document(document, cache, engine, model)
        return
    n = len(documents)
    with cf.ProcessPoolExecutor(max_workers=jobs) as pool:
        yield from pool.map(process_document, documents, [cache] * n, [engine] * n, [model] * n)


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


@contextlib.contextmanager
def results_folder(outdir: Path, force: bool) -> Iterator[Path]:
    """A temporary folder to write into that replaces `outdir` when the block ends without error, else is removed."""
    tmp = _prepare_output(outdir, force)
    try:
        yield tmp
        _swap_in(tmp, outdir)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


@dataclass(frozen=True)
class ScanResult:
    """Everything a scan found, before it is written: per-document results, tagged sentences, profiles and failures."""

    documents: tuple[DocumentResult, ...]
    tagged: tuple[TaggedSentence, ...]
    municipalities: tuple[Profile, ...]
    per_document: dict[str, Profile] = field(hash=False)
    problems: tuple[Problem, ...]
    codes: dict[str, str] = field(hash=False)
    model: str
    min_sentences: int

    def summary(self, seconds: float = 0.0) -> ScanSummary:
        """The counts of the scan."""
        ok = [r for r in self.documents if not r.error]
        n_failed = len(self.documents) - len(ok)
        pages = sum(r.pages for r in ok)
        return ScanSummary(len(self.documents), n_failed, pages, len(self.tagged), len(self.municipalities), seconds, self.problems)


def aggregate(
    results: Sequence[DocumentResult], problems: Sequence[Problem], taxonomy: Taxonomy, model: str, min_sentences: int = 2
) -> ScanResult:
    """Profiles per municipality and per document from the tagged results; failed inputs (found or read) as problems."""
    ok = [r for r in results if not r.error]
    tagged = tuple(t for r in ok for t in r.tagged())
    by_doc = {r.document.doc_id: (r.document.municipality, 1) for r in ok}
    by_muni = {m: (m, n) for m, n in Counter(r.document.municipality for r in ok).items()}
    municipal = profiles_by(tagged, taxonomy, "municipality", by_muni, min_sentences)
    per_doc = {p.key: p for p in profiles_by(tagged, taxonomy, "document", by_doc, min_sentences)}
    codes = {r.document.municipality: r.document.code for r in results if r.document.code}
    failed = tuple(problems) + tuple(r.problem for r in results if r.problem)
    return ScanResult(tuple(results), tagged, tuple(municipal), per_doc, failed, codes, model, min_sentences)


def write_results(folder: Path, result: ScanResult, taxonomy: Taxonomy) -> None:
    """Write the files of a scan into `folder`, marked as a policyscan results folder."""
    write_sentences(folder / "sentences.jsonl", result.tagged)
    write_documents(folder / "documents.csv", result.documents, result.per_document, taxonomy)
    write_coverage(folder / "coverage.csv", result.municipalities, taxonomy, result.codes)
    write_coverage_long(folder / "coverage_long.csv", result.municipalities, taxonomy)
    if result.problems:
        write_errors(folder / "errors.csv", result.problems)
    summary = result.summary()
    meta = {
        "documents": summary.documents,
        "failed": summary.failed,
        "pages": summary.pages,
        "sentences": summary.sentences,
        "municipalities": summary.municipalities,
        "model": result.model,
        "min_sentences": result.min_sentences,
    }
    write_report(folder / "report.html", report_data(result.municipalities, result.tagged, taxonomy, meta))
    (folder / MARKER).write_text("policyscan scan results; this folder is replaced as a whole by the next scan\n", encoding="utf-8")


def scan(
    inputs: Sequence[str | Path],
    outdir: str | Path,
    taxonomy: Taxonomy,
    model: str | Path | None = None,
    manifest: str | Path | None = None,
    jobs: int = 1,
    cache: DocumentCache | None = None,
    engine: str = ENGINES[0],
    min_sentences: int = 2,
    force: bool = False,
    on_start: Callable[[int], None] | None = None,
    on_document: Callable[[DocumentResult], None] | None = None,
) -> ScanSummary:
    """Scan documents into `outdir`: sentences.jsonl, documents.csv, coverage.csv, coverage_long.csv, report.html, errors.csv, summary.*.

    `model` is a model folder (default: $POLICYSCAN_MODEL or the shipped model); it is checked here and loaded by the workers.
    `on_start` is called with the number of documents found, `on_document` with each result as it arrives.
    """
    started = time.monotonic()
    ref = model_reference(model, taxonomy)
    documents, problems = find_documents(list(inputs), manifest)
    if on_start:
        on_start(len(documents))
    with results_folder(Path(outdir), force) as folder:
        results = []
        for result in _results(documents, cache or DocumentCache(), engine, jobs, ref):
            results.append(result)
            if on_document:
                on_document(result)
        scanned = aggregate(results, problems, taxonomy, ref.name, min_sentences)
        write_results(folder, scanned, taxonomy)
        write_summary(folder, taxonomy, ModelFolder.at(ref.path).card(), min_sentences=min_sentences)
    return scanned.summary(round(time.monotonic() - started, 2))
