"""The batch scan: documents -> sentences -> labels -> profiles -> a results folder, replaced as a whole."""

from __future__ import annotations

import contextlib
import glob
import json
import os
import shutil
import socket
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from . import plotter
from .cache import DocumentCache
from .errors import OutputExistsError, OutputOverlapsInputError
from .extract import ENGINES
from .fileio import atomic_open, current_umask
from .persist import ModelFolder, label_trust
from .process import DocumentResult, find_inputs, has_worked, model_reference, process_all, reading
from .profile import Profile, ProfileTally, profiles_by
from .progress import counted, failed_note
from .records import Document, Problem, TaggedSentence
from .report import (
    ReportEvidence,
    csv_output,
    document_columns,
    document_row,
    manifest_columns,
    report_data,
    write_coverage,
    write_coverage_long,
    write_datapackage,
    write_errors,
    write_report,
    write_sentence_lines,
)
from .spool import Spool
from .summary import SUMMARY_FILES, write_summary
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
            f"{counted(self.documents, 'document')}{failed_note(len(self.failures))}, {counted(self.pages, 'page')}, "
            f"{counted(self.sentences, 'sentence')}, {counted(self.municipalities, 'municipality', 'municipalities')} in {self.seconds:.1f}s"
        )


#: Every file a scan writes into its results folder; anything else there was put there by someone else.
OUTPUT_FILES = (
    frozenset(
        {"sentences.jsonl", "documents.csv", "coverage.csv", "coverage_long.csv", "report.html", "errors.csv", "datapackage.json", MARKER}
    )
    | SUMMARY_FILES
)
#: Files an operating system drops into folders it shows; replacing them loses nothing.
_OS_CLUTTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
#: The file inside a temporary results folder that says which run made it.
TMP_MARKER = ".policyscan-tmp"


def check_output_apart(outdir: str | Path, inputs: Iterable[str | Path]) -> None:
    """Raise OutputOverlapsInputError when `outdir` is an input, contains one or lies inside one (links followed)."""
    out = Path(os.path.realpath(outdir))
    for given in inputs:
        path = Path(os.path.realpath(given))
        if out == path or out in path.parents or path in out.parents:
            where = "is" if out == path else ("contains" if out in path.parents else "is inside")
            raise OutputOverlapsInputError(
                f"output folder {outdir} {where} the input {given}; replacing it would delete your files: choose an -o outside the inputs"
            )


def _foreign_files(outdir: Path) -> list[str]:
    """The names in `outdir` that a scan did not write (sorted)."""
    return sorted(p.name for p in outdir.iterdir() if p.name not in OUTPUT_FILES and p.name not in _OS_CLUTTER)


def _named(names: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def _check_replaceable(outdir: Path, force: bool, warn: Callable[[str], None]) -> None:
    """Refuse (without --force) to replace a folder that holds files policyscan did not write; with --force, say which go."""
    if not outdir.exists():
        return
    if not outdir.is_dir():
        if not force:
            raise OutputExistsError(f"{outdir} exists and is not a folder; choose another -o or pass --force to replace it")
        warn(f"warning: replacing the file {outdir} with a results folder (--force)")
        return
    foreign = _foreign_files(outdir)
    if not foreign:
        return
    if not force:
        kind = (
            "a policyscan results folder with files policyscan did not write"
            if (outdir / MARKER).exists()
            else "not a policyscan results folder"
        )
        raise OutputExistsError(f"{outdir} is {kind} ({_named(foreign)}); move them, choose another -o, or pass --force to delete them")
    warn(f"warning: deleting {len(foreign)} file(s) policyscan did not write from {outdir} (--force): {_named(foreign)}")


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stale_temporaries(outdir: Path, started: float) -> list[Path]:
    """Temporary folders of earlier scans into `outdir` that were killed: ours by name and marker, older than `started`.

    A folder counts when its marker names a process on this machine that no longer
    runs, or (made before markers existed) when it holds only files a scan writes.
    """
    stale = []
    for tmp in sorted(outdir.parent.glob(f".{glob.escape(outdir.name)}.tmp-*")):
        if tmp.is_symlink() or not tmp.is_dir() or tmp.stat().st_mtime >= started:
            continue
        if _stale_by_marker(tmp) if (tmp / TMP_MARKER).exists() else _holds_only_outputs(tmp):
            stale.append(tmp)
    return stale


def _stale_by_marker(tmp: Path) -> bool:
    try:
        mark = json.loads((tmp / TMP_MARKER).read_text(encoding="utf-8"))
        return mark["host"] == socket.gethostname() and not _is_running(int(mark["pid"]))
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _holds_only_outputs(tmp: Path) -> bool:
    """Every entry is a scan output or an atomic writer's temp file of one (`.<name>.<random>.tmp`)."""
    return all(p.is_file() and (p.name in OUTPUT_FILES or _atomic_temp_of_output(p.name)) for p in tmp.iterdir())


def _atomic_temp_of_output(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp") and any(name.startswith(f".{o}.") for o in OUTPUT_FILES)


def _clean_stale(outdir: Path, started: float, warn: Callable[[str], None]) -> None:
    """Remove the temporary folders earlier killed scans left beside `outdir`, saying so."""
    for tmp in stale_temporaries(outdir, started):
        shutil.rmtree(tmp, ignore_errors=True)
        warn(f"warning: removed {tmp}, the temporary folder of an earlier scan that was stopped")


def _prepare_output(outdir: Path, force: bool, warn: Callable[[str], None]) -> Path:
    """A fresh temporary folder beside `outdir`, marked with this run; refuses to replace files policyscan did not write."""
    _check_replaceable(outdir, force, warn)
    outdir.parent.mkdir(parents=True, exist_ok=True)
    started = time.time()
    _clean_stale(outdir, started, warn)
    tmp = Path(tempfile.mkdtemp(prefix=f".{outdir.name}.tmp-", dir=outdir.parent))
    os.chmod(tmp, 0o777 & ~current_umask())
    mark = {"pid": os.getpid(), "host": socket.gethostname(), "started": started}
    (tmp / TMP_MARKER).write_text(json.dumps(mark), encoding="utf-8")
    return tmp


def _swap_in(tmp: Path, outdir: Path) -> None:
    """Replace `outdir` by `tmp` with renames, so readers see the old results or the new ones."""
    (tmp / TMP_MARKER).unlink(missing_ok=True)
    if outdir.exists():
        old = outdir.with_name(f".{outdir.name}.old-{os.getpid()}")
        os.replace(outdir, old)
        os.replace(tmp, outdir)
        _remove(old)
    else:
        os.replace(tmp, outdir)


def _remove(path: Path) -> None:
    """Remove a folder or a file (what --force replaced)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _ignore(message: str) -> None:
    """A warning sink for callers that do not want warnings."""


@contextlib.contextmanager
def results_folder(
    outdir: Path, force: bool, inputs: Iterable[str | Path] = (), on_warning: Callable[[str], None] | None = None
) -> Iterator[Path]:
    """A temporary folder to write into that replaces `outdir` when the block ends without error, else is removed.

    Refuses an `outdir` that overlaps an input, whatever `force` says, and (without `force`) one holding files
    policyscan did not write; `on_warning` hears what is deleted or cleaned up.
    """
    check_output_apart(outdir, inputs)
    tmp = _prepare_output(outdir, force, on_warning or _ignore)
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
    """Profiles per municipality and per document from the tagged results; failed inputs (found or read) as problems.

    A document that failed gets an empty profile, and a municipality whose documents all failed keeps its
    profile (status "failed"), so no municipality silently drops out of coverage.csv or the report.
    """
    ok = [r for r in results if not r.error]
    tagged = tuple(t for r in ok for t in r.tagged())
    by_doc = {r.document.doc_id: (r.document.municipality, 1 if not r.error else 0) for r in results}
    read = Counter(r.document.municipality for r in ok)
    failed = Counter(r.document.municipality for r in results if r.error) + Counter(p.municipality for p in problems if p.municipality)
    by_muni = {m: (m, read[m]) for m in read.keys() | failed.keys()}
    municipal = [replace(p, failed_documents=failed[p.key]) for p in profiles_by(tagged, taxonomy, "municipality", by_muni, min_sentences)]
    per_doc = {p.key: p for p in profiles_by(tagged, taxonomy, "document", by_doc, min_sentences)}
    codes = {r.document.municipality: r.document.code for r in results if r.document.code}
    failures = tuple(problems) + tuple(r.problem for r in results if r.problem)
    return ScanResult(tuple(results), tagged, tuple(municipal), per_doc, failures, codes, model, min_sentences)


class ScanWriter:
    """Writes a scan into `folder` as documents arrive, keeping counts instead of sentences so memory stays flat.

    sentences.jsonl and documents.csv grow line by line (each appears, atomically, when the writer closes);
    the municipalities' profiles keep counters and the best evidence; `finish` writes the other files.
    """

    def __init__(
        self,
        folder: Path,
        taxonomy: Taxonomy,
        documents: Sequence[Document],
        problems: Sequence[Problem] = (),
        model: str = "",
        min_sentences: int = 2,
    ) -> None:
        self.folder, self.taxonomy, self.model, self.min_sentences = folder, taxonomy, model, min_sentences
        self.problems = list(problems)
        self.codes = {d.municipality: d.code for d in documents if d.code}
        self.extra = manifest_columns(documents)
        self.read: Counter[str] = Counter()
        self.failed = Counter(p.municipality for p in problems if p.municipality)
        self.tallies: dict[str, ProfileTally] = {}
        self.warnings: list[DocumentResult] = []  # only documents with page warnings, without their sentences
        self.documents = self.n_failed = self.pages = self.sentences = 0
        self._files = contextlib.ExitStack()

    def __enter__(self) -> ScanWriter:
        self.spool = self._files.enter_context(contextlib.closing(Spool()))
        self.evidence = ReportEvidence(self.taxonomy, self.spool)
        self._sentences = self._files.enter_context(atomic_open(self.folder / "sentences.jsonl"))
        header = [c.name for c in document_columns(self.taxonomy, self.extra)]
        self._documents = self._files.enter_context(csv_output(self.folder / "documents.csv", header))
        return self

    def __exit__(self, *exc: object) -> bool | None:
        return self._files.__exit__(*exc)

    def add(self, result: DocumentResult) -> None:
        """Write one document's sentences and documents.csv row, and count them into its municipality's profile."""
        municipality = result.document.municipality
        self.documents += 1
        tagged = result.tagged()
        read = 0 if result.error else 1
        counted = ProfileTally(self.taxonomy).add_all(tagged)
        profile = counted.profile(result.document.doc_id, municipality, read, self.min_sentences)
        self._documents.writerow(document_row(result, profile, self.extra))
        if result.error:
            self.n_failed += 1
            self.failed[municipality] += 1
            self.problems.append(result.problem)
            return
        self.read[municipality] += 1
        self.pages += result.pages
        self.sentences += write_sentence_lines(self._sentences, tagged)
        tally = self.tallies.get(municipality)
        if tally is None:
            tally = self.tallies[municipality] = ProfileTally(self.taxonomy, self.spool, municipality)
        tally.merge(counted)
        for t in tagged:
            self.evidence.add(t)
        if result.warnings:
            self.warnings.append(replace(result, sentences=(), predictions=()))

    def profiles(self) -> list[Profile]:
        """One profile per municipality, sorted: those read, and those whose documents all failed."""
        names = sorted(self.read.keys() | self.failed.keys())
        return [
            replace(
                self.tallies.get(m, ProfileTally(self.taxonomy)).profile(m, m, self.read[m], self.min_sentences),
                failed_documents=self.failed[m],
            )
            for m in names
        ]

    def finish(self, card: dict | None = None) -> ScanSummary:
        """Write the files that need every document (coverage, errors, data package, report, marker); what the scan did."""
        folder, taxonomy, municipalities = self.folder, self.taxonomy, self.profiles()
        write_coverage(folder / "coverage.csv", municipalities, taxonomy, self.codes)
        write_coverage_long(folder / "coverage_long.csv", municipalities, taxonomy)
        if self.problems:
            write_errors(folder / "errors.csv", self.problems)
        write_datapackage(folder / "datapackage.json", taxonomy, bool(self.problems), self.extra)
        summary = ScanSummary(self.documents, self.n_failed, self.pages, self.sentences, len(municipalities), 0.0, tuple(self.problems))
        meta = {
            "documents": summary.documents,
            "failed": summary.failed,
            "pages": summary.pages,
            "sentences": summary.sentences,
            "municipalities": summary.municipalities,
            "model": self.model,
            "min_sentences": self.min_sentences,
        }
        data = report_data(municipalities, self.evidence, taxonomy, meta, self.problems, self.warnings, label_trust(card))
        write_report(folder / "report.html", data)
        (folder / MARKER).write_text("policyscan scan results; this folder is replaced as a whole by the next scan\n", encoding="utf-8")
        return summary


def write_results(folder: Path, result: ScanResult, taxonomy: Taxonomy, card: dict | None = None) -> None:
    """Write the files of a scan into `folder`, marked as a policyscan results folder; `card` is the model's (for how far to trust each label)."""
    failed = sum(1 for r in result.documents if r.error)
    found = result.problems[: len(result.problems) - failed]  # the inputs that failed before they were read
    documents = [r.document for r in result.documents]
    with ScanWriter(folder, taxonomy, documents, found, result.model, result.min_sentences) as writer:
        for document in result.documents:
            writer.add(document)
        writer.finish(card)


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
    on_warning: Callable[[str], None] | None = None,
) -> ScanSummary:
    """Scan documents into `outdir`: sentences.jsonl, documents.csv, coverage.csv, coverage_long.csv, report.html, errors.csv, summary.*.

    `model` is a model folder (default: $POLICYSCAN_MODEL or the shipped model); it is checked here and loaded by the workers.
    `on_start` is called with the number of documents found, `on_document` with each result as it arrives,
    `on_warning` with each line worth telling (files replaced, stale temporary folders removed).
    An `outdir` that is, contains or lies inside an input (or the manifest) is refused before anything is read.
    """
    started = time.monotonic()
    ref = model_reference(model, taxonomy)
    found = find_inputs(inputs, manifest)
    documents, problems = found.documents, found.problems
    protected = [*inputs, *([manifest] if manifest else []), *(d.path for d in documents), *(p.path for p in problems)]
    check_output_apart(outdir, protected)
    if on_start:
        on_start(len(documents))
    with results_folder(Path(outdir), force, protected, on_warning) as folder, contextlib.ExitStack() as plotting:
        card = ModelFolder.at(ref.path).card()
        with ScanWriter(folder, taxonomy, documents, problems, ref.name, min_sentences) as writer:
            cache = cache or DocumentCache()
            plotting.callback(plotter.stop)  # the plotting processes, if this scan starts them, end with it
            plotter_started = False
            # closed here, also on Ctrl-C: its worker processes are stopped before the run ends, not when it is collected
            with contextlib.closing(process_all(documents, cache, engine, jobs, ref)) as results:
                for result in results:
                    # new figures ahead: matplotlib loads once a core is idle (at once with --jobs 1, near the end with more)
                    if not plotter_started and has_worked():
                        plotter_started = plotter.start(reading())
                    writer.add(result)
                    if on_document:
                        on_document(result)
            summary = writer.finish(card)
        plots = cache.directory / "plots-v1" if cache.enabled else None
        write_summary(folder, taxonomy, card, min_sentences=min_sentences, plot_cache=plots)
    return replace(summary, seconds=round(time.monotonic() - started, 2))
