"""policyscan extract: the sentences of PDFs as JSON Lines."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from ._common import cache_options, finish, output_stream, warn

if TYPE_CHECKING:
    from ..process import DocumentResult


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, help="JSON Lines file to write, or - for stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@cache_options
def extract(inputs: tuple[str, ...], output: str, quiet: bool, no_cache: bool, cache_dir: str | None, engine: str) -> None:
    """Extract the sentences of PDFs (and .txt files) as JSON Lines.

    One object per sentence: doc_id, path, page, index, section, text.
    Folders are walked in sorted order for *.pdf and *.txt.

    Example:

        policyscan extract corpus/ -o sentences.jsonl
    """
    from ..cache import DocumentCache
    from ..fileio import output_kind
    from ..process import extract_corpus
    from ..progress import Progress

    def on_document(result: DocumentResult) -> None:
        bar.advance(extra=Path(result.document.path).name)
        for warning in result.warnings:
            warn(f"warning: {result.document.path}: {warning}")

    if output != "-" and output_kind(output) == "file":  # replaced, not refused: scripts rely on rerunning extract
        warn(f"warning: replacing existing {output}")
    with output_stream(output) as handle, Progress(0, "extract", silent=quiet) as bar:
        summary = extract_corpus(
            inputs,
            handle,
            DocumentCache(cache_dir, enabled=not no_cache),
            engine,
            on_start=lambda n: setattr(bar, "total", n),
            on_document=on_document,
        )
    finish(summary.problems, summary.line(), quiet)
