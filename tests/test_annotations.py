"""Annotation formats round-trip; the shipped annotations meet the data rules."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import SHIPPED_ANNOTATIONS

from policyscan.annotations import (
    FORMATS,
    Annotation,
    detect_format,
    find_conflicts,
    merge,
    read_annotations,
    read_many,
    statistics,
    write_annotations,
)
from policyscan.cli import main
from policyscan.errors import AnnotationError, PolicyscanWarning
from policyscan.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
TAX = load_taxonomy()
A = "De historische kring van Brugwaarde zoekt vrijwilligers voor het digitaliseren van oude foto's."
B = "Het college stelt de subsidieplafonds jaarlijks vast in het eerste kwartaal."
C = "Nu de thuiszorg wordt ingekrompen, vragen we buren om de boodschappen van ouderen te doen."


def _write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped():
    return read_many([SHIPPED_ANNOTATIONS], TAX)


# ---------------------------------------------------------------- formats, in each tool's export shape


def test_prodigy_choice_cats_and_binary(tmp_path):
    lines = [
        {
            "text": A,
            "options": [{"id": "culture", "text": "Cultuur"}, {"id": "sport", "text": "Sport"}],
            "accept": ["culture"],
            "answer": "accept",
            "_input_hash": 1,
            "_task_hash": 2,
            "_view_id": "choice",
        },
        {"text": B, "options": [{"id": "culture", "text": "Cultuur"}], "accept": [], "answer": "accept", "_view_id": "choice"},
        {"text": "Deze taak is afgewezen.", "options": [], "accept": ["sport"], "answer": "reject"},
        {"text": "Deze taak is overgeslagen.", "accept": ["sport"], "answer": "ignore"},
        {"text": C, "cats": {"care_ageing": 1.0, "instrumentalisation": 1.0, "culture": 0.0}, "answer": "accept"},
        {"text": "De sportclub ziet het niet zitten.", "label": "sport", "answer": "reject", "_view_id": "classification"},
    ]
    path = _write(tmp_path / "prodigy.jsonl", "\n".join(json.dumps(x) for x in lines))
    assert detect_format(path) == "prodigy"
    got = [(a.text, a.labels) for a in read_annotations(path, TAX)]
    assert got == [(A, ("culture",)), (B, ()), (C, ("care_ageing", "instrumentalisation")), ("De sportclub ziet het niet zitten.", ())]


def test_doccano_export(tmp_path):
    path = _write(tmp_path / "doccano.jsonl", json.dumps({"id": 7, "text": A, "label": ["culture"], "Comments": []}) + "\n")
    assert detect_format(path) == "doccano"
    assert read_annotations(path, TAX)[0].labels == ("culture",)


def test_labelstudio_export_skips_cancelled(tmp_path):
    tasks = [
        {
            "id": 1,
            "data": {"text": A},
            "annotations": [
                {
                    "id": 3,
                    "result": [{"value": {"choices": ["culture"]}, "from_name": "labels", "to_name": "text", "type": "choices"}],
                    "was_cancelled": False,
                }
            ],
        },
        {"id": 2, "data": {"text": B}, "annotations": [{"id": 4, "result": [], "was_cancelled": True}]},
        {
            "id": 3,
            "data": {"text": C},
            "annotations": [
                {
                    "id": 5,
                    "result": [{"value": {"choices": ["care_ageing", "instrumentalisation"]}, "type": "choices"}],
                    "was_cancelled": False,
                }
            ],
        },
    ]
    path = _write(tmp_path / "ls.json", json.dumps(tasks))
    assert detect_format(path) == "labelstudio"
    assert [(a.text, a.labels) for a in read_annotations(path, TAX)] == [(A, ("culture",)), (C, ("care_ageing", "instrumentalisation"))]


def test_csv_with_semicolon_labels(tmp_path):
    path = _write(tmp_path / "batch.csv", f'text,labels\n"{A}",culture\n"{C}",care_ageing; instrumentalisation\n"{B}",\n')
    assert [a.labels for a in read_annotations(path, TAX)] == [("culture",), ("care_ageing", "instrumentalisation"), ()]


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_format_round_trips(tmp_path, fmt):
    items = read_annotations(
        _write(
            tmp_path / "in.jsonl",
            "\n".join(
                json.dumps({"text": t, "labels": list(lab)})
                for t, lab in [(A, ["culture"]), (B, []), (C, ["care_ageing", "instrumentalisation"])]
            ),
        ),
        TAX,
    )
    out = tmp_path / {"spacy": "out.spacy", "csv": "out.csv", "labelstudio": "out.json"}.get(fmt, "out.jsonl")
    write_annotations(items, out, fmt, TAX)
    assert detect_format(out) == fmt
    back = read_annotations(out, TAX)
    assert [(a.text, set(a.labels)) for a in back] == [(a.text, set(a.labels)) for a in items]


def test_convert_command_and_refusal_to_overwrite(tmp_path):
    src = _write(tmp_path / "in.jsonl", json.dumps({"text": A, "labels": ["culture"]}) + "\n")
    out = tmp_path / "ls.json"
    runner = CliRunner()
    assert runner.invoke(main, ["annotations", "convert", str(src), "-o", str(out), "--to", "labelstudio"]).exit_code == 0
    assert json.loads(out.read_text(encoding="utf-8"))[0]["annotations"][0]["result"][0]["value"]["choices"] == ["culture"]
    again = runner.invoke(main, ["annotations", "convert", str(src), "-o", str(out), "--to", "labelstudio"])
    assert again.exit_code == 1 and f"Error: {out} exists; pass --force to replace it" in again.stderr


# ---------------------------------------------------------------- errors name file and line


def test_malformed_line_reports_file_and_line(tmp_path):
    path = _write(tmp_path / "kapot.jsonl", json.dumps({"text": A, "labels": []}) + '\n{"text": "half, "labels": []}\n')
    with pytest.raises(AnnotationError, match=re.escape(f"{path}:2: invalid JSON")):
        read_annotations(path, TAX)


def test_unknown_label_reports_file_line_and_label(tmp_path):
    path = _write(
        tmp_path / "onbekend.jsonl",
        json.dumps({"text": A, "labels": ["culture"]}) + "\n" + json.dumps({"text": B, "labels": ["cultuur"]}) + "\n",
    )
    with pytest.raises(AnnotationError, match=re.escape(f"{path}:2: unknown label 'cultuur'")):
        read_annotations(path, TAX)


def test_missing_labels_key_is_explained(tmp_path):
    path = _write(tmp_path / "x.jsonl", json.dumps({"text": A, "labels": []}) + "\n" + json.dumps({"text": B, "label_list": []}) + "\n")
    with pytest.raises(AnnotationError, match=re.escape(f"{path}:2: missing 'labels'")):
        read_annotations(path, TAX, fmt="policyscan")


def test_conflicts_across_files_are_reported_and_left_out(tmp_path):
    one = _write(
        tmp_path / "een.jsonl",
        json.dumps({"text": C, "labels": ["care_ageing"]}) + "\n" + json.dumps({"text": A, "labels": ["culture"]}) + "\n",
    )
    two = _write(
        tmp_path / "twee.jsonl",
        json.dumps({"text": C.upper(), "labels": ["care_ageing", "instrumentalisation"]})
        + "\n"
        + json.dumps({"text": A, "labels": ["culture"]})
        + "\n",
    )
    items = read_many([one, two], TAX)
    [conflict] = find_conflicts(items)
    assert f"{one}:1" in conflict.describe() and f"{two}:1" in conflict.describe()
    merged, conflicts = merge(items)
    assert [a.text for a in merged] == [A] and len(conflicts) == 1
    result = CliRunner().invoke(main, ["annotations", "stats", str(one), str(two), "--json"])
    stats = json.loads(result.output)
    assert len(stats["conflicts"]) == 1 and stats["duplicates"] == [{"text": A, "count": 2}]


# ---------------------------------------------------------------- the shipped data


def test_shipped_counts_meet_the_targets(shipped):
    stats = statistics(shipped, TAX)
    assert stats["sentences"] >= 7000
    for label in TAX.group("task"):
        assert stats["labels"][label] >= 120, label
    assert stats["labels"]["instrumentalisation"] >= 250
    assert stats["labels"]["risk_awareness"] >= 200
    assert stats["multi_label"] >= 300
    assert stats["no_label"] / stats["sentences"] >= 0.50
    assert not stats["conflicts"] and not stats["duplicates"]


def test_real_register_files_are_mostly_unlabelled(shipped):
    """Real documents carry no label on about two sentences in three; the real-register batch must too."""
    real = [a for a in shipped if Path(a.file).name.startswith("real")]
    assert len(real) >= 5000
    assert sum(not a.labels for a in real) / len(real) >= 0.65


REAL_DEV = ROOT.parent / "shared" / "dev" / "real_dev.jsonl"


def _six_word_runs(text: str) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i : i + 6]) for i in range(len(words) - 5)}


@pytest.mark.skipif(not REAL_DEV.exists(), reason="the held-out real sentences (../shared/dev/real_dev.jsonl) are not beside this clone")
def test_no_annotation_shares_six_words_with_the_real_dev_set(shipped):
    """The real evaluation sentences must stay unseen: no training sentence shares a six-word run with one."""
    held_out = set()
    for line in REAL_DEV.read_text(encoding="utf-8").splitlines():
        if line.strip():
            held_out |= _six_word_runs(json.loads(line)["text"])
    shared = [(f"{a.file}:{a.line}", " ".join(run)) for a in shipped for run in _six_word_runs(a.text) & held_out]
    assert not shared, shared[:5]


def test_shipped_data_is_varied(shipped):
    variety = statistics(shipped, TAX)["variety"]
    assert variety["near_duplicate_share"] <= 0.01
    assert variety["shared_opening_share"] <= 0.05
    assert variety["stock_phrase_share"] <= 0.05


def test_every_line_names_source_and_annotator(shipped):
    assert all(a.source.strip() and a.annotator.strip() for a in shipped)
    assert len({a.source.split(",")[0].strip().lower() for a in shipped}) >= 30


def test_readme_counts_table_is_current():
    readme = (SHIPPED_ANNOTATIONS / "README.md").read_text(encoding="utf-8")
    table = re.search(r"<!-- counts:start -->\n(.*?)\n<!-- counts:end -->", readme, re.S).group(1)
    result = CliRunner().invoke(main, ["annotations", "stats", str(SHIPPED_ANNOTATIONS), "--markdown"])
    assert result.output.strip() == table.strip(), "regenerate with: policyscan annotations stats annotations/ --markdown"


# ---------------------------------------------------------------- issue 12, item 15: annotation input that holds


def test_issue_12_semicolon_csv_from_dutch_excel(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes(f'\ufefftext;labels;annotator\n{A};culture;an\n"{C}";"care_ageing;instrumentalisation";bo\n{B};;an\n'.encode())
    got = [(a.text, a.labels, a.annotator) for a in read_annotations(path, TAX)]
    assert got == [(A, ("culture",), "an"), (C, ("care_ageing", "instrumentalisation"), "bo"), (B, (), "an")]


def test_issue_12_csv_headers_in_capitals_and_a_clear_error_for_missing_columns(tmp_path):
    path = _write(tmp_path / "hoofd.csv", f"Text,Labels\n{A},culture\n")
    assert [a.labels for a in read_annotations(path, TAX)] == [("culture",)]
    path = _write(tmp_path / "zonder.csv", f"zin;code\n{A};culture\n")
    with pytest.raises(AnnotationError, match=re.escape("needs the columns 'text' and 'labels' (found 'zin', 'code')")):
        read_annotations(path, TAX)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-8-sig"])
@pytest.mark.parametrize("name", ["batch.jsonl", "batch.csv", "batch.json"])
def test_issue_12_utf16_files_are_decoded(tmp_path, encoding, name):
    items = [Annotation(A, ("culture",), "Brugwaarde, nota 2024", "an"), Annotation(C, ("care_ageing", "instrumentalisation"))]
    fmt = {"batch.csv": "csv", "batch.json": "labelstudio"}.get(name, "policyscan")
    utf8 = tmp_path / f"utf8-{name}"
    write_annotations(items, utf8, fmt, TAX)
    path = tmp_path / name
    path.write_bytes(utf8.read_text(encoding="utf-8-sig").encode(encoding))
    assert [(a.text, a.labels) for a in read_annotations(path, TAX)] == [(a.text, a.labels) for a in items]


def test_issue_12_unknown_encoding_is_a_clear_error(tmp_path):
    path = tmp_path / "raar.jsonl"
    path.write_bytes(json.dumps({"text": A, "labels": []}).encode() + b"\n\x81\x8d\x00\x01\x00")
    with pytest.raises(AnnotationError, match=re.escape(f"{path}: cannot tell the encoding")):
        read_annotations(path, TAX)


def test_issue_12_cp1252_csv_is_read_with_a_warning(tmp_path):
    text = "Café De Linde in Lindenhoek zoekt vrijwilligers voor het repair-café; kosten € 5."
    path = tmp_path / "excel-ansi.csv"
    path.write_bytes(f'text;labels\n"{text}";sustainability\n'.encode("cp1252"))
    with pytest.warns(PolicyscanWarning, match="read as Windows-1252"):
        [item] = read_annotations(path, TAX)
    assert (item.text, item.labels) == (text, ("sustainability",))


def _ls_task(text: str, choices: list[str], completed_by: object = 3, **data: str) -> dict:
    result = [{"value": {"choices": choices}, "from_name": "taak", "to_name": "text", "type": "choices"}]
    return {
        "id": 1,
        "data": {"text": text, **data},
        "annotations": [{"result": result, "was_cancelled": False, "completed_by": completed_by}],
    }


def test_issue_12_labelstudio_dutch_label_names_and_completed_by(tmp_path):
    tasks = [
        _ls_task(A, ["Cultuur en erfgoed"], 3, source="Brugwaarde, nota 2024"),
        _ls_task(C, ["Zorg, ouderen en langer thuis wonen", "instrumentaliseringsrisico"], {"id": 4, "email": "bo@brugwaarde.example"}),
    ]
    path = _write(tmp_path / "ls.json", json.dumps(tasks, ensure_ascii=False))
    got = [(a.labels, a.annotator, a.source) for a in read_annotations(path, TAX)]
    assert got == [(("culture",), "3", "Brugwaarde, nota 2024"), (("care_ageing", "instrumentalisation"), "bo@brugwaarde.example", "")]


def test_issue_12_labelstudio_json_min_export(tmp_path):
    meta = {"annotation_id": 9, "created_at": "2025-03-01T10:00:00Z", "updated_at": "2025-03-01T10:01:00Z", "lead_time": 4.2}
    records = [
        {"text": A, "id": 1, "taak": "Cultuur en erfgoed", "source": "Sport", "annotator": "an@lindenhoek.example", **meta},
        {"text": C, "id": 2, "taak": {"choices": ["care_ageing", "Instrumentaliseringsrisico"]}, "annotator": 7, **meta},
        {"text": B, "id": 3, "source": "Lindenhoek, raadsvoorstel", "annotator": 7, **meta},
    ]
    path = _write(tmp_path / "min.json", json.dumps(records, ensure_ascii=False))
    assert detect_format(path) == "labelstudio"
    got = [(a.text, a.labels, a.annotator, a.source) for a in read_annotations(path, TAX)]
    assert got == [
        (A, ("culture",), "an@lindenhoek.example", "Sport"),
        (C, ("care_ageing", "instrumentalisation"), "7", ""),
        (B, (), "7", "Lindenhoek, raadsvoorstel"),
    ]


def test_issue_12_label_names_in_doccano_but_ids_in_policyscan_files(tmp_path):
    doccano = _write(tmp_path / "doccano.jsonl", json.dumps({"id": 1, "text": A, "label": ["Cultuur en Erfgoed"]}) + "\n")
    assert read_annotations(doccano, TAX)[0].labels == ("culture",)
    own = _write(tmp_path / "eigen.jsonl", json.dumps({"text": A, "labels": ["Cultuur en erfgoed"]}) + "\n")
    with pytest.raises(AnnotationError, match="unknown label 'Cultuur en erfgoed'"):
        read_annotations(own, TAX)


@pytest.mark.parametrize(("name", "content"), [("leeg.jsonl", ""), ("leeg.json", "\n  \n"), ("leeg.csv", ""), ("leeg.spacy", "")])
def test_issue_12_empty_file_says_empty_file(tmp_path, name, content):
    path = _write(tmp_path / name, content)
    with pytest.raises(AnnotationError, match=re.escape(f"{path}: empty file")):
        read_annotations(path, TAX)


def test_issue_12_csv_output_starts_with_a_bom_for_excel(tmp_path):
    out = tmp_path / "voor-excel.csv"
    write_annotations([Annotation(A, ("culture",))], out, "csv", TAX)
    assert out.read_bytes().startswith(b"\xef\xbb\xbftext,labels,")
    result = CliRunner().invoke(main, ["annotations", "convert", str(out), "-o", str(tmp_path / "terug.csv"), "--to", "csv"])
    assert result.exit_code == 0 and (tmp_path / "terug.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_annotations_written_to_stdout(capsys):
    write_annotations([Annotation(A, ("culture",), "nota", "an")], "-", "policyscan", TAX)
    assert json.loads(capsys.readouterr().out) == {"text": A, "labels": ["culture"], "source": "nota", "annotator": "an"}


# ---------------------------------------------------------------- property: any text and label set survives every format

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

_TEXT = st.text(
    alphabet=st.characters(min_codepoint=32, max_codepoint=0x24F, blacklist_characters="\x7f")
    | st.sampled_from(["\n", "\t", ";", '"', "€", "—"]),
    min_size=1,
    max_size=80,
)
_ITEM = st.tuples(_TEXT.filter(lambda t: t.strip()), st.lists(st.sampled_from(TAX.ids), unique=True, max_size=4))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(items=st.lists(_ITEM, min_size=1, max_size=6, unique_by=lambda i: " ".join(i[0].lower().split())), fmt=st.sampled_from(FORMATS))
def test_property_round_trip(tmp_path, items, fmt):
    annotations = [Annotation(text, tuple(labels)) for text, labels in items]
    out = tmp_path / {"spacy": "p.spacy", "csv": "p.csv", "labelstudio": "p.json"}.get(fmt, "p.jsonl")
    write_annotations(annotations, out, fmt, TAX)
    back = read_annotations(out, TAX, fmt)
    assert [(a.text, set(a.labels)) for a in back] == [(" ".join(t.split()), set(lab)) for t, lab in items]
