"""Tests of the latency area (environment fingerprint so far)."""

from __future__ import annotations

import json
import sys

from diagtools._environment import environment_fingerprint


def test_environment_fingerprint_is_json_and_matches_interpreter():
    fp = environment_fingerprint()
    assert fp["python"] == sys.version.split()[0]
    assert fp["logical_cores"] >= fp["usable_cores"] >= 1
    assert fp["libraries"]["numpy"] is not None
    json.dumps(fp)


def _busy(seconds):
    import time

    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        pass


def test_time_calls_recovers_busy_wait_p50():
    import numpy as np

    from diagtools.latency import time_calls

    wall, cpu = time_calls(lambda: _busy(0.001), min_runs=100, min_time=0.0)
    p50_ms = np.median(wall) / 1e6
    assert abs(p50_ms - 1.0) <= max(0.05, 0.05 * 1.0) + 0.05
    assert len(cpu) == len(wall)


def test_loop_overhead_is_small():
    from diagtools.latency import loop_overhead_ns

    assert loop_overhead_ns(5000) < 20_000


def test_detect_warmup_finds_planted_slow_start():
    import numpy as np

    from diagtools.latency import detect_warmup

    times = np.r_[[50.0] * 7, [10.0] * 100]
    assert detect_warmup(times) == 7
    assert detect_warmup(np.full(100, 10.0)) == 0


def test_profile_steps_names_planted_slow_step(loan_model, loans_reference, pyplot):
    from diagtools.latency import profile_steps
    from tests._contract import check_result_contract

    X = loans_reference.drop(columns="defaulted")
    res = profile_steps(loan_model, X, batch_sizes=(64, 4096), min_runs=3, min_time=0.02)
    assert res.bottleneck() == "features/repayment"
    assert set(res.frame["step"]) >= {"features/repayment", "model"}
    check_result_contract(res, columns=["batch_size", "step", "time_ms", "share", "n"])


class _BusyModel:
    def predict(self, X):
        _busy(0.002)


def test_profile_latency_recovers_known_service_time(pyplot):
    from diagtools.latency import profile_latency
    from tests._contract import check_result_contract

    res = profile_latency(_BusyModel(), list(range(10)), batch_sizes=(1, 8), min_runs=60,
                          min_time=0.0, n_boot=200)
    p50 = res._get(1, "p50")["estimate"]
    assert abs(p50 - 2.0) <= max(0.05 * 2.0, 0.05)
    assert res.overhead_ns < 2000
    assert set(res.samples.columns) == {"batch_size", "run", "latency_ms", "cpu_ms"}
    check_result_contract(res)
