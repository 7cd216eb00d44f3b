"""The sentence classifier: word and character n-grams, one logistic regression per label, a threshold per label."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .records import Prediction, ScoreFields
from .scorer import Scorer

if TYPE_CHECKING:  # scikit-learn is imported only to train, never to tag
    from sklearn.pipeline import Pipeline

THRESHOLD_GRID = np.round(np.arange(0.10, 0.91, 0.025), 3)


@dataclass(frozen=True)
class ModelSettings:
    """Hyperparameters of the classifier; defaults are the shipped model's."""

    word_ngrams: tuple[int, int] = (1, 2)
    char_ngrams: tuple[int, int] = (3, 5)
    min_df: int = 2
    C: float = 8.0
    cv: int = 5
    seed: int = 0
    #: "source": cross-validate by source document (a document's sentences never on both sides of a fold);
    #: "sentence": sentence by sentence.
    cv_by: str = "source"

    def __post_init__(self) -> None:
        if self.cv < 2:
            raise ValueError("cv must be at least 2")
        if self.C <= 0:
            raise ValueError("C must be positive")
        if self.cv_by not in ("source", "sentence"):
            raise ValueError("cv_by must be 'source' or 'sentence'")


def build_pipeline(settings: ModelSettings) -> Pipeline:
    """Features that suit Dutch compounds (character n-grams within words) plus word n-grams, and one-vs-rest logistic regression."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.multiclass import OneVsRestClassifier
    from sklearn.pipeline import FeatureUnion, Pipeline

    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=settings.word_ngrams, lowercase=True, sublinear_tf=True, min_df=settings.min_df)),
            (
                "chars",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=settings.char_ngrams, lowercase=True, sublinear_tf=True, min_df=settings.min_df
                ),
            ),
        ]
    )
    classifier = LogisticRegression(C=settings.C, class_weight="balanced", solver="liblinear", random_state=settings.seed, max_iter=2000)
    return Pipeline([("features", features), ("classifier", OneVsRestClassifier(classifier))])


def label_matrix(label_sets: Sequence[Sequence[str]], labels: Sequence[str]) -> np.ndarray:
    """A 0/1 matrix, one row per sentence, one column per label."""
    index = {label: i for i, label in enumerate(labels)}
    y = np.zeros((len(label_sets), len(labels)), dtype=np.int8)
    for row, label_set in enumerate(label_sets):
        for label in label_set:
            y[row, index[label]] = 1
    return y


def score_steps(rounded: np.ndarray) -> list[list[int]] | None:
    """Scores rounded to 4 decimals as whole steps of 1/10000 (`np.round` divided `rint(x * 10**4)` by 10**4, so each
    score is exactly its steps / 10000), or None when one is not a probability (NaN, below 0 or -0.0, above 1)."""
    steps = np.rint(rounded * 10000)
    if not (np.isfinite(steps).all() and (steps >= 0).all() and (steps <= 10000).all()) or np.signbit(steps).any():
        return None
    return steps.astype(np.int64).tolist()


def best_thresholds(y: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Per label, the threshold on the grid that gives the highest F1 (ties: the one nearest 0.5)."""
    thresholds = np.full(y.shape[1], 0.5)
    for j in range(y.shape[1]):
        if y[:, j].sum() == 0:
            continue
        scores = [(_f1(y[:, j], proba[:, j] >= t), -abs(t - 0.5), t) for t in THRESHOLD_GRID]
        thresholds[j] = max(scores)[2]
    return thresholds


def _f1(truth: np.ndarray, decided: np.ndarray) -> float:
    tp = int(np.sum(truth & decided))
    denominator = int(truth.sum() + decided.sum())
    return 2 * tp / denominator if denominator else 0.0


def folds(y: np.ndarray, cv: int, seed: int, groups: Sequence[str] | None = None) -> list[tuple[np.ndarray, np.ndarray]]:
    """Iteratively stratified folds, so every label is spread over all folds; with `groups`, whole groups.

    Grouped by source document, a document's sentences never sit on both sides of a fold, so the
    figures say how the model does on documents it has not seen. Groups are stratified by the labels
    they hold.
    """
    from iterstrat.ml_stratifiers import MultilabelStratifiedKFold

    splitter = MultilabelStratifiedKFold(n_splits=cv, shuffle=True, random_state=seed)
    if groups is None:
        return list(splitter.split(np.zeros((len(y), 1)), y))
    names, member = np.unique(np.asarray(groups, dtype=str), return_inverse=True)
    if len(names) < cv:
        raise ValueError(f"cross-validation by source needs at least {cv} sources; found {len(names)}")
    held = np.zeros((len(names), y.shape[1]), dtype=np.int8)
    np.maximum.at(held, member, y.astype(np.int8))
    return [(np.flatnonzero(np.isin(member, train)), np.flatnonzero(np.isin(member, test))) for train, test in splitter.split(held, held)]


@dataclass(frozen=True)
class CrossValidation:
    """Out-of-fold probabilities, and decisions made with thresholds chosen without the fold itself."""

    proba: np.ndarray
    decisions: np.ndarray


def cross_validate(texts: Sequence[str], y: np.ndarray, settings: ModelSettings, groups: Sequence[str] | None = None) -> CrossValidation:
    """Out-of-fold predictions (folds by `groups` when given); each fold's thresholds come from the other folds' out-of-fold scores."""
    from sklearn.base import clone

    texts = np.asarray(texts, dtype=object)
    proba = np.zeros(y.shape, dtype=float)
    splits = folds(y, settings.cv, settings.seed, groups)
    for train, test in splits:
        model = clone(build_pipeline(settings)).fit(texts[train], y[train])
        proba[test] = model.predict_proba(texts[test])
    decisions = np.zeros(y.shape, dtype=bool)
    for _, test in splits:
        others = np.setdiff1d(np.arange(len(y)), test)
        decisions[test] = proba[test] >= best_thresholds(y[others], proba[others])
    return CrossValidation(proba, decisions)


@dataclass(frozen=True, eq=False)
class Model:
    """A trained classifier: its label set, thresholds, fast scorer and its card (what it was trained with).

    `estimator` is the scikit-learn pipeline it was exported from, loaded only when asked for.
    """

    labels: tuple[str, ...]
    thresholds: np.ndarray
    scorer: Scorer
    card: dict = field(default_factory=dict)
    estimator_source: Callable[[], Pipeline] | None = field(default=None, repr=False)

    @property
    def estimator(self) -> Pipeline:
        """The scikit-learn pipeline (loaded from the model file on first use)."""
        if self.estimator_source is None:
            raise ValueError("this model has no scikit-learn estimator attached")
        return self.estimator_source()

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities, one row per text, one column per label."""
        if not len(texts):
            return np.zeros((0, len(self.labels)))
        return self.scorer.predict_proba(list(texts))

    def decide(self, proba: np.ndarray) -> np.ndarray:
        """Decisions from probabilities with the stored thresholds."""
        return proba >= self.thresholds

    def predict(self, texts: Sequence[str]) -> list[Prediction]:
        """Labels and scores (rounded to 4 decimals) per text, with their JSON fields written."""
        proba = self.predict_proba(texts)
        decided = self.decide(proba)
        rounded = np.round(proba, 4)
        labels = self.labels
        chosen = [tuple(label for label, on in zip(labels, row_on, strict=True) if on) for row_on in decided.tolist()]
        scores = [dict(zip(labels, row, strict=True)) for row in rounded.tolist()]
        steps = score_steps(rounded)
        if steps is None:  # not probabilities: written as json writes them
            return [Prediction(c, s).with_json() for c, s in zip(chosen, scores, strict=True)]
        fields = ScoreFields(labels)
        return [Prediction(c, s, fields.fields(c, k)) for c, s, k in zip(chosen, scores, steps, strict=True)]

    def explain(self, text: str, top: int = 5) -> dict[str, list[tuple[str, float]]]:
        """Per label, the features of `text` that pushed its score up the most (feature, contribution)."""
        result = {}
        for label, pairs in zip(self.labels, self.scorer.contributions(text), strict=True):
            result[label] = [(feature, round(c, 3)) for feature, c in sorted(pairs, key=lambda fc: -fc[1])[:top]]
        return result


def train(
    texts: Sequence[str],
    label_sets: Sequence[Sequence[str]],
    labels: Sequence[str],
    settings: ModelSettings,
    groups: Sequence[str] | None = None,
) -> tuple[Model, CrossValidation]:
    """Cross-validate (by `groups`, the source documents, when given), choose thresholds on the out-of-fold scores, and fit on all data."""
    y = label_matrix(label_sets, labels)
    missing = [label for label, n in zip(labels, y.sum(axis=0), strict=True) if n < settings.cv]
    if missing:
        raise ValueError(f"too few positive examples for cross-validation (need {settings.cv}): {', '.join(missing)}")
    validation = cross_validate(texts, y, settings, groups)
    thresholds = best_thresholds(y, validation.proba)
    estimator = build_pipeline(settings).fit(list(texts), y)
    return Model(tuple(labels), thresholds, Scorer.from_pipeline(estimator), estimator_source=lambda: estimator), validation
