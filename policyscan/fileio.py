"""Writing outputs safely and reading text files whatever their encoding.

A regular file (or a missing one) is written atomically: a temp file in the same
folder, then a rename. Anything else is written to directly, because renaming
over a pipe, a device or a link would replace it with a regular file.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import os
import socket
import stat
import sys
import tempfile
import warnings
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import IO

from .errors import EncodingError, OutputError, OutputExistsError, PolicyscanWarning

STDOUT = "-"


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", newline: str | None = None, encoding: str = "utf-8") -> Iterator[IO]:
    """Open a temp file beside `path` that replaces it only when the block ends without error."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.chmod(tmp, _mode_for(path))
    try:
        with os.fdopen(fd, mode, **_text_options(mode, newline, encoding)) as handle:
            yield handle
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _mode_for(path: Path) -> int:
    """The permissions a replacement gets: those of the file it replaces, else the umask's default."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return 0o666 & ~current_umask()


def _text_options(mode: str, newline: str | None, encoding: str) -> dict:
    # a file name that is not valid UTF-8 reaches the text as surrogate escapes: write them as "\udcXX", never crash
    return {} if "b" in mode else {"encoding": encoding, "newline": newline, "errors": "backslashreplace"}


def open_output(
    path: str | Path, mode: str = "w", newline: str | None = None, encoding: str = "utf-8"
) -> contextlib.AbstractContextManager[IO]:
    """A stream for an output: stdout for "-", the target itself for a pipe, device or socket, else a file replaced atomically.

    A symbolic link is followed: its target is written (atomically when it is a
    regular file) and the link stays a link.
    """
    if str(path) == STDOUT:
        return _stdout(mode)
    target = Path(os.path.realpath(path))
    kind = output_kind(target)
    if kind in ("missing", "file"):
        return atomic_open(target, mode, newline, encoding)
    if kind == "folder":
        raise OutputError(f"{path} is a folder; give a file name to write to")
    if kind == "socket":
        return _socket_stream(target, mode, newline, encoding)
    return open(target, mode, **_text_options(mode, newline, encoding))  # the caller's with-block closes it


def output_kind(path: str | Path) -> str:
    """What is at `path`, links followed: "missing", "file", "folder", "socket" or "stream" (a FIFO or a device)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return "missing"
    if stat.S_ISREG(mode):
        return "file"
    if stat.S_ISDIR(mode):
        return "folder"
    return "socket" if stat.S_ISSOCK(mode) else "stream"


@contextlib.contextmanager
def _stdout(mode: str) -> Iterator[IO]:
    """Standard output, flushed but never closed at the end."""
    stream = sys.stdout.buffer if "b" in mode else sys.stdout
    try:
        yield stream
    finally:
        stream.flush()


@contextlib.contextmanager
def _socket_stream(path: Path, mode: str, newline: str | None, encoding: str) -> Iterator[IO]:
    """A stream to a Unix socket that a program listens on."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        try:
            sock.connect(str(path))
        except OSError as exc:
            raise OutputError(f"{path} is a socket nobody listens on ({exc.strerror}); start the reader first") from exc
        kind = "wb" if "b" in mode else "w"
        with sock.makefile(kind, **_text_options(kind, newline, encoding)) as handle:
            yield handle
        sock.shutdown(socket.SHUT_WR)


def refuse_overwrite(path: str | Path, force: bool = False) -> None:
    """Raise OutputExistsError when `path` is an existing regular file (links followed) and force is not given.

    Stdout, pipes, devices and sockets are streams, not files to overwrite, so they always pass.
    """
    if force or str(path) == STDOUT:
        return
    if output_kind(path) == "file":
        raise OutputExistsError(f"{path} exists; pass --force to replace it")


def package_data(name: str) -> Path:
    """A file or folder shipped in policyscan/data, as a path on disk (read through importlib.resources)."""
    # The model and the annotations are read by path (zipfile, numpy, folder walks); pip installs packages as files.
    return Path(os.fspath(resources.files("policyscan").joinpath("data", name)))


def current_umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o22)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write a whole text file atomically."""
    with atomic_open(path) as handle:
        handle.write(text)


def file_hash(path: str | Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# ---------------------------------------------------------------- reading text in whatever encoding it came in

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def guess_encoding(data: bytes) -> str:
    """The encoding of a text file's bytes: its BOM, else UTF-16 by its zero bytes, else UTF-8, else Windows-1252."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    if b"\x00" in data[:4096]:
        return _utf16_without_bom(data[:4096])
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def _utf16_without_bom(head: bytes) -> str:
    """UTF-16 text of mostly Latin letters has its zero bytes all on one side."""
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if odd > len(head) // 4 and even == 0:
        return "utf-16-le"
    if even > len(head) // 4 and odd == 0:
        return "utf-16-be"
    return "binary"


def read_text(path: str | Path) -> str:
    """The text of a file decoded by its BOM or content; Windows-1252 is read with a PolicyscanWarning."""
    path = Path(path)
    data = path.read_bytes()
    if data.startswith(b"PK\x03\x04"):
        raise EncodingError(path, "a zip file (an Excel workbook?), not text; save it as 'CSV UTF-8'")
    encoding = guess_encoding(data)
    try:
        if encoding == "binary":
            raise UnicodeDecodeError("binary", data, 0, 1, "zero bytes in text")
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise EncodingError(path, f"cannot tell the encoding ({exc.reason}); save the file as UTF-8") from exc
    if encoding == "cp1252":
        warnings.warn(f"{path}: not UTF-8; read as Windows-1252 (Excel's 'CSV'); save as 'CSV UTF-8' to be sure", PolicyscanWarning, 2)
    return text
