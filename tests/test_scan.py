"""The batch scan end to end: output files, labels, profiles, parallelism, atomicity and safety."""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import fixtures
import pytest
from click.testing import CliRunner

from policyscan.cli import main
from policyscan.profile import MEASURES
from policyscan.report import safe_cell
from policyscan.taxonomy import load_taxonomy

OUTPUTS = ["sentences.jsonl", "documents.csv", "coverage.csv", "coverage_long.csv", "report.html", "errors.csv"]
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
    assert refused.exit_code == 1 and "is not a policyscan results folder" in refused.stderr
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
    assert set(tmp_path.glob(".results.tmp-*")) == leftovers, "an interrupted (not killed) scan removes its temporary folder"


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
    [entry] = list((cache / "tags-v1").rglob("*.json"))
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["sentences"][0][5] = ["economy"]
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert CliRunner().invoke(main, [*args, "-o", str(tmp_path / "two")]).exit_code == 0
    assert _sentences(tmp_path / "two")[0]["labels"] == ["economy"]
    entry.write_text("{kapot", encoding="utf-8")
    assert CliRunner().invoke(main, [*args, "-o", str(tmp_path / "three")]).exit_code == 0
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
