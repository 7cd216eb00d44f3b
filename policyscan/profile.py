"""Tagged sentences -> coverage profiles per document and per municipality.

Undefined values are None (an empty CSV cell): a share of zero sentences, a
rate per 1,000 of zero sentences. Counts are always numbers and presence is
always True or False, so a profile of nothing read has counts 0, nothing
present and every share None.

Presence rule: a label counts as addressed ("present") when at least
`min_sentences` sentences (default 2) carry it, so a single stray sentence
does not make a policy "cover" a task. The same rule decides the flag
"instrumentalisation without risk awareness": instrumentalisation present and
risk awareness not present, because a classifier's single stray sentence should
neither raise nor clear it.
"""

from __future__ import annotations

import bisect
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import Field, dataclass, field, fields

import numpy as np

from .records import TaggedSentence
from .spool import Spool
from .taxonomy import Taxonomy

EVIDENCE_PER_LABEL = 3


@dataclass(frozen=True)
class LabelCoverage:
    """How much of a profile's text carries one label, and the best evidence for it."""

    label: str
    sentences: int
    share: float | None
    char_share: float | None
    present: bool
    mean_score: float | None
    evidence: tuple[TaggedSentence, ...]


def _measure(title: str, description: str, display: str = "number") -> dict[str, str]:
    """Field metadata of a derived measure: its report heading, its data-dictionary description, how the report shows it."""
    return {"title": title, "description": description, "display": display}


@dataclass(frozen=True)
class DerivedMeasures:
    """The measures that answer the research question; the one definition behind the CSV columns, the report and README."""

    breadth: int = field(metadata=_measure("breadth", "number of task labels present"))
    task_sentences: int = field(metadata=_measure("task sentences", "sentences with at least one task label"))
    other_domain_share: float | None = field(
        metadata=_measure(
            "other-domain share",
            "share of task sentences with a task outside the social domain (culture, living environment, sport, "
            "sustainability, safety, economy)",
            "percent",
        )
    )
    instrumentalisation_per_1000: float | None = field(
        metadata=_measure("instrumentalisation per 1,000", "instrumentalisation sentences per 1,000 sentences")
    )
    risk_awareness_per_1000: float | None = field(
        metadata=_measure("risk awareness per 1,000", "risk-awareness sentences per 1,000 sentences")
    )
    awareness_per_instrumentalisation: float | None = field(
        metadata=_measure(
            "awareness per instrumentalisation",
            "risk-awareness sentences per instrumentalisation sentence (below 1: more risky language than safeguards)",
        )
    )
    instrumentalisation_without_awareness: bool | None = field(
        metadata=_measure(
            "instrumentalisation without awareness",
            "`True` when instrumentalisation is present and risk awareness is not (both by the presence rule, so one stray "
            "classifier decision neither raises nor clears the flag)",
            "flag",
        )
    )

    def values(self) -> list[object]:
        """The measures in column order."""
        return [getattr(self, f.name) for f in fields(self)]


#: The derived measures in column order, each with `name` and `metadata` (title, description, display).
MEASURES: tuple[Field, ...] = fields(DerivedMeasures)


@dataclass(frozen=True)
class Profile:
    """Coverage of every label in one document or one municipality, with the derived measures."""

    key: str
    municipality: str
    documents: int
    sentences: int
    characters: int
    labels: tuple[LabelCoverage, ...]
    derived: DerivedMeasures
    failed_documents: int = 0

    @property
    def status(self) -> str:
        """The status of the profile: ok (every document read), partial (some failed) or failed (none could be read)."""
        if not self.failed_documents:
            return "ok"
        return "partial" if self.documents else "failed"

    def label(self, label_id: str) -> LabelCoverage:
        """The coverage of one label."""
        return next(c for c in self.labels if c.label == label_id)


class BestFirst:
    """The `limit` smallest items by key seen so far, in key order; of equal keys the first seen come first (as a stable sort)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.items: list[tuple[tuple, object]] = []

    def accepts(self, key: tuple) -> bool:
        """Whether an item with `key` would be kept (so callers can skip building items that would not)."""
        return len(self.items) < self.limit or key < self.items[-1][0]

    def offer(self, key: tuple, item: object) -> None:
        """Keep `item` if it is among the best so far."""
        if not self.accepts(key):
            return
        bisect.insort_right(self.items, (key, item), key=lambda entry: entry[0])
        del self.items[self.limit :]

    def best(self) -> list:
        """The kept items, best first."""
        return [item for _, item in self.items]


class _Scores:
    """One label's scores in the order they came, kept as floats in memory (the mean is numpy's, as it always was)."""

    def __init__(self) -> None:
        self.values = array("d")

    def add(self, score: float) -> None:
        """Keep one score."""
        self.values.append(score)

    def extend(self, scores: Iterable[float]) -> None:
        """Keep scores, in their order."""
        self.values.extend(scores)

    def mean(self) -> float:
        """The mean score."""
        return float(np.mean(self.values))


class _SpooledScores:
    """One label's scores kept in a spool on disk; the mean sums them in the same order, so it is the same float."""

    def __init__(self, spool: Spool, owner: str, label: str) -> None:
        self.spool, self.owner, self.label = spool, owner, label

    def add(self, score: float) -> None:
        """Keep one score."""
        self.spool.add("score", self.owner, self.label, score)

    def extend(self, scores: Iterable[float]) -> None:
        """Keep scores, in their order."""
        self.spool.extend("score", self.owner, self.label, scores)

    def mean(self) -> float:
        """The mean score."""
        return float(np.mean(np.fromiter(self.spool.values("score", self.owner, self.label), dtype=float)))


class _LabelTally:
    """What one label's coverage needs from the sentences that carry it: a count, characters, a score sum and the best evidence."""

    def __init__(self, label: str, scores: _Scores | _SpooledScores) -> None:
        self.label = label
        self.sentences = 0
        self.characters = 0
        self.scores = scores
        self.evidence = BestFirst(EVIDENCE_PER_LABEL)

    def add(self, t: TaggedSentence) -> None:
        """Count one sentence that carries the label."""
        score = t.scores[self.label]
        self.sentences += 1
        self.characters += len(t.sentence.text)
        self.scores.add(score)
        self.evidence.offer((-score, t.sentence.doc_id, t.sentence.index), t)

    def merge(self, other: _LabelTally) -> None:
        """Count the sentences `other` counted (with scores kept in memory), as if each were added here after those before."""
        if not other.sentences:
            return
        self.sentences += other.sentences
        self.characters += other.characters
        self.scores.extend(other.scores.values)
        for key, item in other.evidence.items:  # the best of every part hold the best of the whole (keys are unique)
            self.evidence.offer(key, item)

    def coverage(self, n_sentences: int, total_chars: int, min_sentences: int) -> LabelCoverage:
        """The coverage of the label in a profile of `n_sentences` sentences and `total_chars` characters."""
        n = self.sentences
        return LabelCoverage(
            label=self.label,
            sentences=n,
            share=round(n / n_sentences, 4) if n_sentences else None,
            char_share=round(self.characters / total_chars, 4) if total_chars else None,
            present=n >= min_sentences,
            mean_score=round(self.scores.mean(), 4) if n else None,
            evidence=tuple(self.evidence.best()),
        )


class ProfileTally:
    """A profile built up one tagged sentence at a time, keeping counts and the best evidence instead of the sentences.

    The scores behind the mean score are kept in memory, or with a `spool` in it under `owner`: then memory stays the
    same however many sentences are added (a scan keeps one tally per municipality).
    """

    def __init__(self, taxonomy: Taxonomy, spool: Spool | None = None, owner: str = "") -> None:
        self.taxonomy = taxonomy
        self.sentences = 0
        self.characters = 0
        self.task_sentences = 0
        self.other_sentences = 0
        self._tasks = frozenset(taxonomy.group("task"))
        self._other = frozenset(lab.id for lab in taxonomy.labels if lab.group == "task" and lab.domain == taxonomy.roles.other_domain)
        self._labels = {label: _LabelTally(label, _SpooledScores(spool, owner, label) if spool else _Scores()) for label in taxonomy.ids}

    def add(self, t: TaggedSentence) -> None:
        """Count one tagged sentence."""
        self.sentences += 1
        self.characters += len(t.sentence.text)
        labels = set(t.labels)
        self.task_sentences += bool(self._tasks & labels)
        self.other_sentences += bool(self._other & labels)
        for label in t.labels:
            self._labels[label].add(t)

    def add_all(self, tagged: Iterable[TaggedSentence]) -> ProfileTally:
        """Count every sentence of `tagged`; the tally itself, to chain."""
        for t in tagged:
            self.add(t)
        return self

    def merge(self, other: ProfileTally) -> ProfileTally:
        """Count the sentences `other` counted (a tally without a spool, e.g. one document's), as if added here one by one; the tally itself."""
        self.sentences += other.sentences
        self.characters += other.characters
        self.task_sentences += other.task_sentences
        self.other_sentences += other.other_sentences
        for label, tally in other._labels.items():
            self._labels[label].merge(tally)
        return self

    def profile(self, key: str, municipality: str, documents: int, min_sentences: int = 2) -> Profile:
        """The profile of the sentences counted so far."""
        coverage = tuple(self._labels[label].coverage(self.sentences, self.characters, min_sentences) for label in self.taxonomy.ids)
        return Profile(
            key=key,
            municipality=municipality,
            documents=documents,
            sentences=self.sentences,
            characters=self.characters,
            labels=coverage,
            derived=_derived(coverage, self.sentences, self.task_sentences, self.other_sentences, self.taxonomy),
        )


def _per_1000(n: int, total: int) -> float | None:
    return round(1000 * n / total, 2) if total else None


def build_profile(
    key: str, municipality: str, tagged: Sequence[TaggedSentence], taxonomy: Taxonomy, documents: int, min_sentences: int = 2
) -> Profile:
    """The profile of a set of tagged sentences (one document's or one municipality's)."""
    return ProfileTally(taxonomy).add_all(tagged).profile(key, municipality, documents, min_sentences)


def _derived(
    coverage: tuple[LabelCoverage, ...], n_sentences: int, task_sentences: int, other_sentences: int, taxonomy: Taxonomy
) -> DerivedMeasures:
    """The derived measures of a profile from its label coverage and its counts of task and other-domain sentences."""
    tasks = set(taxonomy.group("task"))
    by_id = {c.label: c for c in coverage}
    instr, aware = by_id.get(taxonomy.roles.risk), by_id.get(taxonomy.roles.safeguard)
    return DerivedMeasures(
        breadth=sum(1 for c in coverage if c.label in tasks and c.present),
        task_sentences=task_sentences,
        other_domain_share=round(other_sentences / task_sentences, 4) if task_sentences and taxonomy.roles.other_domain else None,
        instrumentalisation_per_1000=_per_1000(instr.sentences, n_sentences) if instr else None,
        risk_awareness_per_1000=_per_1000(aware.sentences, n_sentences) if aware else None,
        awareness_per_instrumentalisation=round(aware.sentences / instr.sentences, 3) if instr and aware and instr.sentences else None,
        instrumentalisation_without_awareness=(instr.present and not aware.present) if instr and aware else None,
    )


def profiles_by(
    tagged: Sequence[TaggedSentence], taxonomy: Taxonomy, key: str, expected: dict[str, tuple[str, int]], min_sentences: int = 2
) -> list[Profile]:
    """One profile per document (key="document") or per municipality (key="municipality"), sorted by key.

    `expected` maps every key to (municipality, number of documents), so a document without sentences still gets a profile.
    """
    tallies = {name: ProfileTally(taxonomy) for name in expected}
    for t in tagged:
        tallies[t.sentence.doc_id if key == "document" else t.municipality].add(t)
    return [tallies[name].profile(name, expected[name][0], expected[name][1], min_sentences) for name in sorted(tallies)]
