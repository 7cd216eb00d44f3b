"""Shared fixtures: a generated PDF suite, the Dutch pipeline, an isolated cache."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

import fixtures


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
    from pdfgen import Layout, PolicyPDF

    enc = PolicyPDF(Layout())
    enc.paragraph("Dit document is beveiligd met een wachtwoord.")
    enc.output(root / "beveiligd.pdf", user_password="geheim")
    data = (root / "nota.pdf").read_bytes()
    (root / "afgebroken.pdf").write_bytes(data[: len(data) // 2])
    (root / "geen-pdf.pdf").write_text("Dit is een tekstbestand met een verkeerde extensie.\n", encoding="utf-8")
    return {"root": root, "truth": good}


@pytest.fixture(scope="session")
def nlp():
    """The Dutch pipeline, loaded once."""
    from policyscan.segment import load_pipeline

    return load_pipeline("blank")
