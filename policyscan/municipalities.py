"""The official list of Dutch municipalities (CBS codes, former names, common spellings) and matching names against it."""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from functools import cache
from importlib import resources

_PREFIX = re.compile(r"^(?:gemeente|gem\.|municipality of)(?:[\s_-]+|$)", re.IGNORECASE)
_PARTICLES = {"aan", "bij", "de", "den", "der", "en", "het", "in", "op", "ter", "ten", "van"}
_SEPARATORS = re.compile(r"([ -])")


@dataclass(frozen=True)
class Municipality:
    """A municipality on the official list: CBS name, gemeentecode (GM0363) and province."""

    name: str
    code: str
    province: str


@dataclass(frozen=True)
class NameMatch:
    """A name found on the list: the municipality it means, and how (official, former or alias; year of a merger)."""

    municipality: Municipality
    kind: str
    year: int | None = None


def name_key(name: str) -> str:
    """The form names are compared in: no "Gemeente" prefix, accents, case or punctuation ("'s-Hertogenbosch" -> "s hertogenbosch")."""
    name = _PREFIX.sub("", unicodedata.normalize("NFKD", name).strip())
    name = "".join(c for c in name if not unicodedata.combining(c)).casefold()
    return " ".join(re.findall(r"[^\W_]+", name))


def _capitalise(word: str, first: bool) -> str:
    if not first and word in _PARTICLES:
        return word
    if word.startswith("ij"):
        return "IJ" + word[2:]
    if word == "'s":
        return word
    if word.startswith("(") and word.endswith(")"):
        return word.upper()
    return word[:1].upper() + word[1:]


def tidy_name(name: str) -> str:
    """One spelling per name: "GEMEENTE IJSSELSTEIN", "gemeente-ijsselstein" and "IJsselstein" -> "IJsselstein"."""
    name = unicodedata.normalize("NFC", re.sub(r"[\s_]+", " ", name)).strip()
    name = _PREFIX.sub("", name).strip(" -")
    if name.isupper() or name.islower():
        parts = _SEPARATORS.split(name.lower())
        name = "".join(w if w in " -" else _capitalise(w, i == 0) for i, w in enumerate(parts))
    elif name[:2] == "Ij":
        name = "IJ" + name[2:]
    return name


@cache
def _table() -> dict[str, NameMatch]:
    """Every name on the list by its key; official names win over former names and aliases."""
    text = resources.files("policyscan").joinpath("data/municipalities.csv").read_text(encoding="utf-8")
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    official = {r["code"]: Municipality(r["name"], r["code"], r["province"]) for r in rows if r["kind"] == "official"}
    table: dict[str, NameMatch] = {}
    for row in sorted(rows, key=lambda r: r["kind"] != "official"):
        table.setdefault(name_key(row["name"]), NameMatch(official[row["code"]], row["kind"], int(row["year"]) if row["year"] else None))
    return table


def official_municipalities() -> list[Municipality]:
    """The municipalities of the Netherlands on 1 January 2025, by name."""
    return sorted({m.municipality for m in _table().values()}, key=lambda m: name_key(m.name))


def match_municipality(name: str) -> NameMatch | None:
    """The municipality a name means (official name, former name or common spelling), or None when it is not on the list."""
    return _table().get(name_key(name))
