"""A template in real JupyterLab: run all cells in headless Chromium, then use a widget."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests._browser import chromium_path, launch

pytestmark = pytest.mark.browser

TEMPLATE = Path(__file__).resolve().parents[1] / "notebooks" / "00_tour.ipynb"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def lab(tmp_path):
    """Start JupyterLab on 127.0.0.1 with a random token, serving a copy of the template."""
    chromium_path()
    shutil.copy(TEMPLATE, tmp_path / TEMPLATE.name)
    port, token = _free_port(), secrets.token_hex(16)
    env = {**os.environ, "PATH": os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", ""),
           "JUPYTER_CONFIG_DIR": str(tmp_path / ".jupyter"), "JUPYTER_RUNTIME_DIR": str(tmp_path / ".runtime")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={tmp_path}", "--LabApp.expose_app_in_browser=True",
         "--allow-root", "--LabApp.news_url=", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, cwd=tmp_path,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail("jupyter lab did not start within 60 s")
    yield base, token
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_template_runs_in_jupyterlab_and_its_widget_responds(lab):
    from playwright.sync_api import sync_playwright

    base, token = lab
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/lab/tree/{TEMPLATE.name}?token={token}")
        page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell", timeout=60_000)
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=60_000)
        # Wait for the kernel, then run every cell.
        page.wait_for_function(
            "() => { const w = window.jupyterapp.shell.currentWidget;"
            " return w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel"
            " && w.sessionContext.session.kernel.status === 'idle'; }",
            timeout=90_000,
        )
        page.evaluate("window.jupyterapp.commands.execute('notebook:run-all-cells')")
        slider = page.wait_for_selector(".widget-slider", timeout=180_000)
        assert slider.is_visible()
        output = page.locator(".widget-output").first
        page.wait_for_function(
            "() => { const o = document.querySelector('.widget-output'); return o && /precision/.test(o.innerText); }",
            timeout=60_000,
        )
        before = output.inner_text()
        handle = page.locator(".widget-slider .noUi-handle, .widget-slider .slider-handle, .widget-slider [role=slider]").first
        handle.focus()
        for _ in range(4):
            handle.press("ArrowRight")
        page.wait_for_function(
            "(old) => { const o = document.querySelector('.widget-output'); return o && o.innerText !== old"
            " && /precision/.test(o.innerText); }",
            arg=before,
            timeout=60_000,
        )
        after = output.inner_text()
        assert after != before and "threshold" in after
        errors = page.locator(".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']").all_inner_texts()
        assert not [e for e in errors if "Traceback" in e or "Error" in e], errors
        browser.close()
