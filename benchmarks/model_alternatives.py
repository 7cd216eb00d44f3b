"""Classifier alternatives side by side, on the same folds (cross-validation by source document).

Chooses by cross-validation on the shipped annotations only: the figure that decides is the
cross-validated one on the real-register files (`real*.jsonl`), the sentences most like what
researchers scan. Held-out files given with --check (e.g. ../shared/dev/real_dev.jsonl) are
scored after the choice, as an external check, never to choose.

    python benchmarks/model_alternatives.py                       # the default grid
    python benchmarks/model_alternatives.py --check ../shared/dev/real_dev.jsonl --check ../shared/dev/dev.jsonl

Writes benchmarks/results/model-alternatives.json and prints a table.

One alternative needs a package policyscan does not depend on: sentence embeddings from WordLlama (its
256-dimensional vectors ship inside the wheel; trained on English sentence pairs over Llama 2's multilingual
token table), the one set of pretrained vectors for Dutch text this machine can install. Measured with

    pip install wordllama
    python benchmarks/model_alternatives.py --check ../shared/dev/real_dev.jsonl --check ../shared/dev/dev.jsonl \
        --grid '{"C=8": {"C": 8}, "C=8 + WordLlama x1": {"C": 8, "embedding": 1}, "C=8 + WordLlama x3": {"C": 8, "embedding": 3}}' \
        --out benchmarks/results/model-alternatives-embedding.json
"""

from __future__ import annotations

import argparse
import functools
import json
import re
import time
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin, clone
from sklearn.pipeline import FeatureUnion, Pipeline

from policyscan.annotations import merge, read_many
from policyscan.evaluate import headline
from policyscan.model import ModelSettings, best_thresholds, build_pipeline, folds, label_matrix
from policyscan.taxonomy import load_taxonomy
from policyscan.training import DEFAULT_ANNOTATIONS, cv_groups

RESULTS = Path(__file__).parent / "results" / "model-alternatives.json"
FIGURES = ("task_micro_f1", "task_macro_f1_headline", "instrumentalisation_f1", "risk_awareness_f1")


class KeywordFeatures(BaseEstimator, TransformerMixin):
    """One 0/`weight` feature per label of the shipped keyword dictionary (the baseline's patterns)."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, texts, y=None):
        data = tomllib.loads((Path(__file__).parent.parent / "policyscan" / "data" / "keywords.toml").read_text(encoding="utf-8"))
        self.patterns_ = [re.compile("|".join(f"(?:{p})" for p in pats), re.IGNORECASE) for pats in data["keywords"].values()]
        return self

    def transform(self, texts):
        from scipy import sparse

        rows = [[self.weight * bool(p.search(t)) for p in self.patterns_] for t in texts]
        return sparse.csr_matrix(np.asarray(rows, dtype=float))


class NBLogistic(BaseEstimator, ClassifierMixin):
    """Per label, features scaled by their log-count ratio (NB-SVM, Wang and Manning 2012), then a copy of `estimator`."""

    def __init__(self, estimator, alpha: float = 1.0) -> None:
        self.estimator = estimator
        self.alpha = alpha

    def fit(self, X, y):
        present = (X > 0).astype(np.float64)
        self.ratios_, self.models_ = [], []
        for j in range(y.shape[1]):
            positive = y[:, j] == 1
            p = self.alpha + np.asarray(present[positive].sum(axis=0)).ravel()
            q = self.alpha + np.asarray(present[~positive].sum(axis=0)).ravel()
            ratio = np.log((p / p.sum()) / (q / q.sum()))
            self.ratios_.append(ratio)
            self.models_.append(clone(self.estimator).fit(X.multiply(ratio).tocsr(), y[:, j]))
        return self

    def predict_proba(self, X):
        return np.column_stack([m.predict_proba(X.multiply(r).tocsr())[:, 1] for r, m in zip(self.ratios_, self.models_, strict=True)])


class EmbeddingFeatures(BaseEstimator, TransformerMixin):
    """WordLlama's mean-pooled, unit-length sentence vector (256 dimensions) times `weight`, read offline from its wheel."""

    def __init__(self, weight: float = 1.0) -> None:
        self.weight = weight

    def fit(self, texts, y=None):
        return self

    def transform(self, texts):
        from scipy import sparse

        return sparse.csr_matrix(self.weight * _wordllama().embed(list(texts), norm=True))


@functools.cache
def _wordllama():
    """WordLlama's 256-dimensional model from the files in its wheel (its loader looks for the tokenizer in a folder
    named differently from the one the wheel has, then tries to download it: a cache folder of links avoids both)."""
    import tempfile

    import wordllama
    from wordllama import WordLlama

    package = Path(wordllama.__file__).parent
    cache = Path(tempfile.mkdtemp(prefix="wordllama-"))
    (cache / "tokenizer").symlink_to(package / "tokenizers")
    (cache / "weights").symlink_to(package / "weights")
    return WordLlama.load(dim=256, cache_dir=cache, disable_download=True)


def estimator(settings: ModelSettings, keywords: float, nb: bool = False, embedding: float = 0.0) -> Pipeline:
    """The shipped pipeline, optionally with keyword features or sentence embeddings next to the n-grams, or with NB-scaled features per label."""
    pipe = build_pipeline(settings)
    if nb:
        pipe = Pipeline([pipe.steps[0], ("classifier", NBLogistic(pipe.named_steps["classifier"].estimator))])  # the shipped regression
    extra = [("keywords", KeywordFeatures(keywords))] if keywords else []
    extra += [("embedding", EmbeddingFeatures(embedding))] if embedding else []
    if extra:
        features = pipe.named_steps["features"]
        pipe = Pipeline([("features", FeatureUnion([*features.transformer_list, *extra])), *pipe.steps[1:]])
    return pipe


def realistic_documents(y: np.ndarray, groups: list[str] | None, share: float = 0.65) -> np.ndarray:
    """Sentences of source documents in which at least `share` of the sentences carry no label (real documents: about two thirds)."""
    if groups is None:
        return np.ones(len(y), dtype=bool)
    _, member = np.unique(np.asarray(groups), return_inverse=True)
    unlabelled = np.bincount(member, weights=~y.any(axis=1)) / np.bincount(member)
    return unlabelled[member] >= share


def cross_validated(
    texts: np.ndarray,
    y: np.ndarray,
    splits: list,
    settings: ModelSettings,
    keywords: float,
    choose_on: np.ndarray,
    nb: bool = False,
    embedding: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Decisions per fold, with thresholds chosen on the other folds' out-of-fold scores of the sentences in `choose_on`."""
    proba = np.zeros(y.shape)
    for train, test in splits:
        proba[test] = clone(estimator(settings, keywords, nb, embedding)).fit(texts[train], y[train]).predict_proba(texts[test])
    decided = np.zeros(y.shape, dtype=bool)
    for _, test in splits:
        others = np.setdiff1d(np.arange(len(y)), test)
        others = others[choose_on[others]]
        decided[test] = proba[test] >= best_thresholds(y[others], proba[others])
    return decided, best_thresholds(y[choose_on], proba[choose_on])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="append", default=[], help="held-out file to score after the choice (repeatable)")
    parser.add_argument(
        "--grid",
        default='{"C=16": {"C": 16}, "C=8": {"C": 8}, "C=4": {"C": 4}, "C=8 + keywords": {"C": 8, "keywords": 1}, '
        '"C=8, thresholds on realistic documents": {"C": 8, "thresholds": "realistic"}, "C=8, NB-scaled features": {"C": 8, "nb": true}}',
        help='JSON: name -> {"C": ..., "keywords": weight, "thresholds": "all" or "realistic" (documents >= 65%% unlabelled), "nb": true, '
        '"embedding": weight (needs wordllama)}',
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help=f"JSON file for the figures [default: {RESULTS}]")
    args = parser.parse_args()
    taxonomy = load_taxonomy()
    items, _ = merge(read_many([DEFAULT_ANNOTATIONS], taxonomy))
    texts = np.asarray([a.text for a in items], dtype=object)
    y = label_matrix([a.labels for a in items], taxonomy.ids)
    real = np.asarray([Path(a.file).name.startswith("real") for a in items])
    base = ModelSettings()
    groups = cv_groups(items, base)
    splits = folds(y, base.cv, base.seed, groups)
    realistic = realistic_documents(y, groups)
    checks = {Path(f).name: read_many([f], taxonomy) for f in args.check}
    results = {}
    for name, spec in json.loads(args.grid).items():
        started = time.perf_counter()
        settings = replace(base, C=float(spec.get("C", base.C)))
        choose_on = realistic if spec.get("thresholds") == "realistic" else np.ones(len(y), dtype=bool)
        nb, keywords, embedding = bool(spec.get("nb", False)), float(spec.get("keywords", 0)), float(spec.get("embedding", 0))
        decided, thresholds = cross_validated(texts, y, splits, settings, keywords, choose_on, nb, embedding)
        row = {
            "cv_all": headline(y.astype(bool), decided, taxonomy.ids, taxonomy),
            "cv_real_register": headline(y[real].astype(bool), decided[real], taxonomy.ids, taxonomy),
            "cv_realistic_documents": headline(y[realistic].astype(bool), decided[realistic], taxonomy.ids, taxonomy),
        }
        if checks:
            fitted = estimator(settings, keywords, nb, embedding).fit(texts, y)
            for file, held in checks.items():
                truth = label_matrix([a.labels for a in held], taxonomy.ids).astype(bool)
                row[file] = headline(truth, fitted.predict_proba([a.text for a in held]) >= thresholds, taxonomy.ids, taxonomy)
        row["seconds"] = round(time.perf_counter() - started, 1)
        results[name] = row
        print(name, {k: ([round(v[f], 3) for f in FIGURES] if isinstance(v, dict) else v) for k, v in row.items()}, flush=True)
    args.out.parent.mkdir(exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
