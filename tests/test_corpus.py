"""Finding documents and their municipality."""

from __future__ import annotations

import pytest

from policyscan.corpus import find_documents, normalize_municipality
from policyscan.errors import ManifestError


@pytest.mark.parametrize("name", ["Gemeente Lindenhoek", "lindenhoek", "LINDENHOEK", " gemeente  Lindenhoek "])
def test_municipality_spellings_become_one(name):
    assert normalize_municipality(name) == "Lindenhoek"


def test_particles_stay_lowercase():
    assert normalize_municipality("BERGEN OP ZOOM-WEST") == "Bergen op Zoom-West"


def test_folder_gives_municipality_and_files_are_sorted(tmp_path):
    for rel in ["lindenhoek/b.pdf", "lindenhoek/a.pdf", "Brugwaarde/nota.txt", "losse_notitie.pdf", "lindenhoek/skip.docx"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_bytes(b"%PDF-1.4")
    docs, problems = find_documents([tmp_path])
    assert [(d.municipality, d.doc_id) for d in docs] == [
        ("Brugwaarde", "nota"),
        ("Lindenhoek", "a"),
        ("Lindenhoek", "b"),
        ("Losse Notitie", "losse-notitie"),
    ]
    assert not problems
    single, _ = find_documents([tmp_path / "losse_notitie.pdf"])
    assert single[0].municipality == "Losse Notitie"


def test_manifest_wins_and_reports_missing_files(tmp_path):
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "nota.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "manifest.csv").write_text(
        "path;municipality;code;year\ndocs/nota.pdf;GEMEENTE BRUGWAARDE;GM9901;2024\ndocs/weg.pdf;Lindenhoek;;\n", encoding="utf-8"
    )
    docs, problems = find_documents([tmp_path / "docs"], manifest=tmp_path / "manifest.csv")
    assert [(d.municipality, d.code, d.year) for d in docs] == [("Brugwaarde", "GM9901", "2024")]
    assert [(p.municipality, p.reason) for p in problems] == [("Lindenhoek", "listed in the manifest but not found")]


def test_manifest_without_required_columns_is_refused(tmp_path):
    (tmp_path / "m.csv").write_text("file,gemeente\na.pdf,X\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="'path' and 'municipality'"):
        find_documents([tmp_path], manifest=tmp_path / "m.csv")
