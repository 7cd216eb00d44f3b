"""Render the sample corpus: corpus/src/*.src (a small markup) -> corpus/<Municipality>/*.pdf and corpus/manifest.csv.

Also writes one image-only PDF and one damaged (truncated) PDF, so the demo shows
error handling, and prints how many of each document's true sentences
policyscan's extraction returns exactly.

Markup, one element per paragraph (paragraphs separated by a blank line):
    @municipality Lindenhoek        (also @code, @year, @title, @header, @footer, @columns 1|2, @file name)
    # 1 Inleiding                   heading, level 1 ("## 1.1 ..." for level 2)
    - item                          bulleted list (consecutive lines)
    1. item                         numbered list (consecutive lines)
    | a | b | c |                   table rows (consecutive lines)
    [columns 2]  [pagebreak]  [image]
    anything else                   a body paragraph
"""

from __future__ import annotations

import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from policyscan.extract import extract_pdf  # noqa: E402
from policyscan.segment import segment, split_sentences  # noqa: E402
from policyscan.testing.pdfgen import Layout, PolicyPDF, Truth  # noqa: E402

BAD_FILES = [
    # (municipality, file, how it is broken)
    ("Veendijk", "evaluatie-vrijwilligersbeleid-2023-scan", "image-only"),
    ("Groenvliet", "raadsinformatiebrief-dorpshuizen-2024", "truncated"),
]

META = ("municipality", "code", "year", "title", "header", "footer", "columns", "file", "image_only")


def parse(source: Path) -> tuple[dict[str, str], list[str]]:
    """The metadata and the element chunks of one source file."""
    meta, chunks = {}, []
    for chunk in re.split(r"\n\s*\n", source.read_text(encoding="utf-8")):
        lines = [ln.rstrip() for ln in chunk.strip().splitlines() if ln.strip()]
        body = []
        for line in lines:
            match = re.match(r"@(\w+)\s*(.*)", line)
            if match and match.group(1) in META:
                meta[match.group(1)] = match.group(2).strip()
            else:
                body.append(line)
        if body:
            chunks.append("\n".join(body))
    return meta, chunks


def render(meta: dict[str, str], chunks: list[str], path: Path) -> Truth:
    """Lay out the chunks as a PDF; returns what it contains."""
    doc = PolicyPDF(Layout(columns=int(meta.get("columns", 1))), header=meta.get("header"), footer=meta.get("footer"))
    for chunk in chunks:
        lines = chunk.splitlines()
        if chunk.startswith("[columns"):
            doc.layout.columns = int(chunk.strip("[]").split()[1])
            doc.page_break()
        elif chunk == "[pagebreak]":
            doc.page_break()
        elif chunk == "[image]":
            doc.image_page(seed=len(chunk))
        elif chunk.startswith("#"):
            level = len(chunk) - len(chunk.lstrip("#"))
            doc.heading(chunk.lstrip("# ").strip(), level=min(level, 2))
        elif lines[0].startswith("|"):
            doc.table([[c.strip() for c in ln.strip().strip("|").split("|")] for ln in lines])
        elif re.match(r"\d+\.\s", lines[0]):
            doc.bullets([re.sub(r"^\d+\.\s+", "", ln) for ln in lines], numbered=True)
        elif lines[0].startswith("- "):
            doc.bullets([ln[2:] for ln in lines])
        else:
            doc.paragraph(" ".join(lines))
    doc.output(path)
    doc.truth.sentences = split_sentences(doc.truth.sentences)
    return doc.truth


def _recall(pdf: Path, truth: Truth) -> float:
    found = {s.text for s in segment(extract_pdf(pdf), pdf.stem)}
    return sum(1 for s in truth.sentences if s in found) / max(len(truth.sentences), 1)


def _bad_file(folder: Path, name: str, kind: str, sample: Path) -> Path:
    path = folder / f"{name}.pdf"
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "image-only":
        doc = PolicyPDF(Layout(), page_numbers=False)
        doc.image_page(seed=11)
        doc.image_page(seed=12)
        doc.output(path)
    else:
        data = sample.read_bytes()
        path.write_bytes(data[: len(data) * 2 // 3])
    return path


def main() -> None:
    corpus = ROOT / "corpus"
    for old in corpus.glob("*/*.pdf"):
        old.unlink()
    rows = []
    for source in sorted((corpus / "src").glob("*.src")):
        meta, chunks = parse(source)
        pdf = corpus / meta["municipality"] / f"{meta.get('file', source.stem)}.pdf"
        truth = render(meta, chunks, pdf)
        rows.append({k: meta.get(k, "") for k in ("municipality", "code", "year", "title")} | {"path": str(pdf.relative_to(corpus))})
        print(f"{pdf.relative_to(ROOT)}: recall {_recall(pdf, truth):.1%} of {len(truth.sentences)} sentences", file=sys.stderr)
    codes = {r["municipality"]: r["code"] for r in rows}
    for municipality, name, kind in BAD_FILES:
        path = _bad_file(corpus / municipality, name, kind, corpus / rows[0]["path"])
        rows.append(
            {
                "path": str(path.relative_to(corpus)),
                "municipality": municipality,
                "code": codes.get(municipality, ""),
                "year": "",
                "title": f"({kind} sample)",
            }
        )
    with (corpus / "manifest.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=["path", "municipality", "code", "year", "title"])
        writer.writeheader()
        writer.writerows(rows)


if __name__ == "__main__":
    main()
