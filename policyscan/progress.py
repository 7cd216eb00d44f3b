"""Progress on stderr that switches itself off with --quiet or outside a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def counted(n: int, word: str, plural: str | None = None) -> str:
    """ "1 document", "2 documents", "3 municipalities" (with `plural` for irregular words)."""
    return f"{n} {word if n == 1 else plural or word + 's'}"


def failed_note(n: int) -> str:
    """ " (2 failed)", or nothing when nothing failed."""
    return f" ({n} failed)" if n else ""


class Progress:
    """A one-line counter on stderr; silent when asked or when stderr is not a terminal."""

    def __init__(self, total: int, label: str, silent: bool = False, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self.total = total
        self.label = label
        self.done = 0
        self.extra = ""
        self.silent = silent or not getattr(self.stream, "isatty", lambda: False)()
        self.started = time.monotonic()
        self.width = 0

    def advance(self, n: int = 1, extra: str = "") -> None:
        """Count `n` more items done and redraw."""
        self.done += n
        self.extra = extra or self.extra
        if not self.silent:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            bar = "#" * filled + "-" * (width - filled)
            elapsed = time.monotonic() - self.started
            line = f"{self.label} [{bar}] {self.done}/{self.total} {self.extra} {elapsed:.0f}s"
            # padded to the longest line drawn so far: a shorter line must not leave the end of a longer one behind
            self.stream.write(f"\r{line.ljust(self.width)}")
            self.stream.flush()
            self.width = max(self.width, len(line))

    def close(self) -> None:
        """End the progress line."""
        if not self.silent:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
