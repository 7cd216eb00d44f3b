"""Ligature glyphs that a font maps to private-use code points ("hee\\ue01et"), read back as the letters they stand for.

A font without a Unicode map for its ligatures gives each ligature a code
in the private-use area, and the code differs from font to font. Which
letters a code stands for is decided per document: every word that holds
it votes for the letter group that makes the most Dutch-looking words under
a character trigram model of the annotations shipped with policyscan.
"""

from __future__ import annotations

import functools
import math
import re
from collections import Counter, defaultdict

from ..fileio import package_data

_KNOWN_BONUS = 10.0
_PRIVATE = re.compile("[\ue000-\uf8ff]")
#: The letter groups fonts draw as one glyph, in order of preference when two score alike.
LETTER_GROUPS = ("fi", "fl", "ff", "ft", "ffi", "ffl", "fft", "fb", "fh", "fj", "fk", "tt", "st", "ct", "Th")


@functools.lru_cache(maxsize=1)
def _model() -> tuple[Counter, Counter, Counter, int]:
    """Word counts and character trigram and bigram counts of the shipped annotations (lower case, words padded with ^^ and $)."""
    words: Counter = Counter()
    for entry in package_data("annotations").glob("*.jsonl"):
        words.update(re.findall(r"[^\W\d_]+", entry.read_text(encoding="utf-8").lower()))
    tri: Counter = Counter()
    bi: Counter = Counter()
    for word, n in words.items():
        padded = f"^^{word}$"
        for i in range(len(padded) - 2):
            tri[padded[i : i + 3]] += n
            bi[padded[i : i + 2]] += n
    return words, tri, bi, len({k[2] for k in tri}) + 1


def _score(word: str) -> float:
    """How Dutch a word looks: its log-probability under the trigram model (add-one smoothing), plus a bonus when the
    annotations use the word itself."""
    words, tri, bi, alphabet = _model()
    padded = f"^^{word.lower()}$"
    total = sum(math.log((tri[padded[i : i + 3]] + 1) / (bi[padded[i : i + 2]] + alphabet)) for i in range(len(padded) - 2))
    return total + (_KNOWN_BONUS if words[word.lower()] else 0.0)


def guess(words: list[str]) -> dict[str, str]:
    """The letter group each private-use character in `words` most likely stands for."""
    found: dict[str, list[str]] = defaultdict(list)
    for word in words:
        for code in set(_PRIVATE.findall(word)):
            found[code].append(word)
    choice = {}
    for code, holders in found.items():
        votes = {group: sum(_score(_PRIVATE.sub("", w.replace(code, group))) for w in holders) for group in LETTER_GROUPS}
        choice[code] = max(LETTER_GROUPS, key=lambda g: (votes[g], -LETTER_GROUPS.index(g)))
    return choice


def has_private(text: str) -> bool:
    """True when `text` holds a private-use character."""
    return bool(_PRIVATE.search(text))


def replace(text: str, choice: dict[str, str]) -> str:
    """`text` with each guessed private-use character replaced by its letters."""
    return _PRIVATE.sub(lambda m: choice.get(m[0], m[0]), text)
