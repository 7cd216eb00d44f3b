"""Two scans of the same municipalities side by side (policy of 2021 against 2025): presence before and after, and the change in shares."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .fileio import refuse_overwrite
from .report import write_csv
from .summary import ResultsError, ResultsTable, read_results
from .taxonomy import Taxonomy

COMPARE_COLUMNS = (
    "municipality",
    "label",
    "label_name",
    "in_old",
    "in_new",
    "present_old",
    "present_new",
    "change",
    "share_old",
    "share_new",
    "share_change",
)
LABEL_COLUMNS = ("label", "label_name", "domain", "municipalities", "present_old", "present_new", "share_old", "share_new", "share_change")
OUTPUTS = ("compare.csv", "compare_labels.csv", "compare.svg", "compare.png")


@dataclass(frozen=True)
class Comparison:
    """Per municipality and label, and per label over the municipalities in both scans."""

    cells: tuple[tuple[object, ...], ...]
    labels: tuple[tuple[object, ...], ...]
    common: int


def _change(before: bool | None, after: bool | None) -> str:
    """What happened to a label's presence: gained, lost, kept, absent, or only in one scan."""
    if before is None:
        return "only in new"
    if after is None:
        return "only in old"
    return {(False, True): "gained", (True, False): "lost", (True, True): "kept", (False, False): "absent"}[(before, after)]


def _index(table: ResultsTable) -> dict[str, int]:
    return {name: i for i, name in enumerate(table.municipalities)}


def _share(table: ResultsTable, i: int, j: int) -> float | None:
    return round(int(table.counts[i, j]) / int(table.sentences[i]), 4) if table.sentences[i] else None


def _cell(old: ResultsTable, new: ResultsTable, name: str, j: int, label: str, label_name: str) -> tuple[object, ...]:
    """One compare.csv row."""
    i, k = _index(old).get(name), _index(new).get(name)
    before = bool(old.present[i, j]) if i is not None else None
    after = bool(new.present[k, j]) if k is not None else None
    s_old = _share(old, i, j) if i is not None else None
    s_new = _share(new, k, j) if k is not None else None
    delta = round(s_new - s_old, 4) if s_old is not None and s_new is not None else None
    return (name, label, label_name, i is not None, k is not None, before, after, _change(before, after), s_old, s_new, delta)


def compare_results(old: ResultsTable, new: ResultsTable, taxonomy: Taxonomy) -> Comparison:
    """Presence per municipality and label in two scans, and per label the share of municipalities (in both) where it is present."""
    names = sorted(set(old.municipalities) | set(new.municipalities))
    common = [m for m in names if m in _index(old) and m in _index(new)]
    cells = tuple(_cell(old, new, m, j, lab.id, lab.name_nl) for m in names for j, lab in enumerate(taxonomy.labels))
    rows_old, rows_new = [_index(old)[m] for m in common], [_index(new)[m] for m in common]
    labels = []
    for j, lab in enumerate(taxonomy.labels):
        a, b = int(old.present[rows_old, j].sum()), int(new.present[rows_new, j].sum())
        s_a, s_b = (round(a / len(common), 4), round(b / len(common), 4)) if common else (None, None)
        delta = round(s_b - s_a, 4) if common else None
        labels.append((lab.id, lab.name_nl, lab.domain, len(common), a, b, s_a, s_b, delta))
    return Comparison(cells, tuple(labels), len(common))


def compare(old: str | Path, new: str | Path, outdir: str | Path, taxonomy: Taxonomy, force: bool = False) -> Comparison:
    """Write compare.csv, compare_labels.csv and compare.svg/.png into `outdir` for two results folders."""
    from .plots import compare_figure, save_figure

    outdir = Path(outdir)
    for name in OUTPUTS:
        refuse_overwrite(outdir / name, force)
    before, after = read_results(old, taxonomy), read_results(new, taxonomy)
    result = compare_results(before, after, taxonomy)
    if not result.common:
        raise ResultsError(f"{old} and {new} share no municipality; compare scans of the same municipalities")
    outdir.mkdir(parents=True, exist_ok=True)
    write_csv(outdir / "compare.csv", COMPARE_COLUMNS, result.cells)
    write_csv(outdir / "compare_labels.csv", LABEL_COLUMNS, result.labels)
    rows = result.labels
    figure = compare_figure(
        [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows], [r[6] for r in rows], [r[7] for r in rows], result.common
    )
    save_figure(figure, outdir, "compare")
    return result
