"""policyscan scan: PDFs -> coverage profiles per municipality, with the evidence."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import click

from ..errors import OutputOverlapsInputError
from ._common import cache_options, finish, model_taxonomy_option, warn

if TYPE_CHECKING:
    from ..process import DocumentResult


class OverlapUsageError(click.ClickException):
    """An -o that overlaps the inputs: a usage error (exit 2) shown as one line."""

    exit_code = 2


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False), help="Results folder (replaced as a whole).")
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), help="CSV with path, municipality [, code, year, title].")
@click.option("--model", type=click.Path(), help="Model folder [default: $POLICYSCAN_MODEL or the shipped model].")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1), help="Documents processed in parallel.")
@click.option("--min-sentences", default=2, show_default=True, type=click.IntRange(1), help="Sentences a label needs to count as present.")
@click.option(
    "--force", is_flag=True, help="Replace an output folder holding files policyscan did not write (never one holding the inputs)."
)
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
    from ..process import input_count, start_workers, stop_workers

    start_workers(jobs, input_count(inputs, jobs))  # they load spaCy while this process starts up
    try:
        _scan(inputs, outdir, manifest, model, jobs, min_sentences, force, quiet, taxonomy, no_cache, cache_dir, engine)
    finally:
        stop_workers()


def _scan(inputs, outdir, manifest, model, jobs, min_sentences, force, quiet, taxonomy, no_cache, cache_dir, engine) -> None:
    """The scan itself, once the workers are starting."""
    from ..cache import DocumentCache
    from ..persist import model_taxonomy
    from ..progress import Progress
    from ..scan import scan as run_scan

    def on_document(result: DocumentResult) -> None:
        bar.advance(extra=f"{Path(result.document.path).name} ({result.pages} pages)")
        if result.warnings:
            warn(document_warning_line(result))

    with Progress(0, "scan", silent=quiet) as bar, _overlap_is_usage_error():
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
            on_document=on_document,
            on_warning=warn,
        )
    finish(summary.failures, summary.line() + f", results in {outdir}", quiet, with_municipality=True)


@contextlib.contextmanager
def _overlap_is_usage_error() -> Iterator[None]:
    """Turn an output folder that overlaps the inputs into exit code 2."""
    try:
        yield
    except OutputOverlapsInputError as exc:
        raise OverlapUsageError(str(exc)) from exc


def document_warning_line(result: DocumentResult, shown: int = 3) -> str:
    """One stderr line for all the page warnings of a document."""
    w = result.warnings
    if len(w) == 1:
        return f"warning: {result.document.path}: {w[0]}"
    more = f"; and {len(w) - shown} more (see documents.csv)" if len(w) > shown else ""
    return f"warning: {result.document.path}: {len(w)} warnings: {'; '.join(w[:shown])}{more}"
