"""Fast inference for the trained pipeline: the same probabilities, from plain arrays.

The scikit-learn pipeline (tf-idf word and character n-grams, one logistic
regression per label) is exported into vocabularies, idf weights and
coefficients. Scoring then needs only numpy and scipy: n-grams are computed
once per distinct word and cached, which is what makes tagging fast, and no
scikit-learn or skops import is needed to scan. The arrays are stored with
numpy's npz format and read with allow_pickle=False, so the file cannot run code.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern
_WHITE_SPACES = re.compile(r"\s\s+")


def _char_wb_ngrams(word: str, lo: int, hi: int) -> list[str]:
    """scikit-learn's char_wb n-grams of one word (padded with spaces)."""
    padded = f" {word} "
    grams = []
    for n in range(lo, hi + 1):
        offset = 0
        grams.append(padded[offset : offset + n])
        while offset + n < len(padded):
            offset += 1
            grams.append(padded[offset : offset + n])
        if offset == 0:
            break
    return grams


def _word_ngrams(tokens: list[str], lo: int, hi: int) -> list[str]:
    """scikit-learn's word n-grams: unigrams first, then longer n-grams joined by a space."""
    if hi == 1:
        return tokens
    grams = list(tokens) if lo == 1 else []
    for n in range(max(lo, 2), min(hi, len(tokens)) + 1):
        grams += [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return grams


@dataclass
class _Block:
    """One tf-idf vectorizer's part of the feature space and the coefficients on it."""

    kind: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    terms: np.ndarray
    idf: np.ndarray
    coef: np.ndarray  # (n_terms, n_labels)
    vocabulary: dict[str, int] = field(init=False, repr=False)
    _cache: dict[str, array] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        self.vocabulary = {str(term): i for i, term in enumerate(self.terms)}

    def _add_indices(self, text: str, indices: array) -> None:
        """Append the feature indices of one lowercased text (with repeats) to `indices`."""
        lo, hi = self.ngram_range
        vocab = self.vocabulary
        if self.kind == "word":
            indices.extend([vocab[g] for g in _word_ngrams(_TOKEN.findall(text), lo, hi) if g in vocab])
            return
        cache = self._cache
        for word in _WHITE_SPACES.sub(" ", text).split():
            known = cache.get(word)
            if known is None:
                known = cache[word] = array("q", [vocab[g] for g in _char_wb_ngrams(word, lo, hi) if g in vocab])
            indices.extend(known)

    def matrix(self, lowered: Sequence[str]) -> sp.csr_matrix:
        """The l2-normalised, sublinear tf-idf matrix of lowercased texts, as scikit-learn computes it."""
        import scipy.sparse as sp

        indptr, indices = array("q", [0]), array("q")
        for text in lowered:
            self._add_indices(text, indices)
            indptr.append(len(indices))
        data = np.ones(len(indices), dtype=np.float64)
        x = sp.csr_matrix(
            (data, np.frombuffer(indices, dtype=np.int64), np.frombuffer(indptr, dtype=np.int64)), shape=(len(lowered), len(self.terms))
        )
        x.sum_duplicates()
        np.log(x.data, x.data)
        x.data += 1.0
        x.data *= self.idf[x.indices]
        norms = np.sqrt(np.asarray(x.multiply(x).sum(axis=1)).ravel())
        norms[norms == 0.0] = 1.0
        x.data /= np.repeat(norms, np.diff(x.indptr))
        return x


class Scorer:
    """Per-label probabilities of sentences from exported tf-idf and logistic-regression arrays."""

    def __init__(self, blocks: list[_Block], intercept: np.ndarray, extra: dict[str, np.ndarray] | None = None) -> None:
        self.blocks = blocks
        self.intercept = intercept
        self.extra = extra or {}

    @classmethod
    def from_pipeline(cls, pipeline) -> Scorer:
        """Export a fitted pipeline of FeatureUnion(TfidfVectorizer...) + OneVsRestClassifier(LogisticRegression)."""
        estimators = pipeline.named_steps["classifier"].estimators_
        coef = np.vstack([e.coef_[0] for e in estimators]).T  # (n_features, n_labels)
        intercept = np.array([e.intercept_[0] for e in estimators], dtype=np.float64)
        blocks, start = [], 0
        for _, vectorizer in pipeline.named_steps["features"].transformer_list:
            _check_supported(vectorizer)
            terms = np.empty(len(vectorizer.vocabulary_), dtype=object)
            for term, index in vectorizer.vocabulary_.items():
                terms[index] = term
            stop = start + len(terms)
            kind = "word" if vectorizer.analyzer == "word" else "char_wb"
            blocks.append(
                _Block(kind, tuple(vectorizer.ngram_range), terms.astype(str), vectorizer.idf_.astype(np.float64), coef[start:stop])
            )
            start = stop
        return cls(blocks, intercept)

    def decision(self, texts: Sequence[str]) -> np.ndarray:
        """The linear decision values, one row per text."""
        lowered = [t.lower() for t in texts]
        scores = np.tile(self.intercept, (len(lowered), 1))
        for block in self.blocks:
            scores += block.matrix(lowered) @ block.coef
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Per-label probabilities (the logistic function of the decision values)."""
        return 1.0 / (1.0 + np.exp(-self.decision(texts)))

    def contributions(self, text: str) -> list[list[tuple[str, float]]]:
        """Per label, every feature of `text` with its contribution to the decision value."""
        lowered = [text.lower()]
        per_label: list[list[tuple[str, float]]] = [[] for _ in self.intercept]
        for block in self.blocks:
            row = block.matrix(lowered)
            for index, weight in zip(row.indices, row.data, strict=True):
                for j, c in enumerate(block.coef[index]):
                    per_label[j].append((str(block.terms[index]), float(weight * c)))
        return per_label

    def save(self, target: str | Path | BinaryIO) -> None:
        """Write the arrays (and `extra` arrays, e.g. labels and thresholds) as a compressed npz file, no pickled objects."""
        arrays = {f"extra_{k}": v for k, v in self.extra.items()} | {"intercept": self.intercept, "n_blocks": np.array(len(self.blocks))}
        for i, b in enumerate(self.blocks):
            arrays |= {
                f"b{i}_kind": np.array(b.kind),
                f"b{i}_range": np.array(b.ngram_range),
                f"b{i}_terms": np.asarray(b.terms, dtype=str),
                f"b{i}_idf": b.idf,
                f"b{i}_coef": b.coef,
            }
        np.savez_compressed(target, **arrays)

    @classmethod
    def load(cls, path: str | Path) -> Scorer:
        """Read a scorer written by `save`; object arrays are refused."""
        with np.load(path, allow_pickle=False) as data:
            blocks = [
                _Block(
                    str(data[f"b{i}_kind"]),
                    tuple(int(v) for v in data[f"b{i}_range"]),
                    data[f"b{i}_terms"],
                    data[f"b{i}_idf"],
                    data[f"b{i}_coef"],
                )
                for i in range(int(data["n_blocks"]))
            ]
            extra = {k.removeprefix("extra_"): data[k] for k in data.files if k.startswith("extra_")}
            return cls(blocks, data["intercept"], extra)


def _check_supported(vectorizer) -> None:
    expected = {
        "lowercase": True,
        "strip_accents": None,
        "preprocessor": None,
        "tokenizer": None,
        "stop_words": None,
        "norm": "l2",
        "use_idf": True,
        "sublinear_tf": True,
    }
    wrong = {k: getattr(vectorizer, k) for k, v in expected.items() if getattr(vectorizer, k) != v}
    if vectorizer.analyzer not in ("word", "char_wb") or vectorizer.token_pattern != _TOKEN.pattern or wrong:
        raise ValueError(f"cannot export this vectorizer to a fast scorer: {wrong or vectorizer.analyzer}")
