"""The HTML report, opened in headless Chromium: the heatmap is drawn and a click shows the evidence."""

from __future__ import annotations

import io
import itertools
import json
import re

import fixtures
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from policyscan.cli import main
from policyscan.records import Prediction, Sentence, TaggedSentence
from policyscan.report import sentence_record, write_sentence_lines
from policyscan.taxonomy import load_taxonomy
from policyscan.testing.browser import open_report

playwright_api = pytest.importorskip("playwright.sync_api")
Image = pytest.importorskip("PIL.Image")

SELECTED_RED = (192, 57, 43)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("rcorpus")
    corpus = fixtures.scan_corpus(root)
    (root / "Groenvliet").mkdir()
    (root / "Groenvliet" / "kapot.pdf").write_bytes(b"%PDF-1.4\n% afgebroken\n")
    out = tmp_path_factory.mktemp("rscan") / "results"
    CliRunner().invoke(main, ["scan", str(corpus["root"]), "--manifest", str(corpus["manifest"]), "-o", str(out), "-q"])
    return out / "report.html"


def _pixels(png: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return {colour for _, colour in image.getcolors(maxcolors=1 << 24)}


def _near(pixels: set, colour: tuple[int, int, int], tol: int = 12) -> bool:
    return any(all(abs(p[i] - colour[i]) <= tol for i in range(3)) for p in pixels)


def test_heatmap_is_drawn_and_a_click_shows_evidence(report, tmp_path):
    with playwright_api.sync_playwright() as pw:
        browser, page = open_report(pw, report)
        try:
            cells = page.locator("#heatmap td.cell")
            assert cells.count() == 4 * 13
            heatmap_png = page.locator("#heatmap").screenshot()
            before = page.screenshot(full_page=True)
            page.click('#heatmap td.cell[data-municipality="Lindenhoek"][data-label="loneliness"]')
            evidence = page.inner_text("#evidence")
            after = page.screenshot(full_page=True)
            (tmp_path / "after.png").write_bytes(after)
        finally:
            browser.close()
    assert "Lindenhoek: Eenzaamheid (loneliness)" in evidence
    assert fixtures.LONELY[0] in evidence and "nota, page 1" in evidence
    heat = _pixels(heatmap_png)
    assert len(heat) > 50 and any(r < 200 and b > 150 and b - r > 40 for r, _, b in heat), "no blue heatmap cells on screen"
    assert not _near(_pixels(before), SELECTED_RED) and _near(_pixels(after), SELECTED_RED), "the clicked cell is not outlined"


def test_measures_table_sorts_on_click(report):
    with playwright_api.sync_playwright() as pw:
        browser, page = open_report(pw, report)
        try:
            names = page.locator("#measures tr td:nth-child(1)").all_inner_texts()
            assert names == ["Brugwaarde", "Groenvliet", "Lindenhoek", "Veendijk"]
            sizes = []
            for _ in range(2):
                page.click("#measures th:text('sentences')")
                sizes.append([int(v) for v in page.locator("#measures tr td:nth-child(3)").all_inner_texts()])
            assert sizes[0] == sorted(sizes[0], reverse=True) and sizes[1] == sorted(sizes[1])
            assert sizes[0][0] > sizes[0][-1]
        finally:
            browser.close()


def test_hostile_text_is_shown_as_text(report):
    with playwright_api.sync_playwright() as pw:
        browser, page = open_report(pw, report)
        try:
            page.click('#heatmap td.cell[data-municipality="Veendijk"][data-label="loneliness"]')
            shown = page.inner_text("#evidence")
            scripts = page.locator("script").count()
        finally:
            browser.close()
    assert "<script>alert(1)</script>" in shown and scripts == 2


def _luminance(css: str) -> float:
    r, g, b = (int(v) for v in css[css.index("(") + 1 : css.index(")")].split(",")[:3])
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


CELLS_JS = """[...document.querySelectorAll('#heatmap td.cell:not(.failed)')].map((td) => {
  const m = DATA.municipalities.find((x) => x.name === td.dataset.municipality);
  const c = m.cells[td.dataset.label], style = getComputedStyle(td);
  return [c.share, c.n, c.present, style.backgroundColor, style.backgroundImage, td.getAttribute('tabindex')];
})"""


def test_issue_12_colour_tells_every_share_apart_and_hatches_cells_below_the_presence_rule(report):
    with playwright_api.sync_playwright() as pw:
        browser, page = open_report(pw, report)
        try:
            cells = page.evaluate(CELLS_JS)
            legend = page.inner_text("#legend")
        finally:
            browser.close()
    by_share = {}
    for share, _, _, background, _, _ in cells:
        by_share.setdefault(share, set()).add(_luminance(background))
    assert all(len(v) == 1 for v in by_share.values()), "one share, one colour"
    shares = sorted(by_share)
    assert len([s for s in shares if s >= 0.1]) >= 3
    darkness = [by_share[s].pop() for s in shares]
    assert all(a > b for a, b in itertools.pairwise(darkness)), "a larger share is always darker"
    for _, n, present, _, image, _ in cells:
        assert ("repeating-linear-gradient" in image) == (not present), (n, present, image)
    assert "100.0% (largest share" in legend and "below the presence rule" in legend


def test_issue_12_cells_are_reached_and_opened_with_the_keyboard(report):
    with playwright_api.sync_playwright() as pw:
        browser, page = open_report(pw, report)
        try:
            tabindex = {c[5] for c in page.evaluate(CELLS_JS)}
            page.keyboard.press("Tab")
            first = page.evaluate("[document.activeElement.dataset.municipality, document.activeElement.dataset.label]")
            page.keyboard.press("Enter")
            after_enter = page.inner_text("#evidence h3")
            page.keyboard.press("Tab")
            page.keyboard.press("Space")
            after_space = page.inner_text("#evidence h3")
            selected = page.locator("#heatmap td.selected").count()
        finally:
            browser.close()
    assert tabindex == {"0"}
    labels = load_taxonomy().labels
    assert first == ["Brugwaarde", labels[0].id]
    assert after_enter == f"Brugwaarde: {labels[0].name_nl} ({labels[0].id})"
    assert after_space == f"Brugwaarde: {labels[1].name_nl} ({labels[1].id})" and selected == 1


def test_issue_12_failed_municipality_and_failed_documents_are_shown(report):
    with playwright_api.sync_playwright() as pw:
        browser, page = open_report(pw, report)
        try:
            row = page.inner_text("#heatmap tr.failed")
            failed_cells = page.locator('#heatmap td.failed[data-municipality="Groenvliet"]').count()
            failures = page.inner_text("#failures")
            lang = page.evaluate("[document.documentElement.lang, document.querySelector('#heatmap th.label').lang]")
        finally:
            browser.close()
    assert row.startswith("Groenvliet (failed: 1 document not read)") and failed_cells == 13
    assert "kapot.pdf" in failures and "damaged or truncated PDF" in failures and "scan.pdf" in failures
    assert lang == ["en", "nl"]


def test_issue_9_trust_row_under_the_label_names(small_model_dir, tmp_path):
    """With a model that records a real-text evaluation, the heatmap shows precision / recall under every label."""
    corpus = fixtures.scan_corpus(tmp_path / "corpus")
    out = tmp_path / "results"
    args = ["scan", str(corpus["root"]), "--manifest", str(corpus["manifest"]), "-o", str(out), "--model", str(small_model_dir), "-q"]
    CliRunner().invoke(main, args)
    with playwright_api.sync_playwright() as p:
        browser, page = open_report(p, out / "report.html")
        cells = page.locator("#heatmap tr.trust td").all_inner_texts()
        note_hidden = page.locator("#trust-note").is_hidden()
        browser.close()
    assert len(cells) == len(load_taxonomy().ids)
    assert all(re.fullmatch(r"(\d\.\d\d|n/a) / (\d\.\d\d|n/a)", c) for c in cells), cells
    assert not note_hidden


_texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=60) | st.sampled_from(
    ['Zij zei "ja" \\ nee', "Café € 12\n\t", ""]
)
_score = st.floats(0, 1) | st.sampled_from([0.0, 1.0, 0.1234, 1e-05, 0.5])


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            _texts,
            st.none() | _texts,
            st.integers(1, 400),
            st.booleans(),
            st.lists(st.sampled_from(["care_ageing", "sport", "instrumentalisation"]), unique=True),
            st.lists(_score, min_size=3, max_size=3),
            st.booleans(),
        ),
        max_size=5,
    ),
    _texts,
    _texts,
)
def test_issue_13_sentence_lines_are_json_encoded_records_to_the_byte(rows, path, municipality):
    # the lines are put together from encoded fields (the labels and scores as cached); they must equal json's own
    tagged = []
    for index, (text, section, page, ocr, labels, scores, cached) in enumerate(rows):
        sentence = Sentence("doc-" + path[:5], path, page, index, section, text, 0, len(text), ocr)
        prediction = Prediction(tuple(labels), dict(zip(["care_ageing", "sport", "instrumentalisation"], scores, strict=True)))
        encoded = prediction.with_json().encoded if cached else None
        tagged.append(TaggedSentence(sentence, municipality, prediction.labels, prediction.scores, encoded))
    out = io.StringIO()
    assert write_sentence_lines(out, tagged) == len(tagged)
    assert out.getvalue() == "".join(json.dumps(sentence_record(t), ensure_ascii=False) + "\n" for t in tagged)
