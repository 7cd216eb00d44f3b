"""The PDFium engine's `read_pages` against bare pypdfium2 `get_text_range`, in ms per page (issue 13).

Usage:
    python benchmarks/engine.py              # benchmark corpus (200 pages) and the real PDFs, 3 repetitions
    python benchmarks/engine.py --repeat 5

Both sides open the document, load every page and close it again; bare pypdfium2 only
takes each page's text, the engine builds positioned words, ruled tables and the reading
frame. Prints the medians (wall clock and CPU time) and their ratio (target <= 3x) and writes
benchmarks/results/engine.json. The real PDFs are read in place from
../shared/realpdfs/ (skipped when absent; files PDFium cannot open are left out).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path

import pypdfium2 as pdfium

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import bench  # noqa: E402

from policyscan.pdf.pdfium import read_pages  # noqa: E402

REAL = ROOT.parent / "shared" / "realpdfs"
RESULTS = ROOT / "benchmarks" / "results" / "engine.json"


def bare_pdfium(files: list[Path]) -> None:
    """Every page's text with bare pypdfium2, one `get_text_range` per page."""
    for f in files:
        document = pdfium.PdfDocument(str(f))
        for i in range(len(document)):
            page = document[i]
            textpage = page.get_textpage()
            textpage.get_text_range()
            textpage.close()
            page.close()
        document.close()


def engine(files: list[Path]) -> None:
    """Every page read by the PDFium engine."""
    for f in files:
        for _ in read_pages(f):
            pass


def run_ms(fn: Callable[[list[Path]], None], files: list[Path], pages: int) -> tuple[float, float]:
    """Wall-clock and CPU ms per page of one run of `fn(files)`."""
    wall, cpu = time.perf_counter(), time.process_time()
    fn(files)
    return 1000 * (time.perf_counter() - wall) / pages, 1000 * (time.process_time() - cpu) / pages


def readable(files: list[Path]) -> tuple[list[Path], int]:
    """The files PDFium opens, and their page count."""
    kept, pages = [], 0
    for f in files:
        try:
            document = pdfium.PdfDocument(str(f))
        except pdfium.PdfiumError:
            continue
        pages += len(document)
        document.close()
        kept.append(f)
    return kept, pages


def measure(files: list[Path], repeat: int) -> dict:
    """Medians in ms per page of both sides and their ratio, for one corpus: wall clock and CPU time (steadier on a shared machine).

    The two sides alternate within each repetition, so that a busy moment on the machine weighs on both.
    """
    files, pages = readable(files)
    engine(files[:1])  # warm up imports and PDFium before either side is timed
    runs = [(run_ms(bare_pdfium, files, pages), run_ms(engine, files, pages)) for _ in range(repeat)]
    figures = {"files": len(files), "pages": pages}
    for k, clock in enumerate(("wall", "cpu")):
        bare = statistics.median(b[k] for b, _ in runs)
        ours = statistics.median(e[k] for _, e in runs)
        figures[clock] = {"bare pypdfium2 ms/page": round(bare, 2), "engine ms/page": round(ours, 2), "ratio": round(ours / bare, 2)}
    return figures


def main() -> None:
    """Measure, print and write the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    corpora = {"benchmark corpus (200 pages)": bench.build(200)}
    if REAL.is_dir():
        corpora["real PDFs"] = sorted(REAL.glob("*.pdf"))
    figures = {name: measure(files, args.repeat) for name, files in corpora.items()}
    for name, f in figures.items():
        for clock in ("wall", "cpu"):
            c = f[clock]
            print(
                f"{name}, {f['pages']} pages, {clock}: bare pypdfium2 {c['bare pypdfium2 ms/page']} ms/page, engine {c['engine ms/page']} ms/page, ratio {c['ratio']}x"
            )
    result = {
        "machine": {
            "python": platform.python_version(),
            "processor": platform.machine(),
            "pypdfium2": version("pypdfium2"),
            "pdfium calls in C": bench.native_built(),
        },
        "repeat": args.repeat,
        **figures,
    }
    RESULTS.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
