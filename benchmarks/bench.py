"""Speed and memory of policyscan, measured against baselines in the same run.

Usage:
    python benchmarks/bench.py                 # about 200 pages, 3 repetitions
    python benchmarks/bench.py --pages 2000    # the large run (peak memory)
    make bench                                 # both, after installing pdftotext (poppler-utils) when it can

Builds (or reuses) a corpus under benchmarks/.corpus-<pages>/ by rendering the
sample corpus sources with different running headers (so every file has its
own content hash), then measures, with medians of --repeat runs:
extraction pages/s for both policyscan engines, bare pdfplumber
extract_text(), bare pypdfium2 text and pdftotext (when installed); segmentation
sentences/s; classification sentences/s on unique sentences (no text twice, a
fresh model each run, so its per-word cache starts empty); whole `policyscan scan`
processes: cold (--no-cache) with --jobs 1 and 2 and, in one more run each, their peak memory (the whole
process tree), and with a fresh cache a cold scan, a warm rescan and a rescan
with a second model (trained once with C=4 into benchmarks/.corpus-model-c4/),
with cost per page; and whole `policyscan extract` processes on a 50+ page
two-column PDF: cold with --no-cache against a bare pdfplumber process, and a
cached second run against the first. Prints a table and the ratios and writes
the figures to benchmarks/results/.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

import build_corpus  # noqa: E402

from policyscan.extract import extract_pdf  # noqa: E402
from policyscan.persist import load_model  # noqa: E402
from policyscan.segment import load_nlp, segment  # noqa: E402
from policyscan.taxonomy import load_taxonomy  # noqa: E402

EXE = str(Path(sys.executable).parent / "policyscan")
#: Real PDFs, read in place (never copied); skipped when absent.
REAL = next((p for p in (ROOT.parent / "shared" / "realpdfs", ROOT.parent.parent / "shared" / "realpdfs") if p.is_dir()), ROOT / "realpdfs")


def build(pages: int) -> list[Path]:
    """PDFs with at least `pages` pages in total, rendered once and reused."""
    folder = ROOT / "benchmarks" / f".corpus-{pages}"
    done = folder / ".complete"
    if done.exists():
        return sorted(folder.rglob("*.pdf"))
    shutil.rmtree(folder, ignore_errors=True)
    sources = sorted((ROOT / "corpus" / "src").glob("*.src"))
    total, copy, files = 0, 0, []
    import pypdfium2 as pdfium

    while total < pages:
        for source in sources:
            meta, chunks = build_corpus.parse(source)
            meta["header"] = f"{meta.get('header', 'Nota')} (exemplaar {copy})"
            path = folder / meta["municipality"] / f"{source.stem}-{copy:03d}.pdf"
            build_corpus.render(meta, chunks, path)
            total += len(pdfium.PdfDocument(str(path)))
            files.append(path)
            if total >= pages:
                break
        copy += 1
    done.write_text(str(total), encoding="utf-8")
    return sorted(files)


def two_column_document(min_pages: int = 50) -> Path:
    """One long two-column PDF made of all sample sources, rendered once and reused."""
    path = ROOT / "benchmarks" / f".corpus-two-column-{min_pages}" / "nota.pdf"
    if path.exists():
        return path
    import pypdfium2 as pdfium

    chunks, copy = [], 0
    sources = sorted((ROOT / "corpus" / "src").glob("*.src"))
    while True:
        for source in sources:
            chunks += [c for c in build_corpus.parse(source)[1] if not c.startswith("[")]
        build_corpus.render({"columns": "2", "header": f"Verzamelde nota's ({copy})", "footer": "Gemeente Lindenhoek"}, chunks, path)
        if len(pdfium.PdfDocument(str(path))) >= min_pages:
            return path
        copy += 1


def long_document_figures(repeat: int) -> dict:
    """Issue 2's measure: extraction pages/s on a 50+ page two-column PDF, and a cached second run."""
    import pypdfium2 as pdfium

    from policyscan.cache import DocumentCache
    from policyscan.extract import EXTRACTOR_VERSION

    path = two_column_document()
    pages = len(pdfium.PdfDocument(str(path)))
    figures = {"pages": pages}
    for engine in ("pdfium", "pdfplumber"):
        figures[f"policyscan extract ({engine} engine)"] = round(pages / median_time(lambda e=engine: extract_pdf(path, e), repeat), 1)
    figures["bare pdfplumber extract_text()"] = round(pages / median_time(lambda: _bare_pdfplumber([path]), repeat), 1)
    with tempfile.TemporaryDirectory() as tmp:
        cold = median_time(
            lambda: DocumentCache(tmp).get(path) and shutil.rmtree(Path(tmp) / f"extract-v{EXTRACTOR_VERSION}", ignore_errors=True),
            repeat,
        )
        DocumentCache(tmp).get(path)
        warm = median_time(lambda: DocumentCache(tmp).get(path), repeat)
    figures["cache: first run s"] = round(cold, 3)
    figures["cache: cached run s"] = round(warm, 4)
    figures["cache: speed-up"] = round(cold / warm, 1)
    return figures


def process_extract_figures(repeat: int) -> dict:
    """Whole processes on the long two-column PDF: `extract --no-cache` against bare pdfplumber, and a cached run against the first."""
    path = two_column_document()
    bare = f"import pdfplumber\nwith pdfplumber.open({str(path)!r}) as pdf:\n    [p.extract_text() for p in pdf.pages]"
    with tempfile.TemporaryDirectory() as tmp:
        out = str(Path(tmp) / "out.jsonl")
        cold = median_time(lambda: _run([EXE, "extract", str(path), "-o", out, "-q", "--no-cache"]), repeat)
        plumber = median_time(lambda: _run([sys.executable, "-c", bare]), repeat)
        first, cached = [], []
        for i in range(repeat):
            cache = ["--cache-dir", str(Path(tmp) / f"cache{i}")]
            first.append(median_time(lambda c=cache: _run([EXE, "extract", str(path), "-o", out, "-q", *c]), 1))
            cached.append(median_time(lambda c=cache: _run([EXE, "extract", str(path), "-o", out, "-q", *c]), 1))
        help_s = median_time(lambda: _run([EXE, "--help"]), repeat)
    first_s, cached_s = statistics.median(first), statistics.median(cached)
    return {
        "pages": len(_pdfium_document(path)),
        "extract --no-cache s": round(cold, 3),
        "bare pdfplumber process s": round(plumber, 3),
        "extract first run (cache filled) s": round(first_s, 3),
        "extract cached run s": round(cached_s, 3),
        "policyscan --help s": round(help_s, 3),
        "ratio extract_no_cache / bare_pdfplumber": round(cold / plumber, 2),
        "ratio first_run / cached_run": round(first_s / cached_s, 1),
    }


def _run(args: list[str]) -> None:
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)


def _pdfium_document(path: Path):
    import pypdfium2 as pdfium

    return pdfium.PdfDocument(str(path))


def second_model() -> Path:
    """A second real model, trained once on the shipped annotations with C=4 (the shipped one has C=8): a retraining."""
    folder = ROOT / "benchmarks" / ".corpus-model-c4"
    if (folder / "card.json").exists():
        return folder
    from policyscan.model import ModelSettings
    from policyscan.training import load_training_data, train

    taxonomy = load_taxonomy()
    items, conflicts = load_training_data([], taxonomy, with_default=True)
    print(f"training a second model (C=4) on {len(items)} sentences into {folder} ...", file=sys.stderr)
    train(items, folder, taxonomy, ModelSettings(C=4.0, cv=2), conflicts, ["<shipped annotations>"], force=True)
    return folder


def unique_sentences(sentences: list[str]) -> list[str]:
    """Distinct sentence texts: the corpus's, the shipped annotations', and those of ../shared/realpdfs when it is there."""
    from policyscan.extract import extract_file

    texts = list(sentences)
    for f in sorted((ROOT / "policyscan" / "data" / "annotations").glob("*.jsonl")):
        texts += [json.loads(line)["text"] for line in f.read_text(encoding="utf-8").splitlines() if line.strip()]
    for f in sorted(REAL.glob("*.pdf")):
        try:
            texts += [s.text for s in segment(extract_file(f), f.stem)]
        except Exception:  # a real PDF that cannot be read adds nothing
            continue
    return list(dict.fromkeys(texts))


def classification_speed(texts: list[str], repeat: int) -> float:
    """Sentences/s of the shipped model over `texts`, each run with a freshly loaded model (empty per-word cache)."""
    times = []
    for _ in range(repeat):
        model = load_model(taxonomy=load_taxonomy())
        start = time.perf_counter()
        model.predict(texts)
        times.append(time.perf_counter() - start)
    return len(texts) / statistics.median(times)


def median_time(fn: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` calls."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _bare_pdfplumber(files: list[Path]) -> None:
    import pdfplumber

    for f in files:
        with pdfplumber.open(f) as pdf:
            for page in pdf.pages:
                page.extract_text()
                page.close()


def _bare_pdfium(files: list[Path]) -> None:
    import pypdfium2 as pdfium

    for f in files:
        document = pdfium.PdfDocument(str(f))
        for i in range(len(document)):
            textpage = document[i].get_textpage()
            textpage.get_text_range()
            textpage.close()
        document.close()


def _pdftotext(files: list[Path]) -> None:
    for f in files:
        subprocess.run(["pdftotext", "-layout", str(f), "-"], check=True, stdout=subprocess.DEVNULL)


def _tree_memory(pid: int) -> tuple[int, int]:
    """Memory of a process and all its descendants, in bytes: resident (RSS, pages shared between forked processes
    counted in each) and proportional (PSS, each shared page split between the processes sharing it)."""
    rss = pss = 0
    stack = [pid]
    while stack:
        p = stack.pop()
        try:
            fields = dict(line.split(":", 1) for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines()[1:])
            rss += int(fields["Rss"].split()[0]) * 1024
            pss += int(fields["Pss"].split()[0]) * 1024
            for task in Path(f"/proc/{p}/task").iterdir():
                stack += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, KeyError, ValueError):
            continue
    return rss, pss


def run_scan(
    corpus: Path, out: Path, cache: Path | None, jobs: int, engine: str = "pdfium", model: Path | None = None, watch: bool = False
) -> tuple[float, tuple[int, int]]:
    """Wall time of one `policyscan scan`, and with `watch` its peak memory (process tree: RSS, PSS; else zeros).

    Watching reads /proc every 20 ms, which took 0.7 s from a 2,001-page scan with --jobs 2 (both cores busy): the
    memory is measured in runs of its own, not in those that are timed.
    """
    args = [EXE, "scan", str(corpus), "-o", str(out), "-q", "--jobs", str(jobs), "--engine", engine]
    args += ["--cache-dir", str(cache)] if cache else ["--no-cache"]
    args += ["--model", str(model)] if model else []
    peak = (0, 0)
    start = time.perf_counter()
    proc = subprocess.Popen(args)

    def watch_memory() -> None:
        nonlocal peak
        while proc.poll() is None:
            rss, pss = _tree_memory(proc.pid)
            peak = (max(peak[0], rss), max(peak[1], pss))
            time.sleep(0.02)

    watcher = threading.Thread(target=watch_memory)
    if watch:
        watcher.start()
    proc.wait()
    elapsed = time.perf_counter() - start
    if watch:
        watcher.join()
    if proc.returncode not in (0, 1):
        raise RuntimeError(f"scan failed with exit code {proc.returncode}")
    return elapsed, peak


def median_scan(corpus: Path, repeat: int, jobs: int, engine: str = "pdfium") -> tuple[float, tuple[int, int]]:
    """The median time of `repeat` cold scans, and the peak memory (RSS, PSS of the process tree) of one more."""
    with tempfile.TemporaryDirectory() as tmp:
        times = [run_scan(corpus, Path(tmp) / f"out{i}", None, jobs, engine)[0] for i in range(repeat)]
        peak = run_scan(corpus, Path(tmp) / "watched", None, jobs, engine, watch=True)[1]
    return statistics.median(times), peak


def cache_runs(corpus: Path, repeat: int, model: Path) -> tuple[float, float, float]:
    """Median scan times with a fresh cache folder each time: cold, warm rescan, and rescan with a second model."""
    cold, warm, retrained = [], [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as tmp:
            cold.append(run_scan(corpus, Path(tmp) / "a", Path(tmp) / "cache", 1)[0])
            warm.append(run_scan(corpus, Path(tmp) / "b", Path(tmp) / "cache", 1)[0])
            retrained.append(run_scan(corpus, Path(tmp) / "c", Path(tmp) / "cache", 1, model=model)[0])
    return statistics.median(cold), statistics.median(warm), statistics.median(retrained)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", type=Path, help="JSON file [default: benchmarks/results/bench-<pages>.json]")
    args = parser.parse_args()
    os.environ.setdefault("POLICYSCAN_SPACY_PIPELINE", "blank")
    # Processes are timed as an installed policyscan runs: pip writes the bytecode at install, so no process
    # pays for compiling the sources (with PYTHONDONTWRITEBYTECODE set, every process compiled about 40 modules: 0.15 s).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    import compileall

    compileall.compile_dir(str(ROOT / "policyscan"), quiet=1)
    files = build(args.pages)
    corpus = files[0].parent.parent
    pages = sum(len(_pdfium_document(f)) for f in files)
    r = args.repeat
    print(f"corpus: {len(files)} PDFs, {pages} pages; {r} repetitions; medians", file=sys.stderr)

    t = {
        "policyscan extract (pdfium engine)": median_time(lambda: [extract_pdf(f, "pdfium") for f in files], r),
        "bare pypdfium2 get_text_range()": median_time(lambda: _bare_pdfium(files), r),
    }
    if pages <= 500:  # pdfplumber takes minutes on the large corpora
        t["policyscan extract (pdfplumber engine)"] = median_time(lambda: [extract_pdf(f, "pdfplumber") for f in files], r)
        t["bare pdfplumber extract_text()"] = median_time(lambda: _bare_pdfplumber(files), r)
    if shutil.which("pdftotext"):
        t["pdftotext -layout (poppler)"] = median_time(lambda: _pdftotext(files), r)
    extraction = {name: round(pages / seconds, 1) for name, seconds in t.items()}

    nlp = load_nlp()
    extractions = [extract_pdf(f) for f in files]
    sentences = [s for i, e in enumerate(extractions) for s in segment(e, str(i), nlp)]
    seg_time = median_time(lambda: [segment(e, str(i), nlp) for i, e in enumerate(extractions)], r)
    unique = unique_sentences([s.text for s in sentences])
    cls_speed = classification_speed(unique, r)

    model2 = second_model()
    long_document = long_document_figures(r)
    processes = process_extract_figures(r)
    scan1, peak1 = median_scan(corpus, r, 1)
    scan2, peak2 = median_scan(corpus, r, 2)
    cold, warm, retrained = cache_runs(corpus, r, model2)

    figures = {
        "pages": pages,
        "documents": len(files),
        "sentences": len(sentences),
        "repeat": r,
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "pdfium calls in C": native_built(),
        },
        "extraction_pages_per_second": extraction,
        "long_two_column_document": long_document,
        "whole_processes_long_document": processes,
        "segmentation_sentences_per_second": round(len(sentences) / seg_time, 1),
        "classification_unique_sentences": len(unique),
        "classification_sentences_per_second": round(cls_speed, 1),
        "scan_seconds": {
            "jobs1 (--no-cache)": round(scan1, 2),
            "jobs2 (--no-cache)": round(scan2, 2),
            "cold cache": round(cold, 2),
            "warm rescan": round(warm, 2),
            "rescan, second model": round(retrained, 2),
        },
        "scan_ms_per_page": {"cold": round(1000 * scan1 / pages, 1), "warm rescan": round(1000 * warm / pages, 1)},
        "peak_memory_mb": {"jobs1": round(peak1[0] / 2**20), "jobs2": round(peak2[0] / 2**20)},
        "peak_memory_pss_mb": {"jobs1": round(peak1[1] / 2**20), "jobs2": round(peak2[1] / 2**20)},
        "ratios": ratios(t, pages, scan1, scan2, cold, warm, retrained),
    }
    out = args.out or ROOT / "benchmarks" / "results" / f"bench-{args.pages}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    print(table(figures))
    print(f"\nwritten to {out}", file=sys.stderr)


def native_built() -> bool:
    """Whether the optional C loop of the PDFium engine is built here (without it extraction is about 1.2x slower)."""
    from policyscan.pdf import pdfium as engine

    return engine._native is not None


def ratios(t: dict, pages: int, scan1: float, scan2: float, cold: float, warm: float, retrained: float) -> dict:
    """The ratios the speed targets are stated in (issue 13)."""
    r = {
        "engine / bare pypdfium2 (time per page)": round(t["policyscan extract (pdfium engine)"] / t["bare pypdfium2 get_text_range()"], 2),
        "cold scan --jobs 1 / --jobs 2 (speed-up)": round(scan1 / scan2, 2),
        "cold scan / warm rescan": round(cold / warm, 1),
        "rescan with second model / warm rescan": round(retrained / warm, 2),
    }
    if "pdftotext -layout (poppler)" in t:
        poppler = t["pdftotext -layout (poppler)"]
        r["engine / pdftotext (time per page)"] = round(t["policyscan extract (pdfium engine)"] / poppler, 2)
        r["bare pypdfium2 / pdftotext"] = round(t["bare pypdfium2 get_text_range()"] / poppler, 2)
        r["cold scan end to end / pdftotext"] = round(scan1 / poppler, 1)
    if "bare pdfplumber extract_text()" in t:
        r["cold scan end to end / bare pdfplumber extract_text()"] = round(scan1 / t["bare pdfplumber extract_text()"], 3)
        r["pdfplumber engine / pdfium engine (extraction)"] = round(
            t["policyscan extract (pdfplumber engine)"] / t["policyscan extract (pdfium engine)"], 2
        )
    return r


def table(f: dict) -> str:
    """The figures as a Markdown table."""
    rows = [("measure", "value")]
    rows += [(f"extraction: {k}", f"{v} pages/s") for k, v in f["extraction_pages_per_second"].items()]
    rows += [
        ("segmentation", f"{f['segmentation_sentences_per_second']} sentences/s"),
        (
            f"classification, {f['classification_unique_sentences']} unique sentences",
            f"{f['classification_sentences_per_second']} sentences/s",
        ),
    ]
    units = {"cache: first run s": " s", "cache: cached run s": " s", "cache: speed-up": "x"}
    long_doc = f["long_two_column_document"]
    rows += [
        (f"{long_doc['pages']}-page two-column PDF: {k}", f"{v}{units.get(k, ' pages/s')}") for k, v in long_doc.items() if k != "pages"
    ]
    procs = f["whole_processes_long_document"]
    rows += [(f"{procs['pages']}-page two-column PDF, whole process: {k}", str(v)) for k, v in procs.items() if k != "pages"]
    rows += [(f"scan time, {k}", f"{v} s") for k, v in f["scan_seconds"].items()]
    rows += [(f"scan cost per page, {k}", f"{v} ms") for k, v in f["scan_ms_per_page"].items()]
    rows += [(f"peak memory, scan {k}", f"{v} MB") for k, v in f["peak_memory_mb"].items()]
    rows += [(f"peak memory, scan {k}, shared pages counted once (PSS)", f"{v} MB") for k, v in f.get("peak_memory_pss_mb", {}).items()]
    rows += [(f"ratio {k}", str(v)) for k, v in f["ratios"].items()]
    width = max(len(r[0]) for r in rows)
    lines = [f"| {a:<{width}} | {b} |" for a, b in rows]
    lines.insert(1, f"| {'-' * width} | --- |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
