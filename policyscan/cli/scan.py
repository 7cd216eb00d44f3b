"""policyscan scan: PDFs -> coverage profiles per municipality, with the evidence."""

from __future__ import annotations

from pathlib import Path

import click

from ..cache import DocumentCache
from ..persist import model_taxonomy
from ..progress import Progress
from ..scan import scan as run_scan
from ._common import cache_options, finish, model_taxonomy_option


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False), help="Results folder (replaced as a whole).")
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), help="CSV with path, municipality [, code, year, title].")
@click.option("--model", type=click.Path(), help="Model folder [default: $POLICYSCAN_MODEL or the shipped model].")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1), help="Documents processed in parallel.")
@click.option("--min-sentences", default=2, show_default=True, type=click.IntRange(1), help="Sentences a label needs to count as present.")
@click.option("--force", is_flag=True, help="Replace an output folder that is not a policyscan results folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@model_taxonomy_option
@cache_options
def scan(inputs, outdir, manifest, model, jobs, min_sentences, force, quiet, taxonomy, no_cache, cache_dir, engine) -> None:
    """Scan PDFs into coverage profiles per municipality, with the evidence.

    Writes sentences.jsonl, documents.csv, coverage.csv, coverage_long.csv,
    report.html and, when a document failed, errors.csv into OUTDIR.

    Example:

        policyscan scan corpus/ --manifest corpus/manifest.csv -o results/
    """
    with Progress(0, "scan", silent=quiet) as bar:
        summary = run_scan(
            inputs,
            outdir,
            model_taxonomy(model, taxonomy),
            model=model,
            manifest=manifest,
            jobs=jobs,
            cache=DocumentCache(cache_dir, enabled=not no_cache),
            engine=engine,
            min_sentences=min_sentences,
            force=force,
            on_start=lambda n: setattr(bar, "total", n),
            on_document=lambda r: bar.advance(extra=f"{Path(r.document.path).name} ({r.pages} pages)"),
        )
    finish(summary.failures, summary.line() + f", results in {outdir}", quiet, with_municipality=True)
