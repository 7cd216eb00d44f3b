"""Take the README's screenshot of a report: the heatmap with one cell clicked.

Usage: python scripts/screenshot_report.py results/report.html docs/report.png [MUNICIPALITY LABEL]
"""

from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from policyscan.testing.browser import open_report


def main(report: str, png: str, municipality: str = "Lindenhoek", label: str = "culture") -> None:
    with sync_playwright() as pw:
        browser, page = open_report(pw, Path(report), width=1300, height=1250)
        page.click(f'#heatmap td.cell[data-municipality="{municipality}"][data-label="{label}"]')
        page.screenshot(path=png, full_page=False)
        browser.close()


if __name__ == "__main__":
    main(*sys.argv[1:])
