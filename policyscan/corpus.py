"""Paths, folders and a manifest -> `Document` records with their municipality."""

from __future__ import annotations

import csv
import re
import unicodedata
from pathlib import Path

from .errors import ManifestError
from .records import Document, Problem

SUFFIXES = (".pdf", ".txt")
_PREFIX = re.compile(r"^(?:gemeente|gem\.|municipality of)\s+", re.IGNORECASE)


_PARTICLES = {"aan", "bij", "de", "den", "der", "en", "het", "in", "op", "ter", "ten", "van"}


def normalize_municipality(name: str) -> str:
    """One spelling per municipality: "Gemeente Lindenhoek", "lindenhoek" and "LINDENHOEK" -> "Lindenhoek"."""
    name = unicodedata.normalize("NFC", re.sub(r"[\s_]+", " ", name)).strip()
    name = _PREFIX.sub("", name).strip(" -")
    if name.isupper() or name.islower():
        parts = re.split(r"([ -])", name.lower())
        name = "".join(w if i and w in _PARTICLES else w[:1].upper() + w[1:] for i, w in enumerate(parts))
    return name


def _walk(path: Path) -> list[Path]:
    if path.is_dir():
        return sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in SUFFIXES and not p.name.startswith("."))
    return [path]


def _municipality_from_path(path: Path, root: Path | None) -> str:
    """The folder a file sits in when it was found inside a given folder, else the file name."""
    if root is not None and path.parent != root:
        return path.parent.name
    stem = re.sub(r"[_\s]+", " ", path.stem)
    stem = re.split(r"\s*[-\u2013]\s*|\s+(?:nota|beleid|vrijwilligers\w*|\d{4})\b", stem, maxsplit=1, flags=re.IGNORECASE)[0]
    return stem


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
    import io  # imported here to keep this change to the reader (corpus.py is being edited in parallel)

    from .errors import EncodingError
    from .fileio import read_text

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


def find_documents(inputs: list[str | Path], manifest: str | Path | None = None) -> tuple[list[Document], list[Problem]]:
    """The documents under the inputs (folders walked in sorted order), and the inputs that cannot be used."""
    rows = read_manifest(manifest) if manifest else {}
    documents, problems, taken, seen = [], [], set(), set()
    for given in map(Path, inputs):
        if not given.exists():
            problems.append(Problem(str(given), "", "file not found"))
            continue
        root = given if given.is_dir() else None
        for file in _walk(given):
            if file.resolve() in seen:
                continue
            seen.add(file.resolve())
            row = rows.get(file.resolve(), {})
            municipality = normalize_municipality(row.get("municipality") or _municipality_from_path(file, root))
            if not municipality:
                problems.append(Problem(str(file), "", "no municipality: add the file to the manifest"))
                continue
            documents.append(
                Document(
                    _doc_id(file, taken),
                    str(file),
                    municipality,
                    row.get("code") or None,
                    row.get("year") or None,
                    row.get("title") or None,
                )
            )
    problems += [
        Problem(str(p), normalize_municipality(r.get("municipality", "")), "listed in the manifest but not found")
        for p, r in rows.items()
        if not p.exists()
    ]
    return documents, problems
