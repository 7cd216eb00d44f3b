"""Extraction quality, both engines side by side: generated producer layouts and the real PDFs against pdftotext.

Usage:
    python benchmarks/bench_extraction.py              # generated layouts, and real PDFs when present
    python benchmarks/bench_extraction.py --ocr 6      # also OCR 6 pages rendered from the sample corpus
    python benchmarks/bench_extraction.py --json OUT   # also write the figures as JSON

Generated layouts (tests/rawpdf.py): text-matrix sizes, background box, page
border, heavy-stem regular font, US Letter running lines, narrow margins,
hanging-indent lists, three columns. Measured: recall of the known sentences
(exact match) and the share of sentences that start in lower case.

Real PDFs (../shared/realpdfs/, read in place, skipped when absent) against
`pdftotext -raw` (poppler-utils): prose recall (the words of pdftotext's
lines of five words or more, less lines recurring on 40% of the pages, found
in our sentences, as a multiset), split or
glued words per 1,000 tokens, pages whose prose gives no sentence, and the
share of sentences starting in lower case.

OCR (--ocr N, needs tesseract-ocr and tesseract-ocr-nld): the first pages of
the sample corpus's PDFs are rendered at 200 dpi into image-only PDFs and read
back with OCR; character error rate (edit distance over the length of the text
layer's page text, whitespace collapsed) and seconds per page.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REAL = next((p for p in (ROOT.parent / "shared" / "realpdfs", ROOT.parent.parent / "shared" / "realpdfs") if p.is_dir()), ROOT / "realpdfs")

from policyscan.errors import InputError  # noqa: E402
from policyscan.extract import ENGINES, extract_pdf  # noqa: E402
from policyscan.segment import load_nlp, segment  # noqa: E402
from policyscan.testing.rawpdf import LETTER, PLACES, Producer, RawDoc, filler_sentences, scanned_copy  # noqa: E402

_TOKEN = re.compile(r"\w+", re.UNICODE)
SENTENCES = filler_sentences(90)


def _flow(doc: RawDoc, count: int = 60) -> None:
    for i in range(0, count, 3):
        if i % 15 == 0:
            doc.heading(f"{i // 15 + 1} Hoofdstuk over {PLACES[i % 8][3:]}")
        doc.paragraph(*SENTENCES[i : i + 3])


def _lists(doc: RawDoc) -> None:
    _flow(doc, 12)
    doc.hanging_list([s.replace(" en vraagt", ", vraagt hiervoor hulp van buurtbewoners en vraagt") for s in SENTENCES[20:28]])
    _flow(doc, 9)


def _three_columns(doc: RawDoc) -> None:
    for page in range(2):
        if page:
            doc.new_page()
        first = page * 30
        doc.columns([" ".join(SENTENCES[first + c * 10 : first + c * 10 + 10]) for c in range(3)])
        doc.truth.sentences += SENTENCES[first : first + 30]


LAYOUTS = {
    "text-matrix size": (Producer(size_in_matrix=True), _flow),
    "background box": (Producer(background=True), _flow),
    "page border": (Producer(border=True), _flow),
    "heavy-stem regular font": (Producer(stem_v=139, truetype=True), _flow),
    "US Letter running lines": (Producer(page=LETTER, margin_top=96, margin_bottom=96, running_at=792 * 0.09 + 2.7), _flow),
    "narrow margins": (Producer(margin_top=30, margin_bottom=30), _flow),
    "hanging-indent list": (Producer(), _lists),
    "three columns": (Producer(), _three_columns),
}


def _lower_share(sentences: list[str]) -> float:
    starts = [s.lstrip("\"'(\u201c\u2018")[:1] for s in sentences]
    letters = [c for c in starts if c.isalpha()]
    return sum(c.islower() for c in letters) / len(letters) if letters else 0.0


def _sentences(path: Path, engine: str, nlp) -> list[tuple[int, str]]:
    return [(s.page, s.text) for s in segment(extract_pdf(path, engine), "bench", nlp)]


def generated(nlp, folder: Path) -> dict:
    """Recall and lower-case share per generated layout and engine."""
    results = {}
    for name, (producer, build) in LAYOUTS.items():
        header, footer = ("Nota vrijwilligers Lindenhoek", "Gemeente Lindenhoek 2025") if "running" in name else (None, None)
        doc = RawDoc(producer, header, footer)
        build(doc)
        path = doc.output(folder / f"{name.replace(' ', '-')}.pdf")
        for engine in ENGINES:
            found = [t for _, t in _sentences(path, engine, nlp)]
            truth = doc.truth.sentences
            recall = sum(1 for s in truth if s in set(found)) / len(truth)
            foreign = sum(1 for s in found if s not in set(truth)) / max(1, len(found))
            results[f"{name} / {engine}"] = {
                "recall": round(recall, 3),
                "foreign": round(foreign, 3),
                "lower_case": round(_lower_share(found), 3),
            }
    return results


def _pdftotext_pages(path: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-raw", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=False)
    return out.stdout.decode("utf-8", "replace").split("\f")


def _running_keys(pages: list[str]) -> set[str]:
    """pdftotext's lines that recur (digits aside) on at least 40% of the pages: running headers and footers, not prose."""
    counts = Counter(key for page in pages for key in {_key(ln) for ln in page.splitlines()})
    return {k for k, n in counts.items() if n >= 2 and n >= 0.4 * len(pages)}


def _key(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def _prose_tokens(page: str, running: set[str]) -> list[str]:
    lines = [ln for ln in page.splitlines() if len(ln.split()) >= 5 and _key(ln) not in running]
    text = re.sub(r"-\n(?=[a-z])", "", "\n".join(lines))
    return [t.lower() for t in _TOKEN.findall(text)]


def _split_glued(ours: list[str], vocab: set[str]) -> int:
    """Tokens of ours that are pieces of a word pdftotext saw whole, or two of its words run together."""
    bad = 0
    for a, b in itertools.pairwise(ours):
        if a not in vocab and (a + b) in vocab:
            bad += 1
    for t in ours:
        if t not in vocab and len(t) > 5 and any(t[:i] in vocab and t[i:] in vocab for i in range(2, len(t) - 1)):
            bad += 1
    return bad


def real(nlp) -> dict:
    """Prose recall, split/glued words, lost prose pages and lower-case share per real PDF and engine."""
    results = {}
    for path in sorted(REAL.glob("*.pdf")):
        reference = _pdftotext_pages(path)
        running = _running_keys(reference)
        ref_tokens = [_prose_tokens(p, running) for p in reference]
        vocab = {t for page in ref_tokens for t in page}
        for engine in ENGINES:
            try:
                found = _sentences(path, engine, nlp)
            except InputError as exc:
                results[f"{path.name} / {engine}"] = {"error": exc.reason}
                continue
            ours = [t.lower() for _, text in found for t in _TOKEN.findall(text)]
            expected = Counter(t for page in ref_tokens for t in page)
            recall = sum((expected & Counter(ours)).values()) / max(1, sum(expected.values()))
            pages_with = {p for p, _ in found}
            lost = [n for n, toks in enumerate(ref_tokens, 1) if len(toks) >= 40 and n not in pages_with]
            results[f"{path.name} / {engine}"] = {
                "prose_recall": round(recall, 3),
                "split_glued_per_1000": round(1000 * _split_glued(ours, vocab) / max(1, len(ours)), 2),
                "lost_prose_pages": len(lost),
                "lower_case": round(_lower_share([t for _, t in found]), 3),
                "sentences": len(found),
            }
    return results


def _edit_distance(a: str, b: str) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def ocr_accuracy(pages: int, folder: Path) -> dict:
    """Character error rate and seconds per page of OCR on pages rendered from the sample corpus."""
    rates, seconds = {}, []
    for source in sorted((ROOT / "corpus").rglob("*.pdf")):
        if len(rates) >= pages:
            break
        try:
            truth = " ".join(extract_pdf(source, ocr=False).pages[0].text.split())
        except InputError:
            continue
        if len(truth) < 200:
            continue
        scan = scanned_copy(source, folder / f"scan-{source.stem}.pdf")
        started = time.perf_counter()
        try:
            pages_read = extract_pdf(scan, ocr=True).pages
        except InputError:
            pages_read = ()
        seconds.append((time.perf_counter() - started) / max(1, len(pages_read)))
        found = " ".join(pages_read[0].text.split()) if pages_read else ""
        rates[source.name] = round(_edit_distance(truth, found) / len(truth), 4)
    return {
        "pages": len(rates),
        "cer_mean": round(statistics.mean(rates.values()), 4) if rates else None,
        "seconds_per_page": round(statistics.mean(seconds), 2) if seconds else None,
        "per_file": rates,
    }


def _print(title: str, rows: dict) -> None:
    print(f"\n{title}")
    for name, figures in rows.items():
        print(f"  {name:60s} " + "  ".join(f"{k}={v}" for k, v in figures.items()))


def main() -> None:
    """Run the measurements and print them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--ocr", type=int, default=0, metavar="N", help="also measure OCR on N pages rendered from the sample corpus")
    args = parser.parse_args()
    nlp = load_nlp("blank")
    with tempfile.TemporaryDirectory() as tmp:
        figures = {"generated": generated(nlp, Path(tmp))}
    _print("Generated layouts (recall of known sentences, share starting lower case)", figures["generated"])
    if REAL.is_dir() and shutil.which("pdftotext"):
        figures["real"] = real(nlp)
        _print("Real PDFs against pdftotext -raw", figures["real"])
    else:
        print("\nreal PDFs skipped (no ../shared/realpdfs/ or no pdftotext)")
    if args.ocr:
        with tempfile.TemporaryDirectory() as tmp:
            figures["ocr"] = ocr_accuracy(args.ocr, Path(tmp))
        print("\nOCR of rendered sample-corpus pages:", json.dumps(figures["ocr"]))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
