"""The batch scan end to end: output files, labels, profiles, parallelism, atomicity and safety."""

from __future__ import annotations

import csv
import gc
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import fixtures
import numpy as np
import pytest
from click.testing import CliRunner

from policyscan.cli import main
from policyscan.errors import OutputOverlapsInputError
from policyscan.process import DocumentResult
from policyscan.profile import EVIDENCE_PER_LABEL, MEASURES
from policyscan.records import Document, Prediction, Sentence, TaggedSentence
from policyscan.report import REPORT_EVIDENCE, safe_cell
from policyscan.scan import ScanWriter, aggregate, scan, write_results
from policyscan.taxonomy import load_taxonomy
from policyscan.testing.pdfgen import Layout, PolicyPDF

OUTPUTS = ["sentences.jsonl", "documents.csv", "coverage.csv", "coverage_long.csv", "report.html", "errors.csv", "datapackage.json"]
OUTPUTS += ["summary.csv", "summary.md"]
OUTPUTS += [f"summary_{plot}.{fmt}" for plot in ("presence", "risk", "breadth") for fmt in ("svg", "png")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return fixtures.scan_corpus(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def scanned(corpus, tmp_path_factory):
    out = tmp_path_factory.mktemp("scan") / "results"
    result = CliRunner().invoke(main, ["scan", str(corpus["root"]), "--manifest", str(corpus["manifest"]), "-o", str(out), "--no-cache"])
    return out, result


def _csv(path: Path) -> list[dict]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _sentences(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "sentences.jsonl").read_text(encoding="utf-8").splitlines()]


def test_scan_writes_every_file_and_exit_1_for_failures(scanned, corpus):
    out, result = scanned
    assert result.exit_code == 1, result.output
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == sorted(OUTPUTS)
    errors = _csv(out / "errors.csv")
    assert {(Path(e["path"]).name, e["municipality"]) for e in errors} == {("scan.pdf", "Lindenhoek"), ("kapot.pdf", "Brugwaarde")}
    assert any("needs OCR" in e["reason"] for e in errors)
    assert "done: 5 documents (2 failed)" in result.stderr


def test_sentence_records_follow_the_contract(scanned):
    rows = _sentences(scanned[0])
    assert list(rows[0]) == ["doc_id", "path", "page", "index", "section", "text", "municipality", "labels", "scores"]
    assert {r["municipality"] for r in rows} == {"Lindenhoek", "Brugwaarde", "Veendijk"}


def test_known_sentences_carry_their_labels(scanned):
    labels = {r["text"]: set(r["labels"]) for r in _sentences(scanned[0])}
    assert "loneliness" in labels[fixtures.LONELY[0]]
    assert "care_ageing" in labels[fixtures.CARE[0]]
    assert {"care_ageing", "instrumentalisation"} <= labels[fixtures.CARE[1]]
    assert "sport" in labels[fixtures.SPORT[0]]
    assert labels[fixtures.PROCEDURE[1]] == set()


def test_profiles_add_up_to_the_sentence_file(scanned):
    out = scanned[0]
    rows = _sentences(out)
    for row in _csv(out / "coverage_long.csv"):
        mine = [r for r in rows if r["municipality"] == row["municipality"]]
        assert int(row["sentences"]) == sum(1 for r in mine if row["label"] in r["labels"])
        assert float(row["share"]) == pytest.approx(int(row["sentences"]) / len(mine), abs=1e-4)
    coverage = {r["municipality"]: r for r in _csv(out / "coverage.csv")}
    assert coverage["Lindenhoek"]["code"] == "GM9901"
    assert int(coverage["Lindenhoek"]["sentences"]) == sum(1 for r in rows if r["municipality"] == "Lindenhoek")
    docs = {r["doc_id"]: r for r in _csv(out / "documents.csv")}
    assert int(docs["nota"]["sentences"]) == sum(1 for r in rows if r["doc_id"] == "nota")
    assert docs["scan"]["status"] == "failed"


def test_formula_like_cells_are_neutralised(scanned):
    out = scanned[0]
    docs = {r["doc_id"]: r for r in _csv(out / "documents.csv")}
    assert docs["programma"]["title"] == '\'=HYPERLINK("http://x")'
    evidence = [r["evidence_1"] for r in _csv(out / "coverage_long.csv") if r["municipality"] == "Veendijk" and r["label"] == "loneliness"]
    assert evidence and not evidence[0].startswith("=")
    assert [safe_cell(v) for v in ("=1+1", "+31 6", "-5", "-1,5", "@x", "vrij")] == ["'=1+1", "'+31 6", "-5", "-1,5", "'@x", "vrij"]


def test_markup_is_escaped_in_the_report(scanned):
    page = (scanned[0] / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in page
    assert "\\u003cscript\\u003ealert(1)" in page
    assert "http://" not in page.replace('"http://x', "") and "https://" not in page


def test_jobs_2_gives_the_same_outputs(corpus, scanned, tmp_path):
    out = tmp_path / "parallel"
    result = CliRunner().invoke(
        main, ["scan", str(corpus["root"]), "--manifest", str(corpus["manifest"]), "-o", str(out), "--jobs", "2", "--no-cache"]
    )
    assert result.exit_code == 1
    for name in OUTPUTS:
        assert (out / name).read_bytes() == (scanned[0] / name).read_bytes(), name


def test_rescan_replaces_results_and_refuses_foreign_folder(corpus, tmp_path):
    out = tmp_path / "r"
    runner = CliRunner()
    args = ["scan", str(corpus["root"] / "Brugwaarde" / "programma.pdf"), "-o", str(out), "-q"]
    assert runner.invoke(main, args).exit_code == 0
    assert runner.invoke(main, args).exit_code == 0
    assert not (out / "errors.csv").exists()
    foreign = tmp_path / "eigen-map"
    foreign.mkdir()
    (foreign / "notities.txt").write_text("mijn werk", encoding="utf-8")
    refused = runner.invoke(main, ["scan", str(corpus["root"] / "Brugwaarde" / "programma.pdf"), "-o", str(foreign)])
    assert refused.exit_code == 1 and "is not a policyscan results folder (notities.txt)" in refused.stderr
    assert (foreign / "notities.txt").read_text(encoding="utf-8") == "mijn werk"


def test_interrupted_scan_leaves_previous_results(corpus, tmp_path):
    big = tmp_path / "big"
    for i in range(40):
        dest = big / "Lindenhoek" / f"nota-{i:02d}.pdf"
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes((corpus["root"] / "Lindenhoek" / "nota.pdf").read_bytes() + f"\n% kopie {i}\n".encode())
    out = tmp_path / "results"
    exe = str(Path(sys.executable).parent / "policyscan")
    subprocess.run([exe, "scan", str(corpus["root"] / "Brugwaarde" / "programma.pdf"), "-o", str(out), "-q"], check=True)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for sig in (signal.SIGKILL, signal.SIGINT):
        leftovers = set(tmp_path.glob(".results.tmp-*"))
        proc = subprocess.Popen([exe, "scan", str(big), "-o", str(out), "-q", "--no-cache"])
        _wait_for_new_temp_folder(tmp_path, leftovers, proc)
        proc.send_signal(sig)
        proc.wait()
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before, sig
    assert leftovers and not set(tmp_path.glob(".results.tmp-*")), (
        "a killed scan's folder is cleaned by the next, an interrupted one by itself"
    )


def _wait_for_new_temp_folder(folder: Path, known: set[Path], proc: subprocess.Popen) -> None:
    """Block until the scan has started writing its temporary results folder."""
    deadline = time.monotonic() + 60
    while not set(folder.glob(".results.tmp-*")) - known:
        assert proc.poll() is None and time.monotonic() < deadline, "the scan ended before it could be interrupted"
        time.sleep(0.05)
    time.sleep(0.5)
    assert proc.poll() is None, "the scan finished before it could be interrupted"


def test_rescan_uses_cached_tags(corpus, tmp_path):
    cache = tmp_path / "cache"
    args = ["scan", str(corpus["root"] / "Brugwaarde" / "programma.pdf"), "--cache-dir", str(cache), "-q"]
    assert CliRunner().invoke(main, [*args, "-o", str(tmp_path / "one")]).exit_code == 0
    [entry] = list((cache / "tags-v2").rglob("*.json"))
    data = json.loads(entry.read_text(encoding="utf-8"))
    row = data["sentences"][0]  # the labels and scores, encoded as sentences.jsonl writes them
    row[6] = Prediction(("economy",), json.loads("{" + row[6] + "}")["scores"]).json_fields()
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert CliRunner().invoke(main, [*args, "-o", str(tmp_path / "two")]).exit_code == 0
    assert _sentences(tmp_path / "two")[0]["labels"] == ["economy"]
    fields = row[6]
    variants = [fields.replace('"scores": {', '"scores": {"x": 1, ', 1), fields.replace(", ", ",\n", 1), fields + ', "x": 1']
    damaged_rows = [json.dumps(data | {"sentences": [[*row[:6], v], *data["sentences"][1:]]}) for v in variants]
    for damaged in ("{kapot", *damaged_rows):  # unreadable; a score too many; a line break; a field too many
        entry.write_text(damaged, encoding="utf-8")
        assert CliRunner().invoke(main, [*args, "-o", str(tmp_path / "three"), "--force"]).exit_code == 0
        assert _sentences(tmp_path / "three") == _sentences(tmp_path / "one")


README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _dictionary_columns(label_ids: tuple[str, ...]) -> set[str]:
    """The column names README's data dictionary describes: table rows and the "`x.csv` ... has" and per-label paragraphs."""
    section = README.split("### Data dictionary", 1)[1].split("\n## ", 1)[0]
    names: set[str] = set()
    for paragraph in section.split("\n\n"):
        if paragraph.startswith("|"):
            rows = [row for row in paragraph.splitlines() if row.startswith("| `")]
            names |= {n for row in rows for n in re.findall(r"`([^`]+)`", row.split("|")[1])}
        elif re.match(r"`\w+\.csv` (also )?has", paragraph):
            names |= set(re.findall(r"`([^`]+)`", re.sub(r"\([^)]*\)", "", paragraph))[1:])
        elif paragraph.startswith("**Per label**"):
            names |= {f"{label}{suffix}" for suffix in re.findall(r"`<label>(\w+)`", paragraph) for label in label_ids}
    expanded = set()
    for name in names:
        ranged = re.fullmatch(r"(\w+_)(\d)\.\.(\d)", name)
        expanded |= {f"{ranged[1]}{i}" for i in range(int(ranged[2]), int(ranged[3]) + 1)} if ranged else {name}
    return expanded


def test_readme_data_dictionary_names_exactly_the_columns_written(scanned):
    out, _ = scanned
    written = set()
    for name in ("documents.csv", "coverage.csv", "coverage_long.csv", "errors.csv"):
        with (out / name).open(encoding="utf-8-sig", newline="") as handle:
            written |= set(next(csv.reader(handle)))
    described = _dictionary_columns(load_taxonomy().ids)
    assert written - described == set(), "columns written but missing from README's data dictionary"
    assert described - written == set(), "columns in README's data dictionary that no file has"


def test_readme_describes_each_derived_measure_as_its_definition_does():
    rows = dict(re.findall(r"^\| `(\w+)` \| (.+) \|$", README, re.M))
    for measure in MEASURES:
        assert rows.get(measure.name) == measure.metadata["description"], measure.name


# ---------------------------------------------------------------- issue 12: the results folder never costs the researcher a file


def _small_corpus(corpus: dict, root: Path) -> Path:
    """A copy of one municipality's PDF in a folder of its own."""
    folder = root / "stukken" / "Brugwaarde"
    folder.mkdir(parents=True)
    (folder / "programma.pdf").write_bytes((corpus["root"] / "Brugwaarde" / "programma.pdf").read_bytes())
    return folder.parent


@pytest.mark.parametrize("where", ["the input", "its parent", "inside it", "the manifest's folder"])
def test_issue_12_output_overlapping_an_input_is_refused_even_with_force(corpus, tmp_path, where):
    inputs = _small_corpus(corpus, tmp_path)
    manifest_dir = tmp_path / "lijst"
    manifest_dir.mkdir()
    manifest = manifest_dir / "manifest.csv"
    manifest.write_text(f"path,municipality\n{inputs / 'Brugwaarde' / 'programma.pdf'},Brugwaarde\n", encoding="utf-8")
    out = {"the input": inputs, "its parent": tmp_path, "inside it": inputs / "results", "the manifest's folder": manifest_dir}[where]
    before = sorted(p for p in tmp_path.rglob("*"))
    result = CliRunner().invoke(main, ["scan", str(inputs), "--manifest", str(manifest), "-o", str(out), "--force", "-q"])
    assert result.exit_code == 2, result.output
    [line] = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert line.startswith(f"Error: output folder {out} ") and "choose an -o outside the inputs" in line
    assert sorted(p for p in tmp_path.rglob("*")) == before


def test_issue_12_a_file_given_as_input_is_never_the_output(corpus, tmp_path):
    pdf = _small_corpus(corpus, tmp_path) / "Brugwaarde" / "programma.pdf"
    with pytest.raises(OutputOverlapsInputError, match=f"output folder {re.escape(str(pdf))} is the input"):
        scan([pdf], pdf, load_taxonomy(), force=True)
    assert pdf.read_bytes().startswith(b"%PDF")


def test_issue_12_rescan_refuses_to_delete_files_the_researcher_added(corpus, tmp_path):
    pdf = str(_small_corpus(corpus, tmp_path) / "Brugwaarde" / "programma.pdf")
    out = tmp_path / "resultaten"
    runner = CliRunner()
    assert runner.invoke(main, ["scan", pdf, "-o", str(out), "-q"]).exit_code == 0
    (out / "analyse.R").write_text("library(readr)\n", encoding="utf-8")
    (out / ".DS_Store").write_bytes(b"\0")
    refused = runner.invoke(main, ["scan", pdf, "-o", str(out), "-q"])
    assert refused.exit_code == 1
    assert "files policyscan did not write (analyse.R); move them, choose another -o, or pass --force" in refused.stderr
    assert (out / "analyse.R").exists()
    forced = runner.invoke(main, ["scan", pdf, "-o", str(out), "--force"])
    assert forced.exit_code == 0, forced.output
    assert f"warning: deleting 1 file(s) policyscan did not write from {out} (--force): analyse.R" in forced.stderr
    assert not (out / "analyse.R").exists() and (out / "coverage.csv").exists()


def _dead_pid() -> int:
    """The id of a process that has ended."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_issue_12_stale_temporary_folders_of_killed_scans_are_removed(corpus, tmp_path):
    import os
    import socket

    pdf = str(_small_corpus(corpus, tmp_path) / "Brugwaarde" / "programma.pdf")
    out = tmp_path / "results"
    killed = tmp_path / ".results.tmp-killed1"
    legacy = tmp_path / ".results.tmp-legacy1"
    running = tmp_path / ".results.tmp-running"
    foreign = tmp_path / ".results.tmp-notmine"
    for folder, marker_pid in ((killed, _dead_pid()), (legacy, None), (running, os.getpid()), (foreign, None)):
        folder.mkdir()
        if marker_pid:
            mark = {"pid": marker_pid, "host": socket.gethostname(), "started": 0}
            (folder / ".policyscan-tmp").write_text(json.dumps(mark), encoding="utf-8")
    (killed / "sentences.jsonl").write_text("{}\n", encoding="utf-8")
    (legacy / "coverage.csv").write_text("municipality\n", encoding="utf-8")
    (legacy / ".report.html.x1y2.tmp").write_text("<html", encoding="utf-8")
    (foreign / "proefschrift.docx").write_bytes(b"PK")
    for folder in (killed, legacy, running, foreign):
        os.utime(folder, (time.time() - 3600, time.time() - 3600))
    result = CliRunner().invoke(main, ["scan", pdf, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert not killed.exists() and not legacy.exists()
    assert running.exists() and (foreign / "proefschrift.docx").exists()
    for gone in (killed, legacy):
        assert f"warning: removed {gone}, the temporary folder of an earlier scan that was stopped" in result.stderr
    assert {p.name for p in tmp_path.glob(".results.*")} == {running.name, foreign.name}


# ---------------------------------------------------------------- issue 12: messages, failed municipalities and column types


def _report_data(out: Path) -> dict:
    page = (out / "report.html").read_text(encoding="utf-8")
    return json.loads(re.search(r'<script id="policyscan-data" type="application/json">(.*?)</script>', page, re.S)[1])


@pytest.fixture(scope="module")
def troubled(corpus, tmp_path_factory):
    """A scan where one document has image-only pages and one municipality has only a damaged file."""
    root = tmp_path_factory.mktemp("troubled")
    doc = PolicyPDF(Layout(), header="Nota Brugwaarde", footer="Gemeente Brugwaarde")
    doc.heading("1 Sport")
    doc.paragraph(*fixtures.SPORT)
    doc.paragraph(*fixtures.PROCEDURE)
    doc.image_page(seed=1)
    doc.image_page(seed=2)
    doc.image_page(seed=4)
    doc.image_page(seed=5)
    doc.output(root / "Brugwaarde" / "nota.pdf")
    (root / "Groenvliet").mkdir()
    (root / "Groenvliet" / "kapot.pdf").write_bytes(b"%PDF-1.4\n% afgebroken\n")
    out = tmp_path_factory.mktemp("tscan") / "results"
    result = CliRunner().invoke(main, ["scan", str(root), "-o", str(out), "--no-cache"])
    return root, out, result


def test_issue_12_scan_prints_page_warnings_once_per_document(troubled):
    root, _, result = troubled
    assert result.exit_code == 1, result.output
    lines = [line for line in result.stderr.splitlines() if line.startswith("warning: ") and "nota.pdf" in line]
    assert lines == [f"warning: {root / 'Brugwaarde' / 'nota.pdf'}: pages 2-5: no text layer, needs OCR"]  # pages folded into one range


def test_issue_12_several_page_warnings_make_one_line_per_document():
    from policyscan.cli.scan import document_warning_line
    from policyscan.process import DocumentResult
    from policyscan.records import Document

    warnings = ("page 2: rotated text not read", "page 4: read by OCR", "pages 6-9: no text layer, needs OCR", "page 12: x", "page 13: y")
    result = DocumentResult(Document("nota", "x/nota.pdf", "Lindenhoek"), warnings=warnings)
    assert document_warning_line(result) == (
        "warning: x/nota.pdf: 5 warnings: page 2: rotated text not read; page 4: read by OCR; "
        "pages 6-9: no text layer, needs OCR; and 2 more (see documents.csv)"
    )


def test_issue_12_report_lists_failed_documents_and_warnings(troubled):
    root, out, _ = troubled
    data = _report_data(out)
    assert data["failures"] == [
        {
            "path": str(root / "Groenvliet" / "kapot.pdf"),
            "municipality": "Groenvliet",
            "reason": "damaged or truncated PDF (no end-of-file marker)",
        }
    ]
    [warned] = data["warnings"]
    assert warned["doc"] == "nota" and warned["warnings"] == ["pages 2-5: no text layer, needs OCR"]


def test_issue_12_municipality_whose_documents_all_failed_keeps_its_row(troubled):
    _, out, _ = troubled
    coverage = {r["municipality"]: r for r in _csv(out / "coverage.csv")}
    assert set(coverage) == {"Brugwaarde", "Groenvliet"}
    failed = coverage["Groenvliet"]
    assert (failed["status"], failed["documents"], failed["failed_documents"], failed["sentences"]) == ("failed", "0", "1", "0")
    assert failed["instrumentalisation_per_1000"] == "" and failed["sport_share"] == "" and failed["sport_present"] == "False"
    assert coverage["Brugwaarde"]["status"] == "ok"
    long = [r for r in _csv(out / "coverage_long.csv") if r["municipality"] == "Groenvliet"]
    assert len(long) == len(load_taxonomy().ids) and {r["share"] for r in long} == {""}
    shown = {m["name"]: m["status"] for m in _report_data(out)["municipalities"]}
    assert shown == {"Brugwaarde": "ok", "Groenvliet": "failed"}


_CELL = {
    "integer": re.compile(r"-?\d+"),
    "number": re.compile(r"-?\d+(\.\d+)?([eE][+-]?\d+)?"),
    "boolean": re.compile(r"True|False"),
    "string": re.compile(r".*", re.S),
}


@pytest.mark.parametrize("fixture", ["scanned", "troubled"])
def test_issue_12_every_csv_cell_has_the_type_datapackage_json_gives(fixture, request):
    out = request.getfixturevalue(fixture)[-2 if fixture == "troubled" else 0]
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    assert package["profile"] == "tabular-data-package"
    assert {r["path"] for r in package["resources"]} == {p.name for p in out.glob("*.csv")}
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        with (out / resource["path"]).open(encoding="utf-8-sig", newline="") as handle:
            header, *rows = list(csv.reader(handle))
        assert header == [f["name"] for f in fields], resource["path"]
        assert rows
        for row in rows:
            for f, cell in zip(fields, row, strict=True):
                if cell == "":
                    assert not f.get("constraints", {}).get("required"), (resource["path"], f["name"], row[0])
                else:
                    assert _CELL[f["type"]].fullmatch(cell), (resource["path"], f["name"], cell)


def test_issue_12_datapackage_is_built_from_the_measure_definitions(scanned):
    package = json.loads((scanned[0] / "datapackage.json").read_text(encoding="utf-8"))
    coverage = next(r for r in package["resources"] if r["name"] == "coverage")
    fields = {f["name"]: f for f in coverage["schema"]["fields"]}
    for measure in MEASURES:
        assert fields[measure.name]["description"] == measure.metadata["description"]
    assert fields["breadth"]["type"] == "integer" and fields["other_domain_share"]["type"] == "number"
    assert fields["instrumentalisation_without_awareness"]["type"] == "boolean"
    documents = next(r for r in package["resources"] if r["name"] == "documents")
    assert {f["name"]: f["type"] for f in documents["schema"]["fields"]}["year"] == "integer"


def test_issue_12_pandas_reads_the_datapackage_types(troubled):
    pd = pytest.importorskip("pandas")
    out = troubled[1]
    package = json.loads((out / "datapackage.json").read_text(encoding="utf-8"))
    dtypes = {"integer": "Int64", "number": "float64", "boolean": "boolean", "string": "string"}
    for resource in package["resources"]:
        fields = resource["schema"]["fields"]
        frame = pd.read_csv(
            out / resource["path"], dtype={f["name"]: dtypes[f["type"]] for f in fields}, keep_default_na=False, na_values=[""]
        )
        assert [str(frame[f["name"]].dtype) for f in fields] == [dtypes[f["type"]] for f in fields]
        plain = pd.read_csv(out / resource["path"])
        for f in fields:
            if f["type"] == "boolean":
                assert plain[f["name"]].dtype == bool, f["name"]


def test_issue_9_report_says_how_far_to_trust_each_label(corpus, small_model_dir, tmp_path):
    """The report carries each label's precision and recall on the model's real-text evaluation (train --real-dev)."""
    out = tmp_path / "r"
    args = ["scan", str(corpus["root"]), "--manifest", str(corpus["manifest"]), "-o", str(out), "--model", str(small_model_dir), "-q"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code in (0, 1), result.output
    trust = _report_data(out)["trust"]
    card = json.loads((small_model_dir / "card.json").read_text(encoding="utf-8"))
    measured = card["evaluations"][trust["file"]]
    assert measured["real_text"] is True
    assert set(trust["labels"]) == set(card["labels"])
    for label, shown in trust["labels"].items():
        assert (shown["precision"], shown["recall"]) == (measured["per_label"][label]["precision"], measured["per_label"][label]["recall"])


# ---------------------------------------------------------------- issue 16: memory stays flat


def _stream_document(n: int, municipality: str, sentences: int = 60) -> DocumentResult:
    """A read document of `sentences` tagged sentences, with risk sentences and text that must be escaped in HTML."""
    tax = load_taxonomy()
    doc_id, path = f"nota-{n}", f"{municipality}/nota-{n}.pdf"
    items, predictions = [], []
    for i in range(sentences):
        text = f"Vrijwilligers in {municipality} <script> & co, notitie {n} zin {i}."
        items.append(Sentence(doc_id, path, 1 + i // 20, i, "2 Aanpak", text, 0, len(text)))
        labels = tuple(tax.ids[j] for j in (i % 5, 9 + i % 3) if j < len(tax.ids))
        predictions.append(Prediction(labels, {lab: 0.9 - (i % 7) / 100 if lab in labels else 0.05 for lab in tax.ids}))
    document = Document(doc_id, path, municipality)
    return DocumentResult(document, tuple(items), tuple(predictions), pages=3, characters=sum(len(s.text) for s in items))


def test_issue_16_the_scan_writer_keeps_no_sentences_beyond_the_best_evidence(tmp_path):
    tax = load_taxonomy()
    towns = ("Lindenhoek", "Brugwaarde")
    documents = [Document(f"nota-{n}", f"{towns[n % 2]}/nota-{n}.pdf", towns[n % 2]) for n in range(60)]
    with ScanWriter(tmp_path, tax, documents, model="test model") as writer:
        for n in range(60):
            writer.add(_stream_document(n, towns[n % 2]))
        gc.collect()
        held = sum(1 for o in gc.get_objects() if isinstance(o, TaggedSentence))
        summary = writer.finish()
    assert held <= len(towns) * len(tax.ids) * EVIDENCE_PER_LABEL
    assert (summary.documents, summary.sentences, summary.municipalities) == (60, 3600, 2)
    assert len((tmp_path / "sentences.jsonl").read_text(encoding="utf-8").splitlines()) == 3600


def test_issue_16_streamed_outputs_equal_those_of_all_sentences_at_once(tmp_path):
    """Profiles and report data made one document at a time equal those made from the whole list of sentences."""
    tax = load_taxonomy()
    results = [_stream_document(n, ("Lindenhoek", "Brugwaarde")[n % 2], 30 + n) for n in range(8)]
    write_results(tmp_path, aggregate(results, [], tax, "test model"), tax)
    tagged = [t for r in results for t in r.tagged()]
    data = _report_data(tmp_path)
    for m in data["municipalities"]:
        mine = [t for t in tagged if t.municipality == m["name"]]
        for label in tax.ids:
            hits = sorted((t for t in mine if label in t.labels), key=lambda t, lab=label: -t.scores[lab])  # the order before issue 16
            assert [(e["doc"], e["text"], e["score"]) for e in m["evidence"][label]] == [
                (t.sentence.doc_id, t.sentence.text, round(t.scores[label], 3)) for t in hits[:REPORT_EVIDENCE]
            ]
        risk = [t.sentence.text for t in mine if tax.roles.risk in t.labels]
        assert [e["text"] for e in m["risk"]["risk"]] == risk and risk
    by_profile = {p.key: p for p in aggregate(results, [], tax, "test model").municipalities}
    for row in csv.DictReader((tmp_path / "coverage_long.csv").open(encoding="utf-8-sig")):
        coverage = by_profile[row["municipality"]].label(row["label"])
        scores = [t.scores[row["label"]] for t in tagged if t.municipality == row["municipality"] and row["label"] in t.labels]
        assert row["mean_score"] == (str(round(float(np.mean(scores)), 4)) if scores else "") == str(coverage.mean_score or "")
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    embedded = re.search(r'<script id="policyscan-data" type="application/json">(.*?)</script>', page, re.S)[1]
    as_one_dump = json.dumps(data, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    assert embedded == as_one_dump and "<script>" not in embedded


def test_report_names_the_shipped_model_plainly(scanned):
    out, _ = scanned
    assert re.fullmatch(r"the shipped model \(trained \d{4}-\d\d-\d\d\)", _report_data(out)["summary"]["model"])
