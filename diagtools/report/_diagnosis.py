""":class:`DiagnosisReport`: the computed sections and the views the template shows.

The summary puts errors first, then the ranked findings, then the contents; each section
shows its note, row count, results and plots (from the :data:`SECTION_TABLE`).
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd

from diagtools._html import _SEVERITY_COLOURS
from diagtools._result import Finding, Result, escape
from diagtools.errors import DiagnosticInputError
from diagtools.report._sections import OPT_IN, SECTION_TABLE, SECTIONS, PlotFn
from diagtools.report._types import STATUS_KEY, SectionOutcome

_SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2, "info": 3}


class DiagnosisReport:
    """The computed sections of a report and the views the template shows.

    Parameters
    ----------
    sections : dict of str to SectionOutcome
    model_name : str
    data_description : str
    params : dict
    title : str, default="Model diagnosis report"

    See Also
    --------
    run_diagnostics : builds it.
    """

    def __init__(
        self,
        sections: dict[str, SectionOutcome],
        *,
        model_name: str,
        data_description: str,
        params: dict[str, Any],
        title: str = "Model diagnosis report",
    ) -> None:
        self.title = title
        self.sections = sections
        self.model_name = model_name
        self.data_description = data_description
        self.params = params

    def __getitem__(self, name: str) -> SectionOutcome:
        return self.sections[name]

    @property
    def failed(self) -> dict[str, str]:
        """Sections that could not run, as ``{section: error}`` (empty when every section ran or was skipped)."""
        return {name: o.error or "unknown error" for name, o in self.sections.items() if o.status == "failed"}

    @property
    def complete(self) -> bool:
        """True when no section failed (skipped sections, which lacked an optional input, do not count)."""
        return not self.failed

    def findings(self) -> list[tuple[str, Finding]]:
        """All findings as ``(section, finding)`` pairs, most severe first."""
        pairs = [(name, f) for name, outcome in self.sections.items() for f in outcome.findings()]
        return sorted(pairs, key=lambda p: _SEVERITY_ORDER[p[1].severity])

    def findings_frame(self) -> pd.DataFrame:
        """Findings as a table: ``section, severity, title, detail``."""
        rows = [(s, f.severity, f.title, f.detail) for s, f in self.findings()]
        return pd.DataFrame(rows, columns=["section", "severity", "title", "detail"])

    def summary_html(self) -> str:
        """Executive summary: model, data, errors, ranked findings linking to their sections, contents."""
        head = (
            f"<div class='dt-summary'><h1>{escape(self.title)}</h1>"
            f"<p><strong>Model:</strong> {escape(self.model_name)}<br>"
            f"<strong>Data:</strong> {escape(self.data_description)}</p>"
        )
        return head + self._errors_html() + self._findings_html() + self._contents_html() + "</div>"

    def _errors_html(self) -> str:
        # Errors come first: a report with a section that could not run is incomplete, and its
        # findings say nothing about what that section would have found.
        failed = self.failed
        if not failed:
            return ""
        count = f"{len(failed)} section{'s' if len(failed) > 1 else ''}"
        items = "".join(
            f"<li><strong>error</strong> <a href='#section-{escape(name)}'>{escape(self.sections[name].title)}</a>: "
            f"{escape(error)}</li>"
            for name, error in failed.items()
        )
        return (
            f"<div class='dt-note dt-failed dt-errors'><h3>Incomplete report: {count} could not run</h3><ul>{items}"
            "</ul><p>The findings below come only from the sections that ran; these sections' questions are "
            "unanswered. Fix the cause and render again.</p></div>"
        )

    def _findings_html(self) -> str:
        ranked = [(s, f) for s, f in self.findings() if f.severity != "info"]
        infos = [(s, f) for s, f in self.findings() if f.severity == "info"]
        lines = [f"<h3>Findings ({len(ranked)} to act on)</h3>"]
        if ranked:
            lines.append("<ol class='dt-findings'>")
            lines.extend(
                f"<li><span style='color:#fff;background:{_SEVERITY_COLOURS[f.severity]};padding:0 .4em;"
                f"border-radius:3px'>{escape(f.severity)}</span> <a href='#section-{escape(s)}'>{escape(f.title)}</a>"
                + (f"<br><small>{escape(f.detail)}</small>" if f.detail else "")
                + "</li>"
                for s, f in ranked
            )
            lines.append("</ol>")
        else:
            lines.append("<p>No problems found by the sections that ran.</p>")
        if infos:
            lines.append("<details><summary>Key figures</summary><ul>")
            lines.extend(f"<li><a href='#section-{escape(s)}'>{escape(f.title)}</a></li>" for s, f in infos)
            lines.append("</ul></details>")
        return "".join(lines)

    def _contents_html(self) -> str:
        lines = ["<h3>Contents</h3><table class='dt-table'><tr><th>section</th><th>status</th><th>rows used</th>"
                 "<th>time</th></tr>"]
        for name, o in self.sections.items():
            rows = "" if o.rows_used is None else f"{o.rows_used:,}" + (f" of {o.rows_total:,} (sample)" if o.sampled else "")
            lines.append(
                f"<tr><td><a href='#section-{escape(name)}'>{escape(o.title)}</a></td><td>{escape(o.status)}</td>"
                f"<td>{escape(rows)}</td><td>{o.seconds:.1f} s</td></tr>"
            )
        lines.append("</table>")
        return "".join(lines)

    def section_html(self, name: str) -> str:
        """HTML of one section: its anchor, status note, row count, results and findings."""
        if name not in SECTIONS:
            raise DiagnosticInputError(f"section must be one of {tuple(SECTIONS)}, got {name!r}.")
        anchor = f"<div id='section-{escape(name)}'></div>"
        if name not in self.sections:
            why = (f". {escape(OPT_IN[name])}" if name in OPT_IN else
                   ": this section was not requested (see the <code>sections</code> parameter / <code>--sections</code>).")
            return f"{anchor}<div class='dt-note'>Not run{why}</div>"
        o = self.sections[name]
        if o.status == "skipped":
            return f"{anchor}<div class='dt-note'><strong>Skipped.</strong> {escape(o.note)}</div>"
        parts = [anchor]
        if o.status == "failed":
            parts.append(f"<div class='dt-note dt-failed'><strong>This section failed:</strong> {escape(o.error or '')}</div>")
        if o.rows_used is not None:
            used = f"Computed on {o.rows_used:,} rows"
            if o.sampled:
                used += (
                    f", a random sample (seed {self.params.get('random_state', 0)}) of {o.rows_total:,}, "
                    "to stay within this section's budget; its intervals are computed on the sample, so they are "
                    "wider than on all rows"
                )
            parts.append(f"<p><small>{escape(used)}. {escape(o.note)}</small></p>")
        elif o.note:
            parts.append(f"<p><small>{escape(o.note)}</small></p>")
        parts.extend(result._repr_html_() for result in o.results.values())
        return "".join(parts)

    def show(self, name: str) -> None:
        """Display one section in a notebook, with its main plots."""
        from IPython.display import HTML, display

        display(HTML(self.section_html(name)))
        outcome = self.sections.get(name)
        if outcome is None or outcome.status == "skipped":
            return
        chosen = outcome.context.get("plots", {})
        table = SECTION_TABLE[name].plots
        for key, result in outcome.results.items():
            for plot in chosen.get(key) or table.get(key, (type(result).plot,)):
                _show_plot(result, plot)

    def summary(self) -> None:
        """Display the executive summary in a notebook.

        The output also carries the section statuses in its (invisible) metadata, which is how
        :func:`render_report` learns, from the executed notebook, which sections failed.
        """
        from IPython.display import HTML, display

        display(HTML(self.summary_html()), metadata={STATUS_KEY: self.status()})

    def status(self) -> dict[str, Any]:
        """Section statuses and errors: ``{"sections": {name: status}, "failed": {name: error}}``."""
        return {"sections": {name: o.status for name, o in self.sections.items()}, "failed": self.failed}

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: every section's results and the ranked findings."""
        return {
            "kind": "DiagnosisReport",
            "title": self.title,
            "model": self.model_name,
            "data": self.data_description,
            "params": self.params,
            "sections": {name: o.to_dict() for name, o in self.sections.items()},
            "failed": self.failed,
            "findings": [dict(section=s, **f.to_dict()) for s, f in self.findings()],
        }


def _show_plot(result: Result, plot: PlotFn) -> None:
    """Display one plot of ``result`` as an embedded PNG (nothing for an empty placeholder panel)."""
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    try:
        # No arguments: each method makes its own figure at its own size (``ax`` is keyword-only).
        out = plot(result)
    except NotImplementedError:
        return
    figure = getattr(out, "figure", out)
    if _placeholder(figure):  # a full-size panel that only says "nothing to show" is noise in a report
        plt.close(figure)
        return
    # Embed a PNG explicitly: a figure displayed as-is renders only under the inline backend,
    # and a kernel that inherits MPLBACKEND=Agg (as under pytest or cron) would show none.
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(figure)
    display(Image(data=buffer.getvalue(), format="png"))


def _placeholder(figure: Any) -> bool:
    """True when no axes of the figure holds data (only a note like "no curve for this task")."""
    for ax in figure.axes:
        if not ax.axison and not ax.get_images():
            continue  # a switched-off panel
        if ax.lines or ax.patches or ax.collections or ax.images or ax.containers:
            return False
    return True
