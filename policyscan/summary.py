"""The study's questions across municipalities: shares with 95% intervals from a results folder, per group when asked.

Every figure is "the share of municipalities where X holds": a label is present, the task labels present are all in the
social domain, at least one lies outside it, instrumentalisation is present (with or without risk awareness), breadth
equals k. Two intervals are given, separately:

- the bootstrap interval (how sure we are about this sample): municipalities resampled with replacement, seeded,
  2.5th and 97.5th percentile of the share;
- the error-rate interval (how much tagging errors could move it): per simulation, each label's predicted sentences
  of a municipality are thinned by the label's precision (Binomial(k, precision) are true), the sentences the model
  missed are added (NegativeBinomial(true found, recall): on average found x (1-recall)/recall), presence is decided
  again by the presence rule and the share recomputed. A municipality where the model found none of a label's
  sentences gains none in the simulation: recall says how many are missed per one found, not where. Because presence
  needs only whether that count reaches the rule, each simulation draws presence directly with its exact probability
  under this model (`presence_probability`), which gives the same distribution as drawing the counts
  (`simulate_counts`, tested against it) at a fraction of the cost: 1,000 simulations of 350 municipalities take
  well under a second. The interval says where the true share lies given the error rates; it need not contain
  the observed share (a low precision makes labels found in few sentences vanish).

Precision and recall come from the model card: card["evaluations"][<file>]["per_label"], preferring a file whose
name says "real" (text of real municipal documents). Without them the error-rate interval is left empty and the
summary says why.
"""

from __future__ import annotations

import base64
import csv
import hashlib
import html
import math
import shutil
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import PolicyscanError
from .fileio import atomic_open, atomic_write_text
from .municipalities import match_municipality, official_municipalities
from .persist import real_text_evaluation
from .plotter import PLOTS
from .report import CSV_ENCODING, DERIVED, SUMMARY_COLUMNS_DEF, write_csv
from .taxonomy import Taxonomy

N_BOOT = 2000
N_SIM = 1000
ALL = "all"
UNKNOWN = "(unknown)"
SUMMARY_COLUMNS = tuple(c.name for c in SUMMARY_COLUMNS_DEF)
REPORT_BEGIN = "<!-- policyscan-summary -->"
REPORT_END = "<!-- /policyscan-summary -->"


class ResultsError(PolicyscanError):
    """A results folder cannot be summarised (missing or foreign files, an unknown --by column)."""


# ---------------------------------------------------------------- reading a results folder


@dataclass(frozen=True, eq=False)
class ResultsTable:
    """The municipalities of a results folder as arrays: one row per municipality, one column per label."""

    municipalities: tuple[str, ...]
    codes: tuple[str, ...]
    labels: tuple[str, ...]
    sentences: np.ndarray
    counts: np.ndarray
    present: np.ndarray
    instrumentalisation_per_1000: np.ndarray
    risk_awareness_per_1000: np.ndarray

    def __len__(self) -> int:
        return len(self.municipalities)


def _read_csv(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file written by policyscan (UTF-8 with BOM), apostrophe-guarded cells restored."""
    if not path.exists():
        raise ResultsError(f"{path} not found: give a folder written by `policyscan scan`")
    with path.open(newline="", encoding=CSV_ENCODING) as handle:
        return [{k: (v[1:] if v.startswith("'") else v) for k, v in row.items()} for row in csv.DictReader(handle)]


def _float(value: str) -> float:
    return float(value) if value not in ("", None) else math.nan


def read_results(folder: str | Path, taxonomy: Taxonomy) -> ResultsTable:
    """The municipalities of a results folder (its coverage.csv) as arrays."""
    path = Path(folder) / "coverage.csv"
    rows = _read_csv(path)
    needed = [f"{label}_{part}" for label in taxonomy.ids for part in ("sentences", "present")]
    missing = [c for c in needed if rows and c not in rows[0]]
    if missing:
        raise ResultsError(f"{path}: no column {missing[0]}: the results were written with another taxonomy; pass that taxonomy")
    return ResultsTable(
        municipalities=tuple(r["municipality"] for r in rows),
        codes=tuple(r.get("code", "") for r in rows),
        labels=taxonomy.ids,
        sentences=np.array([int(r["sentences"]) for r in rows], dtype=int),
        counts=np.array([[int(r[f"{label}_sentences"]) for label in taxonomy.ids] for r in rows], dtype=int).reshape(len(rows), -1),
        present=np.array([[r[f"{label}_present"] == "True" for label in taxonomy.ids] for r in rows], dtype=bool).reshape(len(rows), -1),
        instrumentalisation_per_1000=np.array([_float(r.get("instrumentalisation_per_1000", "")) for r in rows]),
        risk_awareness_per_1000=np.array([_float(r.get("risk_awareness_per_1000", "")) for r in rows]),
    )


def presence_rule(table: ResultsTable) -> int:
    """The sentences a label needed to count as present in this table: 2 (the default) when the data allow it, else the least that fits."""
    if table.counts.size == 0:
        return 2
    absent = table.counts[~table.present]
    low = int(absent.max()) + 1 if absent.size else 1
    high = int(table.counts[table.present].min()) if table.present.any() else 10**9
    if low > high:
        raise ResultsError("coverage.csv: the present columns follow no sentence-count rule; scan again instead of editing it")
    return 2 if low <= 2 <= high else low


def _province(code: str, name: str, by_code: dict[str, str]) -> str:
    if code in by_code:
        return by_code[code]
    found = match_municipality(name)
    return found.municipality.province if found else ""


def group_values(folder: str | Path, table: ResultsTable, column: str) -> tuple[str, ...]:
    """Each municipality's value of a documents.csv column (its documents' distinct values joined by "; "), or its province."""
    rows = _read_csv(Path(folder) / "documents.csv")
    if rows and column in rows[0]:
        values: dict[str, list[str]] = {}
        for row in rows:
            if row[column].strip():
                values.setdefault(row["municipality"], []).append(row[column].strip())
        return tuple("; ".join(sorted(set(values.get(m, [])))) or UNKNOWN for m in table.municipalities)
    if column == "province":
        by_code = {m.code: m.province for m in official_municipalities()}
        return tuple(_province(c, m, by_code) or UNKNOWN for c, m in zip(table.codes, table.municipalities, strict=True))
    per_label = tuple(f"_{part}" for part in ("sentences", "share", "present"))
    known = ", ".join(c for c in (rows[0] if rows else {}) if c not in DERIVED and not c.endswith(per_label))
    raise ResultsError(
        f"documents.csv has no column {column!r} (columns: {known}, and province from the code); "
        "add the column to the manifest and scan again"
    )


# ---------------------------------------------------------------- error rates from the model card


@dataclass(frozen=True)
class ErrorRates:
    """Per-label precision and recall measured on real text, and where they come from."""

    source: str
    precision: dict[str, float]
    recall: dict[str, float]

    def arrays(self, labels: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Precision and recall in label order; a label without a measurement counts as error-free."""
        precision = np.array([self.precision.get(label, 1.0) for label in labels], dtype=float)
        recall = np.array([self.recall.get(label, 1.0) for label in labels], dtype=float)
        return np.clip(precision, 0.0, 1.0), np.clip(recall, 0.01, 1.0)


def _rate(value: object) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1 else None


def error_rates_from_card(card: dict | None) -> ErrorRates | None:
    """Per-label precision and recall measured on real documents (the card's `--real-dev` evaluation), or None."""
    found = real_text_evaluation(card)
    if found is None:
        return None
    name, entry = found
    per_label = entry["per_label"]
    precision = {k: p for k, v in per_label.items() if isinstance(v, dict) and (p := _rate(v.get("precision"))) is not None}
    recall = {k: r for k, v in per_label.items() if isinstance(v, dict) and (r := _rate(v.get("recall"))) is not None}
    return ErrorRates(name, precision, recall) if precision and recall else None


def simulate_counts(counts: np.ndarray, rates: ErrorRates, labels: Sequence[str], n_sim: int, seed: int = 0) -> np.ndarray:
    """Simulated true sentence counts, shape (n_sim, municipalities, labels), from the predicted counts and the error rates."""
    precision, recall = rates.arrays(labels)
    rng = np.random.default_rng([seed, 1])
    shape = (n_sim, *counts.shape)
    kept = rng.binomial(np.broadcast_to(counts, shape), np.broadcast_to(precision, shape))
    missed = rng.negative_binomial(np.maximum(kept, 1), np.broadcast_to(recall, shape))
    return kept + np.where(kept > 0, missed, 0)


def presence_probability(counts: np.ndarray, rates: ErrorRates, labels: Sequence[str], min_sentences: int) -> np.ndarray:
    """P(simulated true count >= min_sentences) per municipality and label, exactly, under the model of `simulate_counts`.

    Presence needs only the small counts, so the sum runs over found-and-true b < min_sentences: the count stays below
    the rule when b = 0 (nothing found, nothing added) or when fewer than min_sentences - b sentences were missed.
    """
    precision, recall = rates.arrays(labels)
    k = counts.astype(float)
    absent = np.zeros_like(k)
    for b in range(min_sentences):
        choose = np.ones_like(k)
        for t in range(b):
            choose *= (k - t) / (t + 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            p_b = np.where(k >= b, choose * precision**b * (1 - precision) ** np.maximum(k - b, 0), 0.0)
        missed_few = 1.0 if b == 0 else sum(math.comb(b + i - 1, i) * recall**b * (1 - recall) ** i for i in range(min_sentences - b))
        absent += p_b * missed_few
    return np.clip(1 - absent, 0.0, 1.0)


def simulate_presence(
    counts: np.ndarray, rates: ErrorRates, labels: Sequence[str], min_sentences: int, n_sim: int, seed: int = 0
) -> np.ndarray:
    """Simulated presence (n_sim, municipalities, labels): each cell drawn with its `presence_probability` (independent cells)."""
    probability = presence_probability(counts, rates, labels, min_sentences)
    return np.random.default_rng([seed, 1]).random((n_sim, *counts.shape)) < probability


# ---------------------------------------------------------------- the figures


@dataclass(frozen=True)
class FigureDef:
    """One figure of the summary: which measure, its key (a label id, a headline name, a breadth value) and its name."""

    measure: str
    key: str
    name: str


HEADLINES = {
    "no_task": "no task label present",
    "all_social": "task labels present, all in the social domain",
    "other_domain": "at least one task label outside the social domain",
    "instrumentalisation": "instrumentalisation present",
    "instrumentalisation_without_awareness": "instrumentalisation present, no risk awareness",
}


@dataclass(frozen=True)
class Indicators:
    """Turns label presence per municipality into one true/false column per figure."""

    taxonomy: Taxonomy

    @property
    def tasks(self) -> list[int]:
        return [i for i, label in enumerate(self.taxonomy.labels) if label.group == "task"]

    def _headlines(self) -> list[str]:
        roles = self.taxonomy.roles
        names = ["no_task", "all_social", "other_domain"]
        names += ["instrumentalisation"] if roles.risk else []
        names += ["instrumentalisation_without_awareness"] if roles.risk and roles.safeguard else []
        return names

    def figures(self) -> list[FigureDef]:
        """The figures in column order: labels, headlines, breadth 0..number of task labels."""
        labels = [FigureDef("label", lab.id, lab.name_nl) for lab in self.taxonomy.labels]
        heads = [FigureDef("headline", name, HEADLINES[name]) for name in self._headlines()]
        return labels + heads + [FigureDef("breadth", str(k), f"breadth {k}") for k in range(len(self.tasks) + 1)]

    def __call__(self, present: np.ndarray) -> np.ndarray:
        """Indicators (..., municipalities, figures) from presence (..., municipalities, labels)."""
        labels, roles = self.taxonomy.labels, self.taxonomy.roles
        non_social = [i for i in self.tasks if labels[i].domain != "social"]
        other = [i for i in self.tasks if labels[i].domain == (roles.other_domain or "other")]
        breadth = present[..., self.tasks].sum(-1)
        any_task = breadth > 0
        heads = {
            "no_task": ~any_task,
            "all_social": any_task & ~present[..., non_social].any(-1),
            "other_domain": present[..., other].any(-1),
        }
        if roles.risk:
            risk = present[..., self.taxonomy.ids.index(roles.risk)]
            heads["instrumentalisation"] = risk
            if roles.safeguard:
                heads["instrumentalisation_without_awareness"] = risk & ~present[..., self.taxonomy.ids.index(roles.safeguard)]
        columns = [present[..., i] for i in range(len(labels))] + [heads[name] for name in self._headlines()]
        columns += [breadth == k for k in range(len(self.tasks) + 1)]
        return np.stack(columns, axis=-1)


def bootstrap_interval(indicators: np.ndarray, n_boot: int = N_BOOT, seed: int = 0) -> np.ndarray:
    """The 95% percentile interval of each figure's share, shape (2, figures), from resampling municipalities."""
    n = len(indicators)
    if n == 0:
        return np.full((2, indicators.shape[-1]), np.nan)
    weights = np.random.default_rng([seed, 0]).multinomial(n, np.full(n, 1 / n), size=n_boot)
    shares = weights @ indicators.astype(float) / n
    return np.percentile(shares, [2.5, 97.5], axis=0)


def error_interval(simulated: np.ndarray) -> np.ndarray:
    """The 95% interval of each figure's share, shape (2, figures), over simulated indicators (sims, municipalities, figures)."""
    if simulated.shape[1] == 0:
        return np.full((2, simulated.shape[-1]), np.nan)
    return np.percentile(simulated.mean(axis=1), [2.5, 97.5], axis=0)


# ---------------------------------------------------------------- the summary


@dataclass(frozen=True)
class SummaryRow:
    """One figure for one group: how many municipalities, the share, and its two 95% intervals (None when unavailable)."""

    group: str
    measure: str
    key: str
    name: str
    municipalities: int
    count: int
    share: float | None
    bootstrap_low: float | None
    bootstrap_high: float | None
    error_low: float | None
    error_high: float | None

    def values(self) -> list[object]:
        """The row in SUMMARY_COLUMNS order."""
        return [getattr(self, c) for c in SUMMARY_COLUMNS]


@dataclass(frozen=True)
class Summary:
    """The summary of a results folder: the rows, how they were made, and why an interval is missing."""

    rows: tuple[SummaryRow, ...]
    by: str | None
    municipalities: int
    min_sentences: int
    error_source: str | None
    error_note: str
    n_boot: int
    n_sim: int
    simulation_seconds: float = field(default=0.0, compare=False)

    def group(self, name: str = ALL) -> list[SummaryRow]:
        """The rows of one group."""
        return [r for r in self.rows if r.group == name]

    @property
    def groups(self) -> list[str]:
        return list(dict.fromkeys(r.group for r in self.rows))


def _round(value: float) -> float | None:
    return None if value is None or math.isnan(value) else round(float(value), 4)


def _rows(group: str, figures: list[FigureDef], ind: np.ndarray, boot: np.ndarray, err: np.ndarray | None) -> list[SummaryRow]:
    n = len(ind)
    counts = ind.sum(axis=0)
    rows = []
    for j, f in enumerate(figures):
        low, high = (_round(err[0, j]), _round(err[1, j])) if err is not None else (None, None)
        share = round(int(counts[j]) / n, 4) if n else None
        rows.append(
            SummaryRow(group, f.measure, f.key, f.name, n, int(counts[j]), share, _round(boot[0, j]), _round(boot[1, j]), low, high)
        )
    return rows


def summarise(
    table: ResultsTable,
    taxonomy: Taxonomy,
    rates: ErrorRates | None = None,
    groups: Sequence[str] | None = None,
    by: str | None = None,
    min_sentences: int | None = None,
    n_boot: int = N_BOOT,
    n_sim: int = N_SIM,
    seed: int = 0,
) -> Summary:
    """Every figure for all municipalities and, given `groups` (one value per municipality), for each group."""
    indicators = Indicators(taxonomy)
    figures = indicators.figures()
    rule = min_sentences or presence_rule(table)
    observed = indicators(table.present)
    simulated, seconds = None, 0.0
    if rates is not None:
        started = time.perf_counter()
        simulated = indicators(simulate_presence(table.counts, rates, table.labels, rule, n_sim, seed))
        seconds = time.perf_counter() - started
    parts = [(ALL, np.ones(len(table), dtype=bool))]
    if groups is not None:
        values = np.array(groups, dtype=object)
        parts += [(g, values == g) for g in sorted(set(groups), key=lambda g: (g == UNKNOWN, g))]
    rows = []
    for k, (name, mask) in enumerate(parts):
        err = error_interval(simulated[:, mask]) if simulated is not None else None
        rows += _rows(name, figures, observed[mask], bootstrap_interval(observed[mask], n_boot, seed + k), err)
    source, note = (rates.source, "") if rates else (None, "the model card has no per-label precision and recall on real text")
    return Summary(tuple(rows), by, len(table), rule, source, note, n_boot, n_sim, round(seconds, 3))


# ---------------------------------------------------------------- writing


def write_summary_csv(path: Path, summary: Summary) -> None:
    """summary.csv: one row per group and figure."""
    write_csv(path, SUMMARY_COLUMNS, (r.values() for r in summary.rows))


def _pct(value: float | None) -> str:
    return "" if value is None else f"{100 * value:.0f}%"


def _interval(low: float | None, high: float | None) -> str:
    return "n/a" if low is None else f"{_pct(low)}–{_pct(high)}"


def _md_table(rows: list[SummaryRow], first: str) -> list[str]:
    out = [f"| {first} | municipalities | share | 95% bootstrap | 95% tagging errors |", "| --- | ---: | ---: | --- | --- |"]
    for r in rows:
        name = r.name if r.measure != "label" else f"{r.name} (`{r.key}`)"
        out.append(f"| {name} | {r.count} of {r.municipalities} | {_pct(r.share)} | {_interval(r.bootstrap_low, r.bootstrap_high)} | "
                   f"{_interval(r.error_low, r.error_high)} |")  # fmt: skip
    return out


def summary_markdown(summary: Summary) -> str:
    """summary.md: the tables of every group, with how the intervals were made."""
    errors = (
        f"from per-label precision and recall in the model card (`{summary.error_source}`), {summary.n_sim} simulations"
        if summary.error_source
        else f"unavailable: {summary.error_note}"
    )
    lines = [
        f"# Summary of {summary.municipalities} municipalities",
        "",
        f"A label is present when at least {summary.min_sentences} sentences carry it. Intervals are 95%: "
        f"bootstrap over municipalities ({summary.n_boot} resamples, seeded); tagging errors {errors}.",
    ]
    for group in summary.groups:
        rows = summary.group(group)
        title = "All municipalities" if group == ALL else f"{summary.by} = {group}"
        lines += ["", f"## {title} ({rows[0].municipalities})", ""]
        lines += [*_md_table([r for r in rows if r.measure == "headline"], "measure"), ""]
        lines += [*_md_table([r for r in rows if r.measure == "label"], "label"), ""]
        lines += _md_table([r for r in rows if r.measure == "breadth"], "breadth (task labels present)")
    return "\n".join(lines) + "\n"


def summary_html(summary: Summary, images: dict[str, bytes]) -> str:
    """The report's summary section: the headline table and the plots as embedded PNG images."""
    rows = "".join(
        f"<tr><td>{html.escape(r.name)}</td><td class='num'>{r.count} / {r.municipalities}</td><td class='num'>{_pct(r.share)}</td>"
        f"<td>{_interval(r.bootstrap_low, r.bootstrap_high)}</td><td>{_interval(r.error_low, r.error_high)}</td></tr>"
        for r in summary.group()
        if r.measure == "headline"
    )
    pictures = "".join(
        f'<figure><img alt="{html.escape(name)}" src="data:image/png;base64,{base64.b64encode(png).decode()}" '
        'style="max-width:900px;width:100%"></figure>'
        for name, png in images.items()
    )
    return (
        f'{REPORT_BEGIN}\n<h2>Summary across municipalities</h2>\n<p class="muted">Shares of municipalities with 95% intervals: '
        f"bootstrap over municipalities, and tagging errors ({html.escape(summary.error_source or 'unavailable: ' + summary.error_note)}). "
        "summary.csv and summary.md hold every figure.</p>\n"
        f'<table id="summary"><tr><th>measure</th><th>municipalities</th><th>share</th><th>95% bootstrap</th>'
        f'<th>95% tagging errors</th></tr>{rows}</table>\n<div id="summary-plots">{pictures}</div>\n{REPORT_END}'
    )


#: Where the report's data begins: the summary markers come before it (the data never holds a bare "<").
_REPORT_DATA = '<script id="policyscan-data"'
_CHUNK = 1 << 20


def embed_in_report(report: Path, section: str) -> bool:
    """Put the summary section into report.html (replacing an earlier one); False when there is no report to put it in.

    Only the page up to the report's data is read into memory; the data, which grows with the corpus, is copied over in chunks.
    """
    if not report.exists():
        return False
    with report.open(encoding="utf-8") as source:
        head = ""
        while _REPORT_DATA not in head and (chunk := source.read(_CHUNK)):
            head += chunk
        if REPORT_BEGIN in head and REPORT_END in head:
            before, rest = head.split(REPORT_BEGIN, 1)
            head = before + section + rest.split(REPORT_END, 1)[1]
        elif _REPORT_DATA in head:
            before, rest = head.split(_REPORT_DATA, 1)
            head = before + section + "\n" + _REPORT_DATA + rest
        else:
            return False
        with atomic_open(report) as out:
            out.write(head)
            shutil.copyfileobj(source, out, _CHUNK)
    return True


_PLOT_FILES = tuple(f"{name}.{fmt}" for name in PLOTS for fmt in ("svg", "png"))


def _plots(folder: Path, summary: Summary, table: ResultsTable, taxonomy: Taxonomy, cache: Path | None = None) -> dict[str, bytes]:
    """Write the three summary plots (all municipalities) as SVG and PNG into `folder`; their PNG bytes by name.

    With `cache`, plots drawn before from the same figures (and the same drawing code and matplotlib) are copied from
    there instead of drawn again: a rescan that changes nothing needs no matplotlib.
    """
    rows = summary.group()
    bars = [
        (r.name, taxonomy.get(r.key).domain, r.share or 0.0, r.bootstrap_low, r.bootstrap_high, r.error_low, r.error_high)
        for r in rows
        if r.measure == "label"
    ]
    roles, flagged = taxonomy.roles, np.zeros(len(table), dtype=bool)
    if roles.risk and roles.safeguard:
        flagged = table.present[:, taxonomy.ids.index(roles.risk)] & ~table.present[:, taxonomy.ids.index(roles.safeguard)]
    x_label = taxonomy.get(roles.risk).name_nl if roles.risk else "instrumentalisering"
    y_label = taxonomy.get(roles.safeguard).name_nl if roles.safeguard else "aandacht voor het risico"
    breadth = [r.count for r in rows if r.measure == "breadth"]
    risk = (np.asarray(table.instrumentalisation_per_1000, dtype=float), np.asarray(table.risk_awareness_per_1000, dtype=float))
    stored = cache / _plot_key([*risk, flagged], bars, summary.municipalities, x_label, y_label, breadth) if cache else None
    if stored is not None:
        try:
            files = _copy_plot_files(stored, folder)
            return {name: files[f"{name}.png"] for name in PLOTS}
        except OSError:
            pass  # not drawn before (or the cache is unreadable): draw them
    from .plotter import PlotInputs, draw_plots  # matplotlib only when drawing (in the process started for it, if any)

    images = draw_plots(folder, PlotInputs(tuple(bars), summary.municipalities, *risk, flagged, x_label, y_label, tuple(breadth)))
    if stored is not None:
        try:
            stored.mkdir(parents=True, exist_ok=True)
            _copy_plot_files(folder, stored)
        except OSError:
            pass  # a cache that cannot be written must not stop the scan
    return images


def _plot_key(arrays: Sequence[np.ndarray], *values: object) -> str:
    """A digest of what the plots show (arrays and plain values), the drawing code and matplotlib's version."""
    from importlib.metadata import version

    digest = hashlib.sha256(b"".join((Path(__file__).parent / name).read_bytes() for name in ("plots.py", "plotter.py")))
    digest.update(version("matplotlib").encode())
    for array in arrays:
        digest.update(f"{array.dtype}{array.shape}".encode() + array.tobytes())
    digest.update(repr(values).encode())
    return digest.hexdigest()


def _copy_plot_files(source: Path, target: Path) -> dict[str, bytes]:
    """Copy the plot files from `source` to `target` (each replaced atomically, all read before any is written); their bytes."""
    files = {name: (source / name).read_bytes() for name in _PLOT_FILES}
    for name, data in files.items():
        with atomic_open(target / name, "wb") as handle:
            handle.write(data)
    return files


#: The files write_summary puts into a results folder.
SUMMARY_FILES = frozenset({"summary.csv", "summary.md", *_PLOT_FILES})


def write_summary(
    folder: str | Path,
    taxonomy: Taxonomy,
    card: dict | None = None,
    by: str | None = None,
    min_sentences: int | None = None,
    seed: int = 0,
    plot_cache: str | Path | None = None,
) -> Summary:
    """Write summary.csv, summary.md and the plots (SVG, PNG) into a results folder, and the summary section into its report.

    With `plot_cache` (a folder), plots of unchanged figures are copied from there instead of drawn again."""
    folder = Path(folder)
    table = read_results(folder, taxonomy)
    groups = group_values(folder, table, by) if by else None
    summary = summarise(table, taxonomy, error_rates_from_card(card), groups, by, min_sentences, seed=seed)
    write_summary_csv(folder / "summary.csv", summary)
    atomic_write_text(folder / "summary.md", summary_markdown(summary))
    images = _plots(folder, summary, table, taxonomy, Path(plot_cache) if plot_cache else None)
    embed_in_report(folder / "report.html", summary_html(summary, images))
    return summary


__all__ = [
    "ErrorRates",
    "ResultsError",
    "ResultsTable",
    "Summary",
    "SummaryRow",
    "error_rates_from_card",
    "read_results",
    "summarise",
    "write_summary",
]
