"""Finding documents and their municipality."""

from __future__ import annotations

import pytest

from policyscan.corpus import discover, find_documents, municipality_mapping, normalize_municipality
from policyscan.errors import ManifestError


@pytest.mark.parametrize("name", ["Gemeente Lindenhoek", "lindenhoek", "LINDENHOEK", " gemeente  Lindenhoek "])
def test_municipality_spellings_become_one(name):
    assert normalize_municipality(name) == "Lindenhoek"


def test_particles_stay_lowercase():
    assert normalize_municipality("BERGEN OP ZOOM-WEST") == "Bergen op Zoom-West"


def _files(root, *names, content=None):
    for i, rel in enumerate(names):
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(content or b"%PDF-1.4 " + rel.encode() + bytes([i]))


def test_folder_gives_municipality_and_files_are_sorted(tmp_path, monkeypatch):
    _files(tmp_path, "lindenhoek/b.pdf", "lindenhoek/a.pdf", "Brugwaarde/nota.txt", "losse_notitie.pdf", "lindenhoek/skip.docx")
    docs, problems = find_documents([tmp_path])
    assert [(d.municipality, d.doc_id) for d in docs] == [
        ("Brugwaarde", "nota"),
        ("Lindenhoek", "a"),
        ("Lindenhoek", "b"),
        ("Losse", "losse-notitie"),
    ]
    assert not problems
    _files(tmp_path, "downloads/2025/lindenhoek_notitie.pdf")
    monkeypatch.chdir(tmp_path)
    single, _ = find_documents(["downloads/2025/lindenhoek_notitie.pdf"])
    assert single[0].municipality == "Lindenhoek"


def test_issue_12_files_passed_directly_take_the_folder(tmp_path):
    _files(tmp_path, "Lindenhoek/nota-vrijwilligersbeleid.pdf", "Brugwaarde/nota-vrijwilligersbeleid.pdf", "Brugwaarde/raadsvoorstel.pdf")
    docs, _ = find_documents(sorted(tmp_path.glob("*/*.pdf")))
    assert [d.municipality for d in docs] == ["Brugwaarde", "Brugwaarde", "Lindenhoek"]


@pytest.mark.parametrize(
    ("rel", "municipality"),
    [
        ("nested/ZUIDERHAVEN/2025/x.pdf", "Zuiderhaven"),
        ("nested/gemeente-zuiderhaven/pdf/2024-2027/x.pdf", "Zuiderhaven"),
        ("Noord-Beekveld_nota_2025.pdf", "Noord-Beekveld"),
        ("etten-leur-nota-vrijwilligersbeleid-2025.pdf", "Etten-Leur"),
        ("s-hertogenbosch_raadsvoorstel.pdf", "'s-Hertogenbosch"),
        ("IJSSELSTEIN/nota.pdf", "IJsselstein"),
        ("ijsselstein/beleid/nota.pdf", "IJsselstein"),
        ("BERGEN (L)/nota.pdf", "Bergen (L.)"),
        ("Den Bosch/nota.pdf", "'s-Hertogenbosch"),
        ("documenten/nota-vrijwilligersbeleid-gemeente-brugwaarde-2024.pdf", "Brugwaarde"),
    ],
)
def test_issue_12_municipality_from_folders_and_file_names(tmp_path, rel, municipality):
    _files(tmp_path, rel)
    (doc,), problems = find_documents([tmp_path])
    assert (doc.municipality, problems) == (municipality, [])


def test_issue_12_matched_names_get_their_cbs_code_and_unmatched_are_warned(tmp_path):
    _files(tmp_path, "Utrecht/a.pdf", "Weesp/b.pdf", "Lindenhoek/c.pdf", "Brugwaarde/d.pdf")
    found = discover([tmp_path])
    assert [(d.municipality, d.code) for d in found.documents] == [
        ("Brugwaarde", None),
        ("Lindenhoek", None),
        ("Utrecht", "GM0344"),
        ("Amsterdam", "GM0363"),
    ]
    assert [(m.source, m.match) for m in found.mapping] == [("folder", "unmatched")] * 2 + [("folder", "official"), ("folder", "former")]
    assert found.unmatched == ["Brugwaarde", "Lindenhoek"]
    assert any("Weesp merged into Amsterdam in 2022" in w for w in found.warnings)
    assert any("not on the list of Dutch municipalities: Brugwaarde, Lindenhoek" in w for w in found.name_warnings)
    assert municipality_mapping([tmp_path]) == found.mapping


def test_issue_12_byte_identical_files_count_once(tmp_path):
    _files(tmp_path, "Lindenhoek/nota (1).pdf", "Lindenhoek/nota.pdf", "Brugwaarde/regionale-nota.pdf", content=b"%PDF-1.4 same")
    found = discover([tmp_path])
    assert [(d.municipality, d.doc_id) for d in found.documents] == [("Brugwaarde", "regionale-nota"), ("Lindenhoek", "nota")]
    (warning,) = [w for w in found.warnings if "same bytes" in w]
    assert "nota (1).pdf" in warning and "nota.pdf" in warning


def test_a_file_name_without_a_municipality_is_kept_under_its_own_name(tmp_path):
    _files(tmp_path, "nota-vrijwilligersbeleid-2025.pdf", "raadsvoorstel.pdf")
    found = discover([tmp_path])
    assert [(m.municipality, m.source) for m in found.mapping] == [
        ("Nota-Vrijwilligersbeleid-2025", "whole file name"),
        ("Raadsvoorstel", "whole file name"),
    ]
    assert not found.problems


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
