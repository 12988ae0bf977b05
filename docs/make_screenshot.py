"""Refresh the pictures in ``docs/``: the demo report's summary and two rendered templates.

* ``docs/demo_report.png``: the executive summary of the demo report, as README shows it. Run
  after ``diagtools demo`` (which writes ``reports/demo.html``).
* ``docs/fit_diagnosis.png``: the sweet-spot sweep of ``notebooks/fit_diagnosis.ipynb``.
* ``docs/case_study.png``: the faster variant and its non-inferiority test in
  ``notebooks/case_study_customer_support.ipynb``.

The templates are executed headless with their default parameters (papermill), exported to
static HTML (what a shared report shows, without a live kernel) and photographed::

    python docs/make_screenshot.py                     # all three
    python docs/make_screenshot.py demo [reports/demo.html]
    python docs/make_screenshot.py fit case_study      # only the templates

Needs Playwright and the system Chromium (``apt-get install chromium``); Playwright's own
browser download is not used.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
NOTEBOOKS = HERE.parent / "notebooks"
# Headless Chromium without background traffic: the pages are local, self-contained files.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
# Template -> (notebook, picture, text where the picture starts, height in pixels).
TEMPLATES = {
    "fit": ("fit_diagnosis.ipynb", "fit_diagnosis.png", "The sweep as a table", 1450),
    "case_study": ("case_study_customer_support.ipynb", "case_study.png", "2. A faster model that loses nothing", 1500),
}


def _chromium() -> str:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        sys.exit("system Chromium not found: apt-get install chromium")
    return chromium


def demo(report: Path) -> Path:
    """Photograph the summary of a rendered demo report."""
    from playwright.sync_api import sync_playwright

    out = HERE / "demo_report.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS, headless=True)
        page = browser.new_page(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
        page.goto(report.resolve().as_uri())
        page.locator(".dt-summary").first.screenshot(path=str(out))
        browser.close()
    return out


def render_template(name: str, workdir: Path) -> Path:
    """Execute a template with its default parameters and export it to static HTML."""
    import papermill as pm

    from diagtools.report import _kernel_path, export_html

    source = NOTEBOOKS / name
    executed = workdir / name
    with _kernel_path():
        pm.execute_notebook(str(source), str(executed), kernel_name="python3", cwd=str(NOTEBOOKS),
                            progress_bar=False, execution_timeout=600,
                            # a widget cell can otherwise wait out the timeout (diagtools/_notebook_client.py)
                            kernel_manager_class="diagtools._notebook_client.SlicedKernelManager")
    return export_html(executed, workdir / (Path(name).stem + ".html"))


def template(key: str) -> Path:
    """Render one template and photograph it from its anchor text (or its top) down."""
    from playwright.sync_api import sync_playwright

    name, picture, anchor, height = TEMPLATES[key]
    out = HERE / picture
    with tempfile.TemporaryDirectory() as tmp:
        html = render_template(name, Path(tmp))
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=_chromium(), args=CHROMIUM_ARGS, headless=True)
            page = browser.new_page(viewport={"width": 1100, "height": 900}, device_scale_factor=1)
            page.goto(html.resolve().as_uri())
            top = 0.0
            if anchor is not None:
                box = page.get_by_text(anchor).first.bounding_box()
                top = max(box["y"] - 12, 0.0) if box else 0.0
            full = page.evaluate("document.documentElement.scrollHeight")
            clip = {"x": 0, "y": top, "width": 1100, "height": min(height, full - top)}
            page.screenshot(path=str(out), full_page=True, clip=clip)
            browser.close()
    return out


def main(argv: list[str]) -> list[Path]:
    targets = [a for a in argv if a in ("demo", *TEMPLATES)] or ["demo", *TEMPLATES]
    paths = [Path(a) for a in argv if a not in ("demo", *TEMPLATES)]
    written = []
    for target in targets:
        if target == "demo":
            written.append(demo(paths[0] if paths else Path("reports/demo.html")))
        else:
            written.append(template(target))
    return written


if __name__ == "__main__":
    for path in main(sys.argv[1:]):
        print(f"wrote {path}")
