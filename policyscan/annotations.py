"""Annotation files in the formats researchers use, read into one record type and written back.

Formats: policyscan JSONL, Prodigy JSONL (`accept` with `options`, binary
`label` + `answer`, or `cats`), doccano JSONL (`label`), Label Studio JSON
export (`annotations` -> `result` -> `value` -> `choices`, `completed_by`) and
JSON-MIN export, spaCy DocBin (`.spacy`, `doc.cats`) and CSV (`text`, `labels`
separated by `;`; columns separated by commas, semicolons or tabs). Text files
are read as UTF-8, UTF-16 (by BOM) or, with a warning, Windows-1252.
"""

from __future__ import annotations

import csv
import io
import json
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from itertools import combinations
from pathlib import Path

from .errors import AnnotationError, EncodingError, PolicyscanWarning
from .fileio import open_output, read_text
from .quality import variety
from .taxonomy import Taxonomy

FORMATS = ("policyscan", "prodigy", "doccano", "labelstudio", "spacy", "csv")
#: The decisions `policyscan annotate` records in a line's `meta.decision`; "unsure" is a sentence left undecided.
DECISIONS = ("labels", "no_label", "unsure")
UNSURE = "unsure"
# tools whose choices annotators see by name: a label may be given by its Dutch or English name there
NAMED_FORMATS = ("labelstudio", "doccano")


@dataclass(frozen=True)
class Annotation:
    """One labelled sentence and where it came from."""

    text: str
    labels: tuple[str, ...]
    source: str = ""
    annotator: str = ""
    file: str = ""
    line: int = 0
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def to_json(self) -> dict:
        """The policyscan JSONL object."""
        data = {"text": self.text, "labels": list(self.labels), "source": self.source, "annotator": self.annotator}
        return data | ({"meta": self.meta} if self.meta else {})


# ---------------------------------------------------------------- detection


def _decoded(path: Path) -> str:
    """The file's text in whatever encoding it came in (see fileio.read_text)."""
    try:
        return read_text(path)
    except EncodingError as exc:
        raise AnnotationError(str(exc)) from exc


def detect_format(path: str | Path, text: str | None = None) -> str:
    """The format of an annotation file, from its suffix and content."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".spacy":
        return "spacy"
    if suffix in (".csv", ".tsv"):
        return "csv"
    head = (_decoded(path) if text is None else text)[:4096].lstrip()
    if not head:
        raise AnnotationError(f"{path}: empty file (no annotations in it)")
    if head.startswith("["):
        return "labelstudio"
    first = next((ln for ln in head.splitlines() if ln.strip()), "")
    try:
        obj = json.loads(first)
    except json.JSONDecodeError as exc:
        raise AnnotationError(f"{path}:1: cannot tell the format (not JSON Lines: {exc.msg}); pass --format") from exc
    return _detect_object(obj, path)


def _detect_object(obj: object, path: Path) -> str:
    if not isinstance(obj, dict):
        raise AnnotationError(f"{path}:1: cannot tell the format (a line is not a JSON object); pass --format")
    if "labels" in obj:
        return "policyscan"
    if "accept" in obj or "answer" in obj or "cats" in obj:
        return "prodigy"
    if "label" in obj:
        return "doccano"
    if "annotations" in obj and "data" in obj:
        return "labelstudio"
    raise AnnotationError(f"{path}:1: cannot tell the format (keys {sorted(obj)}); pass --format")


# ---------------------------------------------------------------- label names


def _norm(name: str) -> str:
    return " ".join(name.casefold().split())


def label_lookup(taxonomy: Taxonomy) -> dict[str, str]:
    """Label ids keyed by every way a tool may spell them: the id, the Dutch and the English name (case-insensitive)."""
    lookup = {}
    for label in taxonomy.labels:
        for spelling in (label.name_en, label.name_nl, label.id):
            lookup[_norm(spelling)] = label.id
    return lookup


def _canonical(labels: tuple[str, ...], lookup: dict[str, str]) -> tuple[str, ...]:
    """Labels given as names mapped to their ids; unknown labels are kept for the taxonomy check to report."""
    return tuple(dict.fromkeys(lookup.get(_norm(label), label) for label in labels))


# ---------------------------------------------------------------- readers


def _json_lines(path: Path, text: str) -> Iterator[tuple[int, dict]]:
    for number, line in enumerate(io.StringIO(text), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as exc:
            raise AnnotationError(f"{path}:{number}: invalid JSON ({exc.msg} at column {exc.colno})") from exc
        if not isinstance(obj, dict):
            raise AnnotationError(f"{path}:{number}: expected a JSON object, got {type(obj).__name__}")
        yield number, obj


def _text(obj: dict, path: Path, number: int) -> str:
    text = obj.get("text")
    if not isinstance(text, str) or not text.strip():
        raise AnnotationError(f"{path}:{number}: missing or empty 'text'")
    return " ".join(text.split())


def _label_list(value: object, path: Path, number: int, key: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise AnnotationError(f"{path}:{number}: '{key}' must be a list of label ids")
    return tuple(dict.fromkeys(value))


def _read_policyscan(path: Path, text: str, lookup: dict[str, str]) -> Iterator[Annotation]:
    for number, obj in _json_lines(path, text):
        if "labels" not in obj:
            raise AnnotationError(f"{path}:{number}: missing 'labels' (use [] for a sentence with no label)")
        labels = _label_list(obj["labels"], path, number, "labels")
        extra = {k: v for k, v in obj.items() if k not in ("text", "labels", "source", "annotator")}
        yield Annotation(
            _text(obj, path, number), labels, str(obj.get("source", "")), str(obj.get("annotator", "")), str(path), number, extra
        )


def _cats_labels(cats: object, path: Path, number: int) -> tuple[str, ...]:
    if not isinstance(cats, dict):
        raise AnnotationError(f"{path}:{number}: 'cats' must be an object of label -> score")
    return tuple(label for label, score in cats.items() if float(score) >= 0.5)


def _read_prodigy(path: Path, text: str, lookup: dict[str, str]) -> Iterator[Annotation]:
    """Prodigy: answers `reject` and `ignore` are skipped, except a binary reject, which says only that the label is absent."""
    for number, obj in _json_lines(path, text):
        answer = obj.get("answer", "accept")
        if answer == "ignore" or (answer == "reject" and "label" not in obj):
            continue
        if "accept" in obj:
            labels = _label_list(obj["accept"], path, number, "accept")
        elif "cats" in obj:
            labels = _cats_labels(obj["cats"], path, number)
        elif "label" in obj:
            labels = (str(obj["label"]),) if answer == "accept" else ()
        else:
            raise AnnotationError(f"{path}:{number}: a Prodigy task needs 'accept', 'cats' or 'label'")
        yield Annotation(_text(obj, path, number), labels, str(obj.get("meta", {}).get("source", "")), "", str(path), number)


def _read_doccano(path: Path, text: str, lookup: dict[str, str]) -> Iterator[Annotation]:
    for number, obj in _json_lines(path, text):
        labels = obj.get("label", [])
        labels = [labels] if isinstance(labels, str) else labels
        yield Annotation(_text(obj, path, number), _label_list(labels, path, number, "label"), "", "", str(path), number)


def _read_labelstudio(path: Path, text: str, lookup: dict[str, str]) -> Iterator[Annotation]:
    """Label Studio's JSON export (tasks with `data` and `annotations`) or its JSON-MIN export (one flat object per annotation)."""
    try:
        tasks = json.loads(text)
    except json.JSONDecodeError as exc:
        raise AnnotationError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg})") from exc
    if not isinstance(tasks, list):
        raise AnnotationError(f"{path}:1: a Label Studio export is a JSON list of tasks")
    for number, task in enumerate(tasks, 1):
        if not isinstance(task, dict):
            raise AnnotationError(f"{path}: task {number}: expected a JSON object, got {type(task).__name__}")
        reader = _labelstudio_task if "data" in task or "annotations" in task else _labelstudio_min
        item = reader(task, f"{path}: task {number}", lookup)
        if item is not None:
            data = task["data"] if isinstance(task.get("data"), dict) else task
            yield Annotation(*item[:2], str(data.get("source") or ""), item[2], str(path), number)


def _labelstudio_task(task: dict, where: str, lookup: dict[str, str]) -> tuple[str, tuple[str, ...], str] | None:
    """Text, choices and annotator of a full-export task: its last annotation that was not cancelled, or None."""
    if not isinstance(task.get("data"), dict):
        raise AnnotationError(f"{where}: missing 'data'")
    valid = [a for a in task.get("annotations", []) if not a.get("was_cancelled")]
    if not valid:
        return None
    choices = [c for r in valid[-1].get("result", []) for c in r.get("value", {}).get("choices", [])]
    return _labelstudio_text(task["data"], where), tuple(dict.fromkeys(choices)), _annotator(valid[-1].get("completed_by"))


def _annotator(value: object) -> str:
    """`completed_by`: a user id, or (in newer exports) an object with the user's email and id."""
    if isinstance(value, dict):
        value = value.get("email") or value.get("id")
    return "" if value is None else str(value)


def _labelstudio_text(data: dict, where: str) -> str:
    text = data.get("text")
    if not isinstance(text, str) or not text.strip():
        raise AnnotationError(f"{where}: missing 'text' (name the text field $text in the labelling config)")
    return " ".join(text.split())


# JSON-MIN keys that are not the data or a control tag's answer
_MIN_META = {"id", "annotator", "annotation_id", "created_at", "updated_at", "lead_time", "agreement", "text", "source"}


def _labelstudio_min(record: dict, where: str, lookup: dict[str, str]) -> tuple[str, tuple[str, ...], str]:
    """Text, choices and annotator of a JSON-MIN record.

    A choices tag's answer sits under the tag's name: one choice as a string, several as {"choices": [...]}.
    A string counts as a choice when it names a label, so data fields such as a source are not taken for one.
    """
    choices: list[str] = []
    for key, value in record.items():
        if key in _MIN_META:
            continue
        for part in value if isinstance(value, list) else [value]:
            if isinstance(part, dict) and isinstance(part.get("choices"), list):
                choices += [str(c) for c in part["choices"]]
            elif isinstance(part, str) and (_norm(part) in lookup or key in ("labels", "label", "choices")):
                choices.append(part)
    return _labelstudio_text(record, where), tuple(dict.fromkeys(choices)), _annotator(record.get("annotator"))


def _csv_dialect(header: str) -> type[csv.Dialect]:
    """Comma, semicolon (Dutch Excel's default) or tab, whichever the header line uses most."""
    delimiter = max(",;\t", key=header.count)
    return csv.excel_tab if delimiter == "\t" else type("_semicolon", (csv.excel,), {"delimiter": delimiter})


def _read_csv(path: Path, text: str, lookup: dict[str, str]) -> Iterator[Annotation]:
    header = next((ln for ln in text.splitlines() if ln.strip()), "")
    if not header:
        raise AnnotationError(f"{path}: empty file (no annotations in it)")
    reader = csv.DictReader(io.StringIO(text, newline=""), dialect=_csv_dialect(header))
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    if not {"text", "labels"} <= set(columns):
        raise AnnotationError(
            f"{path}:1: a CSV needs the columns 'text' and 'labels' (found {', '.join(repr(c) for c in columns)});"
            " separate columns with commas or semicolons"
        )
    reader.fieldnames = columns
    for number, row in enumerate(reader, 2):
        labels = tuple(dict.fromkeys(x.strip() for x in (row["labels"] or "").split(";") if x.strip()))
        yield Annotation(_text(row, path, number), labels, row.get("source") or "", row.get("annotator") or "", str(path), number)


def _read_spacy(path: Path, text: str, lookup: dict[str, str]) -> Iterator[Annotation]:
    import spacy
    from spacy.tokens import DocBin

    try:
        docs = DocBin().from_disk(path).get_docs(spacy.blank("nl").vocab)
        for number, doc in enumerate(docs, 1):
            yield Annotation(" ".join(doc.text.split()), tuple(k for k, v in doc.cats.items() if v >= 0.5), "", "", str(path), number)
    except (ValueError, OSError) as exc:
        raise AnnotationError(f"{path}: not a readable spaCy DocBin ({exc})") from exc


_READERS = {
    "policyscan": _read_policyscan,
    "prodigy": _read_prodigy,
    "doccano": _read_doccano,
    "labelstudio": _read_labelstudio,
    "spacy": _read_spacy,
    "csv": _read_csv,
}


def read_annotations(
    path: str | Path, taxonomy: Taxonomy | None = None, fmt: str | None = None, keep_unsure: bool = False
) -> list[Annotation]:
    """The annotations in one file; with a taxonomy, a label outside it is an error naming file and line.

    In Label Studio and doccano files a label may be given by its name (Dutch or English); it becomes the id.
    An annotation log (`policyscan annotate`) counts with its last decision per sentence, and a sentence
    whose last decision is "unsure" is left out (with a warning) unless `keep_unsure`.
    """
    path = Path(path)
    if not path.is_file():
        raise AnnotationError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise AnnotationError(f"{path}: empty file (no annotations in it)")
    if fmt is not None and fmt not in _READERS:
        raise AnnotationError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")
    binary = fmt == "spacy" or (fmt is None and path.suffix.lower() == ".spacy")
    text = "" if binary else _decoded(path)
    fmt = fmt or detect_format(path, text)
    lookup = label_lookup(taxonomy) if taxonomy is not None else {}
    items = list(_READERS[fmt](path, text, lookup))
    if fmt == "policyscan":
        items = _settled(last_decisions(items), path, keep_unsure)
    if fmt in NAMED_FORMATS:
        items = [replace(item, labels=_canonical(item.labels, lookup)) for item in items]
    if taxonomy is not None:
        known = set(taxonomy.ids)
        for item in items:
            unknown = [label for label in item.labels if label not in known]
            if unknown:
                raise AnnotationError(f"{item.file}:{item.line}: unknown label {unknown[0]!r} (not in taxonomy {taxonomy.name!r})")
    return items


def decision(item: Annotation) -> str | None:
    """The decision `policyscan annotate` recorded on this line (one of DECISIONS), or None for a plain annotation."""
    meta = item.meta.get("meta")
    value = meta.get("decision") if isinstance(meta, dict) else None
    return value if value in DECISIONS else None


def last_decisions(items: Iterable[Annotation]) -> list[Annotation]:
    """An annotation log's lines folded to the last decision per sentence (at the place of the first); other lines as they are.

    Going back in `policyscan annotate` appends a new line rather than rewriting the file, so the last line wins.
    """
    folded: dict[object, Annotation] = {}
    for number, item in enumerate(items):
        key = ("decision", item.file, _key(item.text)) if decision(item) else number
        folded[key] = item
    return list(folded.values())


def _settled(items: list[Annotation], path: Path, keep_unsure: bool) -> list[Annotation]:
    """The annotations without those whose last decision was "unsure" (a warning says how many), unless `keep_unsure`."""
    if keep_unsure:
        return items
    settled = [item for item in items if decision(item) != UNSURE]
    if len(settled) < len(items):
        warnings.warn(
            f"{path}: {len(items) - len(settled)} sentences marked unsure left out; decide them in `policyscan annotate`",
            PolicyscanWarning,
            stacklevel=3,
        )
    return settled


def read_many(paths: Iterable[str | Path], taxonomy: Taxonomy | None = None, fmt: str | None = None) -> list[Annotation]:
    """The annotations of several files (folders are walked for *.jsonl, *.json, *.csv and *.spacy)."""
    items: list[Annotation] = []
    for path in map(Path, paths):
        files = sorted(p for p in path.rglob("*") if p.suffix in (".jsonl", ".json", ".csv", ".spacy")) if path.is_dir() else [path]
        for file in files:
            items += read_annotations(file, taxonomy, fmt)
    return items


# ---------------------------------------------------------------- conflicts and merging


def _key(text: str) -> str:
    return " ".join(text.lower().split())


@dataclass(frozen=True)
class Conflict:
    """The same text with different label sets."""

    text: str
    versions: tuple[tuple[tuple[str, ...], str], ...]  # (labels, "file:line")

    def describe(self) -> str:
        """One line: the text and where each version stands."""
        parts = "; ".join(f"{loc} says [{', '.join(labels)}]" for labels, loc in self.versions)
        return f"conflict: {self.text[:80]!r}: {parts}"


def find_conflicts(items: Iterable[Annotation]) -> list[Conflict]:
    """Texts that occur with different label sets."""
    groups: dict[str, list[Annotation]] = defaultdict(list)
    for item in items:
        groups[_key(item.text)].append(item)
    conflicts = []
    for group in groups.values():
        if len({frozenset(a.labels) for a in group}) > 1:
            conflicts.append(Conflict(group[0].text, tuple((tuple(sorted(a.labels)), f"{a.file}:{a.line}") for a in group)))
    return conflicts


def find_duplicates(items: Iterable[Annotation]) -> list[tuple[str, int]]:
    """Texts that occur more than once with the same labels, and how often."""
    counts = Counter((_key(a.text), frozenset(a.labels)) for a in items)
    texts = {_key(a.text): a.text for a in items}
    return [(texts[k], n) for (k, _), n in counts.items() if n > 1]


def merge(items: Iterable[Annotation]) -> tuple[list[Annotation], list[Conflict]]:
    """One annotation per text: duplicates folded, conflicting texts left out and returned."""
    items = list(items)
    conflicts = find_conflicts(items)
    conflicted = {_key(c.text) for c in conflicts}
    seen: set[str] = set()
    merged = []
    for item in items:
        key = _key(item.text)
        if key in conflicted or key in seen:
            continue
        seen.add(key)
        merged.append(item)
    return merged, conflicts


# ---------------------------------------------------------------- statistics


def statistics(items: list[Annotation], taxonomy: Taxonomy) -> dict:
    """Counts per label, co-occurrences, the no-label share, duplicates, conflicts and variety measures."""
    counts = Counter(label for item in items for label in item.labels)
    pairs = Counter(pair for item in items for pair in combinations(sorted(item.labels), 2))
    return {
        "variety": variety([item.text for item in items]),
        "sentences": len(items),
        "no_label": sum(1 for item in items if not item.labels),
        "multi_label": sum(1 for item in items if len(item.labels) >= 2),
        "labels": {label: counts[label] for label in taxonomy.ids},
        "cooccurrence": {f"{a}+{b}": n for (a, b), n in pairs.most_common()},
        "duplicates": [{"text": t, "count": n} for t, n in find_duplicates(items)],
        "conflicts": [
            {"text": c.text, "versions": [{"labels": list(lab), "at": loc} for lab, loc in c.versions]} for c in find_conflicts(items)
        ],
    }


def counts_table(stats: dict, taxonomy: Taxonomy) -> str:
    """The label counts as a Markdown table (the one in annotations/README.md)."""
    n = stats["sentences"]
    lines = ["| label | group | domain | sentences |", "| --- | --- | --- | ---: |"]
    lines += [f"| `{lab.id}` | {lab.group} | {lab.domain} | {stats['labels'][lab.id]} |" for lab in taxonomy.labels]
    lines += [
        f"| no label | | | {stats['no_label']} ({stats['no_label'] / max(n, 1):.0%}) |",
        f"| two or more labels | | | {stats['multi_label']} |",
        f"| **all sentences** | | | **{n}** |",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------- writers


def _write_lines(handle: io.TextIOBase, objects: Iterable[dict]) -> None:
    for obj in objects:
        handle.write(json.dumps(obj, ensure_ascii=False) + "\n")


def _prodigy(item: Annotation, taxonomy: Taxonomy) -> dict:
    options = [{"id": label, "text": label} for label in taxonomy.ids]
    return {"text": item.text, "options": options, "accept": list(item.labels), "answer": "accept", "meta": {"source": item.source}}


def _labelstudio(items: list[Annotation]) -> list[dict]:
    return [
        {
            "id": n,
            "data": {"text": item.text, "source": item.source},
            "annotations": [
                {
                    "result": [{"from_name": "labels", "to_name": "text", "type": "choices", "value": {"choices": list(item.labels)}}],
                    "was_cancelled": False,
                }
            ],
        }
        for n, item in enumerate(items, 1)
    ]


def write_annotations(items: list[Annotation], path: str | Path, fmt: str, taxonomy: Taxonomy) -> None:
    """Write annotations in one of FORMATS (atomically to a file; "-" is stdout)."""
    if fmt == "spacy":
        _write_docbin(items, Path(path), taxonomy)
        return
    # a CSV starts with a BOM so that Excel reads it as UTF-8
    with open_output(path, newline="", encoding="utf-8-sig" if fmt == "csv" else "utf-8") as handle:
        if fmt == "policyscan":
            _write_lines(handle, (item.to_json() for item in items))
        elif fmt == "prodigy":
            _write_lines(handle, (_prodigy(item, taxonomy) for item in items))
        elif fmt == "doccano":
            _write_lines(handle, ({"id": n, "text": item.text, "label": list(item.labels)} for n, item in enumerate(items, 1)))
        elif fmt == "labelstudio":
            json.dump(_labelstudio(items), handle, ensure_ascii=False, indent=1)
        elif fmt == "csv":
            writer = csv.writer(handle)
            writer.writerow(["text", "labels", "source", "annotator"])
            writer.writerows([item.text, ";".join(item.labels), item.source, item.annotator] for item in items)
        else:
            raise AnnotationError(f"unknown format {fmt!r}; choose from {', '.join(FORMATS)}")


def _write_docbin(items: list[Annotation], path: Path, taxonomy: Taxonomy) -> None:
    import spacy
    from spacy.tokens import DocBin

    nlp = spacy.blank("nl")
    docbin = DocBin(store_user_data=False)
    for item in items:
        doc = nlp.make_doc(item.text)
        doc.cats = {label: float(label in item.labels) for label in taxonomy.ids}
        docbin.add(doc)
    with open_output(path, "wb") as handle:
        handle.write(docbin.to_bytes())
