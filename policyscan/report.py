"""Profiles and tagged sentences -> the output files of a scan (CSV, JSON Lines, HTML).

CSV files are UTF-8 with a byte-order mark (Excel then reads the accents
right; pandas reads them with the default encoding) and comma-separated.
A cell that starts with =, +, -, @, tab or carriage return and is not a number
gets a leading apostrophe, so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import csv
import html
import json
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from .fileio import atomic_open
from .process import DocumentResult
from .profile import MEASURES, Profile
from .records import Problem, TaggedSentence
from .taxonomy import Taxonomy

CSV_ENCODING = "utf-8-sig"
_NUMBER = re.compile(r"^[+-]?\d[\d.,]*(?:[eE][+-]?\d+)?%?$")
REPORT_EVIDENCE = 25


def safe_cell(value: object) -> object:
    """A CSV cell that a spreadsheet shows as text, never as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool | int | float):
        return value
    text = str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r") and not _NUMBER.match(text):
        return "'" + text
    return text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a safe CSV file atomically."""
    with atomic_open(path, newline="", encoding=CSV_ENCODING) as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([safe_cell(v) for v in row] for row in rows)


def sentence_record(t: TaggedSentence) -> dict:
    """The sentences.jsonl object: the extract fields plus municipality, labels and scores."""
    return t.sentence.to_dict() | {"municipality": t.municipality, "labels": list(t.labels), "scores": t.scores}


def write_sentences(path: Path, tagged: Iterable[TaggedSentence]) -> None:
    """sentences.jsonl, one object per sentence."""
    encode = json.JSONEncoder(ensure_ascii=False).encode
    with atomic_open(path) as handle:
        for t in tagged:
            handle.write(encode(sentence_record(t)) + "\n")


# ---------------------------------------------------------------- CSV layouts

#: The derived-measure columns, from the one definition in `profile.DerivedMeasures`.
DERIVED = tuple(f.name for f in MEASURES)


def _wide_header(taxonomy: Taxonomy) -> list[str]:
    return [f"{label}_{part}" for label in taxonomy.ids for part in ("sentences", "share", "present")]


def _wide_values(profile: Profile) -> list[object]:
    return [v for c in profile.labels for v in (c.sentences, c.share, c.present)]


def _derived_values(profile: Profile) -> list[object]:
    return profile.derived.values()


def write_coverage(path: Path, profiles: Sequence[Profile], taxonomy: Taxonomy, codes: dict[str, str]) -> None:
    """coverage.csv: one row per municipality."""
    header = ["municipality", "code", "documents", "sentences", "characters", *DERIVED, *_wide_header(taxonomy)]
    rows = [[p.key, codes.get(p.key, ""), p.documents, p.sentences, p.characters, *_derived_values(p), *_wide_values(p)] for p in profiles]
    write_csv(path, header, rows)


def _evidence_cell(t: TaggedSentence | None, label: str) -> str:
    if t is None:
        return ""
    return f"{t.sentence.text} ({t.sentence.doc_id}, p. {t.sentence.page}, score {t.scores[label]:.2f})"


def write_coverage_long(path: Path, profiles: Sequence[Profile], taxonomy: Taxonomy) -> None:
    """coverage_long.csv: one row per municipality and label, with the best evidence."""
    header = [
        "municipality",
        "label",
        "label_name",
        "group",
        "domain",
        "sentences",
        "share",
        "char_share",
        "present",
        "mean_score",
        "evidence_1",
        "evidence_2",
        "evidence_3",
    ]
    rows = []
    for p in profiles:
        for c in p.labels:
            meta = taxonomy.get(c.label)
            evidence = [_evidence_cell(c.evidence[i] if i < len(c.evidence) else None, c.label) for i in range(3)]
            rows.append(
                [
                    p.key,
                    c.label,
                    meta.name_nl,
                    meta.group,
                    meta.domain,
                    c.sentences,
                    c.share,
                    c.char_share,
                    c.present,
                    c.mean_score,
                    *evidence,
                ]
            )
    write_csv(path, header, rows)


DOCUMENT_COLUMNS = (
    "doc_id",
    "path",
    "municipality",
    "code",
    "year",
    "title",
    "status",
    "error",
    "pages",
    "sentences",
    "characters",
    "warnings",
)


def _document_cells(result: DocumentResult) -> list[object]:
    """The DOCUMENT_COLUMNS of one input document."""
    d = result.document
    status = "failed" if result.error else "ok"
    warnings = "; ".join(result.warnings)
    return [
        d.doc_id,
        d.path,
        d.municipality,
        d.code,
        d.year,
        d.title,
        status,
        result.error,
        result.pages,
        len(result.sentences),
        result.characters,
        warnings,
    ]


def write_documents(path: Path, results: Sequence[DocumentResult], profiles: dict[str, Profile], taxonomy: Taxonomy) -> None:
    """documents.csv: one row per input document (with the manifest's extra columns), with its own coverage when it was read."""
    fixed = [*DOCUMENT_COLUMNS, *DERIVED, *_wide_header(taxonomy)]
    manifest = [k for k in dict.fromkeys(k for r in results for k, _ in r.document.extra) if k not in fixed]
    header = [*DOCUMENT_COLUMNS, *manifest, *DERIVED, *_wide_header(taxonomy)]
    out = []
    for result in results:
        profile = profiles.get(result.document.doc_id)
        extra = [*_derived_values(profile), *_wide_values(profile)] if profile else [""] * (len(DERIVED) + 3 * len(taxonomy.ids))
        given = dict(result.document.extra)
        out.append(_document_cells(result) + [given.get(k, "") for k in manifest] + extra)
    write_csv(path, header, out)


def write_errors(path: Path, problems: Sequence[Problem]) -> None:
    """errors.csv: file, municipality, reason."""
    write_csv(path, ["path", "municipality", "reason"], [(p.path, p.municipality, p.reason) for p in problems])


# ---------------------------------------------------------------- HTML


def _sentence_view(t: TaggedSentence, label: str) -> dict:
    return {
        "text": t.sentence.text,
        "doc": t.sentence.doc_id,
        "page": t.sentence.page,
        "section": t.sentence.section,
        "score": round(t.scores[label], 3),
    }


def report_data(profiles: Sequence[Profile], tagged: Sequence[TaggedSentence], taxonomy: Taxonomy, summary: dict) -> dict:
    """Everything the HTML report shows, as plain data."""
    by_cell: dict[tuple[str, str], list[TaggedSentence]] = {}
    for t in tagged:
        for label in t.labels:
            by_cell.setdefault((t.municipality, label), []).append(t)
    municipalities = []
    for p in profiles:
        evidence = {}
        for label in taxonomy.ids:
            hits = sorted(by_cell.get((p.key, label), []), key=lambda t, lab=label: -t.scores[lab])
            evidence[label] = [_sentence_view(t, label) for t in hits[:REPORT_EVIDENCE]]
        risk = {
            role: [_sentence_view(t, label) for t in by_cell.get((p.key, label), [])]
            for role, label in (("risk", taxonomy.roles.risk), ("safeguard", taxonomy.roles.safeguard))
            if label in taxonomy.ids
        }
        municipalities.append(
            {
                "name": p.key,
                "documents": p.documents,
                "sentences": p.sentences,
                "derived": dict(zip(DERIVED, p.derived.values(), strict=True)),
                "cells": {c.label: {"n": c.sentences, "share": c.share, "present": c.present} for c in p.labels},
                "evidence": evidence,
                "risk": risk,
            }
        )
    labels = [{"id": lab.id, "name": lab.name_nl, "group": lab.group, "domain": lab.domain} for lab in taxonomy.labels]
    measures = [{"id": f.name} | dict(f.metadata) for f in MEASURES]
    return {"labels": labels, "measures": measures, "municipalities": municipalities, "summary": summary}


def _json_for_script(data: dict) -> str:
    """JSON that cannot close the script element it sits in."""
    return json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_report(path: Path, data: dict) -> None:
    """report.html: one self-contained file (no network)."""
    template = (Path(__file__).parent / "data" / "report.html").read_text(encoding="utf-8")
    summary = data["summary"]
    title = html.escape(f"policyscan: {summary['municipalities']} municipalities, {summary['documents']} documents")
    page = template.replace("{{TITLE}}", title).replace("{{DATA}}", _json_for_script(data))
    with atomic_open(path) as handle:
        handle.write(page)
