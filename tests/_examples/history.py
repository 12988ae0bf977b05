"""Examples of the history area: a temporary history with three tiny runs, and constructed blocks."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def _with_history(build: Callable[[Any], Any]) -> Any:
    """Record three runs (baseline, a worse candidate, a second baseline) and return ``build(history)``."""
    from diagtools.history import History

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 400)
    pred_a = np.where(rng.random(400) < 0.1, 1 - y, y)
    pred_b = np.where(rng.random(400) < 0.2, 1 - y, y)
    with tempfile.TemporaryDirectory() as tmp:
        hist = History(Path(tmp) / "bench.db")
        for name, pred, scale in (("main", pred_a, 1.0), ("pr", pred_b, 1.5), ("main", pred_a, 1.02)):
            acc = float((pred == y).mean())
            half = 1.96 * np.sqrt(acc * (1 - acc) / len(y))
            metrics = pd.DataFrame({"metric": ["accuracy"], "estimate": [acc], "ci_low": [acc - half],
                                    "ci_high": [acc + half], "n": [len(y)]})
            latency = pd.DataFrame({"batch_size": 1, "latency_ms": scale * rng.lognormal(0.0, 0.05, 40)})
            hist.record(name=name, metrics=metrics, latency=latency, y=y, y_pred=pred, data_fingerprint="data-1",
                        git_commit=None, environment={"hash": "example"}, n_boot=100)
        return build(hist)


def run_comparison() -> Any:
    return _with_history(lambda hist: hist.compare(1, 2, n_boot=100))


def trend() -> Any:
    return _with_history(lambda hist: hist.trend("accuracy"))


def latency_trend() -> Any:
    return _with_history(lambda hist: hist.trend("latency_ms"))


def paired_latency() -> Any:
    """Paired statistics of constructed blocks: the candidate 20% slower, two processes."""
    from diagtools.history import PairedLatency, paired_statistics

    rng = np.random.default_rng(0)
    wall_a = rng.lognormal(0.0, 0.02, 12)
    blocks = pd.DataFrame({"process": np.repeat([0, 1], 6), "batch_size": 1, "block": np.tile(np.arange(6), 2),
                           "order": ["AB", "BA"] * 6, "calls": 5, "wall_a": wall_a,
                           "wall_b": 1.2 * wall_a * rng.lognormal(0.0, 0.02, 12), "cpu_a": wall_a,
                           "cpu_b": 1.2 * wall_a, "busy_a": 0.0, "busy_b": 0.0})
    return PairedLatency(frame=paired_statistics(blocks, tolerance=0.05), blocks=blocks,
                         params={"tolerance": 0.05, "confidence": 0.95, "n_processes": 2}, n_samples=120)


def examples() -> list[tuple[str, Callable[[], Any]]]:
    return [
        ("RunComparison", run_comparison),
        ("Trend", trend),
        ("Trend:latency", latency_trend),
        ("PairedLatency", paired_latency),
    ]
