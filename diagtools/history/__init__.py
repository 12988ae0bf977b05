"""Benchmark history: store runs in SQLite, compare them, and gate CI on regressions.

``History(path)`` records benchmark runs (metrics with intervals, raw latency samples,
per-row predictions, fingerprints of model, data, code and machine). ``compare_runs`` tests a
candidate run against a baseline: a paired bootstrap on shared data, an interval test
otherwise, and a bootstrap ratio of median latencies. ``diagtools bench`` / ``diagtools
compare`` expose both on the command line, with exit code 1 on a significant regression.
"""

from __future__ import annotations

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
from diagtools.history._results import RunComparison, Trend
from diagtools.history._store import SCHEMA_VERSION, History, Run

__all__ = [
    "DEMO_RUNS",
    "SCHEMA_VERSION",
    "History",
    "PacedModel",
    "Run",
    "RunComparison",
    "Trend",
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
]
