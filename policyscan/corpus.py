"""Paths, folders and a manifest -> `Document` records with their municipality."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from .errors import EncodingError, ManifestError
from .fileio import file_hash, read_text
from .municipalities import match_municipality, name_key, tidy_name
from .records import Document, Problem

SUFFIXES = (".pdf", ".txt")

# Folder names that say what is inside rather than whose it is; a file's municipality is looked for above them.
GENERIC_FOLDERS = frozenset(
    "archief archive beleid beleidsstukken bestanden bijlagen concept corpus data desktop bureaublad documenten documents docs "
    "download downloads export files gemeente gemeenten input inputs municipalities nota notas oud pdf pdfs raadsstukken "
    "raadsvoorstellen scans stukken tmp temp vrijwilligersbeleid vrijwilligerswerk".split()
)
# Words that start the document part of a file name ("lindenhoek_nota_2025.pdf"): the municipality is what comes before.
_DOCUMENT_WORD = re.compile(
    r"^(?:nota|notitie|beleid\w*|vrijwillig\w*|raads\w*|rib|uitvoerings\w*|programma|plan|jaarverslag|evaluatie|visie|"
    r"subsidie\w*|verordening|jaarstukken|jaarrekening|begroting|besluit\w*|kadernota|wmo|sociaal|mantelzorg\w*|coalitie\w*|concept|definitief|versie|bijlage|samenvatting|"
    r"meedoen|v\d+|\d.*)$",
    re.IGNORECASE,
)
_YEAR_FOLDER = re.compile(r"^\d{4}(?:[-_ ]\d{2,4})?$")
_COPY = re.compile(r"(?:\s*\(\d+\)|[\s_-]+(?:kopie|copy)(?:[\s_-]*\d+)?)$", re.IGNORECASE)
_MAX_FOLDER_LEVELS = 3
_MANIFEST_FIELDS = frozenset({"path", "municipality", "code", "year", "title"})


@dataclass(frozen=True)
class MappingRow:
    """Which municipality a document is counted under, where that came from, and whether it is on the official list."""

    path: str
    municipality: str
    code: str | None
    source: str  # "manifest", "folder", "file name" or "whole file name"
    match: str  # "official", "former", "alias" or "unmatched"
    note: str = ""


@dataclass(frozen=True)
class Discovery:
    """Everything found under the inputs: the documents, the inputs that cannot be used, warnings and the municipality mapping."""

    documents: list[Document]
    problems: list[Problem]
    warnings: list[str] = field(default_factory=list)
    mapping: list[MappingRow] = field(default_factory=list)
    #: Warnings about the municipality names only (not on the official list): for commands that count by municipality.
    name_warnings: list[str] = field(default_factory=list)

    @property
    def unmatched(self) -> list[str]:
        """Municipality names not on the official list (fictional, misspelt or guessed from a file name), sorted."""
        return sorted({row.municipality for row in self.mapping if row.match == "unmatched"})


def normalize_municipality(name: str) -> str:
    """One spelling per municipality: "Gemeente Lindenhoek", "lindenhoek" and "LINDENHOEK" -> "Lindenhoek"."""
    return tidy_name(name)


def _walk(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.suffix.lower() in SUFFIXES and not p.name.startswith(".") and p.is_file())
    return [path]


def _is_generic(folder: str) -> bool:
    return bool(_YEAR_FOLDER.match(folder)) or name_key(folder) in GENERIC_FOLDERS or not name_key(folder)


def _from_folders(path: Path, root: Path | None) -> str:
    """The nearest folder above the file that is not a year or a generic name.

    Only folders inside an input folder count (the input folder itself when it is on the official list), and for a file
    given directly the folders as typed (`corpus/*/*.pdf`), or its nearest three when the path is absolute.
    """
    if root is not None:
        folders = path.parent.relative_to(root).parts[::-1]
    else:
        folders = path.parent.parts[::-1][: _MAX_FOLDER_LEVELS if path.is_absolute() else None]
    for folder in folders:
        if not _is_generic(folder):
            return folder
    if root is not None and not _is_generic(root.name) and match_municipality(root.name):
        return root.name
    return ""


def _from_file_name(path: Path) -> str:
    """The leading part of the file name before a document word or a number ("noord-beekveld_nota_2025" -> "noord-beekveld")."""
    pieces = re.split(r"([-_\s\u2013]+)", _COPY.sub("", path.stem))
    words, seps = pieces[::2], pieces[1::2]
    stops = [i for i, w in enumerate(words) if _DOCUMENT_WORD.match(w)] + [len(words)]
    start, lowered = 0, [w.lower() for w in words]
    if stops[0] == 0:  # "nota-vrijwilligersbeleid-gemeente-lindenhoek": the name follows "gemeente"
        start = lowered.index("gemeente") + 1 if "gemeente" in lowered else len(words)
    end = next(i for i in stops if i >= start)
    return "".join(words[i] + (seps[i] if i < end - 1 else "") for i in range(start, end)).replace("_", " ")


def _doc_id(path: Path, taken: set[str]) -> str:
    base = (
        re.sub(r"[^a-z0-9]+", "-", unicodedata.normalize("NFKD", path.stem).encode("ascii", "ignore").decode().lower()).strip("-")
        or "document"
    )
    doc_id, n = base, 2
    while doc_id in taken:
        doc_id, n = f"{base}-{n}", n + 1
    taken.add(doc_id)
    return doc_id


def read_manifest(path: str | Path) -> dict[Path, dict[str, str]]:
    """Manifest rows keyed by resolved file path; paths are relative to the manifest's folder."""
    path = Path(path)
    try:
        text = read_text(path)  # UTF-8, UTF-16 or (with a warning) Windows-1252, as Excel saves it
        header = text.splitlines()[0] if text else ""
        delimiter = max(",;\t", key=header.count)
        rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter))
    except EncodingError as exc:
        raise ManifestError(f"{path}: cannot read manifest: {exc.reason}") from exc
    except (OSError, csv.Error) as exc:
        raise ManifestError(f"{path}: cannot read manifest: {exc}") from exc
    if not rows or not {"path", "municipality"} <= set(rows[0]):
        raise ManifestError(f"{path}: a manifest needs the columns 'path' and 'municipality'")
    result = {}
    for row in rows:
        file = Path(row["path"].strip())
        file = file if file.is_absolute() else path.parent / file
        result[file.resolve()] = {k: (v or "").strip() for k, v in row.items() if k}
    return result


def _extra_columns(row: dict[str, str]) -> tuple[tuple[str, str], ...]:
    """The manifest columns beyond path, municipality, code, year and title, for grouping (`policyscan summary --by`)."""
    return tuple((k, v) for k, v in row.items() if k not in _MANIFEST_FIELDS)


def _municipality_for(file: Path, root: Path | None, row: dict[str, str]) -> tuple[str, str]:
    """The municipality name for a file as given (not yet matched), and where it came from."""
    for source, name in (
        ("manifest", row.get("municipality", "")),
        ("folder", _from_folders(file, root)),
        ("file name", _from_file_name(file)),
        ("whole file name", file.stem),  # a guess that merges nothing; reported as unmatched
    ):
        if tidy_name(name):
            return tidy_name(name), source
    return "", "file name"


def _resolve(file: Path, name: str, source: str, row: dict[str, str], warnings: list[str]) -> MappingRow:
    """Match a name against the official list: the official name and CBS code when it is on it."""
    code = row.get("code") or None
    found = match_municipality(name)
    if found is None:
        return MappingRow(str(file), name, code, source, "unmatched")
    official = found.municipality
    note = f"{name} merged into {official.name} in {found.year}" if found.kind == "former" else ""
    if note:
        warnings.append(f"{file}: {note}; counted under {official.name} ({official.code})")
    if code and code != official.code:
        warnings.append(
            f"{file}: the manifest gives code {code} for {official.name}, whose CBS code is {official.code}; the manifest's code is kept"
        )
    return MappingRow(str(file), official.name, code or official.code, source, found.kind, note)


def _looks_like_copy(path: Path) -> bool:
    return bool(_COPY.search(path.stem))


def _drop_duplicates(found: list[tuple[Path, MappingRow]], warnings: list[str]) -> list[tuple[Path, MappingRow]]:
    """Byte-identical files of one municipality counted once (the one not named like a copy); the same file for two municipalities stays."""
    by_size: dict[tuple[int, str], list[int]] = defaultdict(list)
    for i, (file, row) in enumerate(found):
        by_size[(file.stat().st_size, row.municipality)].append(i)
    dropped: set[int] = set()
    for same_size in (group for group in by_size.values() if len(group) > 1):
        by_hash: dict[str, list[int]] = defaultdict(list)
        for i in same_size:
            by_hash[file_hash(found[i][0])].append(i)
        for group in (g for g in by_hash.values() if len(g) > 1):
            keep = min(group, key=lambda i: (_looks_like_copy(found[i][0]), i))
            for i in group:
                if i != keep:
                    dropped.add(i)
                    warnings.append(f"{found[i][0]}: same bytes as {found[keep][0]}; counted once, as {found[keep][0].name}")
    return [item for i, item in enumerate(found) if i not in dropped]


def discover(inputs: list[str | Path], manifest: str | Path | None = None) -> Discovery:
    """The documents under the inputs (folders walked in sorted order) with their municipality, problems, warnings and mapping."""
    rows = read_manifest(manifest) if manifest else {}
    found, problems, warnings, seen = [], [], [], set()
    row_of: dict[Path, dict[str, str]] = {}  # each file's manifest row, looked up once by its resolved path
    for given in map(Path, inputs):
        if not given.exists():
            problems.append(Problem(str(given), "", "file not found"))
            continue
        root = given if given.is_dir() else None
        files = _walk(given)
        if root is not None and not files:
            problems.append(Problem(str(given), "", f"no {' or '.join(sorted(SUFFIXES))} files in this folder"))
        for file in files:
            real = file.resolve()
            if real in seen:
                continue
            seen.add(real)
            row = row_of[file] = rows.get(real, {})
            name, source = _municipality_for(file, root, row)
            if not name:
                problems.append(Problem(str(file), "", "no municipality: add the file to the manifest"))
                continue
            found.append((file, _resolve(file, name, source, row, warnings)))
    found = _drop_duplicates(found, warnings)
    unmatched = sorted({m.municipality for _, m in found if m.match == "unmatched" and not m.code})
    name_warnings = (
        [
            f"not on the list of Dutch municipalities: {', '.join(unmatched)} (check the spelling, or give the name and its code in a manifest)"
        ]
        if unmatched
        else []
    )
    taken: set[str] = set()
    documents = [
        Document(
            _doc_id(file, taken),
            str(file),
            m.municipality,
            m.code,
            row_of[file].get("year") or None,
            row_of[file].get("title") or None,
            _extra_columns(row_of[file]),
        )
        for file, m in found
    ]
    problems += [
        Problem(str(p), tidy_name(r.get("municipality", "")), "listed in the manifest but not found")
        for p, r in rows.items()
        if not p.exists()
    ]
    return Discovery(documents, problems, warnings, [m for _, m in found], name_warnings)


def find_documents(inputs: list[str | Path], manifest: str | Path | None = None) -> tuple[list[Document], list[Problem]]:
    """The documents under the inputs (folders walked in sorted order), and the inputs that cannot be used."""
    found = discover(inputs, manifest)
    return found.documents, found.problems


def municipality_mapping(inputs: list[str | Path], manifest: str | Path | None = None) -> list[MappingRow]:
    """Which municipality each document under the inputs will be counted under (a dry run of a scan's discovery)."""
    return discover(inputs, manifest).mapping
