"""Compact, deterministic HTML summaries of results (``_repr_html_``).

Every string that comes from data is escaped; no random ids and no timestamps, so two runs
give identical HTML.
"""

from __future__ import annotations

import base64
import io
from typing import TYPE_CHECKING, Any

import pandas as pd

from diagtools._result import escape

if TYPE_CHECKING:
    from diagtools._result import Finding, Result

_SEVERITY_COLOURS = {"high": "#b42318", "medium": "#b54708", "low": "#175cd3", "info": "#475467"}


def frame_html(frame: pd.DataFrame, max_rows: int = 10, float_format: str = "{:.4g}") -> str:
    """Render the first rows of a frame as an escaped HTML table."""
    shown = frame.head(max_rows)
    head = "".join(f"<th>{escape(c)}</th>" for c in shown.columns)
    rows = []
    for row in shown.itertuples(index=False):
        cells = []
        for v in row:
            if isinstance(v, float):
                text = "" if pd.isna(v) else float_format.format(v)
            else:
                text = "" if v is None or (not isinstance(v, (list, dict, tuple)) and pd.isna(v)) else str(v)
            cells.append(f"<td>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p><small>{len(frame) - max_rows:,} more rows in <code>.frame</code></small></p>" if len(frame) > max_rows else ""
    return f"<table class='dt-table'><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def findings_html(findings: list[Finding]) -> str:
    """Render findings as an escaped HTML list with severity badges."""
    if not findings:
        return "<p><em>No findings.</em></p>"
    items = []
    for f in findings:
        colour = _SEVERITY_COLOURS.get(f.severity, "#475467")
        badge = f"<span style='color:#fff;background:{colour};padding:0 .4em;border-radius:3px'>{escape(f.severity)}</span>"
        detail = f"<br><small>{escape(f.detail)}</small>" if f.detail else ""
        items.append(f"<li>{badge} <strong>{escape(f.title)}</strong>{detail}</li>")
    return "<ul class='dt-findings'>" + "".join(items) + "</ul>"


def figure_png_html(fig: Any, dpi: int = 72) -> str:
    """Embed a matplotlib figure as an inline PNG (deterministic: no metadata)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    return f"<img alt='plot' src='data:image/png;base64,{data}'/>"


# Boolean columns that mark the rows a reader should see first in a truncated table.
_FLAG_COLUMNS = ("flagged", "drifted", "significant")


def _flagged_first(frame: pd.DataFrame) -> pd.DataFrame:
    """Put flagged rows first (stable), so a table cut to its first rows shows the problems."""
    for column in _FLAG_COLUMNS:
        if column in frame.columns and frame[column].dtype == bool:
            return frame.sort_values(column, ascending=False, kind="stable")
    return frame


def result_html(result: Result, *, with_plot: bool = False) -> str:
    """Default ``_repr_html_``: title, headline numbers, findings, first rows of ``.frame``."""
    headline = " · ".join(f"<strong>{escape(k)}</strong> {escape(v)}" for k, v in result.headline())
    parts = [
        f"<div class='dt-result'><h4>{escape(result.title)}</h4>",
        f"<p>{headline}</p>",
        findings_html(result.findings()),
        frame_html(_flagged_first(result.frame)),
    ]
    if with_plot:
        try:
            import matplotlib.pyplot as plt

            ax = result.plot()
            parts.append(figure_png_html(ax.figure))
            plt.close(ax.figure)
        except NotImplementedError:
            pass
    parts.append("</div>")
    return "".join(parts)
