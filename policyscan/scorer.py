"""Fast inference for the trained pipeline: the same probabilities, from plain arrays.

The scikit-learn pipeline (tf-idf word and character n-grams, one logistic
regression per label) is exported into vocabularies, idf weights and
coefficients. Scoring then needs only numpy and scipy, and no scikit-learn or
skops import is needed to scan. What makes tagging fast: each batch numbers its
distinct words once; their character n-grams are found for all of them at once
as integers in a sorted array, and the texts' counts are one sparse product
(texts x words) @ (words x n-grams); word tokens are looked up once per distinct
word and bigrams as pairs of token numbers. The arrays are stored with
numpy's npz format and read with allow_pickle=False, so the file cannot run code.
"""

from __future__ import annotations

import itertools
import re
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np

if TYPE_CHECKING:
    import scipy.sparse as sp

_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # scikit-learn's default token_pattern


def _char_wb_ngrams(word: str, lo: int, hi: int) -> list[str]:
    """scikit-learn's char_wb n-grams of one word (padded with spaces), in its order."""
    padded = f" {word} "
    size = len(padded)
    grams = []
    for n in range(lo, hi + 1):
        grams += [padded[i : i + n] for i in range(max(1, size - n + 1))]
        if size <= n:
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


def _look_up(sorted_keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Which of `wanted` are in `sorted_keys`, and the value stored beside each one found."""
    if not len(sorted_keys):
        return np.zeros(len(wanted), dtype=bool), np.zeros(0, dtype=values.dtype)
    at = np.minimum(np.searchsorted(sorted_keys, wanted), len(sorted_keys) - 1)
    hit = sorted_keys[at] == wanted
    return hit, values[at[hit]]


@dataclass(frozen=True)
class _Words:
    """Lowercased texts as numbers of their distinct whitespace-separated words (both kinds of n-gram stay within or run over these)."""

    texts: Sequence[str]
    distinct: list[str]  # in first-seen order
    ids: np.ndarray  # the number of every word occurrence, text after text
    indptr: np.ndarray  # where each text's occurrences start in `ids`

    @classmethod
    def of(cls, lowered: Sequence[str]) -> _Words:
        """Split lowercased texts as scikit-learn's char_wb analyzer does (on runs of white space)."""
        local: defaultdict[str, int] = defaultdict(itertools.count().__next__)
        number = local.__getitem__
        ids, indptr = array("q"), array("q", [0])
        for text in lowered:
            ids.extend(map(number, text.split()))
            indptr.append(len(ids))
        return cls(lowered, list(local), np.frombuffer(ids, dtype=np.int64), np.frombuffer(indptr, dtype=np.int64))

    def per_text(self, per_word: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """The concatenation, text by text, of each word occurrence's array in `per_word`, and the text each entry belongs to."""
        lengths = np.fromiter((len(a) for a in per_word), dtype=np.int64, count=len(per_word))
        flat = np.concatenate(per_word) if per_word else np.zeros(0, dtype=np.int64)
        starts = np.cumsum(lengths) - lengths
        occurrence_lengths = lengths[self.ids]
        total = int(occurrence_lengths.sum())
        ends = np.cumsum(occurrence_lengths)
        positions = np.repeat(starts[self.ids] - (ends - occurrence_lengths), occurrence_lengths) + np.arange(total, dtype=np.int64)
        texts = np.repeat(np.repeat(np.arange(len(self.texts), dtype=np.int64), np.diff(self.indptr)), occurrence_lengths)
        return flat[positions], texts


@dataclass
class _Block:
    """One tf-idf vectorizer's part of the feature space and the coefficients on it."""

    kind: str  # "word" or "char_wb"
    ngram_range: tuple[int, int]
    terms: np.ndarray
    idf: np.ndarray
    coef: np.ndarray  # (n_terms, n_labels)
    vocabulary: dict[str, int] = field(init=False, repr=False)
    _grams: _GramKeys | None = field(init=False, repr=False, default=None)
    _pairs: _TokenPairs | None = field(init=False, repr=False, default=None)

    def __post_init__(self) -> None:
        self.vocabulary = {str(term): i for i, term in enumerate(self.terms)}
        if self.kind == "word" and self.ngram_range[0] == 1 and self.ngram_range[1] <= 2:
            self._pairs = _TokenPairs(self.vocabulary)

    def _counts(self, words: _Words) -> sp.csr_matrix:
        """How often each feature occurs in each text, in CSR form with no repeats (sorted except for character n-grams)."""
        import scipy.sparse as sp

        if self.kind == "char_wb":
            return self._char_counts(words)  # a product of two matrices holds no repeats; sorting them costs a sixth of the time
        if self._pairs is not None:
            x = self._pairs.counts(words, len(self.terms))
        else:
            lo, hi = self.ngram_range
            vocab = self.vocabulary
            indptr, indices = array("q", [0]), array("q")
            for text in words.texts:
                indices.extend([vocab[g] for g in _word_ngrams(_TOKEN.findall(text), lo, hi) if g in vocab])
                indptr.append(len(indices))
            data = np.ones(len(indices), dtype=np.float64)
            x = sp.csr_matrix(
                (data, np.frombuffer(indices, dtype=np.int64), np.frombuffer(indptr, dtype=np.int64)),
                shape=(len(words.texts), len(self.terms)),
            )
        x.sum_duplicates()
        return x

    def _char_counts(self, words: _Words) -> sp.csr_matrix:
        """Character n-gram counts as (texts x distinct words) @ (distinct words x n-grams): each word's n-grams are found once."""
        import scipy.sparse as sp

        if self._grams is None:
            self._grams = _GramKeys(self.vocabulary, self.ngram_range)
        word_index, feature_index = self._grams.find(words.distinct)
        per_word = sp.csr_matrix((np.ones(len(feature_index)), (word_index, feature_index)), shape=(len(words.distinct), len(self.terms)))
        occurrences = sp.csr_matrix((np.ones(len(words.ids)), words.ids, words.indptr), shape=(len(words.texts), len(words.distinct)))
        return (occurrences @ per_word).tocsr()

    def _weighted(self, words: _Words) -> tuple[sp.csr_matrix, np.ndarray]:
        """The sublinear tf-idf matrix before l2 normalisation, and each row's norm (1 for an empty row)."""
        x = self._counts(words)
        np.log(x.data, x.data)
        x.data += 1.0
        x.data *= self.idf[x.indices]
        rows = np.repeat(np.arange(x.shape[0]), np.diff(x.indptr))
        norms = np.sqrt(np.bincount(rows, weights=np.square(x.data), minlength=x.shape[0]))
        norms[norms == 0.0] = 1.0
        return x, norms

    def matrix(self, lowered: Sequence[str] | _Words) -> sp.csr_matrix:
        """The l2-normalised, sublinear tf-idf matrix of lowercased texts, as scikit-learn computes it."""
        x, norms = self._weighted(lowered if isinstance(lowered, _Words) else _Words.of(lowered))
        x.data /= np.repeat(norms, np.diff(x.indptr))
        return x

    def decision(self, words: _Words) -> np.ndarray:
        """This block's part of the decision values: the matrix times the coefficients, normalised after the product."""
        x, norms = self._weighted(words)
        return (x @ self.coef) / norms[:, None]


class _GramKeys:
    """scikit-learn's char_wb n-grams of many words at once, each n-gram read as one integer and looked up in a sorted array.

    An n-gram of at most five characters, all below U+1000, is the number with the digits
    (code point + 1) in base 4097: distinct n-grams give distinct numbers, and 4097**5 fits in 63 bits.
    Words with other characters (and words shorter than the smallest n) take scikit-learn's own loop.
    """

    BASE = 4097
    LONGEST = 5

    def __init__(self, vocabulary: dict[str, int], ngram_range: tuple[int, int]) -> None:
        self.vocabulary = vocabulary
        self.lo, self.hi = ngram_range
        self.numeric = self.hi <= self.LONGEST
        keys, index = [], []
        if self.numeric:
            for term, i in vocabulary.items():
                if len(term) <= self.LONGEST and all(ord(ch) < self.BASE - 1 for ch in term):
                    key = 0
                    for ch in term:
                        key = key * self.BASE + ord(ch) + 1
                    keys.append(key)
                    index.append(i)
        order = np.argsort(np.array(keys, dtype=np.int64))
        self.keys = np.array(keys, dtype=np.int64)[order]
        self.index = np.array(index, dtype=np.int64)[order]

    def find(self, words: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(word number, feature index) of every n-gram of `words` in the vocabulary, with repeats."""
        if not words:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        padded = "".join(f" {word} " for word in words)
        codes = np.frombuffer(padded.encode("utf-32-le"), dtype=np.uint32).astype(np.int64) + 1
        lengths = np.fromiter((len(word) + 2 for word in words), dtype=np.int64, count=len(words))
        starts = np.cumsum(lengths) - lengths
        other = (np.maximum.reduceat(codes, starts) >= self.BASE) | (lengths < self.lo) | (not self.numeric)
        word_of = np.repeat(np.arange(len(words), dtype=np.int64), lengths)
        end_of = (starts + lengths)[word_of]  # where each character's word ends
        found_words, found_features = [], []
        if self.numeric:
            key = codes.copy()
            position = np.arange(len(codes), dtype=np.int64)
            for n in range(1, self.hi + 1):
                if n > 1:
                    key = key[:-1] * self.BASE + codes[n - 1 :]
                if n < self.lo:
                    continue
                first = position[: len(key)]
                valid = (first + n <= end_of[: len(key)]) & ~other[word_of[: len(key)]]
                hit, features = _look_up(self.keys, self.index, key[valid])
                found_words.append(word_of[: len(key)][valid][hit])
                found_features.append(features)
        for number in np.flatnonzero(other):
            word = words[number]
            features = [i for i in map(self.vocabulary.get, _char_wb_ngrams(word, self.lo, self.hi)) if i is not None]
            found_words.append(np.full(len(features), number, dtype=np.int64))
            found_features.append(np.array(features, dtype=np.int64))
        if not found_words:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        return np.concatenate(found_words), np.concatenate(found_features)


class _TokenPairs:
    """Word unigrams and bigrams found by token number: tokens are looked up once per distinct word, pairs in one sorted array.

    scikit-learn's tokens (two or more word characters) never cross white space, so a text's tokens are
    those of its whitespace-separated words in turn. The token numbers of words seen before are remembered, up
    to `CACHE_WORDS` words: then the memory starts afresh, so that tagging an endless stream stays flat in memory.
    """

    CACHE_WORDS = 200_000

    def __init__(self, vocabulary: dict[str, int]) -> None:
        tokens: dict[str, int] = {}
        unigram, pairs = [], []
        for term, index in vocabulary.items():
            parts = term.split(" ")
            numbers = [tokens.setdefault(part, len(tokens)) for part in parts]
            (unigram if len(parts) == 1 else pairs).append((numbers, index))
        self.tokens = tokens
        self.unigram = np.full(len(tokens), -1, dtype=np.int64)
        for (number,), index in unigram:
            self.unigram[number] = index
        keys = np.array([a * len(tokens) + b for (a, b), _ in pairs], dtype=np.int64)
        order = np.argsort(keys)
        self.pair_keys = keys[order]
        self.pair_index = np.array([index for _, index in pairs], dtype=np.int64)[order]
        self._cache: dict[str, np.ndarray] = {}

    def _numbers(self, word: str) -> np.ndarray:
        known = self._cache.get(word)
        if known is None:
            if len(self._cache) >= self.CACHE_WORDS:
                self._cache.clear()
            get = self.tokens.get
            known = self._cache[word] = np.array([get(token, -1) for token in _TOKEN.findall(word)], dtype=np.int64)
        return known

    def counts(self, words: _Words, n_terms: int) -> sp.csr_matrix:
        """Unigram (and bigram) counts per text; a token outside the vocabulary is -1 and breaks no pair count."""
        import scipy.sparse as sp

        ids, rows = words.per_text([self._numbers(word) for word in words.distinct])
        known = ids >= 0
        cols, row_parts = [self.unigram[ids[known]]], [rows[known]]
        if len(ids) > 1:  # without bigrams in the vocabulary no pair is found
            first, second = ids[:-1], ids[1:]
            both = (first >= 0) & (second >= 0) & (rows[:-1] == rows[1:])
            hit, features = _look_up(self.pair_keys, self.pair_index, first[both] * len(self.tokens) + second[both])
            cols.append(features)
            row_parts.append(rows[:-1][both][hit])
        col, row = np.concatenate(cols), np.concatenate(row_parts)
        keep = col >= 0
        return sp.csr_matrix((np.ones(int(keep.sum())), (row[keep], col[keep])), shape=(len(words.texts), n_terms))


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
        words = _Words.of([t.lower() for t in texts])
        scores = np.tile(self.intercept, (len(texts), 1))
        for block in self.blocks:
            scores += block.decision(words)
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
