"""The summary plots drawn by a process of their own that loads matplotlib while the scan reads documents."""

from __future__ import annotations

import multiprocessing
import os
import sys

import fixtures
import numpy as np
import pytest

from policyscan import plotter
from policyscan.cache import DocumentCache
from policyscan.corpus import find_documents
from policyscan.process import available_cores, has_worked, process_all, reading
from policyscan.scan import scan
from policyscan.taxonomy import load_taxonomy

CORES = available_cores()
PLOTS = [f"summary_{plot}.{fmt}" for plot in ("presence", "risk", "breadth") for fmt in ("svg", "png")]


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    return fixtures.scan_corpus(tmp_path_factory.mktemp("corpus"))


def _inputs() -> plotter.PlotInputs:
    bars = tuple((f"taak {i}", "social" if i % 2 else "other", i / 12, None, None, None, None) for i in range(12))
    x, y = np.array([1.0, 4.0, 2.5, np.nan]), np.array([0.5, 0.0, 3.0, 1.0])
    return plotter.PlotInputs(bars, 4, x, y, np.array([False, True, False, False]), "instrumentalisering", "aandacht", (0, 1, 2, 1))


@pytest.mark.skipif(CORES < 2, reason="the plotting process is started only when a core is left beside the scan")
def test_plots_drawn_in_the_plotting_process_are_those_drawn_here(tmp_path):
    here, there = tmp_path / "here", tmp_path / "there"
    here.mkdir(), there.mkdir()
    plotter.start(busy=1)
    try:
        pids = set(plotter._EARLY[0]._processes)
        assert len(pids) == 2 and os.getpid() not in pids
        images = plotter.draw_plots(there, _inputs())
    finally:
        plotter.stop()
    assert images == plotter.draw(here, _inputs())
    for name in PLOTS:
        assert (there / name).read_bytes() == (here / name).read_bytes(), name
    assert not pids & {p.pid for p in multiprocessing.active_children()}


@pytest.mark.skipif(CORES < 2, reason="the plotting process is started only when a core is left beside the scan")
def test_a_plotting_process_that_died_leaves_the_drawing_to_the_scan(tmp_path):
    plotter.start(busy=1)
    try:
        process = next(iter(plotter._EARLY[0]._processes.values()))
        process.kill()
        process.join()
        images = plotter.draw_plots(tmp_path, _inputs())
    finally:
        plotter.stop()
    assert set(images) == {"summary_presence", "summary_risk", "summary_breadth"}
    assert all(images[name] == (tmp_path / f"{name}.png").read_bytes() for name in images)


def test_no_plotting_process_without_a_spare_core():
    assert plotter.start(busy=CORES) is False
    assert plotter._EARLY == []


@pytest.mark.skipif(CORES < 2, reason="the plotting process is started only when a core is left beside the scan")
@pytest.mark.parametrize("jobs", [1, 2])
def test_a_scan_draws_its_plots_elsewhere_and_leaves_no_process(corpus, tmp_path, monkeypatch, jobs):
    """With a core to spare (at once with one job, once a worker is idle with two) the scan's own process never
    imports matplotlib (checked in a fresh interpreter)."""
    import subprocess

    code = (
        "import sys; from policyscan.scan import scan; from policyscan.taxonomy import load_taxonomy\n"
        f"scan([{str(corpus['root'])!r}], {str(tmp_path / 'out')!r}, load_taxonomy(), jobs={jobs})\n"
        "import multiprocessing; print('matplotlib' in sys.modules, multiprocessing.active_children())\n"
    )
    env = os.environ | {"POLICYSCAN_CACHE_DIR": str(tmp_path / "cache")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True).stdout
    assert out.strip().splitlines()[-1] == "False []"
    assert all((tmp_path / "out" / name).stat().st_size > 0 for name in PLOTS)
    drawn_here = tmp_path / "here"
    monkeypatch.setattr(plotter, "spare_core", lambda busy: False)  # as on a machine with one core: drawn in the scan's process
    scan([corpus["root"]], drawn_here, load_taxonomy(), jobs=1, cache=DocumentCache(enabled=False))
    for name in PLOTS:
        assert (tmp_path / "out" / name).read_bytes() == (drawn_here / name).read_bytes(), name


def test_a_rescan_from_the_cache_has_no_work_and_starts_no_plotting_process(corpus, tmp_path):
    documents, _ = find_documents([corpus["root"]])
    cache = DocumentCache(directory=tmp_path / "cache")
    list(process_all(documents, cache))
    assert has_worked()
    list(process_all(documents, cache))
    assert not has_worked()


def test_reading_counts_the_processes_that_have_a_document(corpus):
    documents, _ = find_documents([corpus["root"]])
    cache = DocumentCache(enabled=False)
    assert {reading() for _ in process_all(documents, cache)} == {1}  # read here, one by one
    counts = [reading() for _ in process_all(documents, cache, jobs=2)]
    assert len(counts) == len(documents) > 2
    assert all(0 <= n <= 2 for n in counts) and counts[-1] == 0  # no worker has a document once the last is handed on
