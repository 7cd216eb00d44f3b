"""Saving and loading models: skops for the scikit-learn pipeline (never pickle), plain arrays for fast scoring.

A model is a folder:
- `model.skops`: the trained scikit-learn pipeline, labels and thresholds; loading
  checks its declared types against an explicit allow-list first;
- `scorer.npz`: the same model exported to arrays (vocabularies, idf,
  coefficients, labels, thresholds), read with allow_pickle=False; this is what
  tagging and scanning use, so they need neither scikit-learn nor skops;
- `card.json` and `card.md`: what the model was trained with, its metrics, and
  the SHA-256 of both files, so a file changed after training is refused.
"""

from __future__ import annotations

import json
import os
import re
import zipfile
from pathlib import Path

import numpy as np

from .errors import ModelError, OutputExistsError
from .fileio import atomic_open, atomic_write_text, file_hash
from .model import Model
from .scorer import Scorer
from .taxonomy import Taxonomy

FORMAT = 1
MODEL_FILE = "model.skops"
SCORER_FILE = "scorer.npz"
CARD_JSON = "card.json"
CARD_MD = "card.md"
ENV_VAR = "POLICYSCAN_MODEL"

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
    """$POLICYSCAN_MODEL, else the model shipped in the repository's models/default."""
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return Path(__file__).resolve().parent.parent / "models" / "default"


def save_model(model: Model, directory: str | Path, card: dict, force: bool = False) -> Path:
    """Write the model, its scorer and its card into `directory` (refused if it holds a model, unless `force`)."""
    import skops.io as sio

    directory = Path(directory)
    if (directory / MODEL_FILE).exists() and not force:
        raise OutputExistsError(f"{directory} already holds a model; pass --force to replace it")
    directory.mkdir(parents=True, exist_ok=True)
    thresholds = np.asarray(model.thresholds, dtype=float)
    payload = {"format": FORMAT, "pipeline": model.pipeline, "labels": list(model.labels), "thresholds": thresholds}
    with atomic_open(directory / MODEL_FILE, "wb") as handle:
        handle.write(sio.dumps(payload, compression=zipfile.ZIP_DEFLATED, compresslevel=9))
    scorer = Scorer(model.scorer.blocks, model.scorer.intercept, {"labels": np.asarray(model.labels, dtype=str), "thresholds": thresholds})
    with atomic_open(directory / SCORER_FILE, "wb") as handle:
        scorer.save(handle)
    card = card | {"labels": list(model.labels), "thresholds": dict(zip(model.labels, map(float, thresholds), strict=True))}
    card |= {"model_sha256": file_hash(directory / MODEL_FILE), "scorer_sha256": file_hash(directory / SCORER_FILE)}
    atomic_write_text(directory / CARD_JSON, json.dumps(card, indent=2, ensure_ascii=False) + "\n")
    atomic_write_text(directory / CARD_MD, card_markdown(card))
    return directory


def _declared_types(path: Path) -> set[str]:
    try:
        with zipfile.ZipFile(path) as archive:
            schema = archive.read("schema.json").decode("utf-8")
    except (zipfile.BadZipFile, KeyError, UnicodeDecodeError, OSError) as exc:
        raise ModelError(f"{path}: not a policyscan model file (damaged or not a skops file)") from exc
    pairs = re.findall(r'"__class__":\s*"([^"]+)",\s*"__module__":\s*"([^"]+)"', schema)
    pairs += [(c, m) for m, c in re.findall(r'"__module__":\s*"([^"]+)",\s*"__class__":\s*"([^"]+)"', schema)]
    return {f"{module}.{cls}" for cls, module in pairs}


def _model_file(path: Path) -> Path:
    file = path / MODEL_FILE if path.is_dir() else path
    if not file.exists():
        raise ModelError(f"{path}: no model found; train one with 'policyscan train' or pass --model")
    head = file.read_bytes()[:2]
    if head[:1] == b"\x80":
        raise ModelError(f"{file}: this is a pickle file; policyscan loads only skops model files, because a pickle can run code")
    if head != b"PK":
        raise ModelError(f"{file}: not a policyscan model file (not a skops archive)")
    return file


def read_card(path: str | Path) -> dict:
    """The card beside a model, or {} when there is none."""
    path = Path(path)
    card = (path if path.is_dir() else path.parent) / CARD_JSON
    if not card.exists():
        return {}
    try:
        return json.loads(card.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ModelError(f"{card}: damaged model card ({exc.msg})") from exc


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


def verify_model(path: str | Path, taxonomy: Taxonomy) -> dict:
    """The card of a model folder whose files match the card and whose labels match the taxonomy, without loading it.

    A folder without a card or scorer is loaded in full, so every refusal of `load_model` applies.
    """
    path = Path(path)
    file = _model_file(path)
    card = read_card(path)
    scorer_file = file.parent / SCORER_FILE
    if not (card.get("scorer_sha256") and card.get("labels") and scorer_file.exists()):
        model = load_model(path, taxonomy)
        return card | {"labels": list(model.labels)}
    _check_hash(file, card, "model_sha256")
    _check_hash(scorer_file, card, "scorer_sha256")
    check_pipeline(card, path)
    _check_taxonomy(tuple(card["labels"]), card, taxonomy)
    return card


def load_model(path: str | Path | None = None, taxonomy: Taxonomy | None = None) -> Model:
    """A saved model; refuses pickles, unexpected types, files changed after training and incompatible taxonomies."""
    path = Path(path) if path else default_model_path()
    file = _model_file(path)
    card = read_card(path)
    _check_hash(file, card, "model_sha256")
    check_pipeline(card, path)
    scorer_file = file.parent / SCORER_FILE
    payload: dict = {}

    def pipeline():
        if not payload:
            payload.update(load_payload(file))
        return payload["pipeline"]

    if card.get("scorer_sha256") and scorer_file.exists():
        _check_hash(scorer_file, card, "scorer_sha256")
        try:
            scorer = Scorer.load(scorer_file)
        except (ValueError, OSError, KeyError) as exc:
            raise ModelError(f"{scorer_file}: damaged scorer file ({exc})") from exc
        labels, thresholds = tuple(str(x) for x in scorer.extra["labels"]), scorer.extra["thresholds"]
    else:  # a model without an exported scorer: export it from the pipeline
        pipeline()
        scorer = Scorer.from_pipeline(payload["pipeline"])
        labels, thresholds = tuple(payload["labels"]), np.asarray(payload["thresholds"], dtype=float)
    model = Model(labels, np.asarray(thresholds, dtype=float), scorer, card, pipeline_source=pipeline)
    if taxonomy is not None:
        check_compatible(model, taxonomy)
    return model


def check_pipeline(card: dict, path: Path) -> None:
    """Refuse a model whose features were computed with another spaCy pipeline than the one this machine has."""
    from .segment import pipeline_key

    wanted = card.get("feature_pipeline")
    if wanted and wanted != pipeline_key():
        raise ModelError(
            f"{path}: the model's features come from spaCy pipeline {wanted}, but this machine has {pipeline_key()}; "
            "install that pipeline or retrain the model here"
        )


def check_compatible(model: Model, taxonomy: Taxonomy) -> None:
    """Refuse a model whose label set differs from the taxonomy in use."""
    _check_taxonomy(tuple(model.labels), model.meta, taxonomy)


def _check_taxonomy(labels: tuple[str, ...], card: dict, taxonomy: Taxonomy) -> None:
    recorded = card.get("taxonomy", {}).get("digest")
    if labels != taxonomy.ids or (recorded and recorded != taxonomy.digest()):
        raise ModelError(
            f"the model was trained on a different taxonomy ({card.get('taxonomy', {}).get('name', '?')}, "
            f"labels {', '.join(labels)}); retrain it with this taxonomy or use the matching --taxonomy"
        )


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
    for title, key in (("Cross-validated", "cv_metrics"), ("Dev set (never trained on)", "dev_metrics")):
        metrics = card.get(key)
        if not metrics:
            continue
        lines += [f"## {title}", "", f"micro-F1 {metrics['micro_f1']:.3f}, macro-F1 {metrics['macro_f1']:.3f}", ""]
        lines += ["| label | precision | recall | F1 | support | threshold |", "| --- | --- | --- | --- | --- | --- |"]
        for label, m in metrics["per_label"].items():
            threshold = card.get("thresholds", {}).get(label, float("nan"))
            lines.append(f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} | {threshold:.3f} |")
        lines.append("")
    return "\n".join(lines)
