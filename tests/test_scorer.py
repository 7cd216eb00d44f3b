"""The exported scorer gives scikit-learn's probabilities, from arrays that cannot run code."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from conftest import SHIPPED_ANNOTATIONS

from policyscan.errors import ModelError
from policyscan.persist import SCORER_FILE, load_model
from policyscan.scorer import Scorer, _char_wb_ngrams

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def texts() -> list[str]:
    lines = (SHIPPED_ANNOTATIONS / "negatives_domain.jsonl").read_text(encoding="utf-8").splitlines()
    extra = ["", "   ", "Ë É ä", "a", "Vrijwilligers!!! 2025 — e-mail: info@lindenhoek.nl", "Ééééé."]
    return [json.loads(line)["text"] for line in lines[:400]] + extra


def test_scorer_equals_the_sklearn_pipeline(small_model_dir, texts):
    model = load_model(small_model_dir)
    expected = model.estimator.predict_proba(texts)
    assert np.allclose(model.predict_proba(texts), expected, rtol=0, atol=1e-12)
    assert np.allclose(Scorer.from_pipeline(model.estimator).predict_proba(texts), expected, rtol=0, atol=1e-12)


@pytest.mark.parametrize("word_ngrams, char_ngrams", [((1, 1), (2, 4)), ((1, 3), (3, 5)), ((2, 2), (4, 4))])
def test_scorer_equals_sklearn_for_other_ngram_ranges(texts, word_ngrams, char_ngrams):
    """The token-pair path (unigrams and bigrams), the string path for other word ranges and the per-word character counts."""
    from policyscan.model import ModelSettings, build_pipeline

    lines = (SHIPPED_ANNOTATIONS / "negatives_domain.jsonl").read_text(encoding="utf-8").splitlines()
    train = [json.loads(line)["text"] for line in lines[400:700]]
    y = np.array([[("gemeente" in t.lower()), ("vrijwillig" in t.lower())] for t in train], dtype=int)
    pipeline = build_pipeline(ModelSettings(word_ngrams=word_ngrams, char_ngrams=char_ngrams)).fit(train, y)
    tricky = [
        "de de de gemeente gemeente",
        "a\tb\u00a0\u00a0c  d",
        "e-mail: info@lindenhoek.nl (zie www.lindenhoek.nl)",
        "x_y 12 3",
        "banaan ananas bananananas",  # an n-gram twice in one word
        "fietsen \U0001f642 中文 ﬁets Ωμέγα \x00",  # characters past U+0FFF take the string path
    ]
    expected = pipeline.predict_proba(texts + tricky)
    assert np.allclose(Scorer.from_pipeline(pipeline).predict_proba(texts + tricky), expected, rtol=0, atol=1e-12)


def test_char_ngrams_match_sklearn():
    from sklearn.feature_extraction.text import TfidfVectorizer

    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)).build_analyzer()
    for word in ["vrijwilligers", "ab", "a", "mantelzorgondersteuning"]:
        assert _char_wb_ngrams(word, 3, 5) == analyzer(word)


def test_scorer_file_holds_no_objects(small_model_dir):
    with np.load(small_model_dir / SCORER_FILE, allow_pickle=False) as data:
        assert all(data[name].dtype != object for name in data.files)


def test_tampered_scorer_is_refused(small_model_dir, tmp_path):
    import shutil

    copy = tmp_path / "m"
    shutil.copytree(small_model_dir, copy)  # a valid npz with other thresholds, not a damaged file
    scorer = Scorer.load(copy / SCORER_FILE)
    scorer.extra["thresholds"] = np.zeros_like(scorer.extra["thresholds"])
    scorer.save(copy / SCORER_FILE)
    with pytest.raises(ModelError, match="does not match its card"):
        load_model(copy)


def test_scan_refuses_a_tampered_model_without_loading_it(small_model_dir, tmp_path):
    from click.testing import CliRunner
    from conftest import tampered_copy

    from policyscan.cli import main

    copy = tampered_copy(small_model_dir, tmp_path / "m", SCORER_FILE)
    doc = tmp_path / "Lindenhoek" / "notitie.txt"
    doc.parent.mkdir()
    doc.write_text("Vrijwilligers bezoeken eenzame ouderen.\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["scan", str(doc), "-o", str(tmp_path / "out"), "--model", str(copy)])
    assert result.exit_code == 1
    assert f"Error: {copy / SCORER_FILE}: refused, the file does not match its card" in result.stderr
    assert not (tmp_path / "out").exists()


def test_word_cache_is_bounded_and_changes_no_score(small_model_dir, texts, monkeypatch):
    """Tagging an endless stream keeps at most CACHE_WORDS words' token numbers; starting afresh changes no probability."""
    from policyscan.scorer import _TokenPairs

    model = load_model(small_model_dir)
    expected = model.estimator.predict_proba(texts)
    monkeypatch.setattr(_TokenPairs, "CACHE_WORDS", 50)
    scorer = Scorer.from_pipeline(model.estimator)
    pairs = [block._pairs for block in scorer.blocks if block._pairs is not None]
    assert pairs, "the word block uses the token-pair path"
    for start in range(0, len(texts), 40):  # batches, as `tag` reads them
        got = scorer.predict_proba(texts[start : start + 40])
        assert np.allclose(got, expected[start : start + 40], rtol=0, atol=1e-12)
        assert all(len(p._cache) <= 50 for p in pairs)
