"""The classifier: training, thresholds, persistence and its refusals, and the learning commands."""

from __future__ import annotations

import dataclasses
import json
import pickle
import re
import shutil
from pathlib import Path

import numpy as np
import pytest
import skops.io as sio
from click.testing import CliRunner
from conftest import SHIPPED_ANNOTATIONS, SHIPPED_MODEL, tampered_copy
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.tree import DecisionTreeClassifier

from policyscan.annotations import read_annotations
from policyscan.cli import main
from policyscan.errors import ModelError
from policyscan.model import ModelSettings, best_thresholds, score_steps, train
from policyscan.persist import CARD_JSON, MODEL_FILE, load_model, read_card
from policyscan.records import Prediction, ScoreFields
from policyscan.taxonomy import load_taxonomy, parse_taxonomy

TAX = load_taxonomy()
ROOT = Path(__file__).resolve().parent.parent
SENTENCES = [
    "Vrijwilligers van het maatjesproject bezoeken eenzame ouderen in Lindenhoek.",
    "De subsidieaanvraag moet voor 1 oktober binnen zijn.",
    "Omdat de gemeente moet bezuinigen, nemen vrijwilligers het beheer van de bibliotheek over.",
]


@pytest.mark.slow  # trains twice with cross-validation: about half the fast suite's time
def test_training_is_deterministic_for_a_seed(small_annotations):
    items = read_annotations(small_annotations, TAX)
    texts, label_sets = [a.text for a in items], [a.labels for a in items]
    one, _ = train(texts, label_sets, TAX.ids, ModelSettings(cv=3, seed=1))
    two, _ = train(texts, label_sets, TAX.ids, ModelSettings(cv=3, seed=1))
    assert np.array_equal(one.predict_proba(SENTENCES), two.predict_proba(SENTENCES))
    assert np.array_equal(one.thresholds, two.thresholds)


def test_thresholds_are_stored_and_used(small_model_dir):
    model = load_model(small_model_dir)
    card = read_card(small_model_dir)
    assert card["thresholds"] == pytest.approx(dict(zip(model.labels, model.thresholds, strict=True)))
    proba = model.predict_proba(SENTENCES)
    for prediction, row in zip(model.predict(SENTENCES), proba, strict=True):
        assert set(prediction.labels) == {lab for lab, p, t in zip(model.labels, row, model.thresholds, strict=True) if p >= t}
    model = dataclasses.replace(model, thresholds=np.full(len(model.labels), 1.01))
    assert all(p.labels == () for p in model.predict(SENTENCES))


def test_best_thresholds_pick_the_f1_optimum():
    y = np.array([[1], [1], [0], [0]])
    proba = np.array([[0.35], [0.30], [0.20], [0.10]])
    assert best_thresholds(y, proba)[0] == pytest.approx(0.3)


def test_small_model_predicts_obvious_sentences(small_model_dir):
    model = load_model(small_model_dir)
    lonely, procedure, cuts = model.predict(SENTENCES)
    assert "loneliness" in lonely.labels
    assert procedure.labels == ()
    assert "instrumentalisation" in cuts.labels


LABELS = ("loneliness", "care_ageing", "culture", "instrumentalisation")


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(
            st.one_of(st.floats(0, 1), st.sampled_from([0.0, 1.0, 0.00005, 0.99995, 0.12345, 0.00015, 5e-324, 0.9999])),
            min_size=len(LABELS),
            max_size=len(LABELS),
        ),
        min_size=1,
        max_size=8,
    ),
    st.lists(st.booleans(), min_size=len(LABELS), max_size=len(LABELS)),
)
def test_issue_13_score_fields_from_the_table_are_what_json_writes(rows, on):
    rounded = np.round(np.array(rows), 4)
    chosen = tuple(label for label, o in zip(LABELS, on, strict=True) if o)
    steps = score_steps(rounded)
    assert steps is not None
    fields = ScoreFields(LABELS)
    for row, k in zip(rounded.tolist(), steps, strict=True):
        assert fields.fields(chosen, k) == Prediction(chosen, dict(zip(LABELS, row, strict=True))).json_fields()


@pytest.mark.parametrize("bad", [np.nan, -0.0, -0.3, 1.2, np.inf])
def test_issue_13_scores_that_are_not_probabilities_have_no_steps(bad):
    assert score_steps(np.round(np.array([[0.5, bad]]), 4)) is None


def test_issue_13_predictions_carry_their_json_fields(small_model_dir):
    model = load_model(small_model_dir)
    for prediction in model.predict([*SENTENCES, "", "Lindenhoek"]):
        assert prediction.encoded == Prediction(prediction.labels, prediction.scores).json_fields()
        assert json.loads("{" + prediction.encoded + "}") == {"labels": list(prediction.labels), "scores": prediction.scores}


def test_save_then_load_gives_identical_scores(small_model_dir, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(small_model_dir, copy)
    assert np.array_equal(load_model(small_model_dir).predict_proba(SENTENCES), load_model(copy).predict_proba(SENTENCES))


def test_card_records_what_the_model_was_trained_with(small_model_dir):
    card = json.loads((small_model_dir / CARD_JSON).read_text(encoding="utf-8"))
    assert card["taxonomy"] == {"name": TAX.name, "digest": TAX.digest()}
    assert card["spacy_pipeline"].startswith("blank-nl-rules")
    assert set(card["versions"]) >= {"scikit-learn", "skops", "spacy", "python"}
    assert len(card["data"]["sha256"]) == 64 and card["cv_metrics"]["per_label"]["culture"]["support"] > 0
    assert (small_model_dir / "card.md").read_text(encoding="utf-8").startswith("# policyscan model card")


def test_pickle_is_refused(small_model_dir, tmp_path):
    bad = tmp_path / "m"
    bad.mkdir()
    (bad / MODEL_FILE).write_bytes(pickle.dumps({"pipeline": None}))
    with pytest.raises(ModelError, match="this is a pickle file; policyscan loads only skops model files"):
        load_model(bad)


def test_tampered_file_is_refused(small_model_dir, tmp_path):
    copy = tampered_copy(small_model_dir, tmp_path / "copy", MODEL_FILE)
    with pytest.raises(ModelError, match=r"refused|damaged"):
        load_model(copy)


def test_file_with_unexpected_types_is_refused(tmp_path):
    payload = {"format": 1, "pipeline": DecisionTreeClassifier(), "labels": ["x"], "thresholds": np.array([0.5])}
    (tmp_path / MODEL_FILE).write_bytes(sio.dumps(payload))
    with pytest.raises(ModelError, match=re.escape("types policyscan does not trust: sklearn.tree._classes.DecisionTreeClassifier")):
        load_model(tmp_path)


def test_model_refuses_another_taxonomy(small_model_dir):
    text = (load_taxonomy.__globals__["resources"].files("policyscan") / "data/taxonomy.toml").read_text(encoding="utf-8")
    other = parse_taxonomy(text.replace('id = "economy"', 'id = "business"'), "other.toml")
    with pytest.raises(ModelError, match="trained on a different taxonomy"):
        load_model(small_model_dir, other)


def test_train_rejects_unknown_labels(tmp_path):
    path = tmp_path / "a.jsonl"
    path.write_text(json.dumps({"text": SENTENCES[0], "labels": ["eenzaamheid"]}) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["train", str(path), "-o", str(tmp_path / "m")])
    assert result.exit_code == 1
    assert f"Error: {path}:1: unknown label 'eenzaamheid' (not in taxonomy 'policyscan-default')" in result.stderr


def test_train_refuses_to_overwrite(small_model_dir, small_annotations):
    result = CliRunner().invoke(main, ["train", str(small_annotations), "-o", str(small_model_dir)])
    assert result.exit_code == 1 and "already holds a model; pass --force" in result.stderr


def test_tag_json_matches_the_contract(small_model_dir):
    result = CliRunner().invoke(main, ["tag", "--json", "--model", str(small_model_dir)], input="\n".join(SENTENCES) + "\n")
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [list(r) for r in rows] == [["text", "labels", "scores"]] * 3
    assert [r["text"] for r in rows] == SENTENCES
    assert set(rows[0]["scores"]) == set(TAX.ids) and all(0 <= v <= 1 for v in rows[0]["scores"].values())


def test_issue_16_tag_reads_in_batches_and_writes_what_one_batch_would(small_model_dir):
    from policyscan.cli.learn import TAG_BATCH

    texts = [f"{SENTENCES[n % 3]} (regel {n})" for n in range(TAG_BATCH + 7)]
    lines = "\n".join(f"  {t}\n" if n % 500 == 0 else t for n, t in enumerate(texts)) + "\n"  # blank lines and spaces are skipped
    result = CliRunner().invoke(main, ["tag", "--json", "--model", str(small_model_dir), "-"], input=lines)
    assert result.exit_code == 0, result.output
    expected = load_model(small_model_dir, TAX).predict(texts)
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["text"] for r in rows] == texts
    assert [(tuple(r["labels"]), r["scores"]) for r in rows] == [(p.labels, p.scores) for p in expected]


def test_tag_explain_names_features(small_model_dir):
    result = CliRunner().invoke(main, ["tag", "--explain", "--model", str(small_model_dir), SENTENCES[0]])
    assert result.exit_code == 0
    [line] = [x for x in result.output.splitlines() if x.strip().startswith("loneliness ")]
    assert "threshold" in line
    features = re.findall(r"'([^']+)' \+", line)
    assert features, line
    sentence = SENTENCES[0].lower()
    assert all(f.strip() in sentence for f in features), features  # every named feature is an n-gram of the sentence


def test_evaluate_json_and_baseline(small_model_dir, heldout_annotations):
    result = CliRunner().invoke(main, ["evaluate", str(heldout_annotations), "--model", str(small_model_dir), "--json", "--errors", "3"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert {"micro_f1", "macro_f1", "per_label", "baseline", "errors", "macro_f1_by_group"} <= set(report)
    assert set(report["per_label"]["sport"]) >= {"precision", "recall", "f1", "support"}
    assert len(report["errors"]) == 3 and report["baseline"]["per_label"]["sport"]["support"] == report["per_label"]["sport"]["support"]
    assert report["macro_f1_by_group"]["risk"] > report["baseline"]["macro_f1_by_group"]["risk"]


#: How far a retrained model's probabilities may drift from the shipped ones. The same data and seed give the same
#: decisions, thresholds and metrics everywhere, but another CPU or BLAS sums in another order: on a colleague's machine
#: an instrumentalisation probability came out 7.6348e-4 instead of 7.6343e-4 (np.allclose's default rtol=1e-5 failed).
#: An absolute 1e-6 allows that rounding and nothing a real change of the model would cause; decisions are compared exactly.
PROBABILITY_TOLERANCE = 1e-6


@pytest.mark.slow
def test_shipped_model_reproduces_from_the_annotations():
    """Retraining with the card's settings on the shipped annotations gives the same data hash, thresholds, CV metrics and decisions."""
    from policyscan.training import data_digest, load_training_data, train_model

    card = read_card(SHIPPED_MODEL)
    items, _ = load_training_data([SHIPPED_ANNOTATIONS], TAX)
    assert data_digest(items) == card["data"]["sha256"], "the annotations changed since the model was trained: retrain the shipped model"
    result = train_model(items, TAX, ModelSettings(**{k: tuple(v) if isinstance(v, list) else v for k, v in card["settings"].items()}))
    assert result.cv_metrics == card["cv_metrics"]
    assert dict(zip(TAX.ids, map(float, result.model.thresholds), strict=True)) == card["thresholds"]
    shipped = load_model(SHIPPED_MODEL, TAX)
    texts = SENTENCES + [a.text for a in items[::20]]
    assert [p.labels for p in shipped.predict(texts)] == [p.labels for p in result.model.predict(texts)]
    assert np.abs(shipped.predict_proba(texts) - result.model.predict_proba(texts)).max() <= PROBABILITY_TOLERANCE


def test_tag_plain_output_is_labels_tab_text(small_model_dir):
    result = CliRunner().invoke(main, ["tag", "--model", str(small_model_dir), SENTENCES[1], SENTENCES[0]])
    assert result.exit_code == 0
    first, second = result.output.splitlines()
    assert first == f"-\t{SENTENCES[1]}"
    assert second.split("\t")[1] == SENTENCES[0] and "loneliness" in second.split("\t")[0]


def test_model_refuses_another_feature_pipeline(small_model_dir, tmp_path):
    """Features from a spaCy pipeline must not silently change: a card naming another pipeline is refused."""
    copy = tmp_path / "m"
    shutil.copytree(small_model_dir, copy)
    card = json.loads((copy / CARD_JSON).read_text(encoding="utf-8"))
    card["feature_pipeline"] = "nl_core_news_md-3.8.0/spacy-3.8.18/rules-1"
    (copy / CARD_JSON).write_text(json.dumps(card), encoding="utf-8")
    with pytest.raises(ModelError, match=re.escape("features come from spaCy pipeline nl_core_news_md-3.8.0")):
        load_model(copy)
    assert load_model(small_model_dir).card["feature_pipeline"] is None


def test_issue_10_card_describes_the_features_of_its_settings():
    from policyscan.training import describe_features

    assert describe_features(ModelSettings()) == read_card(SHIPPED_MODEL)["features"]
    assert "word 1-3-grams + character 2-4-grams" in describe_features(ModelSettings(word_ngrams=(1, 3), char_ngrams=(2, 4)))


def test_model_folder_is_named_by_its_folder_or_its_model_file(small_model_dir):
    from policyscan.persist import ModelFolder

    by_folder, by_file = ModelFolder.at(small_model_dir), ModelFolder.at(small_model_dir / MODEL_FILE)
    assert by_folder.folder == by_file.folder == small_model_dir and by_folder.model_file == by_file.model_file
    assert by_file.card() == by_folder.card() and by_file.verify(TAX)["labels"] == list(TAX.ids)
    assert np.allclose(by_file.load(TAX).predict_proba(SENTENCES), by_folder.load(TAX).predict_proba(SENTENCES))
    with pytest.raises(dataclasses.FrozenInstanceError):
        by_folder.load().thresholds = np.zeros(len(TAX.ids))


def test_folds_by_source_keep_each_document_on_one_side():
    from policyscan.model import folds

    rng = np.random.default_rng(0)
    y = (rng.random((120, 3)) < 0.3).astype(np.int8)
    groups = [f"doc{i // 6}" for i in range(120)]
    seen = []
    for train_rows, test_rows in folds(y, 5, 0, groups):
        assert not {groups[i] for i in train_rows} & {groups[i] for i in test_rows}
        seen.extend(test_rows.tolist())
    assert sorted(seen) == list(range(120))


def test_card_records_real_text_evaluation_with_baseline(small_model_dir):
    card = json.loads((small_model_dir / "card.json").read_text(encoding="utf-8"))
    assert card["cv"] == "by source document"
    [(name, entry)] = card["evaluations"].items()
    assert name == "heldout.jsonl" and entry["real_text"] is True
    assert set(entry["per_label"]) == set(TAX.ids) and "precision" in entry["per_label"]["care_ageing"]
    assert {"task_micro_f1", "task_macro_f1_headline", "instrumentalisation_f1", "risk_awareness_f1"} <= set(entry["headline"])
    assert entry["baseline"]["headline"]["task_micro_f1"] >= 0
    assert "heldout.jsonl (real municipal text" in (small_model_dir / "card.md").read_text(encoding="utf-8")


def test_evaluate_warns_when_given_training_sentences(small_model_dir, small_annotations, heldout_annotations):
    trained = CliRunner().invoke(main, ["evaluate", str(small_annotations), "--model", str(small_model_dir), "--errors", "0"])
    assert trained.exit_code == 0 and "the model was trained on" in trained.output
    held = CliRunner().invoke(main, ["evaluate", str(heldout_annotations), "--model", str(small_model_dir), "--errors", "0"])
    assert held.exit_code == 0 and "trained on" not in held.output
    assert "headline figures" in held.output and "instrumentalisation: predicted" in held.output
