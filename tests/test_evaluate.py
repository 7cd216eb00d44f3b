"""Metrics: per label, n/a labels, and the headline figures of the real-text evaluation."""

from __future__ import annotations

import numpy as np
import pytest

from policyscan.evaluate import headline, metrics
from policyscan.taxonomy import load_taxonomy

TAX = load_taxonomy()
LABELS = TAX.ids


def _matrix(rows: list[set[str]]) -> np.ndarray:
    return np.array([[label in row for label in LABELS] for row in rows], dtype=bool)


def test_a_label_nobody_has_or_predicts_is_not_applicable_and_left_out_of_macro():
    truth = _matrix([{"loneliness"}, {"sport"}, set()])
    decided = _matrix([{"loneliness"}, {"sport"}, set()])
    m = metrics(truth, decided, LABELS, TAX)
    assert m["per_label"]["safety"]["f1"] is None and "safety" in m["not_applicable"]
    assert m["micro_f1"] == 1.0
    assert m["macro_f1"] == 1.0  # before: 11 labels at 0.0 pulled it down to 0.154
    assert m["macro_f1_by_group"]["task"] == 1.0


def test_a_label_predicted_without_truth_counts_as_zero():
    truth = _matrix([set(), set()])
    decided = _matrix([{"culture"}, set()])
    m = metrics(truth, decided, LABELS, TAX)
    assert m["per_label"]["culture"]["f1"] == 0.0 and "culture" not in m["not_applicable"]
    assert m["macro_f1"] == 0.0


def test_headline_figures_equal_a_hand_computation():
    truth = _matrix(
        [
            {"care_ageing", "instrumentalisation"},
            {"care_ageing"},
            {"sport"},
            {"economy"},
            {"risk_awareness"},
            set(),
            set(),
        ]
    )
    decided = _matrix(
        [
            {"care_ageing"},  # instrumentalisation missed
            {"care_ageing", "loneliness"},  # loneliness wrong
            set(),  # sport missed
            {"economy"},
            {"risk_awareness", "instrumentalisation"},  # instrumentalisation wrong
            {"risk_awareness"},  # wrong
            set(),
        ]
    )
    h = headline(truth, decided, LABELS, TAX)
    # task labels pooled: tp = care 2 + economy 1 = 3, fp = loneliness 1, fn = sport 1 -> F1 = 6 / (6 + 2)
    assert h["task_micro_f1"] == pytest.approx(0.75, abs=1e-4)
    # headline tasks with something to find or found: loneliness 0.0, care_ageing 1.0, sport 0.0 (economy is not a headline task)
    assert h["task_macro_f1_headline"] == pytest.approx(1 / 3, abs=1e-4)
    assert h["instrumentalisation_f1"] == 0.0 and h["instrumentalisation_predicted"] == 1 and h["instrumentalisation_true"] == 1
    assert h["risk_awareness_f1"] == pytest.approx(2 / 3, abs=1e-4)
    assert h["risk_awareness_predicted"] == 2 and h["risk_awareness_true"] == 1
    assert h["headline_tasks"] == list(TAX.roles.headline_tasks)
