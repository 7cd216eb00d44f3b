"""policyscan summary and policyscan compare: the study's questions across municipalities, and two scans side by side."""

from __future__ import annotations

import click

from ._common import model_option, warn


@click.command("summary")
@click.argument("results", type=click.Path(exists=True, file_okay=False))
@click.option("--by", "by", metavar="COLUMN", help="Break every figure down by a documents.csv (manifest) column, or by province.")
@model_option
@click.option(
    "--min-sentences", type=click.IntRange(1), help="Presence rule for the error-rate simulation [default: read from the results]."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Seed of the bootstrap and the simulation.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line on stderr.")
def summary_cli(results, by, model, min_sentences, seed, quiet) -> None:
    """Rebuild summary.csv, summary.md and the summary plots of a results folder.

    Per label the number and share of municipalities where it is present, the
    headline measures and the distribution of breadth, each with a 95% bootstrap
    interval and a 95% interval from the model's measured tagging errors.

    Example:

        policyscan summary results/ --by province
    """
    from ..persist import ModelFolder
    from ..summary import write_summary
    from ..taxonomy import load_taxonomy

    card = ModelFolder.at(model).card()
    summary = write_summary(results, load_taxonomy(), card, by=by, min_sentences=min_sentences, seed=seed)
    if not quiet:
        errors = (
            f"tagging errors from {summary.error_source}" if summary.error_source else f"no tagging-error interval: {summary.error_note}"
        )
        groups = f", {len(summary.groups) - 1} groups by {by}" if by else ""
        warn(f"done: summary of {summary.municipalities} municipalities{groups} ({errors}) in {results}/summary.md")


@click.command("compare")
@click.argument("old", type=click.Path(exists=True, file_okay=False))
@click.argument("new", type=click.Path(exists=True, file_okay=False))
@click.option(
    "-o",
    "--output",
    "outdir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for compare.csv, compare_labels.csv and the plot.",
)
@click.option("--force", is_flag=True, help="Replace earlier compare files in the folder.")
@click.option("-q", "--quiet", is_flag=True, help="No summary line on stderr.")
def compare_cli(old, new, outdir, force, quiet) -> None:
    """Compare two scans of the same municipalities: presence per label before and after.

    Writes compare.csv (per municipality and label), compare_labels.csv (per
    label, over the municipalities in both scans) and compare.svg/.png.

    Example:

        policyscan compare results-2021/ results-2025/ -o change/
    """
    from ..compare import compare as run_compare
    from ..taxonomy import load_taxonomy

    result = run_compare(old, new, outdir, load_taxonomy(), force=force)
    if not quiet:
        changed = sum(1 for row in result.cells if row[7] in ("gained", "lost"))
        warn(f"done: {result.common} municipalities in both scans, {changed} label changes, results in {outdir}")
