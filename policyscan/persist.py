"""Saving and loading models: skops for the scikit-learn pipeline (never pickle), plain arrays for fast scoring.

A model is a folder:
- `model.skops`: the trained scikit-learn pipeline, labels and thresholds; loading
  checks its declared types against an explicit allow-list first;
- `scorer.npz`: the same model exported to arrays (vocabularies, idf,
  coefficients, labels, thresholds), read with allow_pickle=False; this is what
  tagging and scanning use, so they need neither scikit-learn nor skops;
- `card.json` and `card.md`: what the model was trained with, its metrics, and
  the SHA-256 of both files, so a file changed after training is refused;
- `taxonomy.toml`: the taxonomy it was trained on, so a model is all tag, scan and
  evaluate need (a folder without one was trained on the shipped taxonomy).
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from .errors import ModelError, OutputExistsError
from .fileio import atomic_open, atomic_write_text, file_hash, package_data
from .model import Model
from .scorer import Scorer
from .taxonomy import Taxonomy, load_taxonomy, parse_taxonomy, taxonomy_toml

if TYPE_CHECKING:  # scikit-learn is imported only to train, never to tag
    from sklearn.pipeline import Pipeline

FORMAT = 1
MODEL_FILE = "model.skops"
SCORER_FILE = "scorer.npz"
CARD_JSON = "card.json"
CARD_MD = "card.md"
TAXONOMY_FILE = "taxonomy.toml"
MODEL_ENV = "POLICYSCAN_MODEL"

#: The only types a model file may contain; anything else is refused before loading.
TRUSTED_TYPES = (
    "builtins.dict",
    "builtins.list",
    "builtins.str",
    "builtins.tuple",
    "builtins.int",
    "builtins.float",
    "builtins.bool",
    "numpy.float64",
    "numpy.int64",
    "numpy.int8",
    "numpy.ndarray",
    "numpy.dtype",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.multiclass.OneVsRestClassifier",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
    "sklearn.preprocessing._label.LabelBinarizer",
)


def default_model_path() -> Path:
    """$POLICYSCAN_MODEL, else the model shipped inside the package (policyscan/data/model)."""
    if os.environ.get(MODEL_ENV):
        return Path(os.environ[MODEL_ENV])
    return package_data("model")


@dataclass(frozen=True)
class ModelFolder:
    """A model on disk. A path names it by its folder or by the model file inside; `at` answers which, once."""

    path: Path
    folder: Path
    model_file: Path

    @classmethod
    def at(cls, path: str | Path | None = None) -> ModelFolder:
        """The model at `path` (default: $POLICYSCAN_MODEL or the shipped model): a file is the model file, anything else its folder."""
        path = Path(path) if path else default_model_path()
        return cls(path, path.parent, path) if path.is_file() else cls(path, path, path / MODEL_FILE)

    @classmethod
    def of(cls, directory: str | Path) -> ModelFolder:
        """The model folder `directory`, which need not exist yet (to save into)."""
        directory = Path(directory)
        return cls(directory, directory, directory / MODEL_FILE)

    @property
    def scorer_file(self) -> Path:
        return self.folder / SCORER_FILE

    @property
    def name(self) -> str:
        return self.folder.name

    @property
    def taxonomy_file(self) -> Path:
        return self.folder / TAXONOMY_FILE

    def taxonomy(self) -> Taxonomy:
        """The taxonomy saved with the model, or the shipped one for a folder without it (models saved before it was kept)."""
        if not self.taxonomy_file.exists():
            return load_taxonomy()
        _check_hash(self.taxonomy_file, self.card(), "taxonomy_sha256")
        return parse_taxonomy(self.taxonomy_file.read_text(encoding="utf-8"), str(self.taxonomy_file))

    def card(self) -> dict:
        """The card beside the model, or {} when there is none."""
        card = self.folder / CARD_JSON
        if not card.exists():
            return {}
        try:
            return json.loads(card.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise ModelError(f"{card}: damaged model card ({exc.msg})") from exc

    def identity(self, card: dict) -> str:
        """What names this model's predictions in cache keys: the hash of its scorer (or model) file."""
        return card.get("scorer_sha256") or card.get("model_sha256") or file_hash(self.model_file)

    def save(self, model: Model, card: dict, force: bool = False, taxonomy: Taxonomy | None = None) -> ModelFolder:
        """Write the model, its scorer, its card and its taxonomy (refused if the folder holds a model, unless `force`)."""
        import skops.io as sio

        if self.model_file.exists() and not force:
            raise OutputExistsError(f"{self.folder} already holds a model; pass --force to replace it")
        self.folder.mkdir(parents=True, exist_ok=True)
        thresholds = np.asarray(model.thresholds, dtype=float)
        payload = {"format": FORMAT, "pipeline": model.estimator, "labels": list(model.labels), "thresholds": thresholds}
        with atomic_open(self.model_file, "wb") as handle:
            handle.write(sio.dumps(payload, compression=zipfile.ZIP_DEFLATED, compresslevel=9))
        extra = {"labels": np.asarray(model.labels, dtype=str), "thresholds": thresholds}
        with atomic_open(self.scorer_file, "wb") as handle:
            Scorer(model.scorer.blocks, model.scorer.intercept, extra).save(handle)
        card = card | {"labels": list(model.labels), "thresholds": dict(zip(model.labels, map(float, thresholds), strict=True))}
        card |= {"model_sha256": file_hash(self.model_file), "scorer_sha256": file_hash(self.scorer_file)}
        if taxonomy is not None:
            _check_taxonomy(tuple(model.labels), card, taxonomy)
            atomic_write_text(self.taxonomy_file, taxonomy_toml(taxonomy))
            card |= {"taxonomy_sha256": file_hash(self.taxonomy_file)}
        atomic_write_text(self.folder / CARD_JSON, json.dumps(card, indent=2, ensure_ascii=False) + "\n")
        atomic_write_text(self.folder / CARD_MD, card_markdown(card))
        return self

    def _checked_file(self) -> Path:
        """The model file, refused when missing, a pickle, or not a skops archive."""
        file = self.model_file
        if not file.exists():
            raise ModelError(f"{self.path}: no model found; train one with 'policyscan train' or pass --model")
        head = file.read_bytes()[:2]
        if head[:1] == b"\x80":
            raise ModelError(f"{file}: this is a pickle file; policyscan loads only skops model files, because a pickle can run code")
        if head != b"PK":
            raise ModelError(f"{file}: not a policyscan model file (not a skops archive)")
        return file

    def verify(self, taxonomy: Taxonomy) -> dict:
        """The card of a model whose files match the card and whose labels match the taxonomy, without loading it.

        A folder without a card or scorer is loaded in full, so every refusal of `load` applies.
        """
        file = self._checked_file()
        card = self.card()
        if not (card.get("scorer_sha256") and card.get("labels") and self.scorer_file.exists()):
            return card | {"labels": list(self.load(taxonomy).labels)}
        _check_hash(file, card, "model_sha256")
        _check_hash(self.scorer_file, card, "scorer_sha256")
        check_pipeline(card, self.path)
        _check_taxonomy(tuple(card["labels"]), card, taxonomy)
        return card

    def load(self, taxonomy: Taxonomy | None = None) -> Model:
        """The model; refuses pickles, unexpected types, files changed after training and incompatible taxonomies."""
        file = self._checked_file()
        card = self.card()
        _check_hash(file, card, "model_sha256")
        check_pipeline(card, self.path)
        payload: dict = {}

        def estimator() -> Pipeline:
            if not payload:
                payload.update(load_payload(file))
            return payload["pipeline"]

        if card.get("scorer_sha256") and self.scorer_file.exists():
            _check_hash(self.scorer_file, card, "scorer_sha256")
            try:
                scorer = Scorer.load(self.scorer_file)
            except (ValueError, OSError, KeyError) as exc:
                raise ModelError(f"{self.scorer_file}: damaged scorer file ({exc})") from exc
            labels, thresholds = tuple(str(x) for x in scorer.extra["labels"]), scorer.extra["thresholds"]
        else:  # a model without an exported scorer: export it from the estimator
            scorer = Scorer.from_pipeline(estimator())
            labels, thresholds = tuple(payload["labels"]), np.asarray(payload["thresholds"], dtype=float)
        model = Model(labels, np.asarray(thresholds, dtype=float), scorer, card, estimator_source=estimator)
        if taxonomy is not None:
            check_compatible(model, taxonomy)
        return model


def save_model(model: Model, directory: str | Path, card: dict, force: bool = False, taxonomy: Taxonomy | None = None) -> Path:
    """Write the model, its scorer, its card and its taxonomy into `directory` (refused if it holds a model, unless `force`)."""
    return ModelFolder.of(directory).save(model, card, force, taxonomy).folder


def model_taxonomy(model: str | Path | None = None, taxonomy: str | Path | None = None) -> Taxonomy:
    """The taxonomy to use with a model: the `taxonomy` file when given, else the one saved with the model, else the shipped one."""
    return load_taxonomy(taxonomy) if taxonomy else ModelFolder.at(model).taxonomy()


def load_model(path: str | Path | None = None, taxonomy: Taxonomy | None = None) -> Model:
    """A saved model (default: $POLICYSCAN_MODEL or the shipped one); see `ModelFolder.load`."""
    return ModelFolder.at(path).load(taxonomy)


def read_card(path: str | Path) -> dict:
    """The card beside a model, or {} when there is none."""
    return ModelFolder.at(path).card()


def _declared_types(path: Path) -> set[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            schema = archive.read("schema.json").decode("utf-8")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, OSError) as exc:
        raise ModelError(f"{path}: not a policyscan model file (damaged or not a skops file)") from exc
    pairs = re.findall(r'"__class__":\s*"([^"]+)",\s*"__module__":\s*"([^"]+)"', schema)
    pairs += [(c, m) for m, c in re.findall(r'"__module__":\s*"([^"]+)",\s*"__class__":\s*"([^"]+)"', schema)]
    return {f"{module}.{cls}" for cls, module in pairs}


def _check_hash(file: Path, card: dict, key: str) -> None:
    if card.get(key) and card[key] != file_hash(file):
        raise ModelError(f"{file}: refused, the file does not match its card (SHA-256 differs): it was changed after training")


def load_payload(file: Path) -> dict:
    """The skops payload of a model file, after checking its declared types against TRUSTED_TYPES."""
    import skops.io as sio

    untrusted = sorted(_declared_types(file) - set(TRUSTED_TYPES))
    if untrusted:
        raise ModelError(f"{file}: refused, the file contains types policyscan does not trust: {', '.join(untrusted)}")
    try:
        payload = sio.load(file, trusted=list(TRUSTED_TYPES))
    except Exception as exc:  # skops raises many types on a damaged archive
        raise ModelError(f"{file}: damaged model file ({type(exc).__name__})") from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ModelError(f"{file}: unsupported model format; retrain with this version of policyscan")
    return payload


def check_pipeline(card: dict, path: Path) -> None:
    """Refuse a model whose features were computed with another spaCy pipeline than the one this machine has.

    Cards record `feature_pipeline` as null while the features use no spaCy output; the check applies to a card that names one.
    """
    from .segment import nlp_key

    wanted = card.get("feature_pipeline")
    if wanted and wanted != nlp_key():
        raise ModelError(
            f"{path}: the model's features come from spaCy pipeline {wanted}, but this machine has {nlp_key()}; "
            "install that pipeline or retrain the model here"
        )


def check_compatible(model: Model, taxonomy: Taxonomy) -> None:
    """Refuse a model whose label set differs from the taxonomy in use."""
    _check_taxonomy(tuple(model.labels), model.card, taxonomy)


def _check_taxonomy(labels: tuple[str, ...], card: dict, taxonomy: Taxonomy) -> None:
    recorded = card.get("taxonomy", {}).get("digest")
    if labels != taxonomy.ids or (recorded and recorded != taxonomy.digest()):
        raise ModelError(
            f"the model was trained on a different taxonomy ({card.get('taxonomy', {}).get('name', '?')}, "
            f"labels {', '.join(labels)}); retrain it with this taxonomy or use the matching --taxonomy"
        )


def real_text_evaluation(card: dict | None) -> tuple[str, dict] | None:
    """The card's evaluation on held-out sentences of real documents (`train --real-dev`): its file name and metrics, or None."""
    for name, entry in ((card or {}).get("evaluations") or {}).items():
        if isinstance(entry, dict) and entry.get("real_text") and isinstance(entry.get("per_label"), dict):
            return name, entry
    return None


def label_trust(card: dict | None) -> dict:
    """How far to trust each label: precision, recall and support on the card's real-text evaluation (empty when it has none)."""
    found = real_text_evaluation(card)
    if found is None:
        return {}
    name, entry = found
    keep = ("precision", "recall", "f1", "support")
    return {"file": name, "labels": {label: {k: m.get(k) for k in keep} for label, m in entry["per_label"].items()}}


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def _headline_table(model: dict | None, baseline: dict | None) -> list[str]:
    """The headline figures of an evaluation, model beside keyword baseline."""
    if not model:
        return []
    rows = ["| figure | model | keyword baseline |", "| --- | --- | --- |"]
    for key, value in model.items():
        if isinstance(value, float):
            rows.append(f"| {key} | {value:.3f} | {_num((baseline or {}).get(key))} |")
        elif isinstance(value, int):
            rows.append(f"| {key} | {value} | {(baseline or {}).get(key, '')} |")
    return [*rows, ""]


def card_markdown(card: dict) -> str:
    """A short human-readable model card."""
    lines = [
        f"# policyscan model card: {card.get('name', 'model')}",
        "",
        f"- trained: {card.get('trained_at', '?')} with policyscan {card.get('policyscan_version', '?')}",
        f"- taxonomy: {card.get('taxonomy', {}).get('name', '?')} (digest {card.get('taxonomy', {}).get('digest', '?')})",
        f"- training data: {card.get('data', {}).get('sentences', '?')} sentences, sha256 {card.get('data', {}).get('sha256', '?')[:16]}",
        f"- features: {card.get('features', '?')}",
        f"- segmentation pipeline at training time: {card.get('spacy_pipeline', '?')}",
        f"- versions: {', '.join(f'{k} {v}' for k, v in card.get('versions', {}).items())}",
        "",
    ]
    sections = [(f"Cross-validated ({card.get('cv', 'by sentence')})", card.get("cv_metrics"), card.get("baseline_cv_metrics"))]
    for name, entry in card.get("evaluations", {}).items():
        kind = "real municipal text" if entry.get("real_text") else "held out"
        sections.append((f"{name} ({kind}, never trained on)", entry, entry.get("baseline")))
    for title, metrics, baseline in sections:
        if not metrics:
            continue
        lines += [
            f"## {title}",
            "",
            f"{metrics['sentences']} sentences; micro-F1 {metrics['micro_f1']:.3f}, macro-F1 {metrics['macro_f1']:.3f}",
            "",
        ]
        lines += _headline_table(metrics.get("headline"), (baseline or {}).get("headline"))
        lines += ["| label | precision | recall | F1 | support | threshold | keyword F1 |", "| --- | --- | --- | --- | --- | --- | --- |"]
        for label, m in metrics["per_label"].items():
            threshold = card.get("thresholds", {}).get(label, float("nan"))
            keyword = (baseline or {}).get("per_label", {}).get(label, {}).get("f1")
            lines.append(
                f"| {label} | {_num(m['precision'])} | {_num(m['recall'])} | {_num(m['f1'])} | {m['support']} | {threshold:.3f} | {_num(keyword)} |"
            )
        lines.append("")
    return "\n".join(lines)
