"""From annotation files to a trained, evaluated model and its card."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import platform
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from importlib import metadata
from pathlib import Path

import numpy as np

from . import __version__
from . import model as classifier
from .annotations import Annotation, Conflict, find_conflicts, merge, read_many
from .errors import OutputExistsError
from .evaluate import baseline_metrics, metrics, worst_errors
from .fileio import package_data
from .model import CrossValidation, Model, ModelSettings, label_matrix
from .persist import ModelFolder, load_model
from .segment import load_nlp, nlp_id
from .taxonomy import Taxonomy

DEFAULT_ANNOTATIONS = package_data("annotations")


def data_digest(items: list[Annotation]) -> str:
    """A hash of the training data (texts and labels, order-independent)."""
    rows = sorted(json.dumps([a.text, sorted(a.labels)], ensure_ascii=False) for a in items)
    return hashlib.sha256("\n".join(rows).encode()).hexdigest()


def _versions() -> dict[str, str]:
    names = ("scikit-learn", "skops", "spacy", "numpy", "iterative-stratification")
    return {"python": platform.python_version()} | {n: metadata.version(n) for n in names}


@dataclass(frozen=True)
class TrainingResult:
    """A trained model, its cross-validation and what was left out."""

    model: Model
    validation: CrossValidation
    cv_metrics: dict
    baseline_cv_metrics: dict
    items: tuple[Annotation, ...]
    conflicts: tuple[Conflict, ...]


def load_training_data(
    paths: list[str | Path], taxonomy: Taxonomy, with_default: bool = False, fmt: str | None = None
) -> tuple[list[Annotation], list[Conflict]]:
    """The merged annotations of the given files (plus the shipped ones with `with_default`)."""
    items = read_many(([DEFAULT_ANNOTATIONS] if with_default else []) + list(paths), taxonomy, fmt)
    return merge(items)


def cv_groups(items: Sequence[Annotation], settings: ModelSettings) -> list[str] | None:
    """The source document of every sentence, to cross-validate by (None: by sentence, also when there are too few sources)."""
    if settings.cv_by != "source":
        return None
    groups = [a.source.strip() or f"{a.file}:{a.line}" for a in items]
    return groups if len(set(groups)) >= 2 * settings.cv else None


def train_model(items: list[Annotation], taxonomy: Taxonomy, settings: ModelSettings, conflicts: list[Conflict] = ()) -> TrainingResult:
    """Train on merged annotations and measure by cross-validation, with the keyword baseline on the same sentences."""
    texts = [a.text for a in items]
    model, validation = classifier.train(texts, [a.labels for a in items], taxonomy.ids, settings, cv_groups(items, settings))
    y = label_matrix([a.labels for a in items], taxonomy.ids)
    cv = metrics(y, validation.decisions, taxonomy.ids, taxonomy)
    baseline = baseline_metrics(texts, y, taxonomy.ids, taxonomy)
    return TrainingResult(model, validation, cv, baseline, tuple(items), tuple(conflicts))


def describe_features(settings: ModelSettings) -> str:
    """The model card's one-line description of the features these settings build."""
    (w_lo, w_hi), (c_lo, c_hi) = settings.word_ngrams, settings.char_ngrams
    return f"tf-idf word {w_lo}-{w_hi}-grams + character {c_lo}-{c_hi}-grams within word boundaries (lowercased); no spaCy vectors"


def build_card(
    result: TrainingResult, taxonomy: Taxonomy, settings: ModelSettings, spacy_pipeline: str, name: str, sources: list[str]
) -> dict:
    """The model card: what the model was trained with and how well it does."""
    counts = label_matrix([a.labels for a in result.items], taxonomy.ids).sum(axis=0)
    return {
        "name": name,
        "trained_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat(),
        "policyscan_version": __version__,
        "taxonomy": {"name": taxonomy.name, "digest": taxonomy.digest()},
        "data": {
            "sentences": len(result.items),
            "sha256": data_digest(list(result.items)),
            "files": sources,
            "no_label": int(sum(1 for a in result.items if not a.labels)),
            "label_counts": dict(zip(taxonomy.ids, map(int, counts), strict=True)),
            "conflicts_left_out": len(result.conflicts),
            "text_digests": text_digests([a.text for a in result.items]),
        },
        "features": describe_features(settings),
        "feature_pipeline": None,
        "spacy_pipeline": spacy_pipeline,
        "settings": asdict(settings),
        "versions": _versions(),
        "cv": "by source document" if cv_groups(list(result.items), settings) else "by sentence",
        "cv_metrics": result.cv_metrics,
        "baseline_cv_metrics": result.baseline_cv_metrics,
    }


def evaluate_items(model: Model, items: list[Annotation], taxonomy: Taxonomy) -> tuple[dict, dict, np.ndarray, np.ndarray]:
    """Model and keyword-baseline metrics on held-out annotations, with the model's probabilities and the truth."""
    texts = [a.text for a in items]
    y = label_matrix([a.labels for a in items], model.labels)
    proba = model.predict_proba(texts)
    model_metrics = metrics(y, model.decide(proba), model.labels, taxonomy)
    return model_metrics, baseline_metrics(texts, y, model.labels, taxonomy), proba, y


@dataclass(frozen=True)
class HeldOut:
    """Model and keyword-baseline metrics on a held-out annotation file."""

    file: str
    metrics: dict
    baseline: dict
    real: bool = False


@dataclass(frozen=True)
class TrainingRun:
    """What `train` did: the training result, the held-out evaluations and where the model went."""

    result: TrainingResult
    held_out: tuple[HeldOut, ...]
    output: Path


def text_digests_each(texts: Sequence[str]) -> list[str]:
    """A short hash of each normalised sentence: enough to tell whether a sentence was trained on, without storing it."""
    return [hashlib.sha256(" ".join(t.lower().split()).encode()).hexdigest()[:12] for t in texts]


def text_digests(texts: Sequence[str]) -> list[str]:
    """The distinct short hashes of the sentences, sorted (what the card records)."""
    return sorted(set(text_digests_each(texts)))


def evaluation_entry(held: HeldOut) -> dict:
    """A held-out evaluation as the card records it: the metrics, the keyword baseline beside them, and whether the text is real."""
    return held.metrics | {"baseline": held.baseline, "real_text": held.real}


def train(
    items: list[Annotation],
    output: str | Path,
    taxonomy: Taxonomy,
    settings: ModelSettings,
    conflicts: list[Conflict] = (),
    sources: list[str] = (),
    dev: Sequence[str | Path] = (),
    force: bool = False,
    real_dev: Sequence[str | Path] = (),
) -> TrainingRun:
    """Train on merged annotations, measure on held-out files (never trained on) and save the model with its card into `output`.

    `real_dev` files hold sentences from real documents: their per-label precision and recall are what the
    report shows as how far to trust each label.
    """
    folder = ModelFolder.of(output)
    if folder.model_file.exists() and not force:
        raise OutputExistsError(f"{folder.folder} already holds a model; pass --force to replace it")
    result = train_model(items, taxonomy, settings, conflicts)
    card = build_card(result, taxonomy, settings, nlp_id(load_nlp()), folder.name, list(sources))
    held_out = []
    for file, real in [(f, False) for f in dev] + [(f, True) for f in real_dev]:
        metrics_, baseline, _, _ = evaluate_items(result.model, read_many([file], taxonomy), taxonomy)
        held_out.append(HeldOut(Path(file).name, metrics_, baseline, real))
    card["evaluations"] = {held.file: evaluation_entry(held) for held in held_out}
    folder.save(result.model, card, force=force, taxonomy=taxonomy)
    return TrainingRun(result, tuple(held_out), folder.folder)


@dataclass(frozen=True)
class Evaluation:
    """A model's metrics on annotated sentences, the keyword baseline's, and the most confident errors."""

    metrics: dict
    baseline: dict
    errors: list[dict]
    conflicts: tuple[Conflict, ...]
    trained_on: int = 0  # how many of the evaluated sentences the model was trained on


def evaluate(
    files: list[str | Path], taxonomy: Taxonomy, model: str | Path | None = None, fmt: str | None = None, n_errors: int = 10
) -> Evaluation:
    """Score a saved model (default: $POLICYSCAN_MODEL or the shipped one) on annotation files, beside the keyword baseline."""
    loaded = load_model(model, taxonomy)
    items = read_many(files, taxonomy, fmt)
    model_metrics, baseline, proba, y = evaluate_items(loaded, items, taxonomy)
    errors = worst_errors([a.text for a in items], y, proba, loaded.thresholds, loaded.labels, n_errors)
    seen = set(loaded.card.get("data", {}).get("text_digests", ()))
    trained_on = sum(1 for digest in text_digests_each([a.text for a in items]) if digest in seen)
    return Evaluation(model_metrics, baseline, errors, tuple(find_conflicts(items)), trained_on)
