"""policyscan municipalities: which municipality each document will be counted under, before a scan."""

from __future__ import annotations

import click

from ._common import finish, warn

COLUMNS = ("path", "municipality", "code", "source", "match", "note")


@click.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path())
@click.option("--manifest", type=click.Path(exists=True, dir_okay=False), help="CSV with path, municipality [, code, year, title].")
@click.option("-q", "--quiet", is_flag=True, help="No summary on stderr.")
def municipalities(inputs: tuple[str, ...], manifest: str | None, quiet: bool) -> None:
    """Show which municipality each document will be counted under (a dry run of a scan's discovery).

    Prints one tab-separated row per document: path, municipality, code (CBS),
    source (manifest, folder, file name), match (official, former, alias or
    unmatched) and note; warnings and the summary go to stderr.

    Example:

        policyscan municipalities corpus/ --manifest corpus/manifest.csv
    """
    from ..corpus import discover
    from ..progress import counted

    found = discover(list(inputs), manifest)
    click.echo("\t".join(COLUMNS))
    for row in found.mapping:
        click.echo("\t".join(_cell(getattr(row, column)) for column in COLUMNS))
    for message in found.warnings + found.name_warnings:
        warn(f"warning: {message}")
    names = {row.municipality for row in found.mapping}
    summary = f"{counted(len(found.mapping), 'document')}, {counted(len(names), 'municipality', 'municipalities')}"
    finish(found.problems, summary + (f", {len(found.unmatched)} not on the official list" if found.unmatched else ""), quiet)


def _cell(value: object) -> str:
    """A TSV cell: empty for None, tabs and newlines turned into spaces."""
    return "" if value is None else " ".join(str(value).split())
