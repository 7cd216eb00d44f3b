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

import heapq
from collections.abc import Sequence
from dataclasses import Field, dataclass, field, fields

import numpy as np

from .records import TaggedSentence
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


def _coverage(hits: list[TaggedSentence], label: str, n_sentences: int, total_chars: int, min_sentences: int) -> LabelCoverage:
    """The coverage of one label, given the sentences that carry it."""
    chars = sum(len(t.sentence.text) for t in hits)
    best = heapq.nsmallest(EVIDENCE_PER_LABEL, hits, key=lambda t: (-t.scores[label], t.sentence.doc_id, t.sentence.index))
    return LabelCoverage(
        label=label,
        sentences=len(hits),
        share=round(len(hits) / n_sentences, 4) if n_sentences else None,
        char_share=round(chars / total_chars, 4) if total_chars else None,
        present=len(hits) >= min_sentences,
        mean_score=round(float(np.mean([t.scores[label] for t in hits])), 4) if hits else None,
        evidence=tuple(best),
    )


def _per_1000(n: int, total: int) -> float | None:
    return round(1000 * n / total, 2) if total else None


def build_profile(
    key: str, municipality: str, tagged: Sequence[TaggedSentence], taxonomy: Taxonomy, documents: int, min_sentences: int = 2
) -> Profile:
    """The profile of a set of tagged sentences (one document's or one municipality's)."""
    total_chars = sum(len(t.sentence.text) for t in tagged)
    by_label: dict[str, list[TaggedSentence]] = {label: [] for label in taxonomy.ids}
    for t in tagged:
        for label in t.labels:
            by_label[label].append(t)
    coverage = tuple(_coverage(by_label[label], label, len(tagged), total_chars, min_sentences) for label in taxonomy.ids)
    return Profile(
        key=key,
        municipality=municipality,
        documents=documents,
        sentences=len(tagged),
        characters=total_chars,
        labels=coverage,
        derived=_derived(coverage, tagged, taxonomy),
    )


def _derived(coverage: tuple[LabelCoverage, ...], tagged: Sequence[TaggedSentence], taxonomy: Taxonomy) -> DerivedMeasures:
    """The derived measures of a profile from its label coverage."""
    tasks = set(taxonomy.group("task"))
    other = {lab.id for lab in taxonomy.labels if lab.group == "task" and lab.domain == taxonomy.roles.other_domain}
    task_sentences = sum(1 for t in tagged if tasks & set(t.labels))
    other_sentences = sum(1 for t in tagged if other & set(t.labels))
    by_id = {c.label: c for c in coverage}
    instr, aware = by_id.get(taxonomy.roles.risk), by_id.get(taxonomy.roles.safeguard)
    return DerivedMeasures(
        breadth=sum(1 for c in coverage if c.label in tasks and c.present),
        task_sentences=task_sentences,
        other_domain_share=round(other_sentences / task_sentences, 4) if task_sentences and taxonomy.roles.other_domain else None,
        instrumentalisation_per_1000=_per_1000(instr.sentences, len(tagged)) if instr else None,
        risk_awareness_per_1000=_per_1000(aware.sentences, len(tagged)) if aware else None,
        awareness_per_instrumentalisation=round(aware.sentences / instr.sentences, 3) if instr and aware and instr.sentences else None,
        instrumentalisation_without_awareness=(instr.present and not aware.present) if instr and aware else None,
    )


def profiles_by(
    tagged: Sequence[TaggedSentence], taxonomy: Taxonomy, key: str, expected: dict[str, tuple[str, int]], min_sentences: int = 2
) -> list[Profile]:
    """One profile per document (key="document") or per municipality (key="municipality"), sorted by key.

    `expected` maps every key to (municipality, number of documents), so a document without sentences still gets a profile.
    """
    groups: dict[str, list[TaggedSentence]] = {name: [] for name in expected}
    for t in tagged:
        groups[t.sentence.doc_id if key == "document" else t.municipality].append(t)
    return [build_profile(name, expected[name][0], groups[name], taxonomy, expected[name][1], min_sentences) for name in sorted(groups)]
