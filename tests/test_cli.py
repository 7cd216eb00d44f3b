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
