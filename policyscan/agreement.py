"""Intercoder agreement between two coders' annotation files: Cohen's kappa, Krippendorff's alpha, percent agreement.

Sentences are matched by `id` when every annotation in both files has one (policyscan JSONL keeps it),
else by their whitespace-normalised text. A sentence annotated twice in one file counts with its last
decision, as an append-only annotation log is read. Each label is a binary presence judgement per
sentence; a label group and the whole taxonomy pool their (sentence, label) pairs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .annotations import Annotation
from .errors import AnnotationError
from .taxonomy import Taxonomy


@dataclass(frozen=True)
class Figures:
    """Agreement on one set of binary judgements; kappa and alpha are None where undefined (no variation at all)."""

    kappa: float | None
    alpha: float | None
    agreement: float
    n: int

    def to_json(self) -> dict:
        """The JSON object: kappa, alpha (null when undefined), agreement, n."""
        return {"kappa": self.kappa, "alpha": self.alpha, "agreement": self.agreement, "n": self.n}


@dataclass(frozen=True)
class Agreement:
    """Two coders' agreement per label, per label group and overall, with what could not be matched."""

    labels: dict[str, Figures]
    groups: dict[str, Figures]
    overall: Figures
    compared: int
    not_matched_a: int
    not_matched_b: int
    matched_by: str
    disagreements: tuple[Annotation, ...]

    def to_json(self) -> dict:
        """The object `annotations agreement --json` prints."""
        return {
            "compared": self.compared,
            "not_matched": {"a": self.not_matched_a, "b": self.not_matched_b},
            "matched_by": self.matched_by,
            "per_label": {label: f.to_json() for label, f in self.labels.items()},
            "groups": {group: f.to_json() for group, f in self.groups.items()},
            "overall": self.overall.to_json(),
            "disagreements": len(self.disagreements),
        }


def cohen_kappa(a: np.ndarray, b: np.ndarray) -> float | None:
    """Cohen's kappa of two coders' nominal codes; None when chance agreement is 1 (both coders gave one code throughout)."""
    a, b = np.asarray(a), np.asarray(b)
    categories = np.union1d(a, b)
    observed = float(np.mean(a == b))
    expected = float(sum(np.mean(a == c) * np.mean(b == c) for c in categories))
    if np.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(a: np.ndarray, b: np.ndarray) -> float | None:
    """Krippendorff's alpha (nominal) of two coders with no missing values; None when every value is the same."""
    values = np.concatenate([np.asarray(a), np.asarray(b)])
    categories, codes = np.unique(values, return_inverse=True)
    if len(categories) < 2:
        return None
    half = len(values) // 2
    coincidence = np.zeros((len(categories), len(categories)))
    np.add.at(coincidence, (codes[:half], codes[half:]), 1.0)  # each unit has one pair, weighted 1 / (m - 1) = 1
    coincidence += coincidence.T
    n = coincidence.sum()
    marginals = coincidence.sum(axis=1)
    observed = n - np.trace(coincidence)
    expected = (n * n - float(np.sum(marginals**2))) / (n - 1)
    return float(1.0 - observed / expected)


def figures(a: np.ndarray, b: np.ndarray) -> Figures:
    """Kappa, alpha, percent agreement and n of two coders' codes on the same units."""
    a, b = np.asarray(a), np.asarray(b)
    return Figures(cohen_kappa(a, b), krippendorff_alpha(a, b), float(np.mean(a == b)), len(a))


def _text_key(item: Annotation) -> str:
    return " ".join(item.text.split())


def _by_key(items: Sequence[Annotation], key) -> dict[str, Annotation]:
    """Annotations by key; a later annotation of the same sentence replaces an earlier one."""
    return {key(item): item for item in items}


def match(a: Sequence[Annotation], b: Sequence[Annotation]) -> tuple[list[tuple[Annotation, Annotation]], int, int, str]:
    """The pairs of annotations of the same sentence, the numbers of sentences of A and of B left unmatched, and the key used."""
    by_id = all("id" in item.meta for item in [*a, *b])

    def key(item: Annotation) -> str:
        return str(item.meta["id"]) if by_id else _text_key(item)

    left, right = _by_key(a, key), _by_key(b, key)
    pairs = [(left[k], right[k]) for k in left if k in right]
    return pairs, len(left.keys() - right.keys()), len(right.keys() - left.keys()), "id" if by_id else "text"


def _disagreement(x: Annotation, y: Annotation, taxonomy: Taxonomy, by: str) -> Annotation:
    """The sentence with the union of both label sets, each coder's set in meta, ready to adjudicate."""
    union = tuple(label for label in taxonomy.ids if label in x.labels or label in y.labels)
    meta = {"coder_a": list(x.labels), "coder_b": list(y.labels)} | ({"id": x.meta["id"]} if by == "id" else {})
    return Annotation(x.text, union, x.source or y.source, "", meta=meta)


def agreement(a: Sequence[Annotation], b: Sequence[Annotation], taxonomy: Taxonomy) -> Agreement:
    """Agreement between coder A's and coder B's annotations of the same sentences, over the labels of `taxonomy`."""
    pairs, missing_a, missing_b, by = match(a, b)
    if not pairs:
        raise AnnotationError(
            f"the two files share no sentence (matched by {by}); give two coders' annotations of the same tasks"
            + (" or remove the ids so that sentences are matched by text" if by == "id" else "")
        )
    ids = taxonomy.ids
    codes_a = np.array([[label in x.labels for label in ids] for x, _ in pairs], dtype=int)
    codes_b = np.array([[label in y.labels for label in ids] for _, y in pairs], dtype=int)
    per_label = {label: figures(codes_a[:, i], codes_b[:, i]) for i, label in enumerate(ids)}
    groups = {}
    for group in taxonomy.groups:
        columns = [ids.index(label) for label in taxonomy.group(group)]
        groups[group] = figures(codes_a[:, columns].ravel(), codes_b[:, columns].ravel())
    differ = tuple(_disagreement(x, y, taxonomy, by) for x, y in pairs if set(x.labels) & set(ids) != set(y.labels) & set(ids))
    overall = figures(codes_a.ravel(), codes_b.ravel())
    return Agreement(per_label, groups, overall, len(pairs), missing_a, missing_b, by, differ)
