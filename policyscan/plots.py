"""Figures for a paper, as SVG and PNG: presence per label, instrumentalisation against risk awareness, breadth, two scans compared.

matplotlib's object API (`Figure`) draws without pyplot, so no global backend is chosen for the caller. Colours are the
Okabe-Ito palette (colour-blind safe); texts are Dutch, with the labels' `name_nl`.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.ticker import PercentFormatter

from .fileio import atomic_open

#: Okabe-Ito colours per label domain or role.
COLOURS = {"social": "#0072B2", "other": "#E69F00", "none": "#CC79A7"}
FLAG = "#D55E00"
PLAIN = "#0072B2"
DOMAIN_NL = {"social": "sociaal domein", "other": "ander domein", "none": "risico"}


def save_figure(fig: Figure, folder: Path, stem: str) -> bytes:
    """Write `stem`.svg and `stem`.png (atomically, without dates so reruns give the same files); the PNG's bytes."""
    files = {}
    with matplotlib.rc_context({"svg.hashsalt": "policyscan", "svg.fonttype": "none"}):
        for fmt, meta in (("svg", {"Date": None}), ("png", {"Software": None})):
            buffer = io.BytesIO()
            fig.savefig(buffer, format=fmt, dpi=150, bbox_inches="tight", metadata=meta)
            files[fmt] = buffer.getvalue()
            with atomic_open(folder / f"{stem}.{fmt}", "wb") as handle:
                handle.write(files[fmt])
    return files["png"]


@dataclass(frozen=True)
class Bar:
    """One label's bar: its Dutch name, domain (colour), share and 95% intervals (None when unavailable)."""

    name: str
    domain: str
    share: float
    low: float | None = None
    high: float | None = None
    error_low: float | None = None
    error_high: float | None = None


def presence_figure(bars: Sequence[Bar], municipalities: int) -> Figure:
    """Share of municipalities where each label is present, with its bootstrap and tagging-error intervals."""
    fig = Figure(figsize=(8, 0.42 * len(bars) + 1.6))
    ax = fig.subplots()
    y = np.arange(len(bars))[::-1]
    ax.barh(y, [b.share for b in bars], color=[COLOURS[b.domain] for b in bars], height=0.62)
    for yi, b in zip(y, bars, strict=True):
        if b.low is not None:
            ax.plot([b.low, b.high], [yi + 0.12] * 2, color="black", lw=1.6, solid_capstyle="butt")
        if b.error_low is not None:
            ax.plot([b.error_low, b.error_high], [yi - 0.12] * 2, color="#666666", lw=1.6, ls=(0, (2, 1)))
    ax.set_yticks(y, [b.name for b in bars])
    ax.set_xlim(0, 1)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("aandeel gemeenten waar het label aanwezig is")
    ax.set_title(f"Aanwezigheid per label ({municipalities} gemeenten)")
    handles = [Patch(color=COLOURS[d], label=DOMAIN_NL[d]) for d in COLOURS if any(b.domain == d for b in bars)]
    handles += [Line2D([], [], color="black", lw=1.6, label="95%-interval steekproef (bootstrap)")]
    if any(b.error_low is not None for b in bars):
        handles += [Line2D([], [], color="#666666", lw=1.6, ls=(0, (2, 1)), label="95%-interval tagfouten")]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.4, -0.1), ncol=2, fontsize=8, frameon=False)
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    return fig


def risk_figure(x: np.ndarray, y: np.ndarray, flagged: np.ndarray, x_label: str, y_label: str) -> Figure:
    """Instrumentalisation against risk awareness per 1,000 sentences per municipality; the quadrant of high risk, low awareness shaded."""
    ok = ~(np.isnan(x) | np.isnan(y))
    fig = Figure(figsize=(7, 5.5))
    ax = fig.subplots()
    mx, my = (float(np.median(x[ok])), float(np.median(y[ok]))) if ok.any() else (0.0, 0.0)
    top_x = max(float(x[ok].max()) if ok.any() else 1.0, 1.0) * 1.08
    top_y = max(float(y[ok].max()) if ok.any() else 1.0, 1.0) * 1.08
    quadrant = "kwadrant: meer instrumentalisering en minder aandacht dan de mediaan"
    ax.fill_between([mx, top_x], 0, my, color="#F0E442", alpha=0.35, lw=0, label=quadrant)
    ax.axvline(mx, color="#999999", lw=0.8, ls="--")
    ax.axhline(my, color="#999999", lw=0.8, ls="--")
    ax.scatter(x[ok & ~flagged], y[ok & ~flagged], s=36, color=PLAIN, marker="o", label="overige gemeenten", zorder=3)
    flag = "instrumentalisering zonder aandacht (aanwezigheidsregel)"
    ax.scatter(x[ok & flagged], y[ok & flagged], s=46, color=FLAG, marker="^", label=flag, zorder=3)
    ax.set_xlim(0, top_x)
    ax.set_ylim(0, top_y)
    ax.set_xlabel(f"{x_label}: zinnen per 1.000 zinnen")
    ax.set_ylabel(f"{y_label}: zinnen per 1.000 zinnen")
    ax.set_title(f"Instrumentalisering en aandacht ervoor ({int(ok.sum())} gemeenten)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), fontsize=8, frameon=False)
    return fig


def breadth_figure(counts: Sequence[int], municipalities: int) -> Figure:
    """How many municipalities have 0, 1, 2, ... task labels present (`counts[k]` have k)."""
    fig = Figure(figsize=(7, 4))
    ax = fig.subplots()
    ks = list(range(len(counts)))
    ax.bar(ks, counts, color=COLOURS["social"], width=0.75)
    ax.set_xticks(ks)
    ax.set_xlabel("breedte: aantal maatschappelijke taken aanwezig")
    ax.set_ylabel("aantal gemeenten")
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.set_title(f"Breedte van het vrijwilligersbeleid ({municipalities} gemeenten)")
    ax.grid(axis="y", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    return fig


def compare_figure(
    labels: Sequence[str], names: Sequence[str], domains: Sequence[str], old: Sequence[float], new: Sequence[float], n: int
) -> Figure:
    """Per label, the share of municipalities where it is present before (open) and after (filled)."""
    fig = Figure(figsize=(8, 0.42 * len(labels) + 1.6))
    ax = fig.subplots()
    y = np.arange(len(labels))[::-1]
    for yi, domain, a, b in zip(y, domains, old, new, strict=True):
        ax.annotate("", xy=(b, yi), xytext=(a, yi), arrowprops={"arrowstyle": "->", "color": "#666666", "lw": 1.2} if a != b else None)
        ax.scatter([a], [yi], s=48, facecolors="white", edgecolors=COLOURS[domain], linewidths=1.6, zorder=3)
        ax.scatter([b], [yi], s=48, color=COLOURS[domain], zorder=4)
    ax.set_yticks(y, list(names))
    ax.set_xlim(-0.02, 1.02)
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("aandeel gemeenten waar het label aanwezig is")
    ax.set_title(f"Voor (open) en na (gevuld), {n} gemeenten in beide scans")
    handles = [Patch(color=COLOURS[d], label=DOMAIN_NL[d]) for d in COLOURS if d in domains]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.4, -0.1), ncol=3, fontsize=8, frameon=False)
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)
    return fig
