"""Refresh ``docs/demo_report.png``: the executive summary of the demo report, as README shows it.

Run after ``diagtools demo`` (which writes ``reports/demo.html``)::

    python docs/make_screenshot.py [reports/demo.html]

Needs Playwright and the system Chromium (``apt-get install chromium``); Playwright's own
browser download is not used.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent


def main(report: Path) -> Path:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("system Chromium not found: apt-get install chromium")
    out = HERE / "demo_report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"], headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
        page.goto(report.resolve().as_uri())
        page.locator(".dt-summary").first.screenshot(path=str(out))
        browser.close()
    return out


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else Path("reports/demo.html")
    print(f"wrote {main(target)}")
