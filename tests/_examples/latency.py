"""Examples of the latency area's results: tiny models, few calls, each built in well under 2 s."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

X = np.random.default_rng(0).normal(size=(64, 3))
Y = (X[:, 0] > 0).astype(int)


class _Zeros:
    """A model that answers at once: timings measure the harness, which is all an example needs."""

    def predict(self, X: np.ndarray) -> np.ndarray:
        return np.zeros(len(X))


def _fitted(C: float = 1.0) -> object:
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=C)).fit(X, Y)


def _latency() -> object:
    from diagtools.latency import profile_latency

    return profile_latency(_Zeros(), X, batch_sizes=(1, 16), min_runs=20, min_time=0.0, max_time=0.2, n_boot=50)


def _steps() -> object:
    from diagtools.latency import profile_steps

    return profile_steps(_fitted(), X, batch_sizes=(1, 64), min_runs=5, min_time=0.0, max_time=0.2, n_boot=50)


def _memory() -> object:
    from diagtools.latency import profile_memory

    return profile_memory(_fitted(), X, batch_sizes=(1, 64), repeats=1)


def _load_server() -> object:
    from diagtools.latency import load_test

    return load_test(_Zeros(), X, rate=[200.0, 400.0], duration=0.1, min_queries=20, max_time=2.0, n_boot=50)


def _load_offline() -> object:
    from diagtools.latency import load_test

    return load_test(_Zeros(), X, scenario="offline", batch_size=8, duration=0.05, n_boot=50)


def _variants() -> object:
    from diagtools.latency import compare_variants

    return compare_variants({"full": _fitted(), "strong_l2": _fitted(C=0.01)}, X, Y, n_boot=50, min_runs=10,
                            min_time=0.0, max_time=0.1)


def examples() -> list[tuple[str, Callable[[], object]]]:
    """``(label, factory)`` pairs for ``tests/test_contract.py``."""
    return [("LatencyResult", _latency), ("StepProfile", _steps), ("MemoryProfile", _memory),
            ("LoadTestResult", _load_server), ("LoadTestResult:offline", _load_offline),
            ("VariantComparison", _variants)]
