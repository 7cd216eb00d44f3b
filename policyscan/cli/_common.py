"""What the commands share: the error mapping, common options, warnings and the end-of-run summary."""

from __future__ import annotations

import contextlib
import os
import sys
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import click

from ..annotations import FORMATS
from ..errors import NoDocumentsError, PolicyscanError, PolicyscanWarning
from ..extract import ENGINES, OCR_ENV
from ..fileio import open_output
from ..records import Problem

#: The exit code of an interrupted run (DESIGN: 0 done, 1 some inputs failed, 2 usage, 130 interrupted).
INTERRUPTED = 130


class PolicyscanGroup(click.Group):
    """Turns library errors into one line on stderr (exit 1) and Ctrl-C into exit 130; --debug shows the traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            with warnings.catch_warnings():  # restores the filters and showwarning afterwards (tests invoke commands in-process)
                warnings.simplefilter("always", PolicyscanWarning)
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except NoDocumentsError as exc:  # every input failed: each is named, as in a batch where some did (exit 1)
            for p in exc.problems:
                warn(f"error: {p.path}: {p.reason}")
            raise click.ClickException(str(exc)) from exc
        except PolicyscanError as exc:
            if ctx.meta.get("debug"):
                raise
            raise click.ClickException(str(exc)) from exc
        except KeyboardInterrupt:  # click would say "Aborted!" and exit 1, the code for "some inputs failed"
            click.echo("\ninterrupted", err=True)
            raise click.exceptions.Exit(INTERRUPTED) from None


def _show_warning(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
    """A PolicyscanWarning as "warning: message" on stderr; other warnings as Python shows them."""
    if issubclass(category, PolicyscanWarning):
        warn(f"warning: {message}")
    else:
        click.echo(warnings.formatwarning(message, category, *args[:2]).rstrip(), err=True)


def warn(message: str) -> None:
    """A line on stderr."""
    click.echo(message, err=True)


def output_stream(path: str) -> contextlib.AbstractContextManager:
    """The stream to write data to: stdout for "-", a FIFO or device as it is, a file (links followed) replaced atomically."""
    return open_output(path)


def finish(problems: Sequence[Problem], summary: str, quiet: bool, with_municipality: bool = False) -> None:
    """Report each failed input and the summary on stderr; exit 1 when an input failed."""
    for p in problems:
        where = f" [{p.municipality or 'no municipality'}]" if with_municipality else ""
        warn(f"error: {p.path}: {p.reason}{where}")
    if not quiet:
        warn(f"done: {summary}")
    if problems:
        sys.exit(1)


def _ask_for_ocr(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """--ocr sets $POLICYSCAN_OCR, which extraction reads in this process and in every worker it starts."""
    if value:
        os.environ[OCR_ENV] = "1"


def cache_options(f: Callable) -> Callable:
    """--no-cache, --cache-dir, --engine and --ocr."""
    f = click.option(
        "--ocr",
        is_flag=True,
        expose_value=False,
        callback=_ask_for_ocr,
        help="Read pages without a text layer with Tesseract's Dutch model (seconds per page; same as POLICYSCAN_OCR=1).",
    )(f)
    f = click.option("--no-cache", is_flag=True, help="Parse every PDF again; neither read nor write the cache.")(f)
    f = click.option(
        "--cache-dir", type=click.Path(file_okay=False), help="Cache folder [default: $POLICYSCAN_CACHE_DIR or the user cache dir]."
    )(f)
    return click.option("--engine", type=click.Choice(ENGINES), default=ENGINES[0], show_default=True, help="PDF text engine.")(f)


def taxonomy_option(f: Callable) -> Callable:
    """--taxonomy FILE."""
    return click.option("--taxonomy", type=click.Path(dir_okay=False), help="Taxonomy TOML file [default: the shipped one].")(f)


def model_taxonomy_option(f: Callable) -> Callable:
    """--taxonomy FILE for commands that apply a model: by default the model's own taxonomy."""
    return click.option(
        "--taxonomy",
        type=click.Path(dir_okay=False),
        help="Taxonomy TOML file [default: the one saved with the model, else the shipped one].",
    )(f)


format_option = click.option("--format", "fmt", type=click.Choice(FORMATS), help="Input format [default: detected from the content].")
model_option = click.option("--model", type=click.Path(), help="Model folder [default: $POLICYSCAN_MODEL or the shipped model].")
