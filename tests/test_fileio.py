"""Outputs never replace a pipe, a socket or a link; text files are read in the encoding they came in."""

from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from policyscan.errors import EncodingError, OutputError, OutputExistsError, PolicyscanWarning
from policyscan.fileio import atomic_open, open_output, output_kind, read_text, refuse_overwrite

LINES = [f"Regel {n}: de vrijwilligers van Lindenhoek schrijven zich in.\n" for n in range(2000)]


def _write_lines(path: str | Path) -> None:
    with open_output(path) as handle:
        handle.writelines(LINES)


def _reader(target, received: list[bytes]) -> threading.Thread:
    thread = threading.Thread(target=lambda: received.append(target()), daemon=True)
    thread.start()
    return thread


# ---------------------------------------------------------------- outputs


def test_issue_16_fifo_is_written_in_order_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "uit.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    thread = _reader(lambda: fifo.read_bytes(), received)
    _write_lines(fifo)
    thread.join(timeout=30)
    assert received == ["".join(LINES).encode()]
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["uit.fifo"]


def test_issue_16_symlink_stays_a_link_and_its_target_holds_the_output(tmp_path):
    target = tmp_path / "data" / "zinnen.jsonl"
    target.parent.mkdir()
    target.write_text("oud\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "laatste.jsonl"
    link.symlink_to(target)
    _write_lines(link)
    assert link.is_symlink() and link.resolve() == target.resolve()
    assert target.read_text(encoding="utf-8") == "".join(LINES)
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["zinnen.jsonl"]


def test_issue_16_dangling_symlink_creates_its_target(tmp_path):
    link = tmp_path / "nieuw.jsonl"
    link.symlink_to(tmp_path / "echt.jsonl")
    _write_lines(link)
    assert link.is_symlink() and (tmp_path / "echt.jsonl").read_text(encoding="utf-8") == "".join(LINES)


def test_issue_16_dash_writes_to_stdout(capsys):
    _write_lines("-")
    assert capsys.readouterr().out == "".join(LINES)
    assert not Path("-").exists()


def test_issue_16_unix_socket_receives_the_output(tmp_path):
    path = tmp_path / "s"
    received: list[bytes] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)

        def accept() -> bytes:
            conn, _ = server.accept()
            with conn, conn.makefile("rb") as stream:
                return stream.read()

        thread = _reader(accept, received)
        _write_lines(path)
        thread.join(timeout=30)
    assert received == ["".join(LINES).encode()]
    assert output_kind(path) == "socket"


def test_socket_without_a_listener_says_so(tmp_path):
    path = tmp_path / "s"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(path))
        with pytest.raises(OutputError, match="nobody listens"), open_output(path) as handle:
            handle.write("x")


def test_folder_as_output_is_refused(tmp_path):
    with pytest.raises(OutputError, match="is a folder; give a file name"):
        open_output(tmp_path)


def test_regular_file_is_replaced_atomically_and_kept_on_error(tmp_path):
    path = tmp_path / "uit.jsonl"
    path.write_text("vorige\n", encoding="utf-8")
    with pytest.raises(RuntimeError), open_output(path) as handle:
        handle.write("half")
        raise RuntimeError("onderbroken")
    assert path.read_text(encoding="utf-8") == "vorige\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["uit.jsonl"]
    _write_lines(path)
    assert path.read_text(encoding="utf-8") == "".join(LINES)


def test_binary_output_to_a_fifo(tmp_path):
    fifo = tmp_path / "b.fifo"
    os.mkfifo(fifo)
    received: list[bytes] = []
    thread = _reader(lambda: fifo.read_bytes(), received)
    with open_output(fifo, "wb") as handle:
        handle.write(b"\x00\x01 policyscan")
    thread.join(timeout=30)
    assert received == [b"\x00\x01 policyscan"]


def test_atomic_open_keeps_the_permissions_of_the_file_it_replaces(tmp_path):
    path = tmp_path / "gedeeld.csv"
    path.write_text("a\n", encoding="utf-8")
    path.chmod(0o664)
    with atomic_open(path) as handle:
        handle.write("b\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o664


def test_refuse_overwrite(tmp_path):
    path = tmp_path / "bestaat.jsonl"
    refuse_overwrite(path)
    path.write_text("x\n", encoding="utf-8")
    with pytest.raises(OutputExistsError, match=f"{path} exists; pass --force to replace it"):
        refuse_overwrite(path)
    refuse_overwrite(path, force=True)
    link = tmp_path / "link.jsonl"
    link.symlink_to(path)
    with pytest.raises(OutputExistsError):
        refuse_overwrite(link)
    fifo = tmp_path / "f"
    os.mkfifo(fifo)
    refuse_overwrite(fifo)
    refuse_overwrite("-")


# ---------------------------------------------------------------- reading text

TEXT = "Gemeente Brugwaarde: één loket voor vrijwilligers, ook voor café-eigenaren.\n"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_read_text_by_bom_or_zero_bytes(tmp_path, encoding):
    path = tmp_path / "tekst.txt"
    path.write_bytes(TEXT.encode(encoding))
    assert read_text(path) == TEXT


def test_read_text_cp1252_with_a_warning(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes((TEXT + "Kosten: € 40\n").encode("cp1252"))
    with pytest.warns(PolicyscanWarning, match="not UTF-8; read as Windows-1252"):
        assert read_text(path) == TEXT + "Kosten: € 40\n"


def test_read_text_unknown_encoding_is_a_clear_error(tmp_path):
    path = tmp_path / "raar.txt"
    path.write_bytes(b"abc\x00\x00\x01\x02\x81\x8d\x00zz")
    with pytest.raises(EncodingError, match=r"cannot tell the encoding .*save the file as UTF-8"):
        read_text(path)
    path.write_bytes("Lindenhoek \x81".encode("latin-1"))
    with pytest.raises(EncodingError, match="cannot tell the encoding"):
        read_text(path)


def test_read_text_of_a_workbook_says_so(tmp_path):
    path = tmp_path / "blad.csv"
    path.write_bytes(b"PK\x03\x04rest")
    with pytest.raises(EncodingError, match="Excel workbook"):
        read_text(path)


# ---------------------------------------------------------------- the manifest reader uses read_text (kept here: corpus.py's tests are edited in parallel)


def test_issue_12_cp1252_manifest_is_read_with_a_warning(tmp_path):
    from policyscan.corpus import read_manifest

    path = tmp_path / "manifest.csv"
    path.write_bytes("path;municipality;title\nnota.pdf;Súdwest-Fryslân;Nota één\n".encode("cp1252"))
    with pytest.warns(PolicyscanWarning, match="read as Windows-1252"):
        rows = read_manifest(path)
    assert rows[(tmp_path / "nota.pdf").resolve()]["municipality"] == "Súdwest-Fryslân"
    assert rows[(tmp_path / "nota.pdf").resolve()]["title"] == "Nota één"


def test_utf16_manifest_is_read(tmp_path):
    from policyscan.corpus import read_manifest

    path = tmp_path / "manifest.csv"
    path.write_bytes("path\tmunicipality\nnota.pdf\tLindenhoek\n".encode("utf-16"))
    assert read_manifest(path)[(tmp_path / "nota.pdf").resolve()]["municipality"] == "Lindenhoek"
