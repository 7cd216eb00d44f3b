"""Processing documents in worker processes: a killed worker fails its document only; Ctrl-C exits 130."""

from __future__ import annotations

import gc
import multiprocessing
import os
import shutil
import signal
import subprocess
import sys
import time
import weakref
from pathlib import Path

import pytest

from policyscan import process
from policyscan.cache import DocumentCache
from policyscan.corpus import find_documents
from policyscan.process import (
    KILLED,
    available_cores,
    input_count,
    model_reference,
    process_all,
    process_document,
    start_workers,
    stop_workers,
    worker_count,
)
from policyscan.records import Document
from policyscan.taxonomy import load_taxonomy

ROOT = Path(__file__).resolve().parent.parent
CORES = available_cores()


def die_on_bad(document: Document, cache: DocumentCache, engine: str, model: None) -> object:
    """What a worker does when the OS kills it (out of memory) while it reads bad.pdf."""
    if Path(document.path).name == "bad.pdf":
        os.kill(os.getpid(), signal.SIGKILL)
    return process_document(document, cache, engine, model)


@pytest.mark.skipif(CORES < 2, reason="worker processes are started only on a machine with two cores or more")
def test_issue_12_killed_worker_fails_its_document_and_the_batch_goes_on(suite, tmp_path):
    for name in ("a.pdf", "bad.pdf", "c.pdf", "d.pdf"):
        shutil.copy(suite["root"] / "brief.pdf", tmp_path / name)
    documents, _ = find_documents([tmp_path])
    results = list(process_all(documents, DocumentCache(enabled=False), jobs=2, work=die_on_bad))
    assert [Path(r.document.path).name for r in results] == ["a.pdf", "bad.pdf", "c.pdf", "d.pdf"]
    assert [r.error for r in results] == [None, KILLED, None, None]
    assert all(r.sentences for r in results if r.error is None)


@pytest.mark.skipif(CORES < 2, reason="worker processes are started only on a machine with two cores or more")
def test_issue_16_results_handed_on_are_not_kept_by_the_workers_queue(tmp_path):
    for i in range(6):
        (tmp_path / f"nota-{i}.txt").write_text(f"Lindenhoek steunt vrijwilligers. Dit is notitie {i}.\n", encoding="utf-8")
    documents, _ = find_documents([tmp_path])
    handed: list[weakref.ref] = []
    for result in process_all(documents, DocumentCache(enabled=False), jobs=2):
        gc.collect()
        assert [ref() for ref in handed] == [None] * len(handed), "an earlier result is still held"
        handed.append(weakref.ref(result))
        del result
    assert len(handed) == 6


def test_issue_12_jobs_are_capped_at_documents_and_cores():
    assert worker_count(64, 3) == min(3, CORES)
    assert worker_count(64, 0) == 1 and worker_count(1, 100) == 1
    assert worker_count(2, 2) == min(2, CORES)


def test_issue_12_ctrl_c_exits_130(suite, tmp_path):
    """SIGINT to the command's process group (what Ctrl-C sends) ends it with 130, not 1 (some inputs failed)."""
    corpus = tmp_path / "in" / "Lindenhoek"
    corpus.mkdir(parents=True)
    for i in range(12):
        shutil.copy(suite["root"] / "nota.pdf", corpus / f"nota-{i}.pdf")
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    args = [sys.executable, "-m", "policyscan", "scan", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--jobs", "2"]
    proc = subprocess.Popen(
        [*args, "--engine", "pdfplumber", "--no-cache"], env=env, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    deadline = time.monotonic() + 120
    while not list(tmp_path.glob(".out.tmp-*")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)  # the temporary results folder appears when documents start being read
    os.killpg(proc.pid, signal.SIGINT)
    _, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 130, stderr
    assert stderr.rstrip().endswith("interrupted") and "Traceback" not in stderr


def fail_always(document: Document, cache: DocumentCache, engine: str, model: None) -> object:
    """A worker that must not be asked: it fails every document it gets."""
    raise AssertionError(f"a worker was asked for {document.path}")


def test_cached_results_are_read_in_this_process_and_start_no_worker(suite, tmp_path):
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        shutil.copy(suite["root"] / "brief.pdf", tmp_path / f"{name}")
    documents, _ = find_documents([tmp_path])
    cache = DocumentCache(tmp_path / "cache")
    first = list(process_all(documents, cache, jobs=1))
    again = list(process_all(documents, cache, jobs=2, work=fail_always))
    assert again == first and all(r.error is None and r.sentences for r in again)
    assert multiprocessing.active_children() == []


@pytest.mark.skipif(CORES < 2, reason="worker processes are started only on a machine with two cores or more")
def test_workers_started_early_do_the_work_and_none_is_left_behind(suite, tmp_path):
    for name in ("a.pdf", "b.pdf", "c.pdf"):
        shutil.copy(suite["root"] / "brief.pdf", tmp_path / name)
    documents, _ = find_documents([tmp_path])
    alone = [process_document(d, DocumentCache(enabled=False)) for d in documents]
    start_workers(2, input_count([tmp_path], 2))
    early = {p.pid for p in multiprocessing.active_children()}
    assert len(early) == 2
    workers_used = set()

    results = []
    for result in process_all(documents, DocumentCache(enabled=False), jobs=2, work=process_document):
        workers_used |= {p.pid for p in multiprocessing.active_children()}
        results.append(result)
    assert results == alone
    assert workers_used == early  # the early workers did the work; no others were started
    assert multiprocessing.active_children() == []


def test_unused_early_workers_are_stopped():
    before = {p.pid for p in multiprocessing.active_children()}  # a process of an earlier test may still be exiting
    start_workers(2, 5)
    started = {p.pid for p in multiprocessing.active_children()} - before
    assert started, "workers were started"
    stop_workers()
    assert [p for p in multiprocessing.active_children() if p.pid not in before] == []


@pytest.mark.skipif(CORES < 2, reason="worker processes are started only on a machine with two cores or more")
def test_workers_leave_ctrl_c_to_the_main_process():
    """Ctrl-C reaches every process of the group; a worker waiting for work must not print a traceback of its own."""
    code = (
        "import os, signal, time\n"
        "from policyscan.process import _EARLY, start_workers, stop_workers\n"
        "start_workers(2, 5)\n"
        "pool = next(iter(_EARLY.values()))\n"
        "time.sleep(2)\n"  # the workers have started and wait for work
        "for p in list(pool._processes.values()):\n"
        "    os.kill(p.pid, signal.SIGINT)\n"
        "time.sleep(0.5)\n"
        "alive = all(p.is_alive() for p in pool._processes.values())\n"
        "stop_workers()\n"
        "print(alive)\n"
    )
    env = os.environ | {"PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip() == "True", done.stderr
    assert "Traceback" not in done.stderr and "KeyboardInterrupt" not in done.stderr


def test_issue_13_documents_tagged_together_equal_documents_tagged_one_by_one(tmp_path, monkeypatch):
    # a sequential run tags the sentences of consecutive documents in one call to the model (faster in larger batches)
    documents, _ = find_documents([ROOT / "corpus"])
    model = model_reference(None, load_taxonomy())
    alone = [process_document(document, DocumentCache(enabled=False), model=model) for document in documents]
    monkeypatch.setattr(process, "BATCH_SENTENCES", 10**9)  # every document's sentences in one call
    cache = DocumentCache(tmp_path / "cache")
    together = list(process_all(documents, cache, model=model))
    assert together == alone
    assert [r.document for r in together] == documents and sum(r.error is not None for r in together) == 2
    tags = sorted((tmp_path / "cache").glob("tags-*/*/*.json"))
    assert len(tags) == len(documents) - 2  # every document read was cached, tagged
    for entry in tags[::2]:  # half of them to tag again, between cached ones: the order holds
        entry.unlink()
    assert list(process_all(documents, cache, model=model)) == alone
    # with workers, they read and split and this process tags their sentences in batches: the same results
    assert list(process_all(documents, DocumentCache(tmp_path / "other"), jobs=2, model=model)) == alone
