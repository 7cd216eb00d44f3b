"""Progress on stderr that switches itself off with --quiet or outside a terminal."""

from __future__ import annotations

import sys
import time
from typing import TextIO


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

    def advance(self, n: int = 1, extra: str = "") -> None:
        """Count `n` more items done and redraw."""
        self.done += n
        self.extra = extra or self.extra
        if not self.silent:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            bar = "#" * filled + "-" * (width - filled)
            elapsed = time.monotonic() - self.started
            self.stream.write(f"\r{self.label} [{bar}] {self.done}/{self.total} {self.extra} {elapsed:.0f}s ")
            self.stream.flush()

    def close(self) -> None:
        """End the progress line."""
        if not self.silent:
            self.stream.write("\n")
            self.stream.flush()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
