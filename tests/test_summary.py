"""The summary across municipalities: every figure against a hand computation, the two intervals, groups, plots, report."""

from __future__ import annotations

import base64
import csv
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from policyscan.cli import main
from policyscan.process import DocumentResult
from policyscan.records import Document, Prediction, Sentence
from policyscan.scan import aggregate, write_results
from policyscan.summary import (
    REPORT_BEGIN,
    ErrorRates,
    ResultsTable,
    error_rates_from_card,
    presence_probability,
    presence_rule,
    read_results,
    simulate_counts,
    summarise,
    write_summary,
)
from policyscan.taxonomy import load_taxonomy

TAXONOMY = load_taxonomy()

# municipality -> (CBS code, size class, number of sentences, {label: sentences carrying it})
KNOWN = {
    "Lindenhoek": ("GM0363", "groot", 20, {"loneliness": 3, "care_ageing": 2, "instrumentalisation": 2}),
    "Brugwaarde": ("GM0344", "klein", 10, {"loneliness": 1, "culture": 4, "instrumentalisation": 2, "risk_awareness": 2}),
    "Veendijk": ("GM0014", "klein", 5, {}),
    "Rietmonde": ("GM0344", "groot", 30, {"care_ageing": 5, "sport": 2, "economy": 3, "risk_awareness": 3}),
}

# Worked out by hand from KNOWN with the presence rule "at least 2 sentences": (measure, key) -> municipalities.
HAND = {
    ("label", "loneliness"): 1,
    ("label", "care_ageing"): 2,
    ("label", "poverty_work"): 0,
    ("label", "culture"): 1,
    ("label", "sport"): 1,
    ("label", "economy"): 1,
    ("label", "instrumentalisation"): 2,
    ("label", "risk_awareness"): 2,
    ("headline", "no_task"): 1,
    ("headline", "all_social"): 1,
    ("headline", "other_domain"): 2,
    ("headline", "instrumentalisation"): 2,
    ("headline", "instrumentalisation_without_awareness"): 1,
    ("breadth", "0"): 1,
    ("breadth", "1"): 1,
    ("breadth", "2"): 1,
    ("breadth", "3"): 1,
    ("breadth", "4"): 0,
}


def _document(name: str, code: str, size: str, n: int, counts: dict[str, int]) -> DocumentResult:
    """One document of `n` sentences; sentence i carries every label whose count exceeds i."""
    doc_id = name.lower()
    path = f"{doc_id}/nota.pdf"
    sentences, predictions = [], []
    for i in range(n):
        text = f"De gemeente {name} steunt vrijwilligers, punt {i + 1}."
        sentences.append(Sentence(doc_id, path, 1, i, None, text, 0, len(text)))
        labels = tuple(label for label in TAXONOMY.ids if counts.get(label, 0) > i)
        predictions.append(Prediction(labels, {label: 0.9 if label in labels else 0.1 for label in TAXONOMY.ids}))
    document = Document(doc_id, path, name, code, "2025", f"Nota {name}", (("size", size),))
    return DocumentResult(document, tuple(sentences), tuple(predictions), pages=1, characters=sum(len(s.text) for s in sentences))


def make_results(folder: Path, known: dict = KNOWN, min_sentences: int = 2) -> Path:
    """A results folder written by the scan's own writer from documents with known labels."""
    results = [_document(name, *spec) for name, spec in known.items()]
    folder.mkdir(parents=True, exist_ok=True)
    write_results(folder, aggregate(results, [], TAXONOMY, "test model", min_sentences), TAXONOMY)
    return folder


def card_with(precision: float, recall: float, name: str = "real_dev.jsonl", real_text: bool = True) -> dict:
    """A model card with the same measured precision and recall for every label (as `train --real-dev` records it)."""
    per_label = {label: {"precision": precision, "recall": recall, "f1": 0.0, "support": 50} for label in TAXONOMY.ids}
    return {"evaluations": {name: {"per_label": per_label, "real_text": real_text}}}


def _rows(folder: Path, name: str = "summary.csv") -> list[dict]:
    with (folder / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def _table(present_share: float, n: int, count: int = 2) -> ResultsTable:
    """`n` municipalities; the first `present_share` of them have `count` sentences of every label, the others none."""
    k = round(present_share * n)
    counts = np.zeros((n, len(TAXONOMY.ids)), dtype=int)
    counts[:k] = count
    per_1000 = np.full(n, 10.0)
    names = tuple(f"Gemeente {i}" for i in range(n))
    return ResultsTable(names, ("",) * n, TAXONOMY.ids, np.full(n, 100), counts, counts >= 2, per_1000, per_1000)


@pytest.fixture(scope="module")
def results(tmp_path_factory) -> Path:
    folder = make_results(tmp_path_factory.mktemp("summary") / "results")
    write_summary(folder, TAXONOMY, card_with(0.8, 0.7))
    return folder


def test_every_figure_equals_the_hand_computation(results):
    rows = {(r["measure"], r["key"]): r for r in _rows(results) if r["group"] == "all"}
    for key, count in HAND.items():
        assert int(rows[key]["count"]) == count, key
        assert float(rows[key]["share"]) == count / 4, key
        assert rows[key]["municipalities"] == "4"
    assert sum(int(r["count"]) for k, r in rows.items() if k[0] == "breadth") == 4
    assert rows[("label", "culture")]["name"] == "Cultuur en erfgoed"


def test_intervals_hold_the_share_and_the_error_interval_is_filled(results):
    for r in _rows(results):
        low, high, share = float(r["bootstrap_low"]), float(r["bootstrap_high"]), float(r["share"])
        assert 0 <= low <= share <= high <= 1
        assert 0 <= float(r["error_low"]) <= float(r["error_high"]) <= 1


def test_bootstrap_interval_shrinks_as_municipalities_are_added():
    widths = []
    for n in (10, 40, 160):
        row = next(r for r in summarise(_table(0.5, n), TAXONOMY).group() if r.key == "loneliness")
        assert row.share == 0.5
        widths.append(row.bootstrap_high - row.bootstrap_low)
    assert widths[0] > widths[1] > widths[2] > 0


def test_error_interval_widens_as_error_rates_grow():
    table = _table(0.5, 60, count=3)
    widths = []
    for rate in (1.0, 0.9, 0.6):
        rates = ErrorRates("test", dict.fromkeys(TAXONOMY.ids, rate), dict.fromkeys(TAXONOMY.ids, rate))
        row = next(r for r in summarise(table, TAXONOMY, rates).group() if r.key == "loneliness")
        widths.append(row.error_high - row.error_low)
    assert widths[0] == 0 and widths[0] < widths[1] < widths[2]


def test_error_free_model_reproduces_every_observed_share():
    table = read_results_of_known()
    rates = ErrorRates("perfect", dict.fromkeys(TAXONOMY.ids, 1.0), dict.fromkeys(TAXONOMY.ids, 1.0))
    for r in summarise(table, TAXONOMY, rates).rows:
        assert r.error_low == r.error_high == r.share


def read_results_of_known() -> ResultsTable:
    """The KNOWN municipalities as a table, without a folder."""
    n, labels = len(KNOWN), TAXONOMY.ids
    counts = np.array([[spec[3].get(label, 0) for label in labels] for spec in KNOWN.values()])
    per_1000 = np.zeros(n)
    sentences = np.array([spec[2] for spec in KNOWN.values()])
    return ResultsTable(tuple(KNOWN), tuple(s[0] for s in KNOWN.values()), labels, sentences, counts, counts >= 2, per_1000, per_1000)


def test_simulated_counts_thin_by_precision_and_add_by_recall():
    counts = np.full((1, len(TAXONOMY.ids)), 1000)
    rates = ErrorRates("test", dict.fromkeys(TAXONOMY.ids, 0.8), dict.fromkeys(TAXONOMY.ids, 0.5))
    simulated = simulate_counts(counts, rates, TAXONOMY.ids, 200)
    assert simulated.shape == (200, 1, len(TAXONOMY.ids))
    assert abs(simulated.mean() - 1000 * 0.8 / 0.5) < 10  # found x precision / recall


@pytest.mark.parametrize("rule", [1, 2, 3])
def test_presence_probability_is_that_of_the_simulated_counts(rule):
    counts = np.array([[0, 1, 2, 3, 5, 8] + [2] * (len(TAXONOMY.ids) - 6)])
    rates = ErrorRates("test", dict.fromkeys(TAXONOMY.ids, 0.7), dict.fromkeys(TAXONOMY.ids, 0.6))
    exact = presence_probability(counts, rates, TAXONOMY.ids, rule)
    drawn = (simulate_counts(counts, rates, TAXONOMY.ids, 40000) >= rule).mean(axis=0)
    assert np.abs(exact - drawn).max() < 0.01
    assert exact[0, 0] == 0 and exact[0, 1] < exact[0, 3] < exact[0, 5] < 1


def test_card_without_measured_rates_leaves_the_error_interval_empty_and_says_why(tmp_path):
    folder = make_results(tmp_path / "r")
    assert error_rates_from_card({}) is None and error_rates_from_card({"evaluations": {"x": {"macro_f1": 0.5}}}) is None
    summary = write_summary(folder, TAXONOMY, {"cv_metrics": {}})
    assert summary.error_source is None
    assert all(r["error_low"] == "" and r["bootstrap_low"] != "" for r in _rows(folder))
    assert "tagging errors unavailable: the model card has no per-label precision and recall" in (folder / "summary.md").read_text()


def test_rates_on_real_text_are_preferred():
    card = card_with(0.9, 0.9, "dev.jsonl", real_text=False)
    assert error_rates_from_card(card) is None  # rates measured on neat sentences would understate the error
    card["evaluations"] |= card_with(0.5, 0.4, "real_dev.jsonl")["evaluations"]
    rates = error_rates_from_card(card)
    assert rates.source == "real_dev.jsonl" and rates.precision["culture"] == 0.5 and rates.recall["culture"] == 0.4


def test_presence_rule_is_read_from_the_results(tmp_path):
    assert presence_rule(read_results(make_results(tmp_path / "two"), TAXONOMY)) == 2
    assert presence_rule(read_results(make_results(tmp_path / "three", min_sentences=3), TAXONOMY)) == 3


def test_by_a_manifest_column_breaks_every_figure_down(tmp_path):
    folder = make_results(tmp_path / "r")
    summary = write_summary(folder, TAXONOMY, by="size")
    assert summary.groups == ["all", "groot", "klein"]
    rows = {(r["group"], r["measure"], r["key"]): r for r in _rows(folder)}
    # groot: Lindenhoek and Rietmonde; klein: Brugwaarde and Veendijk
    assert rows[("groot", "label", "care_ageing")]["count"] == "2" and rows[("groot", "label", "care_ageing")]["share"] == "1.0"
    assert rows[("klein", "headline", "no_task")]["count"] == "1" and rows[("klein", "label", "culture")]["share"] == "0.5"
    assert rows[("groot", "headline", "instrumentalisation_without_awareness")]["count"] == "1"
    assert "## size = klein (2)" in (folder / "summary.md").read_text()


def test_by_province_works_from_the_code_alone(tmp_path):
    folder = make_results(tmp_path / "r")
    summary = write_summary(folder, TAXONOMY, by="province")
    counts = {g: summary.group(g)[0].municipalities for g in summary.groups}
    assert counts == {"all": 4, "Groningen": 1, "Noord-Holland": 1, "Utrecht": 2}


def test_documents_csv_carries_the_manifest_columns(results):
    rows = _rows(results, "documents.csv")
    assert [r["size"] for r in rows] == [spec[1] for spec in KNOWN.values()]


def test_unknown_group_column_is_a_clear_error(tmp_path):
    folder = make_results(tmp_path / "r")
    result = CliRunner().invoke(main, ["summary", str(folder), "--by", "inwoners"])
    assert result.exit_code == 1
    assert "documents.csv has no column 'inwoners'" in result.output and "add the column to the manifest and scan again" in result.output


def test_plots_exist_and_open(results):
    import matplotlib.image

    for stem in ("summary_presence", "summary_risk", "summary_breadth"):
        image = matplotlib.image.imread(results / f"{stem}.png")
        assert image.shape[0] > 200 and image.shape[1] > 300
        root = ET.parse(results / f"{stem}.svg").getroot()
        assert root.tag.endswith("svg")
    svg = (results / "summary_presence.svg").read_text(encoding="utf-8")
    assert "Cultuur en erfgoed" in svg and "Eenzaamheid" in svg


def test_report_embeds_the_plots_once_after_a_rebuild(results):
    write_summary(results, TAXONOMY, card_with(0.8, 0.7))
    page = (results / "report.html").read_text(encoding="utf-8")
    assert page.count(REPORT_BEGIN) == 1 and page.count("<script") == 2
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == 3 and all(base64.b64decode(data).startswith(b"\x89PNG") for data in images)
    assert "instrumentalisation present, no risk awareness" in page


def test_report_shows_the_plots_in_chromium(results):
    playwright_api = pytest.importorskip("playwright.sync_api")
    from policyscan.testing.browser import open_report

    with playwright_api.sync_playwright() as pw:
        browser, page = open_report(pw, results / "report.html")
        try:
            widths = page.eval_on_selector_all("#summary-plots img", "imgs => imgs.map(i => i.complete ? i.naturalWidth : 0)")
            rows = page.locator("#summary tr").count()
        finally:
            browser.close()
    assert len(widths) == 3 and all(w > 300 for w in widths)
    assert rows == 1 + 5


def test_compare_with_itself_shows_no_change(results, tmp_path):
    result = CliRunner().invoke(main, ["compare", str(results), str(results), "-o", str(tmp_path / "c"), "-q"])
    assert result.exit_code == 0, result.output
    cells = _rows(tmp_path / "c", "compare.csv")
    assert len(cells) == 4 * len(TAXONOMY.ids)
    assert {r["change"] for r in cells} == {"kept", "absent"} and {r["share_change"] for r in cells} <= {"0.0", ""}
    assert all(r["share_change"] == "0.0" for r in _rows(tmp_path / "c", "compare_labels.csv"))
    assert matplotlib_opens(tmp_path / "c" / "compare.png")
    again = CliRunner().invoke(main, ["compare", str(results), str(results), "-o", str(tmp_path / "c")])
    assert again.exit_code == 1 and "pass --force to replace it" in again.output


def matplotlib_opens(path: Path) -> bool:
    import matplotlib.image

    return matplotlib.image.imread(path).size > 0


def test_compare_counts_gains_and_losses(tmp_path):
    old = make_results(tmp_path / "old")
    later = dict(KNOWN)
    later["Veendijk"] = ("GM0014", "klein", 5, {"culture": 2})
    later["Lindenhoek"] = ("GM0363", "groot", 20, {"loneliness": 3, "care_ageing": 1, "instrumentalisation": 2})
    new = make_results(tmp_path / "new", later)
    result = CliRunner().invoke(main, ["compare", str(old), str(new), "-o", str(tmp_path / "c"), "-q"])
    assert result.exit_code == 0, result.output
    cells = {(r["municipality"], r["label"]): r for r in _rows(tmp_path / "c", "compare.csv")}
    assert cells[("Veendijk", "culture")]["change"] == "gained" and cells[("Veendijk", "culture")]["share_change"] == "0.4"
    assert cells[("Lindenhoek", "care_ageing")]["change"] == "lost"
    labels = {r["label"]: r for r in _rows(tmp_path / "c", "compare_labels.csv")}
    assert (labels["culture"]["present_old"], labels["culture"]["present_new"], labels["culture"]["share_change"]) == ("1", "2", "0.25")
    assert labels["care_ageing"]["share_change"] == "-0.25"


def test_summary_command_rebuilds_the_files(tmp_path):
    results = make_results(tmp_path / "r")
    result = CliRunner().invoke(main, ["summary", str(results), "--model", str(tmp_path / "no-model")])
    assert result.exit_code == 0, result.output
    assert "no tagging-error interval" in result.output
    assert (results / "summary.csv").exists() and (results / "summary.md").read_text().startswith("# Summary of 4 municipalities")


def test_scan_carries_manifest_columns_into_the_summary_groups(tmp_path):
    texts = {
        "Lindenhoek": "De gemeente Lindenhoek zet maatjes in tegen eenzaamheid. Vrijwilligers bezoeken ouderen die alleen wonen.",
        "Brugwaarde": "Brugwaarde steunt het dorpshuis en de groenploegen. Vrijwilligers houden de speeltuinen in de wijk schoon.",
    }
    rows = ["path,municipality,grootte"]
    inputs = tmp_path / "documenten"
    inputs.mkdir()
    for name, text in texts.items():
        (inputs / f"{name.lower()}.txt").write_text(text + "\n", encoding="utf-8")
        rows.append(f"{name.lower()}.txt,{name},{'groot' if name == 'Lindenhoek' else 'klein'}")
    (inputs / "manifest.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "results"
    result = CliRunner().invoke(main, ["scan", str(inputs), "--manifest", str(inputs / "manifest.csv"), "-o", str(out), "-q"])
    assert result.exit_code == 0, result.output
    assert {r["municipality"]: r["grootte"] for r in _rows(out, "documents.csv")} == {"Lindenhoek": "groot", "Brugwaarde": "klein"}
    assert CliRunner().invoke(main, ["summary", str(out), "--by", "grootte", "-q"]).exit_code == 0
    assert {r["group"] for r in _rows(out)} == {"all", "groot", "klein"}


@pytest.mark.parametrize("where", [10, (1 << 20) - 12, (1 << 20) + 3])  # the data's start before, across and after a 1 MiB chunk's end
def test_issue_16_summary_goes_into_a_large_report_without_reading_it_whole(tmp_path, where):
    from policyscan.summary import REPORT_BEGIN, REPORT_END, embed_in_report

    data = '<script id="policyscan-data" type="application/json">{"tekst": "' + "Lindenhoek é–" * 300_000 + '"}</script>\n'
    head = "<html>\n" + " " * where + "\n"
    report = tmp_path / "report.html"
    report.write_text(head + data + "</html>\n", encoding="utf-8")
    assert embed_in_report(report, f"{REPORT_BEGIN}eerste{REPORT_END}")
    assert report.read_text(encoding="utf-8") == head + f"{REPORT_BEGIN}eerste{REPORT_END}\n" + data + "</html>\n"
    assert embed_in_report(report, f"{REPORT_BEGIN}tweede{REPORT_END}")
    assert report.read_text(encoding="utf-8") == head + f"{REPORT_BEGIN}tweede{REPORT_END}\n" + data + "</html>\n"
    assert not embed_in_report(tmp_path / "nergens.html", "x")
