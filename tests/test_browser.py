"""The demo report in a real browser: no console errors, images decode, links jump, no XSS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests._browser import chromium_path, launch

pytestmark = pytest.mark.browser

XSS = "<script>alert(1)</script>"


@pytest.fixture(scope="module")
def xss_report(tmp_path_factory):
    """A small report on data whose column names and categories carry script tags."""
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    from diagtools.io import save_model
    from diagtools.report import render_report

    chromium_path()
    tmp = tmp_path_factory.mktemp("xss")
    rng = np.random.default_rng(0)
    n = 1500
    frame = pd.DataFrame(
        {
            XSS: rng.normal(size=n),
            "group": rng.choice(["a", "<img src=x onerror=alert(2)>"], size=n),
        }
    )
    frame["label"] = (frame[XSS] + rng.normal(scale=0.7, size=n) > 0).astype(int)
    X = frame.drop(columns="label")
    model = Pipeline(
        [
            ("prep", ColumnTransformer([("oh", OneHotEncoder(), ["group"])], remainder="passthrough")),
            ("clf", LogisticRegression()),
        ]
    ).fit(X, frame["label"])
    save_model(model, tmp / "m.skops")
    frame.to_csv(tmp / "d.csv", index=False)
    return render_report(
        model_path=tmp / "m.skops", data_path=tmp / "d.csv", reference_path=tmp / "d.csv", target="label",
        out=tmp / "xss.html", title=XSS, sections=["metrics", "slices", "drift", "data_quality"],
        n_boot=100, progress=False,
    )


def _open(page, path, errors):
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")


def test_demo_report_loads_cleanly_and_links_jump(demo_report):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        errors: list[str] = []
        _open(page, demo_report, errors)
        assert errors == [], errors
        images = page.evaluate(
            """async () => Promise.all(Array.from(document.images).map(async (img) => {
                   try { await img.decode(); return img.naturalWidth > 0; } catch (e) { return false; }
               }))"""
        )
        assert images and all(images), f"{images.count(False)} of {len(images)} images did not decode"
        links = page.eval_on_selector_all(".dt-summary a[href^='#section-']", "els => els.map(e => e.getAttribute('href'))")
        assert links, "the summary has no links to sections"
        for href in dict.fromkeys(links):
            # The first visible link: a finding, or the contents table (key figures sit folded).
            page.locator(f".dt-summary a[href='{href}']:visible").first.click()
            top = page.evaluate(f"document.getElementById('{href[1:]}').getBoundingClientRect().top")
            assert page.evaluate("location.hash") == href
            assert -5 <= top <= 120, f"{href} did not scroll into view (top={top})"
            page.evaluate("window.scrollTo(0, 0)")
        browser.close()


def test_script_in_column_names_is_shown_as_text(xss_report):
    from playwright.sync_api import sync_playwright

    html = xss_report.read_text(encoding="utf-8")
    assert XSS not in html  # only ever escaped
    with sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page()
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        errors: list[str] = []
        _open(page, xss_report, errors)
        page.wait_for_timeout(300)
        assert dialogs == [], f"a script ran: {dialogs}"
        assert XSS in page.inner_text("body")
        assert page.evaluate("document.querySelectorAll('script').length") == 0
        browser.close()
