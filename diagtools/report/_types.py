"""The report's plain data types: what a run is given, what one section produced, and its error."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from diagtools._result import Finding, Result, rank_findings

#: Output-metadata key under which the template's summary cell publishes the section statuses.
STATUS_KEY = "diagtools/report-status"


class ReportIncompleteError(RuntimeError):
    """A report could not be completed: a requested section failed, or the template stopped.

    Attributes
    ----------
    failed : dict of str to str
        ``{section: error}``; ``{"template": error}`` when the template itself stopped.
    path : pathlib.Path or None
        The HTML report, written (errors at the top) when the sections failed; ``None`` when
        the template stopped before a report existed.
    notebook : pathlib.Path or None
        The executed notebook kept for inspection when the template stopped.
    """

    def __init__(self, message: str, *, failed: dict[str, str], path: Path | None = None, notebook: Path | None = None) -> None:
        super().__init__(message)
        self.failed = failed
        self.path = path
        self.notebook = notebook


@dataclass
class SectionOutcome:
    """What one report section produced.

    Attributes
    ----------
    name, title : str
    status : {"ok", "skipped", "failed"}
    results : dict of str to Result
        The section's results, in display order.
    note : str
        Why it was skipped (and which input would enable it), or a remark on sampling.
    rows_used, rows_total : int or None
        Rows the section computed on, out of the rows available to it.
    seconds : float
        Wall time of the section.
    error : str or None
        The error message when ``status == "failed"``.
    context : dict
        What a section hands to later ones (the slices section's worst slice for the
        explanations), per-result plot choices (``context["plots"][key]``, a tuple of plot
        methods) and results whose findings stay in the section and out of the summary
        (``context["quiet"]``).
    """

    name: str
    title: str
    status: str = "ok"
    results: dict[str, Result] = field(default_factory=dict)
    note: str = ""
    rows_used: int | None = None
    rows_total: int | None = None
    seconds: float = 0.0
    error: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def sampled(self) -> bool:
        """True when the section used a random sample of its rows."""
        return self.rows_used is not None and self.rows_total is not None and self.rows_used < self.rows_total

    def findings(self) -> list[Finding]:
        """Findings of the section's results (except ``context["quiet"]`` ones), ranked.

        A failed section has no findings: its failure is an error, shown above every finding
        (:attr:`DiagnosisReport.failed`), never ranked among them as if it were a minor one.
        """
        found: list[Finding] = []
        quiet = self.context.get("quiet", ())
        for key, result in self.results.items():
            if key not in quiet:
                found.extend(result.findings())
        return rank_findings(found)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable form: status, note, rows, time, error and every result."""
        return {
            "status": self.status,
            "note": self.note,
            "rows_used": self.rows_used,
            "rows_total": self.rows_total,
            "seconds": round(self.seconds, 3),
            "error": self.error,
            "results": {k: r.to_dict() for k, r in self.results.items()},
        }


@dataclass
class ReportInputs:
    """Everything a report runs on, loaded and validated.

    Attributes
    ----------
    model : object
        The fitted model.
    X, y : DataFrame and Series
        Evaluation data and labels.
    X_train, y_train : DataFrame and Series, optional
        Training data (enables the fit section).
    reference : DataFrame, optional
        Reference data including the target column (enables the drift section).
    target : str
        Name of the label column.
    source : dask DataFrame or str, optional
        With ``--engine chunked`` / ``dask``: all the evaluation rows (files or a dask
        DataFrame, label column included); ``X`` and ``y`` are then a bounded sample of them.
    rows_total : int, optional
        Rows of ``source``.
    """

    model: Any
    X: pd.DataFrame
    y: pd.Series
    target: str
    X_train: pd.DataFrame | None = None
    y_train: pd.Series | None = None
    reference: pd.DataFrame | None = None
    model_name: str = "model"
    data_name: str = "data"
    source: Any = None
    rows_total: int | None = None
