"""diagtools: diagnose one machine-learning model in depth.

Compute, then look: every diagnostic returns a frozen ``Result`` with a tidy ``.frame``,
``.plot()``, ``.findings()`` and ``.to_dict()``; templates in ``notebooks/`` and
``diagtools report`` turn results into a shareable HTML report.
"""

from __future__ import annotations

from diagtools._result import Finding, Result, rank_findings
from diagtools.errors import DiagnosticInputError, DiagnosticWarning

__version__ = "0.1.0"

__all__ = [
    "DiagnosticInputError",
    "DiagnosticWarning",
    "Finding",
    "Result",
    "__version__",
    "rank_findings",
]
