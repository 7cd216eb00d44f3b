"""Shared fixtures: a generated PDF suite, the Dutch pipeline, an isolated cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import fixtures

from policyscan.fileio import package_data


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own extraction cache, never the user's."""
    monkeypatch.setenv("POLICYSCAN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("POLICYSCAN_SPACY_PIPELINE", "blank")


@pytest.fixture(scope="session")
def suite(tmp_path_factory) -> dict:
    """The extraction suite: good PDFs with their truth, and bad inputs."""
    root = tmp_path_factory.mktemp("suite")
    good = {
        "nota": fixtures.policy_document(root / "nota.pdf"),
        "brief": fixtures.short_document(root / "brief.pdf"),
    }
    fixtures.image_only_document(root / "scan.pdf")
    from policyscan.testing.pdfgen import Layout, PolicyPDF

    enc = PolicyPDF(Layout())
    enc.paragraph("Dit document is beveiligd met een wachtwoord.")
    enc.output(root / "beveiligd.pdf", user_password="geheim")
    data = (root / "nota.pdf").read_bytes()
    (root / "afgebroken.pdf").write_bytes(data[: len(data) // 2])
    (root / "geen-pdf.pdf").write_text("Dit is een tekstbestand met een verkeerde extensie.\n", encoding="utf-8")
    return {"root": root, "truth": good}


@pytest.fixture(params=["pdfplumber", "pdfium"])
def engine(request) -> str:
    """Each extraction test runs on both PDF engines."""
    return request.param


@pytest.fixture(scope="session")
def nlp():
    """The Dutch pipeline, loaded once."""
    from policyscan.segment import load_nlp

    return load_nlp("blank")


ROOT = Path(__file__).resolve().parent.parent
SHIPPED_ANNOTATIONS = package_data("annotations")
SHIPPED_MODEL = package_data("model")


@pytest.fixture(scope="session")
def small_annotations(tmp_path_factory) -> Path:
    """Every sixth shipped annotation: a small, real training file."""
    import json

    lines = [line for f in sorted(SHIPPED_ANNOTATIONS.glob("*.jsonl")) for line in f.read_text(encoding="utf-8").splitlines()]
    path = tmp_path_factory.mktemp("ann") / "small.jsonl"
    path.write_text("\n".join(lines[::6]) + "\n", encoding="utf-8")
    assert all(json.loads(x)["text"] for x in lines[::6])
    return path


@pytest.fixture(scope="session")
def heldout_annotations(tmp_path_factory) -> Path:
    """Shipped annotations the small model never saw."""
    lines = [line for f in sorted(SHIPPED_ANNOTATIONS.glob("*.jsonl")) for line in f.read_text(encoding="utf-8").splitlines()]
    path = tmp_path_factory.mktemp("ann") / "heldout.jsonl"
    path.write_text("\n".join(lines[3::12]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def small_model_dir(small_annotations, heldout_annotations, tmp_path_factory) -> Path:
    """A model trained by the train command on the small file (3-fold CV), with the held-out file reported as real text."""
    from click.testing import CliRunner

    from policyscan.cli import main

    out = tmp_path_factory.mktemp("models") / "small"
    args = ["train", str(small_annotations), "-o", str(out), "--cv", "3", "--real-dev", str(heldout_annotations)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out


def tampered_copy(model_dir: Path, dest: Path, filename: str) -> Path:
    """A copy of a model folder with one byte in the middle of `filename` flipped."""
    import shutil

    shutil.copytree(model_dir, dest)
    data = bytearray((dest / filename).read_bytes())
    data[len(data) // 2] ^= 0xFF
    (dest / filename).write_bytes(bytes(data))
    return dest
