"""The small frozen records that flow between the stages."""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

BLOCK_KINDS = ("paragraph", "heading", "list_item", "table")


@dataclass(frozen=True)
class Document:
    """A source file and what is known about it before extraction."""

    doc_id: str
    path: str
    municipality: str
    code: str | None = None
    year: str | None = None
    title: str | None = None
    extra: tuple[tuple[str, str], ...] = ()  # the manifest's other columns (province, size class, ...), in its order


@dataclass(frozen=True)
class Block:
    """A unit of text on a page; `page_text[start:end] == text`."""

    kind: str
    text: str
    start: int
    end: int

    def __post_init__(self) -> None:
        if self.kind not in BLOCK_KINDS:
            raise ValueError(f"unknown block kind {self.kind!r}")


@dataclass(frozen=True)
class Page:
    """One page of clean text, cut into blocks in reading order."""

    number: int
    text: str
    blocks: tuple[Block, ...]
    ocr: bool = False


@dataclass(frozen=True)
class Extraction:
    """The pages of one file, with per-page problems that did not stop it."""

    path: str
    pages: tuple[Page, ...]
    warnings: tuple[str, ...] = ()

    @property
    def n_blocks(self) -> int:
        return sum(len(p.blocks) for p in self.pages)


@dataclass(frozen=True)
class Sentence:
    """A sentence with where it came from; `page.text[start:end] == text`."""

    doc_id: str
    path: str
    page: int
    index: int
    section: str | None
    text: str
    start: int
    end: int
    ocr: bool = False

    def to_dict(self) -> dict[str, object]:
        """The fields of `policyscan extract` output, in contract order; `"ocr": true` only for text read by OCR."""
        row: dict[str, object] = {
            "doc_id": self.doc_id,
            "path": self.path,
            "page": self.page,
            "index": self.index,
            "section": self.section,
            "text": self.text,
        }
        if self.ocr:
            row["ocr"] = True
        return row


@dataclass(frozen=True)
class Problem:
    """An input that could not be used or read: the file, its municipality (or ""), and the reason."""

    path: str
    municipality: str
    reason: str


@dataclass(frozen=True)
class Prediction:
    """Per-label probabilities of one sentence and the labels above threshold."""

    labels: tuple[str, ...]
    scores: dict[str, float] = field(hash=False, compare=True)
    #: `labels` and `scores` as a sentences.jsonl line holds them, once encoded (the tag cache keeps only this:
    #: encoding the scores anew was a quarter of a rescan's time)
    encoded: str | None = field(default=None, hash=False, compare=False, repr=False)

    def json_fields(self) -> str:
        """`"labels": [...], "scores": {...}`, as `json` writes these two fields of an object."""
        return self.encoded or f'"labels": {_encode(list(self.labels))}, "scores": {_encode(self.scores)}'

    def with_json(self) -> Prediction:
        """The prediction with its fields encoded, to be written and cached without encoding them twice."""
        return self if self.encoded else Prediction(self.labels, self.scores, self.json_fields())


_encode = json.JSONEncoder(ensure_ascii=False).encode


class ScoreFields:
    """`Prediction.json_fields` of many predictions whose scores are rounded to 4 decimals in [0, 1], written from the
    texts of the 10,001 values such a score can have (a fifth of the time `json` takes for the thirteen floats).

    A score `k / 10000` is written as `json` writes that float: its `repr`, the shortest text that reads back as it.
    """

    def __init__(self, labels: Sequence[str]) -> None:
        self.heads = [f"{json.encoder.encode_basestring(label)}: " for label in labels]
        self.lists: dict[tuple[str, ...], str] = {}

    def fields(self, labels: tuple[str, ...], steps: list[int]) -> str:
        """The fields of a prediction with `labels` whose scores are `steps[i] / 10000`, in the order of the labels given."""
        chosen = self.lists.get(labels)
        if chosen is None:
            chosen = self.lists[labels] = _encode(list(labels))
        values = _score_texts()
        return f'"labels": {chosen}, "scores": {{{", ".join(map(str.__add__, self.heads, [values[k] for k in steps]))}}}'


@functools.cache
def _score_texts() -> list[str]:
    return [repr(k / 10000) for k in range(10001)]


@dataclass(frozen=True)
class TaggedSentence:
    """A sentence with its municipality, decided labels and per-label scores."""

    sentence: Sentence
    municipality: str
    labels: tuple[str, ...]
    scores: dict[str, float] = field(hash=False)
    #: `Prediction.encoded` of its labels and scores, when known
    encoded: str | None = field(default=None, hash=False, compare=False, repr=False)
