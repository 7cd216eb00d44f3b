"""The compressed streams of a PDF, inflated once without keeping the output: bombs are refused, damaged streams named.

PDFium inflates a content stream whole in memory, so a 1 MB file whose
stream inflates to a gigabyte costs twice that in RAM before a single
character is read. Inflating each Flate stream here with a bounded output
buffer costs little (zlib runs at hundreds of MB/s and nothing is kept) and
tells, before the engines start, whether a stream passes the limit and how
many streams do not inflate at all: their pages' text is lost.
"""

from __future__ import annotations

import mmap
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

_STREAM = re.compile(rb"(?<!end)stream(?:\r\n|\n|\r)")
_FLATE = re.compile(rb"/(?:FlateDecode|Fl)\b")
_DICT_BACK = 4096  # how far back from `stream` the stream's dictionary is looked for
_IN_CHUNK = 1 << 16
_OUT_CHUNK = 1 << 20


@dataclass(frozen=True)
class StreamCheck:
    """What inflating a PDF's Flate streams found: how many there are, how many fail, and the largest inflated size (bytes)."""

    streams: int = 0
    damaged: int = 0
    largest: int = 0
    over: bool = False


def _is_flate(data: mmap.mmap | bytes, start: int) -> bool:
    """True when the dictionary just before the `stream` keyword at `start` names the Flate filter."""
    lo = max(0, start - _DICT_BACK)
    head = data[lo:start]
    cut = max(head.rfind(b"endstream"), head.rfind(b" obj"))
    return bool(_FLATE.search(head[cut + 1 :] if cut >= 0 else head))


def _inflate(data: mmap.mmap | bytes, start: int, limit: int) -> int | None:
    """The inflated size of the zlib stream at `start`, stopped just past `limit`; None when it does not inflate."""
    inflater, size, pos, end = zlib.decompressobj(), 0, start, len(data)
    pending = b""
    try:
        while not inflater.eof:
            if not pending:
                if pos >= end:
                    return size if size else None  # ran out of file: a truncated stream still gave what it held
                pending, pos = data[pos : pos + _IN_CHUNK], pos + _IN_CHUNK
            size += len(inflater.decompress(pending, _OUT_CHUNK))
            pending = inflater.unconsumed_tail
            if size > limit:
                return size
    except zlib.error:
        return None
    return size


def check_streams(path: Path, limit: int) -> StreamCheck:
    """Inflate every Flate stream of the file with bounded memory; stop at the first one that inflates past `limit` bytes."""
    with path.open("rb") as handle:
        try:
            data = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError:  # an empty file
            return StreamCheck()
        with data:
            if data.find(b"/Encrypt") >= 0:
                return StreamCheck()  # encrypted streams only PDFium can read
            streams = damaged = largest = 0
            for match in _STREAM.finditer(data):
                if not _is_flate(data, match.start()):
                    continue
                streams += 1
                size = _inflate(data, match.end(), limit)
                if size is None:
                    damaged += 1
                    continue
                largest = max(largest, size)
                if size > limit:
                    return StreamCheck(streams, damaged, largest, True)
            return StreamCheck(streams, damaged, largest, False)
