"""Tests of the paired latency gate: error rates on a model with a known service time.

Forty gate runs per check are made cheap by reusing one pool of worker processes across the
runs of the module (``WorkerPool``), instead of starting fresh processes for each run (four
checks x 40 runs x 2 processes would be 320 interpreter start-ups, minutes on a shared
machine). That does not defeat the point here: the model under test is a ``ServiceTimeModel``
whose cost is a clock, so process-level effects (memory layout, hash seeds) that fresh
processes randomise do not exist for it, while everything the gate must withstand, scheduling
noise, other processes, a busy core, acts on the reused workers exactly as on fresh ones. Each
run still loads both models anew in every worker, warms them up, and randomises its own block
order. Fresh processes are exercised by ``test_fresh_processes_and_model_files``.
"""

from __future__ import annotations

import math
import multiprocessing as mp
import pickle
import time

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from diagtools.errors import DiagnosticInputError
from diagtools.history import PairedLatency, ServiceTimeModel, WorkerPool, paired_latency, paired_statistics
from tests._contract import check_result_contract

SERVICE_MS = 0.2  # CPU ms per row of the model under test
X = np.zeros((8, 3))
# one gate run: 2 processes x 5 blocks, each block 5+ calls of each model in random order
GATE = {"batch_sizes": (1,), "n_processes": 2, "n_blocks": 5, "half_time": 0.001, "warmup_time": 0.005,
        "min_calls": 5, "tolerance": 0.05}
RUNS = 40


@pytest.fixture(scope="module")
def pool():
    with WorkerPool(2) as workers:
        yield workers


def _spin(stop) -> None:
    """Burn one core until told to stop (the busy neighbour)."""
    while not stop.is_set():
        for _ in range(10_000):
            pass


def _error_rates(pool, label: str) -> tuple[int, int]:
    """Flagged gate runs out of RUNS for the same model and for a planted 15% slow-down."""
    same = planted = 0
    for i in range(RUNS):  # interleaved, so both checks see the same machine conditions
        base = ServiceTimeModel(SERVICE_MS)
        same += paired_latency(base, ServiceTimeModel(SERVICE_MS), X, pool=pool, random_state=i, **GATE).regressed
        planted += paired_latency(base, ServiceTimeModel(1.15 * SERVICE_MS), X, pool=pool, random_state=i,
                                  **GATE).regressed
    print(f"\n{label}: same model flagged {same}/{RUNS}, planted 15% slow-down flagged {planted}/{RUNS}")
    return int(same), int(planted)


def test_gate_error_rates_on_a_quiet_machine(pool):
    same, planted = _error_rates(pool, "quiet")
    assert same <= 2
    assert planted >= 38


def test_gate_error_rates_while_another_process_burns_a_core(pool):
    ctx = mp.get_context("spawn")
    stop = ctx.Event()
    spinner = ctx.Process(target=_spin, args=(stop,), daemon=True)
    spinner.start()
    try:
        time.sleep(0.2)  # let it start spinning
        same, planted = _error_rates(pool, "one core burnt")
    finally:
        stop.set()
        spinner.join(timeout=10)
    assert same <= 3
    assert planted >= 36


# -- the statistics on constructed blocks ---------------------------------------------------------
def _blocks(ratios, *, process=None, busy=0.0, cpu_ratios=None) -> pd.DataFrame:
    r = np.asarray(ratios, dtype=float)
    a = np.full(len(r), 0.5)
    return pd.DataFrame({
        "process": np.zeros(len(r), int) if process is None else process, "batch_size": 1, "wall_a": a,
        "wall_b": a * r, "cpu_a": a, "cpu_b": a * (r if cpu_ratios is None else np.asarray(cpu_ratios)),
        "busy_a": busy, "busy_b": busy,
    })


def test_interval_is_the_t_interval_of_block_log_ratios():
    rng = np.random.default_rng(1)
    # fewer than ten blocks: the t-interval of the mean log-ratio
    r = np.exp(rng.normal(0.1, 0.03, 8))
    row = paired_statistics(_blocks(r, process=np.repeat([0, 1], 4)), tolerance=0.05).iloc[0]
    logs = np.log(r)
    ref = stats.ttest_1samp(logs, math.log(1.05), alternative="greater")
    low, high = stats.t.interval(0.95, len(logs) - 1, loc=logs.mean(), scale=stats.sem(logs))
    assert row["ratio"] == pytest.approx(math.exp(logs.mean()))
    assert (row["ratio_ci_low"], row["ratio_ci_high"]) == pytest.approx((math.exp(low), math.exp(high)))
    assert row["p_value"] == pytest.approx(ref.pvalue)
    assert row["df"] == 7 and not row["widened"]
    # the two levels behind the ratio: medians of the block medians (ms)
    assert (row["reference_estimate"], row["estimate"]) == pytest.approx((0.5, float(np.median(0.5 * r))))
    assert np.isnan(row["ci_low"]) and np.isnan(row["ci_high"])
    assert bool(row["regressed"]) == (math.exp(low) > 1.05)


def test_from_ten_blocks_the_interval_is_yuens_trimmed_mean_interval():
    from scipy.stats import mstats

    rng = np.random.default_rng(4)
    logs = rng.normal(0.1, 0.03, 16)
    logs[3] = 0.9  # one block hit hard by another process
    row = paired_statistics(_blocks(np.exp(logs), process=np.repeat([0, 1], 8))).iloc[0]
    low, high = mstats.trimmed_mean_ci(logs, limits=(0.2, 0.2))
    assert row["ratio"] == pytest.approx(math.exp(stats.trim_mean(logs, 0.2)), rel=0.01)
    assert (row["ratio_ci_low"], row["ratio_ci_high"]) == pytest.approx((math.exp(low), math.exp(high)))
    assert row["ratio_ci_high"] < 1.2  # the wild block (2.5x) neither moves the estimate nor the interval much
    assert row["regressed"]


def test_a_process_effect_makes_the_process_the_unit():
    rng = np.random.default_rng(2)
    proc = np.repeat([0, 1, 2, 3], 6)
    shift = np.array([0.0, 0.08, -0.05, 0.04])[proc]  # each process lays the two models out differently
    r = np.exp(0.02 + shift + rng.normal(0, 0.005, len(proc)))
    row = paired_statistics(_blocks(r, process=proc)).iloc[0]
    means = pd.Series(np.log(r)).groupby(proc).mean()
    low, high = stats.t.interval(0.95, 3, loc=means.mean(), scale=stats.sem(means))
    assert row["df"] == 3 and row["process_effect_p"] < 0.25
    assert (row["ratio_ci_low"], row["ratio_ci_high"]) == pytest.approx((math.exp(low), math.exp(high)))
    # treating the 24 blocks as independent would have flagged it; the process means do not
    naive_low = math.exp(np.log(r).mean() - stats.t.ppf(0.975, 23) * stats.sem(np.log(r)))
    assert naive_low > 1.0 > row["ratio_ci_low"]


def test_a_busy_machine_widens_the_interval_by_the_wall_cpu_gap():
    rng = np.random.default_rng(3)
    r = np.exp(0.06 + rng.normal(0, 0.01, 12))
    quiet = paired_statistics(_blocks(r, cpu_ratios=np.ones(12))).iloc[0]
    busy = paired_statistics(_blocks(r, busy=0.3, cpu_ratios=np.ones(12))).iloc[0]
    assert not quiet["widened"] and busy["widened"]
    assert quiet["regressed"] and not busy["regressed"]  # the 6% came with the load, not the model
    half = math.log(quiet["ratio_ci_high"] / quiet["ratio"])
    gap = math.log(busy["ratio"] / busy["cpu_ratio"])
    assert math.log(busy["ratio_ci_high"] / busy["ratio"]) == pytest.approx(math.hypot(half, gap))
    assert busy["interval_before"] == pytest.approx(math.expm1(half))
    finding = next(f for f in PairedLatency(frame=paired_statistics(_blocks(r, busy=0.3, cpu_ratios=np.ones(12))),
                                            params={}).findings() if "busy" in f.title)
    assert "30% of the timed wall-clock" in finding.title and finding.severity == "low"


# -- the measuring machinery ---------------------------------------------------------------------
def test_fresh_processes_and_model_files(tmp_path, pyplot):
    path = tmp_path / "slow.pkl"
    path.write_bytes(pickle.dumps(ServiceTimeModel(2 * SERVICE_MS)))
    res = paired_latency(ServiceTimeModel(SERVICE_MS), path, X, batch_sizes=(1, 4), n_processes=2, n_blocks=4,
                         half_time=0.002, warmup_time=0.01, load_kwargs={"trust": True}, cpu_hour_price=0.05)
    assert isinstance(res, PairedLatency) and res.regressed
    assert list(res.frame["batch_size"]) == [1, 4] and (res.frame["n"] == 8).all()
    # CPU time shows the planted 2x exactly; wall-clock medians of longer calls can be inflated
    # on a loaded machine (more of them get preempted), and then the interval is widened
    assert res.frame["cpu_ratio"].between(1.8, 2.2).all(), res.frame
    assert (res.frame["ratio"] > 1.6).all() and res.frame["regressed"].all(), res.frame
    assert (res.frame["estimate"] > res.frame["reference_estimate"]).all()
    assert set(res.blocks["order"]) == {"AB", "BA"} and res.blocks["process"].nunique() == 2
    assert (res.blocks.groupby(["process", "batch_size"])["order"].value_counts() == 2).all()  # balanced orders
    cost = res.cost.set_index(["model", "batch_size"])
    # CPU-s per 1k predictions: the service time per row, whatever the batch size
    assert cost["cpu_s_per_1k"].to_numpy() == pytest.approx([0.2, 0.4, 0.2, 0.4], rel=0.25)
    assert (cost["cost_per_million"] == cost["cpu_s_per_1k"] * 1000 / 3600 * 0.05).all()
    assert (cost["peak_mb"] >= 0).all()
    assert res.energy_note or cost["energy_j_per_1k"].notna().all()
    assert set(res.samples["model"]) == {"baseline", "candidate"}
    check_result_contract(res)
    # an untrusted pickle file is refused in the worker with the loader's message
    with pytest.raises(DiagnosticInputError, match="trust"):
        paired_latency(ServiceTimeModel(SERVICE_MS), path, X, batch_sizes=(1,), n_processes=1, n_blocks=3)


class _NoPredict:
    pass


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n_processes": 0}, "n_processes must be an integer >= 1"),
        ({"n_blocks": 1}, "n_blocks must be an integer >= 2"),
        ({"tolerance": -0.1}, "tolerance must be a number >= 0"),
        ({"confidence": 1.5}, r"confidence must be a number in \[0.5, 1.0\)"),
        ({"batch_sizes": (0,)}, r"batch_sizes: each must be an integer in \[1, len\(X\)=8\]"),
        ({"batch_sizes": (9,)}, r"batch_sizes: each must be an integer in \[1, len\(X\)=8\]"),
        ({"cpu_hour_price": float("nan")}, "cpu_hour_price must be a number >= 0"),
        ({"n_processes": 1, "n_blocks": 2}, "n_processes \\* n_blocks must be at least 3"),
    ],
)
def test_bad_input(kwargs, message):
    with pytest.raises(DiagnosticInputError, match=message):
        paired_latency(ServiceTimeModel(), ServiceTimeModel(), X, **kwargs)


def test_bad_models():
    with pytest.raises(DiagnosticInputError, match="candidate has no callable 'predict'"):
        paired_latency(ServiceTimeModel(), _NoPredict(), X)
    with pytest.raises(DiagnosticInputError, match="baseline: model file not found"):
        paired_latency("nope.skops", ServiceTimeModel(), X)
