"""Profiles and tagged sentences -> the output files of a scan (CSV, JSON Lines, HTML).

CSV files are UTF-8 with a byte-order mark (Excel then reads the accents
right; pandas reads them with the default encoding) and comma-separated.
A cell that starts with =, +, -, @, tab or carriage return and is not a number
gets a leading apostrophe, so a spreadsheet never runs it as a formula.
"""

from __future__ import annotations

import contextlib
import csv
import html
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import Field, dataclass
from pathlib import Path
from typing import IO, get_args, get_type_hints

from .extract import ocr_pages
from .fileio import atomic_open
from .process import DocumentResult
from .profile import MEASURES, BestFirst, DerivedMeasures, Profile
from .records import Document, Prediction, Problem, TaggedSentence
from .spool import Spool
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


class SafeCsvWriter:
    """Rows to a CSV stream, every cell made safe for spreadsheets."""

    def __init__(self, handle: IO[str], header: Sequence[str]) -> None:
        self._writer = csv.writer(handle)
        self._writer.writerow(header)

    def writerow(self, row: Sequence[object]) -> None:
        """Write one row."""
        self._writer.writerow([safe_cell(v) for v in row])


@contextlib.contextmanager
def csv_output(path: Path, header: Sequence[str]) -> Iterator[SafeCsvWriter]:
    """A safe CSV file written row by row, replacing `path` atomically when the block ends without error."""
    with atomic_open(path, newline="", encoding=CSV_ENCODING) as handle:
        yield SafeCsvWriter(handle, header)


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    """Write a safe CSV file atomically."""
    with csv_output(path, header) as writer:
        for row in rows:
            writer.writerow(row)


def sentence_record(t: TaggedSentence) -> dict:
    """The sentences.jsonl object: the extract fields plus municipality, labels and scores."""
    return t.sentence.to_dict() | {"municipality": t.municipality, "labels": list(t.labels), "scores": t.scores}


_encode = json.JSONEncoder(ensure_ascii=False).encode


_string = json.encoder.encode_basestring  # what `_encode` writes a string with


def write_sentence_lines(handle: IO[str], tagged: Iterable[TaggedSentence]) -> int:
    """Write sentences.jsonl lines to an open stream; the number written.

    Each line is `_encode(sentence_record(t))` to the byte, put together from its fields: the document's and the
    municipality's once per document, the labels and scores as the tag cache keeps them encoded.
    """
    n, source, head, middle = 0, None, "", ""
    for t in tagged:
        s = t.sentence
        if (s.doc_id, s.path, t.municipality) != source:
            source = (s.doc_id, s.path, t.municipality)
            head = f'{{"doc_id": {_string(s.doc_id)}, "path": {_string(s.path)}, "page": '
            middle = f', "municipality": {_string(t.municipality)}, '
        section = "null" if s.section is None else _string(s.section)
        ocr = ', "ocr": true' if s.ocr else ""
        fields = t.encoded or Prediction(t.labels, t.scores).json_fields()
        handle.write(f'{head}{s.page}, "index": {s.index}, "section": {section}, "text": {_string(s.text)}{ocr}{middle}{fields}}}\n')
        n += 1
    return n


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
    Column("ocr_pages", "integer", "of those, pages read by OCR (--ocr)"),
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
        ocr_pages(result.warnings),
        len(result.sentences),
        result.characters,
        warnings,
    ]


def manifest_columns(documents: Sequence[Document]) -> list[str]:
    """The manifest's extra columns (province, size class, ...), in order of first appearance, that no fixed column already names."""
    fixed = set(DOCUMENT_COLUMNS) | {c.name for c in DERIVED_COLUMNS}
    return [k for k in dict.fromkeys(k for d in documents for k, _ in d.extra) if k not in fixed]


def document_row(result: DocumentResult, profile: Profile, extra: Sequence[str]) -> list[object]:
    """The documents.csv row of one input document, with the manifest's `extra` columns; a failed one has counts 0, nothing present and empty shares."""
    given = dict(result.document.extra)
    return [*_document_cells(result), *(given.get(k, "") for k in extra), *_derived_values(profile), *_wide_values(profile)]


def document_columns(taxonomy: Taxonomy, extra: Sequence[str] = ()) -> list[Column]:
    """The columns of documents.csv: the fixed ones, the manifest's extra ones (text), the derived measures and the per-label ones."""
    given = [Column(name, "string", "a column of the manifest, as given", False) for name in extra]
    return [*DOCUMENT_COLUMNS_DEF, *given, *DERIVED_COLUMNS, *_wide_columns(taxonomy)]


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


class ReportEvidence:
    """The sentences the HTML report shows, gathered as tagged sentences arrive.

    Per municipality and label the REPORT_EVIDENCE best by score (ties in arrival order); and every risk and
    safeguard sentence in arrival order, kept in a `Spool` on disk so that memory stays flat.
    """

    def __init__(self, taxonomy: Taxonomy, spool: Spool) -> None:
        self._best: dict[tuple[str, str], BestFirst] = {}
        self._roles = {label: role for role, label in _risk_roles(taxonomy)}
        self._arrived = 0
        self.spool = spool

    def add(self, t: TaggedSentence) -> None:
        """Take one tagged sentence into account."""
        self._arrived += 1
        for label in t.labels:
            best = self._best.get((t.municipality, label))
            if best is None:
                best = self._best[(t.municipality, label)] = BestFirst(REPORT_EVIDENCE)
            key = (-t.scores[label], self._arrived)
            if best.accepts(key):
                best.offer(key, _sentence_view(t, label))
            if label in self._roles:
                self.spool.add("risk", t.municipality, self._roles[label], _encode(_sentence_view(t, label)))

    def evidence(self, municipality: str, label: str) -> list[dict]:
        """The best sentences of one municipality for one label, best first."""
        best = self._best.get((municipality, label))
        return best.best() if best else []

    def risk(self, municipality: str, role: str) -> Iterator[str]:
        """Every sentence of one municipality in a risk role ("risk" or "safeguard"), as JSON texts in arrival order."""
        return self.spool.values("risk", municipality, role)  # type: ignore[return-value]


def _risk_roles(taxonomy: Taxonomy) -> list[tuple[str, str]]:
    """(role, label) of the instrumentalisation and safeguard labels the taxonomy has."""
    return [
        (role, label) for role, label in (("risk", taxonomy.roles.risk), ("safeguard", taxonomy.roles.safeguard)) if label in taxonomy.ids
    ]


class RiskSentences:
    """A municipality's sentences in one risk role, read from the spool when the report is written (JSON texts)."""

    def __init__(self, evidence: ReportEvidence, municipality: str, role: str) -> None:
        self.evidence, self.municipality, self.role = evidence, municipality, role

    def __iter__(self) -> Iterator[str]:
        return self.evidence.risk(self.municipality, self.role)


def report_data(
    profiles: Sequence[Profile],
    evidence: ReportEvidence,
    taxonomy: Taxonomy,
    summary: dict,
    problems: Sequence[Problem] = (),
    documents: Sequence[DocumentResult] = (),
    trust: dict | None = None,
) -> dict:
    """Everything the HTML report shows: profiles with evidence, failed inputs, page warnings, and how far to trust each label.

    Plain data except each municipality's "risk" lists, which are `RiskSentences` (JSON texts read from the spool).
    """
    municipalities = []
    for p in profiles:
        municipalities.append(
            {
                "name": p.key,
                "documents": p.documents,
                "failed_documents": p.failed_documents,
                "status": p.status,
                "sentences": p.sentences,
                "derived": dict(zip(DERIVED, p.derived.values(), strict=True)),
                "cells": {c.label: {"n": c.sentences, "share": c.share, "present": c.present} for c in p.labels},
                "evidence": {label: evidence.evidence(p.key, label) for label in taxonomy.ids},
                "risk": {role: RiskSentences(evidence, p.key, role) for role, _ in _risk_roles(taxonomy)},
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


def _report_json(data: dict) -> Iterator[str]:
    """The JSON text of the report data in pieces, the risk sentences streamed from the spool (as json.dumps would write it)."""
    yield "{"
    for i, (key, value) in enumerate(data.items()):
        yield (", " if i else "") + _encode(key) + ": "
        if key == "municipalities":
            yield "["
            for j, municipality in enumerate(value):
                yield from _municipality_json(municipality, first=j == 0)
            yield "]"
        else:
            yield _encode(value)
    yield "}"


def _municipality_json(municipality: dict, first: bool) -> Iterator[str]:
    """One municipality of the report data as JSON; its "risk" entry (the last key) is streamed."""
    head = _encode({k: v for k, v in municipality.items() if k != "risk"})
    yield ("" if first else ", ") + head[:-1] + ', "risk": {'
    for i, (role, views) in enumerate(municipality["risk"].items()):
        yield (", " if i else "") + _encode(role) + ": ["
        for j, view in enumerate(views):
            yield (", " if j else "") + view
        yield "]"
    yield "}}"


def _for_script(text: str) -> str:
    """JSON that cannot close the script element it sits in."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def write_report(path: Path, data: dict) -> None:
    """report.html: one self-contained file (no network), its data written piece by piece."""
    template = (Path(__file__).parent / "data" / "report.html").read_text(encoding="utf-8")
    summary = data["summary"]
    title = html.escape(f"policyscan: {summary['municipalities']} municipalities, {summary['documents']} documents")
    head, tail = template.replace("{{TITLE}}", title).split("{{DATA}}", 1)
    with atomic_open(path) as handle:
        handle.write(head)
        for piece in _report_json(data):
            handle.write(_for_script(piece))
        handle.write(tail)
