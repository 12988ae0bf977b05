"""Headless Chromium from the system package manager, driven by Playwright.

Playwright's own browser download does not work on these machines, so the tests launch the
system Chromium. Without it (or without Playwright) the tests are skipped with a reason, except
under CI (``CI=true``), where they are required and fail instead.
"""

from __future__ import annotations

import os
import shutil

import pytest

CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    """Return the system Chromium, or skip (fail under CI) when it is missing."""
    path = os.environ.get("DIAGTOOLS_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    reason = None
    if path is None:
        reason = "system Chromium not found (install it: apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            reason = "playwright is not installed (pip install -e '.[dev]')"
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests are required under CI: {reason}")
        pytest.skip(reason)
    return path  # type: ignore[return-value]


def launch(playwright):  # type: ignore[no-untyped-def]
    """Launch the system Chromium headless with the flags this closed network needs."""
    return playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS, headless=True)
