"""The `policyscan` command line: thin commands over the library, one module per command family."""

from __future__ import annotations

import click

from .. import __version__
from ._common import PolicyscanGroup
from .annotate import annotate_cli
from .annotations import annotations
from .extract import extract
from .labels import labels
from .learn import evaluate_cli, tag_cli, train_cli
from .municipalities import municipalities
from .sample import sample_cli
from .scan import scan
from .summary import compare_cli, summary_cli


@click.group(cls=PolicyscanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="policyscan")
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """policyscan: tag Dutch municipal volunteer-policy PDFs with societal tasks and instrumentalisation risk."""
    ctx.meta["debug"] = debug


for _command in (
    extract,
    labels,
    municipalities,
    scan,
    annotations,
    train_cli,
    evaluate_cli,
    tag_cli,
    summary_cli,
    compare_cli,
    sample_cli,
    annotate_cli,
):
    main.add_command(_command)

__all__ = ["main"]
