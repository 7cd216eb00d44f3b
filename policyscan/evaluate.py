"""Metrics per label and per group, the keyword baseline, and the worst errors."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from .taxonomy import Taxonomy


def metrics(y: np.ndarray, decided: np.ndarray, labels: Sequence[str], taxonomy: Taxonomy | None = None) -> dict:
    """Per-label precision, recall, F1 and support; micro and macro F1; macro F1 per label group; the headline figures.

    A label that no sentence carries and none is predicted has F1 `None` (n/a) and is left out of the macro
    averages: it says nothing about the model, and counting it as 0.0 would punish a small file for its topics.
    """
    y, decided = y.astype(bool), decided.astype(bool)
    per_label = {}
    for j, label in enumerate(labels):
        tp, fp, fn = _counts(y[:, j], decided[:, j])
        per_label[label] = _prf(tp, fp, fn) | {"support": int(y[:, j].sum()), "false_positives": fp, "false_negatives": fn}
    result = {
        "sentences": len(y),
        "micro_f1": _pooled_f1(y, decided),
        "macro_f1": _mean([per_label[label]["f1"] for label in labels]),
        "per_label": per_label,
        "not_applicable": [label for label in labels if per_label[label]["f1"] is None],
    }
    if taxonomy is not None:
        result["macro_f1_by_group"] = {
            g: _mean([per_label[lab]["f1"] for lab in taxonomy.group(g) if lab in per_label]) for g in taxonomy.groups
        }
        result["headline"] = headline(y, decided, labels, taxonomy)
    return result


def headline(y: np.ndarray, decided: np.ndarray, labels: Sequence[str], taxonomy: Taxonomy) -> dict:
    """The four figures the real-text evaluation is judged by, and how often the risk labels are predicted against how often they occur.

    task micro-F1 pools all task labels; task macro-F1 averages the taxonomy's headline task labels (the ones
    frequent in real documents); then the F1 of the risk and the safeguard label.
    """
    index = {label: j for j, label in enumerate(labels)}
    tasks = [index[label] for label in taxonomy.group("task") if label in index]
    frequent = [label for label in (taxonomy.roles.headline_tasks or taxonomy.group("task")) if label in index]
    figures: dict[str, object] = {
        "task_micro_f1": _pooled_f1(y[:, tasks], decided[:, tasks]),
        "task_macro_f1_headline": _mean([_f1_or_none(y[:, index[label]], decided[:, index[label]]) for label in frequent]),
        "headline_tasks": frequent,
    }
    for label in (taxonomy.roles.risk, taxonomy.roles.safeguard):
        if label in index:
            j = index[label]
            figures[f"{label}_f1"] = _pooled_f1(y[:, [j]], decided[:, [j]])
            figures[f"{label}_predicted"] = int(decided[:, j].sum())
            figures[f"{label}_true"] = int(y[:, j].sum())
    return figures


def _counts(y: np.ndarray, decided: np.ndarray) -> tuple[int, int, int]:
    """True positives, false positives and false negatives, pooled over every cell."""
    return int(np.sum(y & decided)), int(np.sum(~y & decided)), int(np.sum(y & ~decided))


def _f1_or_none(y: np.ndarray, decided: np.ndarray) -> float | None:
    return _prf(*_counts(y, decided))["f1"]


def _pooled_f1(y: np.ndarray, decided: np.ndarray) -> float:
    return _f1_or_none(y, decided) or 0.0


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | None]:
    """Precision, recall and F1; F1 is None when there is nothing to find and nothing was found."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    if tp + fp + fn == 0:
        return {"precision": None, "recall": None, "f1": None}
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def _mean(values: list[float | None]) -> float:
    known = [v for v in values if v is not None]
    return round(float(np.mean(known)), 4) if known else 0.0


@dataclass(frozen=True)
class KeywordBaseline:
    """A transparent dictionary classifier: a label when any of its patterns matches."""

    patterns: dict[str, re.Pattern[str]]

    @classmethod
    def load(cls, path: str | Path | None = None) -> KeywordBaseline:
        """The dictionary in `path`, or the one shipped with policyscan."""
        if path is None:
            text = resources.files("policyscan").joinpath("data/keywords.toml").read_text(encoding="utf-8")
        else:
            text = Path(path).read_text(encoding="utf-8")
        words = tomllib.loads(text)["keywords"]
        return cls({label: re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE) for label, pats in words.items()})

    def decide(self, texts: Sequence[str], labels: Sequence[str]) -> np.ndarray:
        """0/1 decisions per text and label (a label without patterns is never given)."""
        empty = re.compile(r"(?!x)x")
        return np.array([[bool(self.patterns.get(label, empty).search(t)) for label in labels] for t in texts], dtype=bool).reshape(
            len(texts), len(labels)
        )


def baseline_metrics(texts: Sequence[str], y: np.ndarray, labels: Sequence[str], taxonomy: Taxonomy | None = None) -> dict:
    """Metrics of the shipped keyword baseline on the same sentences and truth."""
    return metrics(y, KeywordBaseline.load().decide(texts, labels), labels, taxonomy)


def worst_errors(
    texts: Sequence[str], y: np.ndarray, proba: np.ndarray, thresholds: np.ndarray, labels: Sequence[str], n: int
) -> list[dict]:
    """The `n` most confident wrong decisions: (text, label, kind, score)."""
    errors = []
    decided = proba >= thresholds
    for i, j in zip(*np.nonzero(decided != y.astype(bool)), strict=True):
        kind = "false positive" if decided[i, j] else "false negative"
        errors.append(
            {
                "text": texts[i],
                "label": labels[j],
                "kind": kind,
                "score": round(float(proba[i, j]), 4),
                "margin": abs(float(proba[i, j] - thresholds[j])),
            }
        )
    errors.sort(key=lambda e: -e["margin"])
    return [{k: v for k, v in e.items() if k != "margin"} for e in errors[:n]]
