"""policyscan annotate: a local page to annotate a task file one sentence at a time."""

from __future__ import annotations

import getpass
import signal
import webbrowser

import click

from ..annotate import AnnotationServer, start_session
from ..taxonomy import load_taxonomy
from ._common import taxonomy_option, warn


def _coder() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return ""


def _stop(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command("annotate")
@click.argument("tasks", type=click.Path())
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False), help="Annotation JSONL the decisions are appended to.")
@click.option("--coder", help="Your name, written as `annotator` [default: your login name].")
@click.option("--port", default=0, show_default=True, type=click.IntRange(0, 65535), help="Port on 127.0.0.1 (0: any free port).")
@click.option("--no-browser", is_flag=True, help="Only print the address; do not open a browser.")
@taxonomy_option
def annotate_cli(tasks: str, output: str, coder: str | None, port: int, no_browser: bool, taxonomy: str | None) -> None:
    """Annotate the sentences of a task file in the browser; each decision is appended to OUTPUT at once.

    Serves a page on 127.0.0.1 with a random token in its address. A restart
    continues at the first sentence without a decision. Ctrl-C stops it.

    Example:

        policyscan annotate tasks.jsonl -o mine.jsonl --coder anna
    """
    session = start_session(tasks, output, load_taxonomy(taxonomy), _coder() if coder is None else coder)
    server = AnnotationServer(session, port)
    total = len(session.tasks)
    warn(f"{total} sentences, {session.done} decided already; decisions go to {output}")
    warn(f"open {server.url}")
    warn("Ctrl-C stops the server")
    if not no_browser:
        webbrowser.open(server.url)
    signal.signal(signal.SIGTERM, _stop)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    warn(f"\nstopped: {session.done} of {total} sentences decided, in {output}")
