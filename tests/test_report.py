"""The HTML report, opened in headless Chromium: the heatmap is drawn and a click shows the evidence."""

from __future__ import annotations

import io

import fixtures
import pytest
from browser import open_report
from click.testing import CliRunner

from policyscan.cli import main

playwright_api = pytest.importorskip("playwright.sync_api")
Image = pytest.importorskip("PIL.Image")

SELECTED_RED = (192, 57, 43)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("rcorpus")
    corpus = fixtures.scan_corpus(root)
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
            assert cells.count() == 3 * 13
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
            assert names == ["Brugwaarde", "Lindenhoek", "Veendijk"]
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
