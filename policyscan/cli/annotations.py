"""policyscan annotations: inspect and convert annotation files."""

from __future__ import annotations

import json

import click

from ..annotations import FORMATS, counts_table, read_many, statistics, write_annotations
from ..fileio import refuse_overwrite
from ..taxonomy import load_taxonomy
from ._common import format_option, taxonomy_option, warn


@click.group()
def annotations() -> None:
    """Inspect and convert annotation files."""


@annotations.command("stats")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True))
@taxonomy_option
@format_option
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
@format_option
@taxonomy_option
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def annotations_convert(source: str, output: str, to: str, fmt: str | None, taxonomy: str | None, force: bool) -> None:
    """Convert annotations between policyscan JSONL, Prodigy, doccano, Label Studio, spaCy and CSV.

    Example:

        policyscan annotations convert batch.jsonl -o batch-ls.json --to labelstudio
    """
    refuse_overwrite(output, force)
    tax = load_taxonomy(taxonomy)
    items = read_many([source], tax, fmt)
    write_annotations(items, output, to, tax)
    warn(f"wrote {len(items)} annotations to {output} ({to})")
