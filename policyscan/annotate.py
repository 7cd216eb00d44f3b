"""A local annotation page: one sentence at a time, each decision appended to an annotation log the moment it is made.

The page is served on 127.0.0.1 only. Every request needs the random token of the address the server prints;
a write needs it in the `X-Policyscan-Token` header as well, and is refused when its `Origin` is another site's,
so no other page open in the browser can write. The output is policyscan's annotation JSONL, one line per decision,
appended, flushed and fsync'ed: a crash loses at most the sentence on screen. Going back appends a new line and the
last line for a sentence wins; "unsure" is recorded as `meta.decision = "unsure"` and readers leave such sentences out
(see `annotations.read_annotations`).
"""

from __future__ import annotations

import datetime
import errno
import functools
import hashlib
import json
import os
import secrets
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from .annotations import DECISIONS, Annotation, decision, read_annotations
from .errors import AnnotationError, PolicyscanError, PolicyscanWarning
from .taxonomy import Taxonomy

HOST = "127.0.0.1"
TOKEN_HEADER = "X-Policyscan-Token"
#: One-key shortcuts, given to the labels in taxonomy order; n (no label) and u (unsure) are kept for the decisions.
LABEL_KEYS = "1234567890qwertyiopasdfghjklzxcvbm"
#: Context fields shown beside a sentence when its task carries them.
CONTEXT = ("municipality", "document", "page", "section", "before", "after", "coder_a", "coder_b")
MAX_BODY = 1 << 20


class AnnotateError(PolicyscanError):
    """The annotation page cannot start as asked."""


@dataclass(frozen=True)
class Task:
    """One sentence to decide: its text, pre-filled labels, id and context."""

    number: int
    text: str
    labels: tuple[str, ...]
    id: str
    source: str = ""
    context: dict = field(default_factory=dict, compare=False, hash=False)

    @property
    def key(self) -> str:
        """The key decisions are matched by: the whitespace-collapsed, lowercased text."""
        return " ".join(self.text.lower().split())

    def to_json(self) -> dict:
        """What the page shows of the task."""
        return {"number": self.number, "text": self.text, "labels": list(self.labels), "source": self.source, "context": self.context}


def _flat_meta(item: Annotation) -> dict:
    """An annotation's extra keys with those nested under `meta` (as `sample` and `agreement` write them) lifted up."""
    nested = item.meta.get("meta")
    return (nested if isinstance(nested, dict) else {}) | {k: v for k, v in item.meta.items() if k != "meta"}


def _task(number: int, item: Annotation) -> Task:
    meta = _flat_meta(item)
    context = {k: meta[k] for k in CONTEXT if meta.get(k) not in (None, "", [])}
    if "document" not in context and meta.get("doc_id"):
        context["document"] = meta["doc_id"]
    given = meta.get("id")
    key = " ".join(item.text.lower().split())
    ident = str(given) if given not in (None, "") else "t" + hashlib.sha1(key.encode()).hexdigest()[:12]
    return Task(number, item.text, item.labels, ident, item.source, context)


def load_tasks(path: str | Path, taxonomy: Taxonomy) -> list[Task]:
    """The tasks of a file in any format `annotations convert` reads (as `sample` writes them), labels pre-filled."""
    path = Path(path)
    if path.is_dir():
        raise AnnotateError(f"{path} is a folder; give the task file `policyscan sample` wrote")
    try:
        items = read_annotations(path, taxonomy)
    except OSError as exc:
        raise AnnotateError(f"{path}: cannot read the tasks ({exc.strerror})") from exc
    if not items:
        raise AnnotateError(f"{path}: no tasks in it; write some with `policyscan sample RESULTS -n N -o {path.name}`")
    return [_task(number, item) for number, item in enumerate(items, 1)]


@dataclass(frozen=True)
class Decision:
    """A coder's decision on a sentence: labels (possibly none) or unsure, with the labels ticked."""

    decision: str
    labels: tuple[str, ...]


class DecisionLog:
    """The output file: its decisions read at start, and each new one appended, flushed and fsync'ed at once."""

    def __init__(self, path: str | Path, taxonomy: Taxonomy) -> None:
        self.path = Path(path)
        self.taxonomy = taxonomy
        self.lock = threading.Lock()

    def read(self) -> dict[str, Decision]:
        """The last decision per sentence key in the file (none when it does not exist yet)."""
        if self.path.is_dir():
            raise AnnotateError(f"{self.path} is a folder; give a file to write the annotations to")
        if not self.path.exists() or self.path.stat().st_size == 0:
            return {}
        self._repair_tail()
        items = read_annotations(self.path, self.taxonomy, "policyscan", keep_unsure=True)
        return {" ".join(a.text.lower().split()): Decision(decision(a) or ("labels" if a.labels else "no_label"), a.labels) for a in items}

    def _repair_tail(self) -> None:
        """Cut a last line a crash left half-written (the decision on screen), so that the rest can be read."""
        data = self.path.read_bytes()
        if data.endswith(b"\n"):
            return
        start = data.rfind(b"\n") + 1
        try:
            json.loads(data[start:])
        except ValueError:
            warnings.warn(
                f"{self.path}: dropped a half-written last line (the decision being saved when it stopped)", PolicyscanWarning, stacklevel=2
            )
            os.truncate(self.path, start)
            return
        with open(self.path, "ab") as handle:
            handle.write(b"\n")

    def append(self, line: dict) -> None:
        """Append one JSON line in a single write, then flush it to disk."""
        data = (json.dumps(line, ensure_ascii=False) + "\n").encode()
        with self.lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)


class Session:
    """The tasks, the coder and the decisions made so far."""

    def __init__(self, tasks: Sequence[Task], taxonomy: Taxonomy, log: DecisionLog, coder: str) -> None:
        self.tasks = list(tasks)
        self.taxonomy = taxonomy
        self.log = log
        self.coder = coder
        self.decisions = log.read()
        self.lock = threading.Lock()  # the file and `decisions` change together, whatever order the page's requests arrive in

    @property
    def done(self) -> int:
        """The number of tasks decided."""
        return sum(1 for t in self.tasks if t.key in self.decisions)

    @property
    def start(self) -> int:
        """The index of the first task without a decision (the number of tasks when all are decided)."""
        return next((i for i, t in enumerate(self.tasks) if t.key not in self.decisions), len(self.tasks))

    def state(self) -> dict:
        """Everything the page needs: labels with shortcuts, tasks, decisions, where to start."""
        labels = [
            {"id": lab.id, "name": lab.name_nl, "description": lab.description, "group": lab.group, "key": key}
            for lab, key in zip(self.taxonomy.labels, list(LABEL_KEYS) + [""] * len(self.taxonomy.labels), strict=False)
        ]
        decisions = [self._decision_json(t) for t in self.tasks]
        return {
            "labels": labels,
            "tasks": [t.to_json() for t in self.tasks],
            "decisions": decisions,
            "start": self.start,
            "done": self.done,
            "coder": self.coder,
            "output": str(self.log.path),
        }

    def _decision_json(self, task: Task) -> dict | None:
        d = self.decisions.get(task.key)
        return None if d is None else {"decision": d.decision, "labels": list(d.labels)}

    def decide(self, index: int, labels: Sequence[str], kind: str) -> Decision:
        """Record a decision on task `index`: appended to the log before it counts."""
        if not 0 <= index < len(self.tasks):
            raise AnnotationError(f"no task {index}; there are {len(self.tasks)}")
        if kind not in DECISIONS:
            raise AnnotationError(f"unknown decision {kind!r}; one of {', '.join(DECISIONS)}")
        unknown = [lab for lab in labels if lab not in self.taxonomy.ids]
        if unknown:
            raise AnnotationError(f"unknown label {unknown[0]!r}")
        chosen = tuple(lab for lab in self.taxonomy.ids if lab in labels) if kind != "no_label" else ()
        if kind == "labels" and not chosen:
            kind = "no_label"
        task = self.tasks[index]
        with self.lock:
            self.log.append(self._line(task, chosen, kind))
            self.decisions[task.key] = Decision(kind, chosen)
            return self.decisions[task.key]

    def _line(self, task: Task, labels: tuple[str, ...], kind: str) -> dict:
        """The JSONL line of a decision: policyscan's annotation keys, context in `meta`, the decision in `meta.decision`."""
        line = {"text": task.text, "labels": list(labels), "source": task.source, "annotator": self.coder, "id": task.id}
        line |= {k: task.context[k] for k in ("municipality", "document", "page") if k in task.context}
        meta = {k: task.context[k] for k in ("section", "before", "after") if k in task.context}
        stamp = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
        return line | {"meta": meta | {"decision": kind, "task": task.number, "at": stamp}}


def start_session(tasks: str | Path, output: str | Path, taxonomy: Taxonomy, coder: str) -> Session:
    """A session over the tasks in `tasks`, continuing the decisions already in `output`."""
    if Path(output).resolve() == Path(tasks).resolve():
        raise AnnotateError(f"{output}: the output is the task file; give another file with -o")
    return Session(load_tasks(tasks, taxonomy), taxonomy, DecisionLog(output, taxonomy), coder)


# ---------------------------------------------------------------- the server


class AnnotationServer(ThreadingHTTPServer):
    """The page and its two endpoints (`state`, `decision`) for one session, on 127.0.0.1 with a token."""

    daemon_threads = True

    def __init__(self, session: Session, port: int = 0, token: str | None = None) -> None:
        self.session = session
        self.token = token or secrets.token_urlsafe(24)
        try:
            super().__init__((HOST, port), _Handler)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise AnnotateError(f"port {port} is in use; choose another with --port, or --port 0 for any free one") from exc
            raise AnnotateError(f"cannot serve on {HOST}:{port} ({exc.strerror})") from exc

    @property
    def port(self) -> int:
        return self.server_address[1]

    @property
    def origins(self) -> tuple[str, ...]:
        """The origins the page itself is served from."""
        return (f"http://{HOST}:{self.port}", f"http://localhost:{self.port}")

    @property
    def url(self) -> str:
        """The address to open, with the token."""
        return f"http://{HOST}:{self.port}/?token={self.token}"


class _Handler(BaseHTTPRequestHandler):
    server: AnnotationServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the library never prints."""

    def _token_ok(self, allow_query: bool) -> bool:
        given = self.headers.get(TOKEN_HEADER, "")
        if not given and allow_query:
            given = (parse_qs(urlsplit(self.path).query).get("token") or [""])[0]
        return secrets.compare_digest(given.encode(), self.server.token.encode())

    def do_GET(self) -> None:
        if not self._token_ok(allow_query=True):
            return self._send(HTTPStatus.FORBIDDEN, b"forbidden: open the address `policyscan annotate` printed, with its token\n")
        route = urlsplit(self.path).path
        if route == "/":
            return self._send(HTTPStatus.OK, page().encode(), "text/html; charset=utf-8")
        if route == "/state":
            return self._json(HTTPStatus.OK, self.server.session.state())
        return self._send(HTTPStatus.NOT_FOUND, b"not found\n")

    def do_POST(self) -> None:
        origin = self.headers.get("Origin")
        if not self._token_ok(allow_query=False) or (origin is not None and origin not in self.server.origins):
            return self._send(HTTPStatus.FORBIDDEN, b"forbidden: writes need the token header and the page's own origin\n")
        if urlsplit(self.path).path != "/decision":
            return self._send(HTTPStatus.NOT_FOUND, b"not found\n")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return self._send(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, b"too large\n")
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
            made = self.server.session.decide(int(body["task"]), [str(x) for x in body.get("labels", [])], str(body["decision"]))
        except (ValueError, KeyError, TypeError, AnnotationError) as exc:
            return self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
        except OSError as exc:
            return self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": f"not saved: {exc.strerror}"})
        self._json(HTTPStatus.OK, {"decision": made.decision, "labels": list(made.labels), "done": self.server.session.done})

    def do_OPTIONS(self) -> None:  # a cross-origin preflight: never allowed
        self._send(HTTPStatus.FORBIDDEN, b"forbidden\n")

    def _json(self, status: HTTPStatus, obj: dict) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False).encode(), "application/json")

    def _send(self, status: HTTPStatus, body: bytes, kind: str = "text/plain; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
        )
        self.end_headers()
        self.wfile.write(body)


@functools.cache
def page() -> str:
    """The annotation page: one self-contained HTML file (inline script and style, no network)."""
    return (Path(__file__).parent / "data" / "annotate.html").read_text(encoding="utf-8")
