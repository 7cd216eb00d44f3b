"""The official list of Dutch municipalities and matching names against it."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from policyscan.municipalities import match_municipality, name_key, official_municipalities, tidy_name


def _rows() -> list[dict]:
    text = resources.files("policyscan").joinpath("data/municipalities.csv").read_text(encoding="utf-8")
    return list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))


def test_the_list_holds_the_342_municipalities_of_2025_with_unique_codes():
    official = official_municipalities()
    assert len(official) == 342
    assert len({m.code for m in official}) == 342
    assert {m.province for m in official} == {
        "Groningen", "Fryslân", "Drenthe", "Overijssel", "Flevoland", "Gelderland",
        "Utrecht", "Noord-Holland", "Zuid-Holland", "Zeeland", "Noord-Brabant", "Limburg",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("code", "name", "province"),
    [
        ("GM0363", "Amsterdam", "Noord-Holland"),
        ("GM0599", "Rotterdam", "Zuid-Holland"),
        ("GM0518", "'s-Gravenhage", "Zuid-Holland"),
        ("GM0344", "Utrecht", "Utrecht"),
        ("GM0014", "Groningen", "Groningen"),
        ("GM0796", "'s-Hertogenbosch", "Noord-Brabant"),
        ("GM1992", "Voorne aan Zee", "Zuid-Holland"),
        ("GM0893", "Bergen (L.)", "Limburg"),
        ("GM0373", "Bergen (NH.)", "Noord-Holland"),
    ],
)
def test_known_codes(code, name, province):
    assert {(m.name, m.province) for m in official_municipalities() if m.code == code} == {(name, province)}


def test_no_name_on_the_list_points_at_two_municipalities():
    codes: dict[str, set[str]] = {}
    for row in _rows():
        codes.setdefault(name_key(row["name"]), set()).add(row["code"])
    assert {key: c for key, c in codes.items() if len(c) > 1} == {}
    assert all(row["year"] for row in _rows() if row["kind"] == "former")


@pytest.mark.parametrize(
    ("given", "official", "kind"),
    [
        ("Den Bosch", "'s-Hertogenbosch", "alias"),
        ("'s-hertogenbosch", "'s-Hertogenbosch", "official"),
        ("Gemeente Den Haag", "'s-Gravenhage", "alias"),
        ("BERGEN (L)", "Bergen (L.)", "official"),
        ("bergen (nh)", "Bergen (NH.)", "official"),
        ("Hengelo (O)", "Hengelo (O.)", "official"),
        ("Rijswijk (ZH)", "Rijswijk (ZH.)", "official"),
        ("Beek (L)", "Beek (L.)", "official"),
        ("Stein (L)", "Stein (L.)", "official"),
        ("Middelburg (Z)", "Middelburg (Z.)", "official"),
        ("IJSSELSTEIN", "IJsselstein", "official"),
        ("gemeente-etten-leur", "Etten-Leur", "official"),
        ("Sudwest Fryslan", "Súdwest-Fryslân", "official"),
        ("Weesp", "Amsterdam", "former"),
        ("Hellevoetsluis", "Voorne aan Zee", "former"),
    ],
)
def test_names_match_the_official_list(given, official, kind):
    found = match_municipality(given)
    assert (found.municipality.name, found.kind) == (official, kind)


@pytest.mark.parametrize("name", ["Lindenhoek", "Brugwaarde", "Bergen", "Nota"])
def test_fictional_and_ambiguous_names_do_not_match(name):
    assert match_municipality(name) is None


@pytest.mark.parametrize(
    ("given", "tidy"),
    [
        ("IJSSELSTEIN", "IJsselstein"),
        ("ijsselstein", "IJsselstein"),
        ("Ijsselstein", "IJsselstein"),
        ("BERGEN (L)", "Bergen (L)"),
        ("gemeente-zuiderhaven", "Zuiderhaven"),
        ("GEMEENTE_NOORD-BEEKVELD", "Noord-Beekveld"),
        ("'S-HERTOGENBOSCH", "'s-Hertogenbosch"),
        ("etten-leur", "Etten-Leur"),
        ("Bergen op Zoom", "Bergen op Zoom"),
    ],
)
def test_tidy_names(given, tidy):
    assert tidy_name(given) == tidy
