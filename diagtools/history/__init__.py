"""Benchmark history: store runs in SQLite, compare them, and gate CI on regressions.

``History(path)`` records benchmark runs (metrics with intervals, raw latency samples,
per-row predictions, fingerprints of model, data, code and machine). ``compare_runs`` tests a
candidate run against a stored baseline; ``paired_latency`` / ``History.compare_models`` time
both models in the same job, interleaved in fresh worker processes (the reliable latency gate).
``diagtools bench`` / ``diagtools compare`` expose both on the command line, with exit code 1 on
a significant regression.

Names load on first use, so a latency worker process that imports this package starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from diagtools.history._bench import bench
    from diagtools.history._compare import (
        compare_latency_samples,
        compare_runs,
        higher_is_better,
        interval_test,
        median_interval,
        paired_bootstrap,
    )
    from diagtools.history._demo import DEMO_RUNS, PacedModel, demo_history
    from diagtools.history._explore import explore
    from diagtools.history._fingerprint import (
        data_fingerprint,
        environment_fingerprint,
        git_commit,
        model_fingerprint,
    )
    from diagtools.history._measure import WorkerPool, paired_latency
    from diagtools.history._paired import PairedLatency, paired_statistics
    from diagtools.history._results import RunComparison, Trend
    from diagtools.history._service import ServiceTimeModel
    from diagtools.history._store import SCHEMA_VERSION, History, Run

_WHERE = {
    "bench": "_bench",
    **dict.fromkeys(("compare_latency_samples", "compare_runs", "higher_is_better", "interval_test",
                     "median_interval", "paired_bootstrap"), "_compare"),
    **dict.fromkeys(("DEMO_RUNS", "PacedModel", "demo_history"), "_demo"),
    "explore": "_explore",
    **dict.fromkeys(("data_fingerprint", "environment_fingerprint", "git_commit", "model_fingerprint"), "_fingerprint"),
    **dict.fromkeys(("WorkerPool", "paired_latency"), "_measure"),
    **dict.fromkeys(("PairedLatency", "paired_statistics"), "_paired"),
    **dict.fromkeys(("RunComparison", "Trend"), "_results"),
    "ServiceTimeModel": "_service",
    **dict.fromkeys(("SCHEMA_VERSION", "History", "Run"), "_store"),
}

__all__ = [
    "DEMO_RUNS",
    "SCHEMA_VERSION",
    "History",
    "PacedModel",
    "PairedLatency",
    "Run",
    "RunComparison",
    "ServiceTimeModel",
    "Trend",
    "WorkerPool",
    "bench",
    "compare_latency_samples",
    "compare_runs",
    "data_fingerprint",
    "demo_history",
    "environment_fingerprint",
    "explore",
    "git_commit",
    "higher_is_better",
    "interval_test",
    "median_interval",
    "model_fingerprint",
    "paired_bootstrap",
    "paired_latency",
    "paired_statistics",
]


def __getattr__(name: str) -> Any:
    try:
        module = _WHERE[name]
    except KeyError:
        raise AttributeError(f"module 'diagtools.history' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(f"diagtools.history.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
