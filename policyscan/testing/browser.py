"""Headless Chromium (Debian's package) driven by Playwright, for looking at the HTML report as a person would."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """The system Chromium, or skip: .ci/run installs Debian's chromium package."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium; .ci/run does this)")
    return path


def open_report(playwright, report: Path, width: int = 1400, height: int = 1000):
    """A browser page showing the report; the caller closes the browser."""
    browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(report.resolve().as_uri())
    return browser, page
