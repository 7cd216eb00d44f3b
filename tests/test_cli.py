"""The command line: contract, exit codes and error lines."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from policyscan.cli import main

EXTRACT_KEYS = ["doc_id", "path", "page", "index", "section", "text"]


@pytest.fixture()
def mixed_folder(suite, tmp_path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ["brief.pdf", "beveiligd.pdf", "afgebroken.pdf", "geen-pdf.pdf", "scan.pdf"]:
        shutil.copy(suite["root"] / name, folder / name)
    return folder


def test_extract_writes_contract_fields(suite, tmp_path):
    out = tmp_path / "s.jsonl"
    result = CliRunner().invoke(main, ["extract", str(suite["root"] / "brief.pdf"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert [list(r) for r in rows] == [EXTRACT_KEYS] * len(rows)
    assert rows[0]["page"] == 1 and rows[0]["index"] == 0 and rows[0]["section"] == "Stand van zaken maatjesproject"
    assert [r["text"] for r in rows] == suite["truth"]["brief"].sentences


def test_extract_to_stdout(suite):
    result = CliRunner().invoke(main, ["extract", str(suite["root"] / "brief.pdf"), "-o", "-", "-q"])
    assert result.exit_code == 0
    assert json.loads(result.stdout.splitlines()[0])["text"].startswith("Het college informeert u")


def test_bad_inputs_reported_and_batch_goes_on(mixed_folder, tmp_path):
    out = tmp_path / "s.jsonl"
    result = CliRunner().invoke(main, ["extract", str(mixed_folder), "-o", str(out)])
    assert result.exit_code == 1
    lines = result.stderr.splitlines()
    assert f"error: {mixed_folder / 'beveiligd.pdf'}: encrypted PDF (password-protected); remove the password first" in lines
    assert f"error: {mixed_folder / 'afgebroken.pdf'}: damaged or truncated PDF (no end-of-file marker)" in lines
    assert f"error: {mixed_folder / 'geen-pdf.pdf'}: not a PDF (no %PDF header)" in lines
    assert f"error: {mixed_folder / 'scan.pdf'}: no text layer (scanned or image-only PDF): needs OCR" in lines
    assert "Traceback" not in result.output
    docs = {json.loads(line)["doc_id"] for line in out.read_text(encoding="utf-8").splitlines()}
    assert docs == {"brief"}


def test_missing_input_is_exit_1(tmp_path):
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "nergens.pdf"), "-o", str(tmp_path / "o.jsonl")])
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'nergens.pdf'}: file not found" in result.stderr


def test_usage_error_is_exit_2():
    result = CliRunner().invoke(main, ["extract", "x.pdf"])
    assert result.exit_code == 2
    assert "Missing option '-o'" in result.stderr


def test_console_script_in_subprocess(mixed_folder, tmp_path):
    exe = Path(sys.executable).parent / "policyscan"
    out = tmp_path / "s.jsonl"
    proc = subprocess.run([str(exe), "extract", str(mixed_folder), "-o", str(out)], capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert "encrypted PDF" in proc.stderr and "Traceback" not in proc.stderr
    assert out.exists() and out.read_text(encoding="utf-8").count("\n") == 3
    module = subprocess.run([sys.executable, "-m", "policyscan", "--version"], capture_output=True, text=True, check=True)
    assert module.stdout.startswith("policyscan, version ")


def test_issue_12_empty_folder_or_missing_input_is_an_error_and_writes_nothing(tmp_path):
    (tmp_path / "leeg").mkdir()
    for inputs in ([str(tmp_path / "leeg")], [str(tmp_path / "nergens.pdf")]):
        result = CliRunner().invoke(main, ["scan", *inputs, "-o", str(tmp_path / "results")])
        assert result.exit_code == 1, result.output
        assert result.stderr.splitlines()[0] in (
            f"error: {tmp_path / 'leeg'}: no .pdf or .txt files in this folder",
            f"error: {inputs[0]}: file not found",
        )
        assert "no documents to read, nothing written" in result.stderr and "(0 failed)" not in result.stderr
        assert not (tmp_path / "results").exists()
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "leeg"), "-o", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 1 and not (tmp_path / "s.jsonl").exists()


def test_issue_12_summary_counts_failed_inputs_and_says_1_document(suite, tmp_path):
    (tmp_path / "leeg").mkdir()
    good = str(suite["root"] / "brief.pdf")
    result = CliRunner().invoke(main, ["extract", good, "-o", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 0
    assert re.fullmatch(r"done: 1 document, \d+ sentences", result.stderr.splitlines()[-1])
    result = CliRunner().invoke(
        main, ["extract", good, str(tmp_path / "nergens.pdf"), str(tmp_path / "leeg"), "-o", str(tmp_path / "s.jsonl")]
    )
    assert result.exit_code == 1
    assert f"error: {tmp_path / 'leeg'}: no .pdf or .txt files in this folder" in result.stderr
    assert re.search(r"done: 1 document \(2 failed\), \d+ sentences", result.stderr)


@pytest.mark.parametrize("args", [[], ["scan"], ["annotations", "convert"], ["tag"]], ids=lambda a: " ".join(a) or "policyscan")
def test_issue_12_dash_h_is_help(args):
    result = CliRunner().invoke(main, [*args, "-h"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("Usage: ") and "-h, --help" in result.output


def test_issue_12_progress_line_leaves_no_stale_characters():
    import io

    from policyscan.progress import Progress

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Terminal()
    with Progress(2, "scan", stream=stream) as bar:
        bar.advance(extra="een-heel-lang-bestandsnaam-van-een-nota.pdf (120 pages)")
        bar.advance(extra="kort.pdf")
    first, second = stream.getvalue().rstrip("\n").split("\r")[1:]
    assert len(second) >= len(first) and second.rstrip().endswith("s") and "nota.pdf" not in second


# ---------------------------------------------------------------- wiring: municipalities, discovery warnings, outputs


def test_municipalities_prints_the_mapping_as_tsv(tmp_path):
    for folder, name in (("IJSSELSTEIN", "nota.pdf"), ("Lindenhoek", "nota.pdf"), ("Lindenhoek", "nota (1).pdf")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / name).write_bytes(b"%PDF-1.4\n" + folder.encode() + b"\n%%EOF\n")
    result = CliRunner().invoke(main, ["municipalities", str(tmp_path)])
    assert result.exit_code == 0, result.output
    rows = [line.split("\t") for line in result.stdout.splitlines()]
    assert rows[0] == ["path", "municipality", "code", "source", "match", "note"]
    assert rows[1] == [str(tmp_path / "IJSSELSTEIN" / "nota.pdf"), "IJsselstein", "GM0353", "folder", "official", ""]
    assert rows[2][1:5] == ["Lindenhoek", "", "folder", "unmatched"] and len(rows) == 3
    assert f"warning: {tmp_path / 'Lindenhoek' / 'nota (1).pdf'}: same bytes as" in result.stderr
    assert "warning: not on the list of Dutch municipalities: Lindenhoek" in result.stderr
    assert result.stderr.splitlines()[-1] == "done: 2 documents, 2 municipalities, 1 not on the official list"


def test_extract_prints_discovery_warnings(suite, tmp_path):
    (tmp_path / "Lindenhoek").mkdir()
    shutil.copy(suite["root"] / "brief.pdf", tmp_path / "Lindenhoek" / "brief.pdf")
    shutil.copy(suite["root"] / "brief.pdf", tmp_path / "Lindenhoek" / "brief (1).pdf")
    result = CliRunner().invoke(main, ["extract", str(tmp_path), "-o", "-", "-q"])
    assert result.exit_code == 0, result.output
    assert f"warning: {tmp_path / 'Lindenhoek' / 'brief (1).pdf'}: same bytes as {tmp_path / 'Lindenhoek' / 'brief.pdf'}" in result.stderr
    assert {json.loads(line)["doc_id"] for line in result.stdout.splitlines()} == {"brief"}


def test_extract_reads_a_utf16_text_file(tmp_path):
    text = "Vrijwilligers in Lindenhoek bezoeken eenzame ouderen. Zij drinken samen koffie in het buurthuis."
    (tmp_path / "notitie.txt").write_bytes(text.encode("utf-16"))
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "notitie.txt"), "-o", "-", "-q"])
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["text"] for line in result.stdout.splitlines()] == [
        "Vrijwilligers in Lindenhoek bezoeken eenzame ouderen.",
        "Zij drinken samen koffie in het buurthuis.",
    ]


def test_extract_to_a_fifo_a_symlink_dev_null_and_an_existing_file(suite, tmp_path):
    import os
    import threading

    brief = str(suite["root"] / "brief.pdf")
    fifo = tmp_path / "pijp"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    result = CliRunner().invoke(main, ["extract", brief, "-o", str(fifo), "-q"])
    reader.join(timeout=60)
    assert result.exit_code == 0, result.output
    assert fifo.is_fifo() and len(received[0].decode().splitlines()) == len(suite["truth"]["brief"].sentences)

    target, link = tmp_path / "echt.jsonl", tmp_path / "link.jsonl"
    target.write_text("oud\n", encoding="utf-8")
    link.symlink_to(target)
    result = CliRunner().invoke(main, ["extract", brief, "-o", str(link), "-q"])
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and json.loads(target.read_text(encoding="utf-8").splitlines()[0])["doc_id"] == "brief"
    assert f"warning: replacing existing {link}" in result.stderr

    assert CliRunner().invoke(main, ["extract", brief, "-o", os.devnull, "-q"]).exit_code == 0
    assert Path(os.devnull).is_char_device()


def test_annotations_convert_refuses_an_existing_file_but_writes_to_a_device(tmp_path):
    import os

    source = Path(__file__).parent / "data" / "buurt-natuur.jsonl"
    taxonomy = str(Path(__file__).parent / "data" / "buurt-natuur.toml")
    out = tmp_path / "uit.csv"
    out.write_text("van de onderzoeker\n", encoding="utf-8")
    args = ["annotations", "convert", str(source), "--to", "csv", "--taxonomy", taxonomy]
    result = CliRunner().invoke(main, [*args, "-o", str(out)])
    assert result.exit_code == 1 and f"{out} exists; pass --force to replace it" in result.output
    assert out.read_text(encoding="utf-8") == "van de onderzoeker\n"
    assert CliRunner().invoke(main, [*args, "-o", os.devnull]).exit_code == 0


def test_scan_prints_discovery_warnings(suite, tmp_path):
    (tmp_path / "in" / "Lindenhoek").mkdir(parents=True)
    shutil.copy(suite["root"] / "brief.pdf", tmp_path / "in" / "Lindenhoek" / "brief.pdf")
    shutil.copy(suite["root"] / "brief.pdf", tmp_path / "in" / "Lindenhoek" / "brief-kopie.pdf")
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "-q"])
    assert result.exit_code == 0, result.output
    assert "warning: not on the list of Dutch municipalities: Lindenhoek" in result.stderr
    assert f"warning: {tmp_path / 'in' / 'Lindenhoek' / 'brief-kopie.pdf'}: same bytes as" in result.stderr


def test_extract_does_not_warn_about_municipality_names(suite, tmp_path):
    """extract counts no municipalities, so a name not on the official list is no reason to warn."""
    (tmp_path / "in" / "Lindenhoek").mkdir(parents=True)
    shutil.copy(suite["root"] / "brief.pdf", tmp_path / "in" / "Lindenhoek" / "brief.pdf")
    result = CliRunner().invoke(main, ["extract", str(tmp_path / "in"), "-o", str(tmp_path / "out.jsonl"), "-q"])
    assert result.exit_code == 0, result.output
    assert "not on the list" not in result.stderr
