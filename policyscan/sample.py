"""Choose the sentences of a scan worth annotating next: near a label's threshold, at random, or both; spread and without repeats."""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .annotations import Annotation, read_many, write_annotations
from .errors import AnnotationError, PolicyscanError
from .fileio import read_text
from .taxonomy import Taxonomy

#: Task formats on the command line, each with the annotations.FORMATS name it is written as.
TASK_FORMATS = {"jsonl": "policyscan", "labelstudio": "labelstudio", "prodigy": "prodigy", "doccano": "doccano", "csv": "csv"}
STRATEGIES = ("mixed", "uncertain", "random", "label:ID")
#: In `mixed`, the share of the sample chosen by uncertainty; the rest is random so the sample stays honest.
MIXED_UNCERTAIN_SHARE = 0.7
#: Two sentences whose word 3-grams overlap this much (Jaccard) count as near-duplicates.
NEAR_DUPLICATE = 0.8
#: Sentences are spread over municipalities and documents within windows of this many times n of the ranked candidates,
#: so that spreading never trades a sentence near the threshold for one far from it in a document with nothing better.
SPREAD_WINDOW = 3
#: The threshold of a label the model card gives none for (the classifier's default decision point).
DEFAULT_THRESHOLD = 0.5


class SampleError(PolicyscanError):
    """A sample that cannot be drawn as asked."""


@dataclass(frozen=True)
class Task:
    """One sentence to annotate, with the model's labels, its context and why it was chosen."""

    text: str
    labels: tuple[str, ...]
    doc_id: str
    path: str
    page: int
    index: int
    section: str
    municipality: str
    before: str
    after: str
    strategy: str
    label: str | None = None
    score: float | None = None
    threshold: float | None = None
    meta: dict = field(default_factory=dict, compare=False, hash=False)

    def annotation(self) -> Annotation:
        """The task as an annotation with the model's labels pre-filled and the context in its meta."""
        meta = {
            "doc_id": self.doc_id,
            "page": self.page,
            "index": self.index,
            "section": self.section,
            "municipality": self.municipality,
            "before": self.before,
            "after": self.after,
            "strategy": self.strategy,
            "label": self.label,
            "score": self.score,
            "threshold": self.threshold,
        }
        return Annotation(self.text, self.labels, source=f"{self.path} p. {self.page}", meta=meta)


@dataclass(frozen=True)
class _Candidate:
    record: dict
    label: str | None
    score: float | None
    threshold: float | None
    distance: float


def read_sentences(results: str | Path) -> list[dict]:
    """The sentence records of a scan's results folder (or of a sentences.jsonl file)."""
    path = Path(results)
    file = path / "sentences.jsonl" if path.is_dir() else path
    if not file.is_file():
        raise SampleError(f"{file}: not found; give the folder `policyscan scan` wrote its results to")
    records = []
    for number, line in enumerate(read_text(file).splitlines(), 1):
        if line.strip():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SampleError(f"{file}:{number}: not a JSON line ({exc.msg}); rerun the scan to rewrite it") from exc
    return records


def model_thresholds(model: str | Path | None = None) -> dict[str, float]:
    """The per-label thresholds in the model card (default model: $POLICYSCAN_MODEL or the shipped one)."""
    from .persist import ModelFolder  # numpy comes with it: imported when a sample is drawn, not with the command line

    folder = ModelFolder.at(model)
    card = folder.card()
    thresholds = card.get("thresholds") or {}
    labels = card.get("labels") or list(thresholds) or list(folder.taxonomy().ids)
    return {label: float(thresholds.get(label, DEFAULT_THRESHOLD)) for label in labels}


def normalised(text: str) -> str:
    """Text lowercased with its whitespace collapsed: the key sentences are matched by."""
    return " ".join(text.lower().split())


def _shingles(text: str) -> frozenset[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    size = min(3, len(words))
    return frozenset(tuple(words[i : i + size]) for i in range(len(words) - size + 1)) if words else frozenset()


def _jaccard(a: frozenset, b: frozenset) -> float:
    return len(a & b) / len(a | b) if a or b else 1.0


class _Chosen:
    """The sentences chosen so far (and those to leave out), to refuse repeats and near-duplicates."""

    def __init__(self, excluded: Iterable[str]) -> None:
        self.keys: set[str] = {normalised(t) for t in excluded}
        self.shingles: list[frozenset] = []

    def admits(self, text: str) -> bool:
        if normalised(text) in self.keys:
            return False
        grams = _shingles(text)
        return all(_jaccard(grams, other) < NEAR_DUPLICATE for other in self.shingles)

    def add(self, text: str) -> None:
        self.keys.add(normalised(text))
        self.shingles.append(_shingles(text))


def _nearest(record: dict, thresholds: dict[str, float], labels: Sequence[str]) -> _Candidate:
    """The record with the label (of `labels`) whose threshold its score sits closest to."""
    scores = record.get("scores") or {}
    options = [(abs(float(scores[lab]) - thresholds[lab]), lab) for lab in labels if lab in scores]
    if not options:
        return _Candidate(record, None, None, None, float("inf"))
    distance, label = min(options)
    return _Candidate(record, label, float(scores[label]), thresholds[label], distance)


def _ranked(records: list[dict], strategy: str, thresholds: dict[str, float], rng: random.Random) -> list[_Candidate]:
    """The candidates in the order the strategy prefers them (ties broken by the seeded generator)."""
    if strategy == "random":
        shuffled = list(records)
        rng.shuffle(shuffled)
        return [_Candidate(r, None, None, None, 0.0) for r in shuffled]
    labels = [strategy.split(":", 1)[1]] if strategy.startswith("label:") else list(thresholds)
    ties = [rng.random() for _ in records]
    candidates = [_nearest(r, thresholds, labels) for r in records]
    order = sorted(range(len(records)), key=lambda i: (candidates[i].distance, ties[i]))
    return [candidates[i] for i in order if candidates[i].label is not None]


def _spread(ranked: list[_Candidate], n: int) -> list[_Candidate]:
    """The ranked candidates spread over municipalities and documents, window by window of SPREAD_WINDOW * n."""
    size = SPREAD_WINDOW * max(n, 1)
    return [c for start in range(0, len(ranked), size) for c in _spread_window(ranked[start : start + size])]


def _spread_window(ranked: list[_Candidate]) -> list[_Candidate]:
    """The candidates reordered round-robin over municipalities, then over each municipality's documents, keeping rank within each."""
    towns: dict[str, dict[str, list[_Candidate]]] = {}
    for c in ranked:  # dicts keep first appearance, so the best-ranked municipality and document come first
        towns.setdefault(c.record.get("municipality") or "", {}).setdefault(c.record.get("path") or c.record.get("doc_id", ""), []).append(
            c
        )
    queues = {town: _round_robin(list(docs.values())) for town, docs in towns.items()}
    return _round_robin(list(queues.values()))


def _round_robin(queues: list[list[_Candidate]]) -> list[_Candidate]:
    """One from each queue in turn until all are empty."""
    out: list[_Candidate] = []
    for depth in range(max((len(q) for q in queues), default=0)):
        out += [q[depth] for q in queues if depth < len(q)]
    return out


def _take(candidates: list[_Candidate], n: int, chosen: _Chosen) -> list[_Candidate]:
    """The first n candidates that are neither left out nor near-duplicates of one already taken."""
    taken: list[_Candidate] = []
    for c in candidates:
        if len(taken) == n:
            break
        if chosen.admits(c.record["text"]):
            chosen.add(c.record["text"])
            taken.append(c)
    return taken


def _check_strategy(strategy: str, thresholds: dict[str, float]) -> None:
    if strategy in ("mixed", "uncertain", "random"):
        return
    if strategy.startswith("label:") and strategy.split(":", 1)[1] in thresholds:
        return
    if strategy.startswith("label:"):
        raise SampleError(f"unknown label in {strategy!r}; choose from {', '.join(thresholds)}")
    raise SampleError(f"unknown strategy {strategy!r}; choose from mixed, uncertain, random or label:ID")


def sample(
    results: str | Path,
    n: int,
    strategy: str = "mixed",
    exclude: Sequence[str | Path] = (),
    seed: int = 0,
    model: str | Path | None = None,
) -> list[Task]:
    """Up to n sentences of a scan worth annotating next, chosen by `strategy`, spread over municipalities and documents."""
    if n < 1:
        raise SampleError(f"-n must be 1 or more (got {n})")
    thresholds = model_thresholds(model)
    _check_strategy(strategy, thresholds)
    records = read_sentences(results)
    try:
        excluded = [a.text for a in read_many(exclude)] if exclude else []
    except AnnotationError as exc:
        raise SampleError(f"--exclude: {exc}") from exc
    return choose(records, n, strategy, thresholds, excluded, seed)


def choose(
    records: Sequence[dict], n: int, strategy: str, thresholds: dict[str, float], excluded: Iterable[str] = (), seed: int = 0
) -> list[Task]:
    """Up to n of a scan's sentence records (as in sentences.jsonl) chosen by `strategy` against these thresholds, spread, without repeats."""
    _check_strategy(strategy, thresholds)
    records = [r for r in records if str(r.get("text", "")).strip()]
    rng = random.Random(seed)
    chosen = _Chosen(excluded)
    if strategy == "mixed":
        share = round(n * MIXED_UNCERTAIN_SHARE)
        picks = [(c, "uncertain") for c in _take(_spread(_ranked(records, "uncertain", thresholds, rng), share), share, chosen)]
        rest = n - len(picks)
        picks += [(c, "random") for c in _take(_spread(_ranked(records, "random", thresholds, rng), rest), rest, chosen)]
    else:
        picks = [(c, strategy) for c in _take(_spread(_ranked(records, strategy, thresholds, rng), n), n, chosen)]
    texts = _neighbours(records)
    return [_task(c, how, texts) for c, how in picks]


def _neighbours(records: list[dict]) -> dict[tuple[str, int], str]:
    """Each sentence's text by (document, index), to look up the sentences before and after one."""
    return {(r.get("path") or r.get("doc_id", ""), int(r.get("index", -1))): r["text"] for r in records}


def _task(c: _Candidate, strategy: str, texts: dict[tuple[str, int], str]) -> Task:
    r = c.record
    doc, index = r.get("path") or r.get("doc_id", ""), int(r.get("index", -1))
    return Task(
        text=r["text"],
        labels=tuple(r.get("labels") or ()),
        doc_id=str(r.get("doc_id", "")),
        path=str(r.get("path", "")),
        page=int(r.get("page", 0)),
        index=index,
        section=str(r.get("section") or ""),
        municipality=str(r.get("municipality") or ""),
        before=texts.get((doc, index - 1), ""),
        after=texts.get((doc, index + 1), ""),
        strategy=strategy,
        label=c.label,
        score=c.score,
        threshold=c.threshold,
    )


def write_tasks(tasks: Sequence[Task], path: str | Path, fmt: str, taxonomy: Taxonomy) -> None:
    """Write the tasks in one of TASK_FORMATS so that `policyscan annotations convert` reads them back."""
    if fmt not in TASK_FORMATS:
        raise SampleError(f"unknown format {fmt!r}; choose from {', '.join(TASK_FORMATS)}")
    write_annotations([t.annotation() for t in tasks], path, TASK_FORMATS[fmt], taxonomy)
