"""Model folders: a model carries its own taxonomy, so a model is all tag, scan and evaluate need."""

from __future__ import annotations

import json
from pathlib import Path

import fixtures
import pytest
from click.testing import CliRunner
from conftest import SHIPPED_MODEL

from policyscan.cli import main
from policyscan.errors import ModelError
from policyscan.persist import TAXONOMY_FILE, ModelFolder, model_taxonomy
from policyscan.taxonomy import load_taxonomy, parse_taxonomy, taxonomy_toml

DATA = Path(__file__).parent / "data"
CUSTOM = DATA / "buurt-natuur.toml"


@pytest.fixture(scope="module")
def custom_model(tmp_path_factory) -> Path:
    """A model trained on a researcher's own two-label taxonomy."""
    out = tmp_path_factory.mktemp("models") / "buurt"
    args = ["train", str(DATA / "buurt-natuur.jsonl"), "--taxonomy", str(CUSTOM), "-o", str(out), "--cv", "2"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.parametrize("path", [None, CUSTOM], ids=["shipped", "custom"])
def test_taxonomy_toml_reads_back_as_the_same_taxonomy(path):
    taxonomy = load_taxonomy(path)
    assert parse_taxonomy(taxonomy_toml(taxonomy)) == taxonomy


def test_issue_12_model_folder_keeps_its_taxonomy(custom_model):
    assert (custom_model / TAXONOMY_FILE).exists()
    assert model_taxonomy(custom_model) == load_taxonomy(CUSTOM)
    assert model_taxonomy(custom_model, CUSTOM) == load_taxonomy(CUSTOM)
    assert ModelFolder.at(SHIPPED_MODEL).taxonomy() == load_taxonomy(), "a folder without taxonomy.toml has the shipped one"


def test_issue_12_tag_uses_the_models_own_taxonomy(custom_model):
    result = CliRunner().invoke(main, ["tag", "--model", str(custom_model), "--json", "Vrijwilligers planten bomen in het park."])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)["scores"]) == {"buurt", "natuur"}


def test_issue_12_tag_with_another_taxonomy_is_refused(custom_model, tmp_path):
    shipped = tmp_path / "shipped.toml"
    shipped.write_text(taxonomy_toml(load_taxonomy()), encoding="utf-8")
    result = CliRunner().invoke(main, ["tag", "--model", str(custom_model), "--taxonomy", str(shipped), "Buren helpen elkaar."])
    assert result.exit_code == 1
    assert "trained on a different taxonomy" in result.output


def test_issue_12_scan_uses_the_models_own_taxonomy(custom_model, tmp_path):
    (tmp_path / "in" / "Lindenhoek").mkdir(parents=True)
    fixtures.short_document(tmp_path / "in" / "Lindenhoek" / "brief.pdf")
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["scan", str(tmp_path / "in"), "-o", str(out), "--model", str(custom_model), "-q"])
    assert result.exit_code == 0, result.output
    header = (out / "coverage.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert "buurt_sentences" in header and "natuur_present" in header and "loneliness_sentences" not in header


def test_issue_12_changed_taxonomy_file_is_refused(custom_model, tmp_path):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(custom_model, copy)
    text = (copy / TAXONOMY_FILE).read_text(encoding="utf-8")
    (copy / TAXONOMY_FILE).write_text(text.replace("Natuur en groen", "Natuur"), encoding="utf-8")
    with pytest.raises(ModelError, match="changed after training"):
        model_taxonomy(copy)
