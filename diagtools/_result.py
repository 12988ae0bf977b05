"""The ``Result`` and ``Finding`` base types shared by every diagnostic area.

A diagnostic function computes and returns a frozen ``Result``; it never draws or prints.
Showing is left to ``plot`` / ``_repr_html_`` and serialisation to ``to_dict``.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import html
import json
import math
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import numpy as np
import pandas as pd

__all__ = ["SEVERITIES", "Finding", "Result", "rank_findings"]

Severity = Literal["high", "medium", "low", "info"]
SEVERITIES: tuple[str, ...] = ("high", "medium", "low", "info")
SCHEMA_VERSION = 1

_REGISTRY: dict[str, type[Result]] = {}


@dataclass(frozen=True)
class Finding:
    """One conclusion of a diagnostic, written for a reader of a report.

    Parameters
    ----------
    area : str
        The diagnostic area that produced it (``"metrics"``, ``"slices"``, ...).
    severity : {"high", "medium", "low", "info"}
        How urgently a reader should act on it.
    title : str
        One plain sentence, e.g. ``"Slice region=north & channel=phone: error 31% vs 9%"``.
    detail : str, default=""
        Supporting explanation and what to do about it.
    evidence : dict, default={}
        The numbers behind the claim (JSON-serialisable).
    """

    area: str
    severity: Severity
    title: str
    detail: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be one of {SEVERITIES}, got {self.severity!r}")

    @property
    def rank(self) -> int:
        """Position of the severity in ``SEVERITIES`` (0 is the most severe)."""
        return SEVERITIES.index(self.severity)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict of the finding."""
        return {
            "area": self.area,
            "severity": self.severity,
            "title": self.title,
            "detail": self.detail,
            "evidence": _jsonable(self.evidence),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Finding:
        """Rebuild a finding from :meth:`to_dict` output."""
        return cls(
            area=data["area"],
            severity=data["severity"],
            title=data["title"],
            detail=data.get("detail", ""),
            evidence=dict(data.get("evidence") or {}),
        )


def rank_findings(findings: list[Finding]) -> list[Finding]:
    """Sort findings by severity (most severe first), keeping the given order within a level.

    Parameters
    ----------
    findings : list of Finding
        Findings from one or many results.

    Returns
    -------
    list of Finding
        The same findings, most severe first.
    """
    return sorted(findings, key=lambda f: f.rank)


@dataclass(frozen=True, eq=False)
class Result:
    """Base class of every diagnostic result.

    Subclasses are frozen dataclasses that add their own fields, document the columns of
    ``frame`` and implement :meth:`findings` and :meth:`plot`.

    Attributes
    ----------
    frame : pandas.DataFrame
        Tidy table of the diagnostic's observations.
    params : dict
        The inputs that shaped the result (``random_state``, ``n_boot``, ...).
    n_samples : int
        Number of rows the diagnostic used.
    """

    frame: pd.DataFrame
    params: dict[str, Any] = field(default_factory=dict)
    n_samples: int = 0

    kind: ClassVar[str] = "Result"
    area: ClassVar[str] = "generic"
    title: ClassVar[str] = "Diagnostic result"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Keep the readable summary repr: @dataclass only adds __repr__ when the class body
        # has none, so give every subclass one before the decorator runs.
        if "__repr__" not in cls.__dict__:
            cls.__repr__ = Result.__repr__  # type: ignore[method-assign]
        # Identity equality: a result holds DataFrames, whose ``==`` is elementwise, so the
        # generated field-by-field __eq__ raised "truth value of a DataFrame is ambiguous".
        # Two results are the same object or not equal; compare ``.frame`` to compare numbers.
        # (@dataclass leaves a method alone when the class body already has it.)
        if "__eq__" not in cls.__dict__:
            cls.__eq__ = object.__eq__  # type: ignore[method-assign,assignment]
            cls.__hash__ = object.__hash__  # type: ignore[method-assign,assignment]
        cls.kind = cls.__name__
        _REGISTRY[cls.__name__] = cls

    # -- conclusions -----------------------------------------------------------------
    def findings(self) -> list[Finding]:
        """Return the conclusions of this result, most severe first.

        Returns
        -------
        list of Finding
        """
        return []

    def headline(self) -> list[tuple[str, str]]:
        """Return up to five ``(label, value)`` pairs summarising the result."""
        return [("rows", f"{self.n_samples:,}")]

    # -- showing ---------------------------------------------------------------------
    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Draw the main view of the result and return the matplotlib Axes."""
        raise NotImplementedError(f"{type(self).__name__} has no plot")

    def _repr_html_(self) -> str:
        from diagtools._html import result_html

        return result_html(self)

    def __repr__(self) -> str:
        head = ", ".join(f"{k}={v}" for k, v in self.headline())
        return f"<{type(self).__name__} {head}; frame: {len(self.frame)} rows>"

    # -- serialisation ---------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serialisable dict with ``kind`` and ``schema_version`` keys.

        Returns
        -------
        dict
            Every dataclass field encoded (frames as ``{"columns", "data"}``, NaN as None),
            plus ``findings`` for readers that do not rebuild the object.
        """
        out: dict[str, Any] = {"kind": self.kind, "schema_version": SCHEMA_VERSION}
        for f in dataclasses.fields(self):
            out[f.name] = _jsonable(getattr(self, f.name))
        out["findings"] = [f.to_dict() for f in self.findings()]
        return out

    def to_json(self) -> str:
        """Return :meth:`to_dict` as a JSON string."""
        return json.dumps(self.to_dict(), allow_nan=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Result:
        """Rebuild a result from :meth:`to_dict` output.

        Parameters
        ----------
        data : dict
            Output of ``to_dict`` (possibly after a JSON round trip).

        Returns
        -------
        Result
            An instance of the subclass named by ``data["kind"]``.
        """
        kind = data.get("kind")
        target = _REGISTRY.get(str(kind), cls) if cls is Result else cls
        if kind not in _REGISTRY:
            raise ValueError(f"unknown result kind {kind!r}")
        kwargs = {}
        for f in dataclasses.fields(target):
            if f.name in data:
                kwargs[f.name] = _from_jsonable(data[f.name])
        return target(**kwargs)


def _jsonable(value: Any) -> Any:
    """Convert numpy/pandas values into JSON-safe Python values (NaN becomes None)."""
    if isinstance(value, pd.DataFrame):
        frame = value.astype(object).where(value.notna(), None)
        return {
            "__frame__": True,
            "columns": [str(c) for c in value.columns],
            "data": [[_jsonable(v) for v in row] for row in frame.itertuples(index=False)],
        }
    if isinstance(value, pd.Series):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, Finding):
        return value.to_dict()
    if isinstance(value, Result):
        return value.to_dict()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, np.ndarray):
        return [_jsonable(v) for v in value.tolist()]
    if isinstance(value, (np.bool_, bool)):
        return bool(value)
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return None if math.isnan(v) or math.isinf(v) else v
    if isinstance(value, (_dt.datetime, _dt.date, pd.Timestamp)):
        return value.isoformat()
    if value is None or isinstance(value, (int, str)):
        return value
    if value is pd.NA or value is pd.NaT:
        return None
    return str(value)


def _from_jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("__frame__"):
            frame = pd.DataFrame(value["data"], columns=value["columns"])
            for col in frame.columns:
                if frame[col].dtype == object:
                    converted = pd.to_numeric(frame[col], errors="coerce")
                    non_null = frame[col].notna()
                    if converted[non_null].notna().all() and non_null.any():
                        if all(isinstance(v, (int, float)) for v in frame[col][non_null]):
                            frame[col] = converted
                    elif not non_null.any():
                        frame[col] = np.nan
            return frame
        if "kind" in value and "schema_version" in value and value["kind"] in _REGISTRY:
            return Result.from_dict(value)
        return {k: _from_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_from_jsonable(v) for v in value]
    return value


def escape(text: Any) -> str:
    """HTML-escape any value rendered from data (column names, category labels)."""
    return html.escape(str(text), quote=True)
