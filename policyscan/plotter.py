"""The summary plots, drawn by a process of their own that imports matplotlib while a scan reads its documents.

Importing matplotlib takes 0.6-1 s, a third of the time a scan spends on its plots. `start` begins that import in
two processes of their own once the scan leaves a core idle; `draw_plots` then hands them the figures (the
presence bars to one, the other two to the other: drawing all three in one process takes twice as long), and
draws them here when there are no such processes or one fails. The files are the same either way. This module
does not import matplotlib itself, so neither does a scan whose plots are drawn elsewhere or copied from the cache.
"""

from __future__ import annotations

import concurrent.futures as cf
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class PlotInputs:
    """What the three summary plots show: the bars per label, the risk scatter and the breadth counts."""

    bars: tuple[tuple, ...]  # per label: name, domain, share, bootstrap low/high, tagging-error low/high
    municipalities: int
    risk_x: np.ndarray
    risk_y: np.ndarray
    flagged: np.ndarray
    x_label: str
    y_label: str
    breadth: tuple[int, ...]


#: The plots in the order they are drawn and returned; `draw_plots` hands the first to one process, the rest to another.
PLOTS = ("summary_presence", "summary_risk", "summary_breadth")


def draw(folder: Path, inputs: PlotInputs, names: tuple[str, ...] = PLOTS) -> dict[str, bytes]:
    """Draw the summary plots `names` into `folder` as SVG and PNG; their PNG bytes by name."""
    from .plots import Bar, breadth_figure, presence_figure, risk_figure, save_figure

    figures = {
        "summary_presence": lambda: presence_figure([Bar(*bar) for bar in inputs.bars], inputs.municipalities),
        "summary_risk": lambda: risk_figure(inputs.risk_x, inputs.risk_y, inputs.flagged, inputs.x_label, inputs.y_label),
        "summary_breadth": lambda: breadth_figure(list(inputs.breadth), inputs.municipalities),
    }
    return {name: save_figure(figures[name](), folder, name) for name in names}


#: The processes `start` began, if any (one pool of two).
_EARLY: list[cf.ProcessPoolExecutor] = []


def spare_core(busy: int) -> bool:
    """Whether the machine has a core beyond the `busy` processes a scan keeps working."""
    from .process import available_cores

    return available_cores() > busy


def start(busy: int) -> bool:
    """Start the plotting processes now (they import matplotlib), when a core is left beside the scan's `busy` processes;
    whether they run (started now or before).

    Two, although only one core may be idle now: by the time the plots are drawn the scan has finished its documents.
    """
    if _EARLY:
        return True
    if not spare_core(busy):
        return False
    pool = cf.ProcessPoolExecutor(max_workers=2, initializer=_import_matplotlib)
    pool.submit(int)  # the first task starts the processes (fork starts them all at once)
    _EARLY.append(pool)
    return True


def stop() -> None:
    """Stop the plotting processes, used or not (a warm rescan copies its plots from the cache and never needs it)."""
    from .process import stop_pool

    while _EARLY:
        stop_pool(_EARLY.pop())


def draw_plots(folder: Path, inputs: PlotInputs) -> dict[str, bytes]:
    """The summary plots drawn by the processes `start` began, else (none, or one failed) drawn here."""
    if _EARLY:
        try:
            parts = [_EARLY[0].submit(draw, folder, inputs, names) for names in (PLOTS[:1], PLOTS[1:])]
            images = {name: image for part in parts for name, image in part.result().items()}
            return {name: images[name] for name in PLOTS}
        except Exception:  # a process died or could not draw: drawing here gives the same files, or the real error
            pass
    return draw(folder, inputs)


def _import_matplotlib() -> None:
    """What the plotting process does first: leave Ctrl-C to the scan (which stops this process), then import the
    drawing code (and with it matplotlib)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole process group; waiting here it would print a traceback
    try:
        from . import plots  # noqa: F401 (imported for its side effect: matplotlib is loaded)
    except Exception:  # only a head start: drawing reports the problem
        pass
