"""Measures of how varied an annotation set is: template openings, stock phrases, near duplicates."""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Sequence


def words(text: str) -> list[str]:
    """Lowercased word tokens."""
    return re.findall(r"\w+", text.lower())


def shared_openings(texts: Sequence[str], n_words: int = 3, crowd: int = 10) -> float:
    """The share of sentences whose first `n_words` words are shared with `crowd` or more other sentences."""
    openings = Counter(" ".join(words(t)[:n_words]) for t in texts)
    return sum(n for n in openings.values() if n > crowd) / max(len(texts), 1)


def stock_phrase_share(texts: Sequence[str], n_words: int = 5, crowd: int = 20) -> float:
    """The share of sentences containing an `n_words`-word run that occurs in `crowd` or more sentences."""
    where: dict[str, set[int]] = defaultdict(set)
    for i, text in enumerate(texts):
        w = words(text)
        for j in range(len(w) - n_words + 1):
            where[" ".join(w[j : j + n_words])].add(i)
    hit = set().union(*(s for s in where.values() if len(s) >= crowd)) if where else set()
    return len(hit) / max(len(texts), 1)


def _shingles(text: str) -> set[tuple[str, ...]]:
    w = words(text)
    return set(zip(w, w[1:], w[2:], strict=False)) or {tuple(w)}


def near_duplicates(texts: Sequence[str], threshold: float = 0.8) -> list[tuple[int, int, float]]:
    """Pairs of sentences whose word-3-gram Jaccard similarity is at least `threshold` (prefix filtering keeps it fast)."""
    sets = [_shingles(t) for t in texts]
    frequency = Counter(s for shingles in sets for s in shingles)
    index: dict[tuple[str, ...], list[int]] = defaultdict(list)
    pairs = []
    for i, shingles in enumerate(sets):
        ordered = sorted(shingles, key=lambda s: (frequency[s], s))
        prefix = ordered[: len(ordered) - math.ceil(threshold * len(ordered)) + 1]
        candidates = {j for s in prefix for j in index[s]}
        for j in sorted(candidates):
            jaccard = len(shingles & sets[j]) / len(shingles | sets[j])
            if jaccard >= threshold:
                pairs.append((j, i, round(jaccard, 3)))
        for s in prefix:
            index[s].append(i)
    return pairs


def variety(texts: Sequence[str]) -> dict[str, float]:
    """All three measures, as shares of sentences."""
    pairs = near_duplicates(texts)
    involved = {i for pair in pairs for i in pair[:2]}
    return {
        "shared_opening_share": round(shared_openings(texts), 4),
        "stock_phrase_share": round(stock_phrase_share(texts), 4),
        "near_duplicate_pairs": len(pairs),
        "near_duplicate_share": round(len(involved) / max(len(texts), 1), 4),
    }
