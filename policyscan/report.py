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
from dataclasses import Field, dataclass
from pathlib import Path
from typing import get_args, get_type_hints

from .fileio import atomic_open
from .process import DocumentResult
from .profile import MEASURES, DerivedMeasures, Profile
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
#
# Every column has one type, and the same rule for missing values everywhere:
# integers (counts) and booleans (True/False) are never empty; a number is
# empty when it is not defined (a share of zero sentences); text may be empty.
# datapackage.json states these types, built from the same column definitions.


@dataclass(frozen=True)
class Column:
    """One CSV column: its name, Table Schema type, description, and whether it is ever empty."""

    name: str
    type: str
    description: str
    required: bool = True

    def schema(self) -> dict:
        """The Frictionless Table Schema field of this column."""
        field_ = {"name": self.name, "type": self.type, "description": self.description}
        if self.type == "boolean":
            field_ |= {"trueValues": ["True"], "falseValues": ["False"]}
        if self.required:
            field_["constraints"] = {"required": True}
        return field_


_TYPES = {int: "integer", float: "number", bool: "boolean", str: "string"}


def _measure_column(f: Field) -> Column:
    """The column of a derived measure, typed from its annotation in `DerivedMeasures`."""
    hint = get_type_hints(DerivedMeasures)[f.name]
    base = next(t for t in get_args(hint) or (hint,) if t is not type(None))
    return Column(f.name, _TYPES[base], f.metadata["description"], required=type(None) not in get_args(hint))


#: The derived-measure columns, from the one definition in `profile.DerivedMeasures`.
DERIVED = tuple(f.name for f in MEASURES)
DERIVED_COLUMNS = tuple(_measure_column(f) for f in MEASURES)


def _wide_columns(taxonomy: Taxonomy) -> list[Column]:
    """`<label>_sentences`, `<label>_share`, `<label>_present` for every label."""
    out = []
    for label in taxonomy.ids:
        out += [
            Column(f"{label}_sentences", "integer", f"sentences carrying {label}"),
            Column(f"{label}_share", "number", f"{label}_sentences / all sentences; empty when there are no sentences", False),
            Column(f"{label}_present", "boolean", f"{label} counts as addressed by the presence rule"),
        ]
    return out


def _wide_values(profile: Profile) -> list[object]:
    return [v for c in profile.labels for v in (c.sentences, c.share, c.present)]


def _derived_values(profile: Profile) -> list[object]:
    return profile.derived.values()


_COUNTS = (
    Column("sentences", "integer", "sentences read"),
    Column("characters", "integer", "characters of those sentences"),
)
COVERAGE_COLUMNS = (
    Column("municipality", "string", "normalised municipality name"),
    Column("code", "string", "CBS gemeentecode (GM....)", False),
    Column("status", "string", "ok: every document read; partial: some failed; failed: none could be read (measures empty)"),
    Column("documents", "integer", "documents read"),
    Column("failed_documents", "integer", "documents that could not be used (see errors.csv)"),
    *_COUNTS,
)


def coverage_columns(taxonomy: Taxonomy) -> list[Column]:
    """The columns of coverage.csv."""
    return [*COVERAGE_COLUMNS, *DERIVED_COLUMNS, *_wide_columns(taxonomy)]


def write_coverage(path: Path, profiles: Sequence[Profile], taxonomy: Taxonomy, codes: dict[str, str]) -> None:
    """coverage.csv: one row per municipality, also those whose documents all failed."""
    rows = [
        [
            p.key,
            codes.get(p.key, ""),
            p.status,
            p.documents,
            p.failed_documents,
            p.sentences,
            p.characters,
            *_derived_values(p),
            *_wide_values(p),
        ]
        for p in profiles
    ]
    write_csv(path, [c.name for c in coverage_columns(taxonomy)], rows)


def _evidence_cell(t: TaggedSentence | None, label: str) -> str:
    if t is None:
        return ""
    return f"{t.sentence.text} ({t.sentence.doc_id}, p. {t.sentence.page}, score {t.scores[label]:.2f})"


COVERAGE_LONG_COLUMNS = (
    Column("municipality", "string", "normalised municipality name"),
    Column("label", "string", "label id"),
    Column("label_name", "string", "the label's Dutch name"),
    Column("group", "string", "label group (task/risk)"),
    Column("domain", "string", "label domain (social/other/none)"),
    Column("sentences", "integer", "sentences carrying the label"),
    Column("share", "number", "sentences / all sentences of the municipality; empty when none were read", False),
    Column("char_share", "number", "characters of those sentences / all characters; empty when none were read", False),
    Column("present", "boolean", "the label counts as addressed by the presence rule"),
    Column("mean_score", "number", "mean probability over the sentences carrying the label; empty when none do", False),
    *(Column(f"evidence_{i}", "string", f"evidence sentence {i} with document, page and score", False) for i in (1, 2, 3)),
)


def write_coverage_long(path: Path, profiles: Sequence[Profile], taxonomy: Taxonomy) -> None:
    """coverage_long.csv: one row per municipality and label, with the best evidence."""
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
    write_csv(path, [c.name for c in COVERAGE_LONG_COLUMNS], rows)


DOCUMENT_COLUMNS_DEF = (
    Column("doc_id", "string", "document id (unique in the scan)"),
    Column("path", "string", "the file"),
    Column("municipality", "string", "normalised municipality name"),
    Column("code", "string", "CBS gemeentecode (GM....)", False),
    Column("year", "integer", "the first four-digit year in the manifest's year cell (2025-2028 gives 2025)", False),
    Column("title", "string", "title from the manifest", False),
    Column("status", "string", "ok or failed"),
    Column("error", "string", "why the document failed", False),
    Column("pages", "integer", "pages read"),
    *_COUNTS,
    Column("warnings", "string", "page warnings, separated by '; '", False),
)
DOCUMENT_COLUMNS = tuple(c.name for c in DOCUMENT_COLUMNS_DEF)
_YEAR = re.compile(r"(?<!\d)(\d{4})(?!\d)")


def _year(value: str | None) -> int | None:
    """The first four-digit year in a manifest cell ("2025", "2025.0", "2025-2028" -> 2025), else None."""
    found = _YEAR.search(value or "")
    return int(found[1]) if found else None


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
        _year(d.year),
        d.title,
        status,
        result.error,
        result.pages,
        len(result.sentences),
        result.characters,
        warnings,
    ]


def manifest_columns(results: Sequence[DocumentResult]) -> list[str]:
    """The manifest's extra columns (province, size class, ...), in order of first appearance, that no fixed column already names."""
    fixed = set(DOCUMENT_COLUMNS) | {c.name for c in DERIVED_COLUMNS}
    return [k for k in dict.fromkeys(k for r in results for k, _ in r.document.extra) if k not in fixed]


def document_columns(taxonomy: Taxonomy, extra: Sequence[str] = ()) -> list[Column]:
    """The columns of documents.csv: the fixed ones, the manifest's extra ones (text), the derived measures and the per-label ones."""
    given = [Column(name, "string", "a column of the manifest, as given", False) for name in extra]
    return [*DOCUMENT_COLUMNS_DEF, *given, *DERIVED_COLUMNS, *_wide_columns(taxonomy)]


def write_documents(path: Path, results: Sequence[DocumentResult], profiles: dict[str, Profile], taxonomy: Taxonomy) -> None:
    """documents.csv: one row per input document (with the manifest's extra columns); a failed one has counts 0, nothing present and empty shares."""
    extra = manifest_columns(results)
    out = []
    for result in results:
        profile = profiles[result.document.doc_id]
        given = dict(result.document.extra)
        out.append([*_document_cells(result), *(given.get(k, "") for k in extra), *_derived_values(profile), *_wide_values(profile)])
    write_csv(path, [c.name for c in document_columns(taxonomy, extra)], out)


ERROR_COLUMNS = (
    Column("path", "string", "the input"),
    Column("municipality", "string", "its municipality, when known", False),
    Column("reason", "string", "why it could not be used"),
)


def write_errors(path: Path, problems: Sequence[Problem]) -> None:
    """errors.csv: file, municipality, reason."""
    write_csv(path, [c.name for c in ERROR_COLUMNS], [(p.path, p.municipality, p.reason) for p in problems])


SUMMARY_COLUMNS_DEF = (
    Column("group", "string", "the group of municipalities (all, or a value of the --by column)"),
    Column("measure", "string", "label, headline or breadth"),
    Column("key", "string", "the label id, headline measure or breadth value"),
    Column("name", "string", "what the row counts, in words"),
    Column("municipalities", "integer", "municipalities in the group"),
    Column("count", "integer", "municipalities where it holds"),
    Column("share", "number", "count / municipalities", False),
    Column("bootstrap_low", "number", "95% interval from a bootstrap over municipalities, low end", False),
    Column("bootstrap_high", "number", "95% interval from a bootstrap over municipalities, high end", False),
    Column(
        "error_low", "number", "95% interval from the classifier's measured error rates, low end (empty: no rates in the model card)", False
    ),
    Column("error_high", "number", "95% interval from the classifier's measured error rates, high end", False),
)


def datapackage(taxonomy: Taxonomy, with_errors: bool, extra: Sequence[str] = ()) -> dict:
    """The Frictionless Data Package (Table Schema) describing the CSV files of a results folder."""
    tables = [
        ("documents", "one row per input document", document_columns(taxonomy, extra)),
        ("coverage", "one row per municipality", coverage_columns(taxonomy)),
        ("coverage_long", "one row per municipality and label", list(COVERAGE_LONG_COLUMNS)),
        ("summary", "the study's questions across municipalities, one row per group and figure", list(SUMMARY_COLUMNS_DEF)),
    ]
    if with_errors:
        tables.append(("errors", "one row per input that could not be used", list(ERROR_COLUMNS)))
    resources = [
        {
            "name": name,
            "path": f"{name}.csv",
            "profile": "tabular-data-resource",
            "description": description,
            "format": "csv",
            "mediatype": "text/csv",
            "encoding": "utf-8",
            "dialect": {"delimiter": ",", "header": True},
            "schema": {"fields": [c.schema() for c in columns], "missingValues": [""]},
        }
        for name, description, columns in tables
    ]
    return {"profile": "tabular-data-package", "name": "policyscan-results", "resources": resources}


def write_datapackage(path: Path, taxonomy: Taxonomy, with_errors: bool, extra: Sequence[str] = ()) -> None:
    """datapackage.json: the types of every CSV column, for pandas, R and Frictionless tools."""
    with atomic_open(path) as handle:
        handle.write(json.dumps(datapackage(taxonomy, with_errors, extra), ensure_ascii=False, indent=2) + "\n")


# ---------------------------------------------------------------- HTML


def _sentence_view(t: TaggedSentence, label: str) -> dict:
    return {
        "text": t.sentence.text,
        "doc": t.sentence.doc_id,
        "page": t.sentence.page,
        "section": t.sentence.section,
        "score": round(t.scores[label], 3),
    }


def report_data(
    profiles: Sequence[Profile],
    tagged: Sequence[TaggedSentence],
    taxonomy: Taxonomy,
    summary: dict,
    problems: Sequence[Problem] = (),
    documents: Sequence[DocumentResult] = (),
    trust: dict | None = None,
) -> dict:
    """Everything the HTML report shows, as plain data: profiles with evidence, failed inputs, page warnings, and how far to trust each label."""
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
                "failed_documents": p.failed_documents,
                "status": p.status,
                "sentences": p.sentences,
                "derived": dict(zip(DERIVED, p.derived.values(), strict=True)),
                "cells": {c.label: {"n": c.sentences, "share": c.share, "present": c.present} for c in p.labels},
                "evidence": evidence,
                "risk": risk,
            }
        )
    labels = [{"id": lab.id, "name": lab.name_nl, "group": lab.group, "domain": lab.domain} for lab in taxonomy.labels]
    measures = [{"id": f.name} | dict(f.metadata) for f in MEASURES]
    failures = [{"path": f.path, "municipality": f.municipality, "reason": f.reason} for f in problems]
    warnings = [
        {"doc": r.document.doc_id, "path": r.document.path, "municipality": r.document.municipality, "warnings": list(r.warnings)}
        for r in documents
        if r.warnings
    ]
    return {
        "labels": labels,
        "measures": measures,
        "municipalities": municipalities,
        "summary": summary,
        "failures": failures,
        "warnings": warnings,
        "trust": trust or {},
    }


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
