"""The commands that learn: annotations, train, evaluate and tag."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click
import numpy as np

from .annotations import FORMATS, counts_table, find_conflicts, read_many, statistics, write_annotations
from .cli import _taxonomy_option, _warn, main
from .errors import OutputExistsError
from .evaluate import worst_errors
from .model import ModelSettings
from .persist import load_model, save_model
from .segment import load_pipeline, pipeline_id
from .taxonomy import load_taxonomy
from .training import build_card, evaluate_items, load_training_data, train_model

_FORMAT = click.option("--format", "fmt", type=click.Choice(FORMATS), help="Input format [default: detected from the content].")
_MODEL = click.option("--model", type=click.Path(), help="Model folder [default: $POLICYSCAN_MODEL or the shipped model].")


@main.group()
def annotations() -> None:
    """Inspect and convert annotation files."""


@annotations.command("stats")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@_taxonomy_option
@_FORMAT
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--markdown", is_flag=True, help="Print the label counts as a Markdown table.")
def annotations_stats(files: tuple[str, ...], taxonomy: str | None, fmt: str | None, as_json: bool, markdown: bool) -> None:
    """Counts per label, co-occurrences, duplicates and conflicts.

    Example:

        policyscan annotations stats annotations/
    """
    tax = load_taxonomy(taxonomy)
    stats = statistics(read_many(files, tax, fmt), tax)
    if as_json:
        click.echo(json.dumps(stats, ensure_ascii=False, indent=2))
        return
    if markdown:
        click.echo(counts_table(stats, tax))
        return
    n = stats["sentences"]
    click.echo(
        f"sentences: {n}, no label: {stats['no_label']} ({stats['no_label'] / max(n, 1):.0%}), two or more labels: {stats['multi_label']}"
    )
    for label, count in stats["labels"].items():
        click.echo(f"  {label:<22} {count:>5}")
    click.echo("most frequent co-occurrences: " + ", ".join(f"{k} {v}" for k, v in list(stats["cooccurrence"].items())[:8]))
    click.echo(f"duplicates: {len(stats['duplicates'])}, conflicts: {len(stats['conflicts'])}")
    v = stats["variety"]
    click.echo(
        f"variety: {v['shared_opening_share']:.1%} share a 3-word opening with 10+ others, "
        f"{v['stock_phrase_share']:.1%} contain a 5-word run found in 20+ sentences, {v['near_duplicate_pairs']} near-duplicate pairs"
    )
    for conflict in stats["conflicts"]:
        click.echo(
            f"  conflict: {conflict['text'][:80]!r}: " + "; ".join(f"{v['at']} [{', '.join(v['labels'])}]" for v in conflict["versions"])
        )


@annotations.command("convert")
@click.argument("source", type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(), help="File to write.")
@click.option("--to", "to", required=True, type=click.Choice(FORMATS), help="Output format.")
@_FORMAT
@_taxonomy_option
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def annotations_convert(source: str, output: str, to: str, fmt: str | None, taxonomy: str | None, force: bool) -> None:
    """Convert annotations between policyscan JSONL, Prodigy, doccano, Label Studio, spaCy and CSV.

    Example:

        policyscan annotations convert batch.jsonl -o batch-ls.json --to labelstudio
    """
    if Path(output).exists() and not force:
        raise OutputExistsError(f"{output} exists; pass --force to replace it")
    tax = load_taxonomy(taxonomy)
    items = read_many([source], tax, fmt)
    write_annotations(items, output, to, tax)
    _warn(f"wrote {len(items)} annotations to {output} ({to})")


def _print_metrics(title: str, m: dict, baseline: dict | None = None) -> None:
    click.echo(f"{title}: {m['sentences']} sentences")
    header = f"  {'label':<22} {'prec':>6} {'recall':>6} {'F1':>6} {'supp':>5}" + (f" {'kw F1':>6}" if baseline else "")
    click.echo(header)
    for label, v in m["per_label"].items():
        extra = f" {baseline['per_label'][label]['f1']:>6.3f}" if baseline else ""
        click.echo(f"  {label:<22} {v['precision']:>6.3f} {v['recall']:>6.3f} {v['f1']:>6.3f} {v['support']:>5}{extra}")
    groups = m.get("macro_f1_by_group", {})
    line = f"  micro-F1 {m['micro_f1']:.3f}  macro-F1 {m['macro_f1']:.3f}  " + "  ".join(f"{g} macro-F1 {v:.3f}" for g, v in groups.items())
    click.echo(line)
    if baseline:
        bgroups = baseline.get("macro_f1_by_group", {})
        click.echo(
            f"  keyword baseline: micro-F1 {baseline['micro_f1']:.3f}  macro-F1 {baseline['macro_f1']:.3f}  "
            + "  ".join(f"{g} macro-F1 {v:.3f}" for g, v in bgroups.items())
        )


@main.command("train")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False), help="Model folder to write.")
@click.option("--cv", default=5, show_default=True, help="Cross-validation folds.")
@click.option("--seed", default=0, show_default=True, help="Random seed (training is deterministic for a seed).")
@click.option("--with-default", is_flag=True, help="Train on the shipped annotations as well.")
@click.option(
    "--dev",
    "dev",
    type=click.Path(exists=True, dir_okay=False),
    help="Held-out annotations to report in the model card (never trained on).",
)
@click.option("--force", is_flag=True, help="Replace an existing model.")
@_taxonomy_option
@_FORMAT
def train_cli(files, output, cv, seed, with_default, dev, force, taxonomy, fmt) -> None:
    """Train a model on annotation files, cross-validate it and write it with its card.

    Example:

        policyscan train annotations/ -o models/mine
    """
    tax = load_taxonomy(taxonomy)
    if (Path(output) / "model.skops").exists() and not force:
        raise OutputExistsError(f"{output} already holds a model; pass --force to replace it")
    items, conflicts = load_training_data(list(files), tax, with_default, fmt)
    for conflict in conflicts:
        _warn(f"left out, {conflict.describe()}")
    settings = ModelSettings(cv=cv, seed=seed)
    _warn(f"training on {len(items)} sentences with {cv}-fold cross-validation ...")
    result = train_model(items, tax, settings, conflicts)
    _print_metrics("cross-validated", result.cv_metrics, result.baseline_cv_metrics)
    sources = [str(f) for f in files] + (["<shipped annotations>"] if with_default else [])
    card = build_card(result, tax, settings, pipeline_id(load_pipeline()), Path(output).name, sources)
    if dev:
        dev_items = read_many([dev], tax)
        card["dev_metrics"], card["baseline_dev_metrics"], _, _ = evaluate_items(result.model, dev_items, tax)
        card["dev_file"] = Path(dev).name
        _print_metrics(f"held-out {Path(dev).name}", card["dev_metrics"], card["baseline_dev_metrics"])
    save_model(result.model, output, card, force=force)
    _warn(f"model written to {output}")


@main.command("evaluate")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@_MODEL
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: micro_f1, macro_f1, per_label, baseline, errors.")
@click.option("--errors", "n_errors", default=10, show_default=True, help="Show the N most confident errors.")
@_taxonomy_option
@_FORMAT
def evaluate_cli(files, model, as_json, n_errors, taxonomy, fmt) -> None:
    """Score a model on annotated sentences, side by side with the keyword baseline.

    Example:

        policyscan evaluate ../shared/dev/dev.jsonl --json
    """
    tax = load_taxonomy(taxonomy)
    clf = load_model(model, tax)
    items = read_many(files, tax, fmt)
    for conflict in find_conflicts(items):
        _warn(f"warning: {conflict.describe()}")
    m, base, proba, y = evaluate_items(clf, items, tax)
    errors = worst_errors([a.text for a in items], y, proba, clf.thresholds, clf.labels, n_errors)
    if as_json:
        click.echo(json.dumps(m | {"baseline": base, "errors": errors}, ensure_ascii=False))
        return
    _print_metrics("model", m, base)
    for e in errors:
        click.echo(f"  {e['kind']:<14} {e['label']:<20} {e['score']:.2f}  {e['text']}")


@main.command("tag")
@click.argument("texts", nargs=-1)
@_MODEL
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line: text, labels, scores.")
@click.option("--explain", is_flag=True, help="Show the features that pushed each label.")
def tag_cli(texts, model, as_json, explain) -> None:
    """Tag sentences given as arguments, or one per line on stdin (no argument or -).

    Example:

        echo "Vrijwilligers bezoeken eenzame ouderen." | policyscan tag --json
    """
    clf = load_model(model, load_taxonomy())
    lines = [t for t in texts if t != "-"]
    if not lines:
        lines = [line.strip() for line in sys.stdin if line.strip()]
    for text, prediction in zip(lines, clf.predict(lines), strict=True):
        if as_json:
            click.echo(json.dumps({"text": text, "labels": list(prediction.labels), "scores": prediction.scores}, ensure_ascii=False))
        else:
            click.echo(f"{', '.join(prediction.labels) or '-'}\t{text}")
        if explain:
            _print_explanation(clf, text, prediction)


def _print_explanation(clf, text: str, prediction) -> None:
    pushed = clf.explain(text)
    order = np.argsort([-prediction.scores[label] for label in clf.labels])
    for j in order[:4]:
        label = clf.labels[j]
        marks = ", ".join(f"{feat!r} {w:+.2f}" for feat, w in pushed[label] if w > 0)
        click.echo(f"    {label:<20} {prediction.scores[label]:.2f} (threshold {clf.thresholds[j]:.2f}): {marks}")
