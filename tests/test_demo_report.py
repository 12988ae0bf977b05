"""The demo report, end to end: it names every planted problem, in severity order, and nothing else.

``diagtools demo`` trains the demo model on data with known, planted problems (see
``LOANS_TRUTH``) and renders the full report. These tests read the rendered HTML as a user
would: the ranked findings in the executive summary, the sections, the embedded images.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import pytest

from diagtools.datasets import LOANS_TRUTH

SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


class _SummaryParser(HTMLParser):
    """Collect ``(severity, title, href)`` for each item of the summary's findings list."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[dict[str, str]] = []
        self._in_list = False
        self._field: str | None = None
        self.anchors: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if attr.get("id"):
            self.anchors.add(str(attr["id"]))
        if tag == "ol" and attr.get("class") == "dt-findings":
            self._in_list = True
        elif self._in_list and tag == "li":
            self.items.append({"severity": "", "title": "", "href": ""})
        elif self._in_list and tag == "span":
            self._field = "severity"
        elif self._in_list and tag == "a":
            self._field = "title"
            self.items[-1]["href"] = str(attr.get("href", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "ol" and self._in_list:
            self._in_list = False
        if tag in ("span", "a"):
            self._field = None

    def handle_data(self, data: str) -> None:
        if self._in_list and self._field:
            self.items[-1][self._field] += data


@pytest.fixture(scope="module")
def demo(demo_report):
    html = demo_report.read_text(encoding="utf-8")
    parser = _SummaryParser()
    parser.feed(html)
    return html, parser


def _titles(findings, section=None):
    return [f["title"] for f in findings if section is None or f["href"] == f"#section-{section}"]


def test_findings_are_ranked_and_link_to_existing_sections(demo):
    _, parser = demo
    findings = parser.items
    assert len(findings) >= 5
    ranks = [SEVERITY_RANK[f["severity"]] for f in findings]
    assert ranks == sorted(ranks), "findings are not in severity order"
    for f in findings:
        assert f["href"].removeprefix("#") in parser.anchors, f"finding links to a missing section: {f}"


def test_planted_drift_is_reported_and_no_other_column(demo):
    _, parser = demo
    high = [f["title"] for f in parser.items if f["severity"] == "high" and f["href"] == "#section-drift"]
    for column in ("income", "credit_score"):
        assert any(t.startswith(f"Column {column} drifted") for t in high), high
    new_column, new_category = LOANS_TRUTH.new_category
    assert any(f"{new_column}='{new_category}'" in t and "never seen" in t for t in high), high
    drifted = {m.group(1) for t in _titles(parser.items, "drift") for m in [re.match(r"Column (\w+) drifted", t)] if m}
    assert drifted == set(LOANS_TRUTH.drifted_columns)


def test_planted_slice_is_the_worst_slice_and_explained(demo):
    html, parser = demo
    slices = [f for f in parser.items if f["href"] == "#section-slices"]
    planted = " & ".join(f"{k}={v}" for k, v in LOANS_TRUTH.slice.items())
    assert slices and slices[0]["severity"] == "high" and slices[0]["title"].startswith(f"Slice {planted}:"), slices
    assert sum(planted in f["title"] for f in slices) == 1, "the planted slice is reported more than once"
    # Any other failing slice is explained by the planted drift: the model extrapolates into
    # the shifted region of a drifted column.
    for f in slices[1:]:
        assert f["title"].startswith("Slice ") and any(c in f["title"] for c in LOANS_TRUTH.drifted_columns), f
    # Its "why": the explanations section explains exactly that slice.
    assert escape(f"The slice explained is the worst slice found: {planted}.") in html


def test_overfitting_model_is_diagnosed(demo):
    _, parser = demo
    fit = [f for f in parser.items if f["href"] == "#section-fit"]
    assert fit and fit[0]["severity"] == "high" and fit[0]["title"].startswith("Overfitting"), fit


def test_planted_slow_step_is_named(demo):
    _, parser = demo
    latency = [f for f in parser.items if f["href"] == "#section-latency"]
    assert any(f["severity"] == "medium" and "features/repayment" in f["title"] for f in latency), latency


def test_no_false_alarms_on_clean_aspects(demo):
    _, parser = demo
    titles = " | ".join(_titles(parser.items)).lower()
    # The demo data has no duplicated rows across windows, no leaking column, no missing values.
    for word in ("duplicate", "leak", "missing values"):
        assert word not in titles, f"spurious {word!r} finding: {titles}"


def test_report_is_self_contained_and_small(demo, demo_report):
    html, _ = demo
    assert demo_report.stat().st_size < 5 * 1024 * 1024
    assert html.count("data:image/png;base64,") >= 15, "plots are missing from the report"
    assert _skipped_sections(html) == "", "the demo passes every input: no section may be skipped"
    assert "This section failed" not in html
    assert not re.search(r"<script[^>]+src=", html), "external script"
    assert not re.search(r"<link[^>]+href=['\"]https?:", html), "external stylesheet or font"


def _skipped_sections(html: str) -> str:
    return " ".join(re.findall(r"id='section-(\w+)'></div><div class='dt-note'><strong>Skipped", html))
