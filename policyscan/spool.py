"""Values a scan needs again only at its end, kept in a temporary database on disk so memory stays flat."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Iterator

#: Rows gathered in memory before they go to disk in one insert.
BATCH = 10_000


class Spool:
    """Append-only lists of values, each named by (kind, owner, part) and read back in the order they were added.

    The database is a private temporary file that SQLite deletes when the spool is closed.
    """

    def __init__(self) -> None:
        self._db = sqlite3.connect("")  # "": a temporary database on disk, not in memory
        self._db.execute("CREATE TABLE spool (kind TEXT, owner TEXT, part TEXT, value)")
        self._pending: list[tuple[str, str, str, object]] = []
        self._indexed = False

    def add(self, kind: str, owner: str, part: str, value: float | str) -> None:
        """Append a value (a float or a text) to the list (kind, owner, part)."""
        if self._indexed:
            raise RuntimeError("the spool is being read; add every value before reading any")
        self._pending.append((kind, owner, part, value))
        if len(self._pending) >= BATCH:
            self._flush()

    def extend(self, kind: str, owner: str, part: str, values: Iterable[float | str]) -> None:
        """Append values to the list (kind, owner, part), in their order."""
        if self._indexed:
            raise RuntimeError("the spool is being read; add every value before reading any")
        self._pending += ((kind, owner, part, value) for value in values)
        if len(self._pending) >= BATCH:
            self._flush()

    def values(self, kind: str, owner: str, part: str) -> Iterator[float | str]:
        """The values of one list, in the order they were added."""
        self._flush()
        if not self._indexed:  # one index once all rows are in is cheaper than keeping it up to date
            self._db.execute("CREATE INDEX by_list ON spool (kind, owner, part)")
            self._indexed = True
        rows = self._db.execute("SELECT value FROM spool WHERE kind = ? AND owner = ? AND part = ? ORDER BY rowid", (kind, owner, part))
        return (value for (value,) in rows)

    def close(self) -> None:
        """Delete the spool."""
        self._pending.clear()
        self._db.close()

    def _flush(self) -> None:
        if self._pending:
            self._db.executemany("INSERT INTO spool VALUES (?, ?, ?, ?)", self._pending)
            self._pending.clear()
