"""policyscan labels: the label set of a taxonomy."""

from __future__ import annotations

import json

import click

from ._common import taxonomy_option


@click.command()
@taxonomy_option
@click.option("--json", "as_json", is_flag=True, help="Print the taxonomy as JSON.")
def labels(taxonomy: str | None, as_json: bool) -> None:
    """List the labels of the taxonomy as a table.

    Example:

        policyscan labels
    """
    from ..taxonomy import load_taxonomy

    tax = load_taxonomy(taxonomy)
    if as_json:
        click.echo(json.dumps(tax.to_dict(), ensure_ascii=False, indent=2))
        return
    rows = [("id", "group", "domain", "Dutch name")] + [(lab.id, lab.group, lab.domain, lab.name_nl) for lab in tax.labels]
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    for row in rows:
        click.echo("  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths, strict=True)) + "  " + row[3])
