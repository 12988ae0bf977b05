"""Exceptions and warnings raised by diagtools."""

from __future__ import annotations

__all__ = ["DiagnosticInputError", "DiagnosticWarning"]


class DiagnosticInputError(ValueError):
    """An argument was malformed; the message names it, what was expected and how to fix it."""


class DiagnosticWarning(UserWarning):
    """A degenerate but legitimate case (empty slice, single class, constant column)."""
