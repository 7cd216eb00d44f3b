"""The `policyscan` command line: thin commands over the library."""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from . import __version__
from .cache import ExtractionCache
from .corpus import find_documents
from .errors import PolicyscanError
from .extract import ENGINES
from .fileio import atomic_open
from .pipeline import extract_documents
from .progress import Progress
from .taxonomy import load_taxonomy


class _Group(click.Group):
    """Turns library errors into one line on stderr (exit 1); --debug shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PolicyscanError as exc:
            if ctx.meta.get("debug"):
                raise
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="policyscan")
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """policyscan: tag Dutch municipal volunteer-policy PDFs with societal tasks and instrumentalisation risk."""
    ctx.meta["debug"] = debug


def _warn(message: str) -> None:
    click.echo(message, err=True)


def _output(path: str) -> contextlib.AbstractContextManager:
    """The stream to write data to: stdout for "-", else a file written atomically."""
    return contextlib.nullcontext(sys.stdout) if path == "-" else atomic_open(path)


def _cache_options(f: Callable) -> Callable:
    f = click.option("--no-cache", is_flag=True, help="Parse every PDF again; neither read nor write the cache.")(f)
    f = click.option(
        "--cache-dir", type=click.Path(file_okay=False), help="Cache folder [default: $POLICYSCAN_CACHE_DIR or the user cache dir]."
    )(f)
    return click.option("--engine", type=click.Choice(ENGINES), default=ENGINES[0], show_default=True, help="PDF text engine.")(f)


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", required=True, help="JSON Lines file to write, or - for stdout.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@_cache_options
def extract(inputs: tuple[str, ...], output: str, quiet: bool, no_cache: bool, cache_dir: str | None, engine: str) -> None:
    """Extract the sentences of PDFs (and .txt files) as JSON Lines.

    One object per sentence: doc_id, path, page, index, section, text.
    Folders are walked in sorted order for *.pdf and *.txt.

    Example:

        policyscan extract corpus/ -o sentences.jsonl
    """
    documents, problems = find_documents(list(inputs))
    cache = ExtractionCache(cache_dir, enabled=not no_cache)
    failures = [(p.path, p.reason) for p in problems]
    n_sentences = 0
    with _output(output) as handle, Progress(len(documents), "extract", silent=quiet) as bar:
        for result in extract_documents(documents, cache, engine):
            bar.advance(extra=Path(result.document.path).name)
            if result.error:
                failures.append((result.document.path, result.error))
                continue
            for warning in result.warnings:
                _warn(f"warning: {result.document.path}: {warning}")
            for sentence in result.sentences:
                handle.write(json.dumps(sentence.to_dict(), ensure_ascii=False) + "\n")
            n_sentences += len(result.sentences)
    _finish(failures, f"{len(documents)} documents ({len(failures) - len(problems)} failed), {n_sentences} sentences", quiet)


def _finish(failures: list[tuple[str, str]], summary: str, quiet: bool) -> None:
    for path, reason in failures:
        _warn(f"error: {path}: {reason}")
    if not quiet:
        _warn(f"done: {summary}")
    if failures:
        sys.exit(1)


def _taxonomy_option(f: Callable) -> Callable:
    return click.option("--taxonomy", type=click.Path(dir_okay=False), help="Taxonomy TOML file [default: the shipped one].")(f)


@main.command()
@_taxonomy_option
@click.option("--json", "as_json", is_flag=True, help="Print the taxonomy as JSON.")
def labels(taxonomy: str | None, as_json: bool) -> None:
    """List the labels of the taxonomy as a table.

    Example:

        policyscan labels
    """
    tax = load_taxonomy(taxonomy)
    if as_json:
        click.echo(json.dumps(tax.to_dict(), ensure_ascii=False, indent=2))
        return
    rows = [("id", "group", "domain", "Dutch name")] + [(lab.id, lab.group, lab.domain, lab.name_nl) for lab in tax.labels]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3])


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "outdir", required=True, type=click.Path(file_okay=False), help="Results folder (replaced as a whole).")
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), help="CSV with path, municipality [, code, year, title].")
@click.option("--model", type=click.Path(), help="Model folder [default: $POLICYSCAN_MODEL or the shipped model].")
@click.option("-j", "--jobs", default=1, show_default=True, type=click.IntRange(1), help="Documents processed in parallel.")
@click.option("--min-sentences", default=2, show_default=True, type=click.IntRange(1), help="Sentences a label needs to count as present.")
@click.option("--force", is_flag=True, help="Replace an output folder that is not a policyscan results folder.")
@click.option("-q", "--quiet", is_flag=True, help="No progress or summary on stderr.")
@_cache_options
def scan(inputs, outdir, manifest, model, jobs, min_sentences, force, quiet, no_cache, cache_dir, engine) -> None:
    """Scan PDFs into coverage profiles per municipality, with the evidence.

    Writes sentences.jsonl, documents.csv, coverage.csv, coverage_long.csv,
    report.html and, when a document failed, errors.csv into OUTDIR.

    Example:

        policyscan scan corpus/ --manifest corpus/manifest.csv -o results/
    """
    from .scan import scan as run_scan

    with Progress(0, "scan", silent=quiet) as bar:
        summary = run_scan(
            inputs,
            outdir,
            load_taxonomy(),
            model=model,
            manifest=manifest,
            jobs=jobs,
            cache=ExtractionCache(cache_dir, enabled=not no_cache),
            engine=engine,
            min_sentences=min_sentences,
            force=force,
            on_start=lambda n: setattr(bar, "total", n),
            on_document=lambda r: bar.advance(extra=f"{Path(r.document.path).name} ({r.pages} pages)"),
        )
    _finish(
        [(p, f"{reason} [{muni or 'no municipality'}]") for p, muni, reason in summary.failures],
        summary.line() + f", results in {outdir}",
        quiet,
    )


from . import cli_learn  # noqa: E402,F401  (registers the learning commands)
