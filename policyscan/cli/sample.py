"""policyscan sample: the sentences of a scan worth annotating next."""

from __future__ import annotations

import click

from ..sample import TASK_FORMATS
from ._common import model_option, warn


@click.command("sample")
@click.argument("results", type=click.Path(exists=True))
@click.option("-n", "n", required=True, type=click.IntRange(min=1), help="Number of sentences to sample.")
@click.option("-o", "--output", required=True, type=click.Path(), help='Task file to write ("-" for stdout).')
@click.option(
    "--strategy",
    default="mixed",
    show_default=True,
    metavar="uncertain|label:ID|random|mixed",
    help="Near any label's threshold, near one label's threshold, at random, or 70% uncertain + 30% random.",
)
@click.option("--format", "fmt", default="jsonl", show_default=True, type=click.Choice(list(TASK_FORMATS)), help="Task file format.")
@click.option(
    "--exclude", multiple=True, type=click.Path(exists=True), help="Annotation file or folder whose sentences to leave out (repeatable)."
)
@click.option("--seed", default=0, show_default=True, type=int, help="Random seed: the same seed gives the same sample.")
@model_option
@click.option("--force", is_flag=True, help="Replace an existing output file.")
def sample_cli(
    results: str, n: int, output: str, strategy: str, fmt: str, exclude: tuple[str, ...], seed: int, model: str | None, force: bool
) -> None:
    """Pick the N sentences of a scan worth annotating next, with the model's labels and context pre-filled.

    Example:

        policyscan sample results/ -n 200 -o tasks.jsonl --exclude annotations/
    """
    from ..fileio import refuse_overwrite
    from ..persist import ModelFolder
    from ..sample import sample, write_tasks

    refuse_overwrite(output, force)
    tasks = sample(results, n, strategy, exclude, seed, model)
    write_tasks(tasks, output, fmt, ModelFolder.at(model).taxonomy())
    chosen = {how: sum(t.strategy == how for t in tasks) for how in dict.fromkeys(t.strategy for t in tasks)}
    documents = len({t.path or t.doc_id for t in tasks})
    warn(f"wrote {len(tasks)} tasks to {output} ({fmt}; " + ", ".join(f"{k} {v}" for k, v in chosen.items()) + f"; {documents} documents)")
