"""policyscan annotations: inspect and convert annotation files."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import click

from ..annotations import FORMATS
from ._common import format_option, taxonomy_option, warn

if TYPE_CHECKING:  # the commands import what they use when they run, so that --help starts fast
    from ..agreement import Agreement, Figures


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
    from ..annotations import counts_table, read_many, statistics
    from ..taxonomy import load_taxonomy

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
    from ..annotations import read_many, write_annotations
    from ..fileio import refuse_overwrite
    from ..taxonomy import load_taxonomy

    refuse_overwrite(output, force)
    tax = load_taxonomy(taxonomy)
    items = read_many([source], tax, fmt)
    write_annotations(items, output, to, tax)
    warn(f"wrote {len(items)} annotations to {output} ({to})")


@annotations.command("agreement")
@click.argument("a", type=click.Path(exists=True))
@click.argument("b", type=click.Path(exists=True))
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
@click.option("--disagreements", type=click.Path(), help="Write the sentences the coders differ on here (policyscan JSONL).")
@format_option
@taxonomy_option
@click.option("--force", is_flag=True, help="Replace an existing --disagreements file.")
def annotations_agreement(
    a: str, b: str, as_json: bool, disagreements: str | None, fmt: str | None, taxonomy: str | None, force: bool
) -> None:
    """Intercoder agreement of two coders' annotations of the same sentences: Cohen's kappa, Krippendorff's alpha, percent agreement.

    Example:

        policyscan annotations agreement coder-a.jsonl coder-b.jsonl --disagreements to-adjudicate.jsonl
    """
    from ..agreement import agreement
    from ..annotations import read_many, write_annotations
    from ..fileio import refuse_overwrite
    from ..taxonomy import load_taxonomy

    if disagreements:
        refuse_overwrite(disagreements, force)
    tax = load_taxonomy(taxonomy)
    result = agreement(read_many([a], tax, fmt), read_many([b], tax, fmt), tax)
    if disagreements:
        write_annotations(list(result.disagreements), disagreements, "policyscan", tax)
        warn(f"wrote {len(result.disagreements)} disagreements to {disagreements}")
    if as_json:
        click.echo(json.dumps(result.to_json(), ensure_ascii=False, indent=2))
        return
    click.echo(_agreement_table(result))


def _agreement_table(result: Agreement) -> str:
    """The figures as aligned text: one row per label, per group and overall."""

    def num(value: float | None) -> str:
        return "n/a" if value is None else f"{value:.3f}"

    def row(name: str, f: Figures) -> str:
        return f"  {name:<22} {num(f.kappa):>7} {num(f.alpha):>7} {f.agreement:>9.1%} {f.n:>6}"

    lines = [
        f"sentences compared: {result.compared} (matched by {result.matched_by}); "
        f"not matched: {result.not_matched_a} in A, {result.not_matched_b} in B; differing: {len(result.disagreements)}",
        f"  {'label':<22} {'kappa':>7} {'alpha':>7} {'agreement':>9} {'n':>6}",
    ]
    lines += [row(label, f) for label, f in result.labels.items()]
    lines += [row(f"group {group}", f) for group, f in result.groups.items()]
    lines.append(row("overall", result.overall))
    return "\n".join(lines)
