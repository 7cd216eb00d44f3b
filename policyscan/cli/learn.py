"""The commands that learn and apply a model: train, evaluate and tag."""

from __future__ import annotations

import itertools
import json
import sys
from collections.abc import Iterator
from typing import TYPE_CHECKING

import click

from ._common import format_option, model_option, model_taxonomy_option, taxonomy_option, warn

if TYPE_CHECKING:  # the commands import what they use when they run, so that --help starts fast
    from ..model import Model
    from ..records import Prediction


def _num(value: float | None) -> str:
    return "   n/a" if value is None else f"{value:>6.3f}"


def _print_metrics(title: str, m: dict, baseline: dict | None = None) -> None:
    click.echo(f"{title}: {m['sentences']} sentences")
    header = f"  {'label':<22} {'prec':>6} {'recall':>6} {'F1':>6} {'supp':>5}" + (f" {'kw F1':>6}" if baseline else "")
    click.echo(header)
    for label, v in m["per_label"].items():
        extra = f" {_num(baseline['per_label'][label]['f1'])}" if baseline else ""
        click.echo(f"  {label:<22} {_num(v['precision'])} {_num(v['recall'])} {_num(v['f1'])} {v['support']:>5}{extra}")
    groups = m.get("macro_f1_by_group", {})
    line = f"  micro-F1 {m['micro_f1']:.3f}  macro-F1 {m['macro_f1']:.3f}  " + "  ".join(f"{g} macro-F1 {v:.3f}" for g, v in groups.items())
    click.echo(line)
    if baseline:
        bgroups = baseline.get("macro_f1_by_group", {})
        click.echo(
            f"  keyword baseline: micro-F1 {baseline['micro_f1']:.3f}  macro-F1 {baseline['macro_f1']:.3f}  "
            + "  ".join(f"{g} macro-F1 {v:.3f}" for g, v in bgroups.items())
        )
    if m.get("not_applicable"):
        click.echo(f"  n/a (no sentence has it, none predicted; left out of the macro averages): {', '.join(m['not_applicable'])}")
    _print_headline(m.get("headline"), (baseline or {}).get("headline"))


def _print_headline(model: dict | None, baseline: dict | None) -> None:
    """The four figures the real-text evaluation is judged by, model beside keyword baseline."""
    if not model:
        return
    names = [(k, k.replace("_", " ")) for k, v in model.items() if isinstance(v, float)]
    click.echo("  headline figures:          model  keywords")
    for key, name in names:
        click.echo(f"    {name:<24} {model[key]:>6.3f}  {_num((baseline or {}).get(key))}")
    counts = [k[: -len("_predicted")] for k in model if k.endswith("_predicted")]
    for label in counts:
        click.echo(f"    {label}: predicted {model[label + '_predicted']} sentences, true {model[label + '_true']}")


@click.command("train")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Model folder to write.")
@click.option("--cv", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--seed", default=0, show_default=True, help="Random seed (training is deterministic for a seed).")
@click.option("--with-default", is_flag=True, help="Train on the shipped annotations as well.")
@click.option(
    "--dev",
    "dev",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Held-out annotations to report in the model card (never trained on); repeatable.",
)
@click.option(
    "--real-dev",
    "real_dev",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Held-out sentences from real documents: reported in the card, and the report shows their per-label precision and recall.",
)
@click.option("--force", is_flag=True, help="Replace an existing model.")
@taxonomy_option
@format_option
def train_cli(files, output, cv, seed, with_default, dev, real_dev, force, taxonomy, fmt) -> None:
    """Train a model on annotation files, cross-validate it and write it with its card.

    Example:

        policyscan train annotations/ -o models/mine
    """
    from ..model import ModelSettings
    from ..taxonomy import load_taxonomy
    from ..training import load_training_data, train

    tax = load_taxonomy(taxonomy)
    items, conflicts = load_training_data(list(files), tax, with_default, fmt)
    for conflict in conflicts:
        warn(f"left out, {conflict.describe()}")
    warn(f"training on {len(items)} sentences with {cv}-fold cross-validation ...")
    sources = [str(f) for f in files] + (["<shipped annotations>"] if with_default else [])
    run = train(items, output, tax, ModelSettings(cv=cv, seed=seed), conflicts, sources, dev, force, real_dev)
    _print_metrics("cross-validated", run.result.cv_metrics, run.result.baseline_cv_metrics)
    for held in run.held_out:
        _print_metrics(f"held-out {held.file}" + (" (real text)" if held.real else ""), held.metrics, held.baseline)
    warn(f"model written to {output}")


@click.command("evaluate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@model_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: micro_f1, macro_f1, per_label, baseline, errors.")
@click.option("--errors", "n_errors", default=10, show_default=True, help="Show the N most confident errors.")
@model_taxonomy_option
@format_option
def evaluate_cli(files, model, as_json, n_errors, taxonomy, fmt) -> None:
    """Score a model on annotated sentences, side by side with the keyword baseline.

    policyscan ships a small example file (fictional sentences, never trained
    on): policyscan/data/example-eval.jsonl in the repository.

    Example:

        policyscan evaluate policyscan/data/example-eval.jsonl --json
    """
    from ..persist import model_taxonomy
    from ..training import evaluate

    result = evaluate(list(files), model_taxonomy(model, taxonomy), model, fmt, n_errors)
    for conflict in result.conflicts:
        warn(f"warning: {conflict.describe()}")
    if result.trained_on:
        warn(
            f"warning: the model was trained on {result.trained_on} of these {result.metrics['sentences']} sentences; "
            "figures on training sentences overstate how well it does"
        )
    if as_json:
        click.echo(json.dumps(result.metrics | {"baseline": result.baseline, "errors": result.errors}, ensure_ascii=False))
        return
    _print_metrics("model", result.metrics, result.baseline)
    for e in result.errors:
        click.echo(f"  {e['kind']:<14} {e['label']:<20} {e['score']:.2f}  {e['text']}")


@click.command("tag")
@click.argument("texts", nargs=-1)
@model_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line: text, labels, scores.")
@click.option("--explain", is_flag=True, help="Show the features that pushed each label.")
@model_taxonomy_option
def tag_cli(texts, model, as_json, explain, taxonomy) -> None:
    """Tag sentences given as arguments, or one per line on stdin (no argument or -).

    Example:

        echo "Vrijwilligers bezoeken eenzame ouderen." | policyscan tag --json
    """
    from ..persist import load_model, model_taxonomy

    clf = load_model(model, model_taxonomy(model, taxonomy))
    for text, prediction in _tagged(clf, _texts(texts)):
        if as_json:
            click.echo(json.dumps({"text": text, "labels": list(prediction.labels), "scores": prediction.scores}, ensure_ascii=False))
        else:
            click.echo(f"{', '.join(prediction.labels) or '-'}\t{text}")
        if explain:
            _print_explanation(clf, text, prediction)


#: Lines tagged at a time, so `tag` reads, tags and writes a long input in steps and its memory stays flat.
TAG_BATCH = 2000


def _texts(texts: tuple[str, ...]) -> Iterator[str]:
    """The sentences given as arguments, else the non-empty lines of stdin as they are read."""
    given = [t for t in texts if t != "-"]
    return iter(given) if given else (line.strip() for line in sys.stdin if line.strip())


def _tagged(clf: Model, texts: Iterator[str], size: int = TAG_BATCH) -> Iterator[tuple[str, Prediction]]:
    """Each text with its prediction, tagged `size` texts at a time."""
    while batch := list(itertools.islice(texts, size)):
        yield from zip(batch, clf.predict(batch), strict=True)


def _print_explanation(clf: Model, text: str, prediction: Prediction) -> None:
    import numpy as np

    pushed = clf.explain(text)
    order = np.argsort([-prediction.scores[label] for label in clf.labels])
    for j in order[:4]:
        label = clf.labels[j]
        marks = ", ".join(f"{feat!r} {w:+.2f}" for feat, w in pushed[label] if w > 0)
        click.echo(f"    {label:<20} {prediction.scores[label]:.2f} (threshold {clf.thresholds[j]:.2f}): {marks}")
