"""Measuring for the paired latency gate: two models timed in the same job, interleaved, in fresh processes.

Each worker process (:mod:`diagtools.history._worker`) loads both models and times them in short
blocks whose order is randomised; :func:`paired_latency` collects the blocks and hands them to
:func:`~diagtools.history.paired_statistics`.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import random
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from diagtools.errors import DiagnosticInputError
from diagtools.history._paired import _COST_COLUMNS, PairedLatency, paired_statistics

__all__ = ["WorkerPool", "paired_latency"]


class WorkerPool:
    """Worker processes that time models for the paired gate.

    Every process is a fresh interpreter (``python -m diagtools.history._worker``) that loads
    the models itself, so it does not re-run the caller's script (no ``__main__`` guard
    needed) and works from a notebook. All processes start at once (their start-up overlaps)
    but measure one at a time, so they never compete for a core. A pool passed to several
    comparisons is reused: cheaper, but process-level effects (memory layout, hash seeds) are
    then shared by those comparisons; by default each comparison starts and closes its own.

    Parameters
    ----------
    n_processes : int, default=4

    Examples
    --------
    >>> from diagtools.history import WorkerPool
    >>> with WorkerPool(1) as pool:
    ...     len(pool)
    1
    """

    def __init__(self, n_processes: int = 4) -> None:
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        n = _check_int(n_processes, "n_processes", 1)
        self._procs: list[Any] = []
        self._send: list[Connection] = []
        self._recv: list[Connection] = []
        for _ in range(n):
            down_r, down_w = os.pipe()  # parent -> worker
            up_r, up_w = os.pipe()  # worker -> parent
            proc = subprocess.Popen(
                [sys.executable, "-m", "diagtools.history._worker", str(down_r), str(up_w)],
                pass_fds=(down_r, up_w), stdin=subprocess.DEVNULL,
            )
            os.close(down_r)
            os.close(up_w)
            send, recv = Connection(down_w, readable=False), Connection(up_r, writable=False)
            send.send({"sys_path": list(sys.path)})  # what the caller can import, the worker can too
            self._procs.append(proc)
            self._send.append(send)
            self._recv.append(recv)

    def __len__(self) -> int:
        return len(self._procs)

    def run(self, index: int, job: dict[str, Any]) -> dict[str, Any]:
        """Send ``job`` to worker ``index`` and wait for its answer."""
        try:
            self._send[index].send(job)
            reply = self._recv[index].recv()
        except (EOFError, OSError) as exc:
            code = self._procs[index].poll()
            raise RuntimeError(f"a latency worker process died while measuring (exit code {code})") from exc
        if reply[0] == "ok":
            return dict(reply[1])
        if reply[0] == "input":
            raise DiagnosticInputError(str(reply[1]))
        raise RuntimeError(f"a latency worker process failed: {reply[1]}\n--- worker traceback ---\n{reply[2]}")

    def close(self) -> None:
        """Stop the workers and wait for them."""
        import subprocess

        for send in self._send:
            with contextlib.suppress(OSError):
                send.send(None)
        for proc in self._procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        for conn in (*self._send, *self._recv):
            conn.close()
        self._procs, self._send, self._recv = [], [], []

    def __enter__(self) -> WorkerPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __del__(self) -> None:
        if getattr(self, "_procs", None):
            self.close()


# -- measuring -------------------------------------------------------------------------------
def _spec(model: Any, label: str, load_kwargs: dict[str, Any] | None) -> tuple[Any, ...]:
    if isinstance(model, (str, os.PathLike)):
        path = os.fspath(model)
        if not os.path.isfile(path):
            raise DiagnosticInputError(f"{label}: model file not found: {path!r}. Pass the path of a saved model.")
        return ("file", os.path.abspath(path), dict(load_kwargs or {}))
    try:
        # cloudpickle (when installed) sends classes defined in a notebook or script by value
        import cloudpickle as dumper
    except ImportError:
        dumper = pickle
    try:
        return ("pickle", dumper.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))
    except Exception as exc:
        raise DiagnosticInputError(
            f"{label}: the model cannot be sent to a worker process ({type(exc).__name__}: {exc}). Save it to a "
            "file and pass its path, or define its class in an importable module."
        ) from exc


def _check_int(value: Any, name: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
        raise DiagnosticInputError(f"{name} must be an integer >= {low}, got {value!r}. Pass e.g. {name}={max(low, 4)}.")
    return int(value)


def _check_float(value: Any, name: str, low: float, high: float | None = None, *, example: str) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        v = float("nan")
    if isinstance(value, bool) or not np.isfinite(v) or v < low or (high is not None and v >= high):
        rng = f">= {low}" if high is None else f"in [{low}, {high})"
        raise DiagnosticInputError(f"{name} must be a number {rng}, got {value!r}. Pass e.g. {name}={example}.")
    return v


def _rows(X: Any, b: int) -> Any:
    if hasattr(X, "iloc"):
        return X.iloc[:b]
    return X[:b]


def paired_latency(
    baseline: Any,
    candidate: Any,
    X: Any,
    *,
    batch_sizes: Sequence[int] = (1, 100),
    method: str = "predict",
    n_processes: int = 4,
    n_blocks: int = 10,
    half_time: float = 0.01,
    warmup_time: float = 0.1,
    min_calls: int = 5,
    max_calls: int = 1000,
    tolerance: float = 0.05,
    confidence: float = 0.95,
    cpu_hour_price: float | None = None,
    load_kwargs: dict[str, Any] | None = None,
    pool: WorkerPool | None = None,
    progress: bool = False,
    random_state: int = 0,
) -> PairedLatency:
    """Time two models in the same job, interleaved, in fresh processes, and test their ratio.

    Each of ``n_processes`` worker processes (started fresh, measuring one at a time) loads
    both models, warms them up, then runs ``n_blocks`` blocks per batch size: a run of calls of
    each model, in an order randomised per block (balanced: as many AB as BA blocks). The
    statistic is the ratio of the two models' median latency within a block; the interval and
    the test use the blocks as the unit (see :func:`paired_statistics`). A regression is a lower
    bound of the ratio above ``1 + tolerance``.

    Parameters
    ----------
    baseline, candidate : estimator or str or path-like
        Fitted models (sent to the workers by pickling) or model files (loaded in each worker
        by :func:`diagtools.io.load_model` with ``load_kwargs``).
    X : DataFrame or array-like
        Rows to predict on; batch ``b`` is the first ``b`` rows, the same for both models.
    batch_sizes : sequence of int, default=(1, 100)
    method : str, default="predict"
        Method timed.
    n_processes : int, default=4
        Fresh worker processes (process-level effects such as memory layout vary between them).
    n_blocks : int, default=10
        Blocks per process and batch size.
    half_time : float, default=0.01
        Seconds each model runs in a block (sets the calls per block: at least ``min_calls``,
        at most ``max_calls``, an odd number).
    warmup_time : float, default=0.1
        Seconds of alternating untimed calls before the blocks, per process and batch size.
    min_calls, max_calls : int, default=5, 1000
    tolerance : float, default=0.05
        Allowed slow-down (0.05 = 5%).
    confidence : float, default=0.95
        Level of the two-sided interval; the one-sided false-alarm rate at the tolerance is
        ``(1 - confidence) / 2``.
    cpu_hour_price : float, optional
        Price of one CPU-hour, for the estimated cost per million predictions.
    load_kwargs : dict, optional
        Passed to :func:`diagtools.io.load_model` for model files (``trust``, ``trusted``).
    pool : WorkerPool, optional
        Reuse started workers (see :class:`WorkerPool`); by default a fresh pool is started
        and closed.
    progress : bool, default=False
        Show a progress bar over the worker processes (``tqdm.auto``).
    random_state : int, default=0
        Seed of the block orders.

    Returns
    -------
    PairedLatency

    Raises
    ------
    DiagnosticInputError
        When an option is out of range, a model cannot be sent to a worker, a file is missing,
        or a batch size exceeds ``len(X)``.

    Examples
    --------
    >>> import numpy as np
    >>> from diagtools.history import ServiceTimeModel, paired_latency
    >>> X = np.zeros((4, 1))
    >>> res = paired_latency(ServiceTimeModel(0.2), ServiceTimeModel(0.3), X, batch_sizes=(1,),
    ...                      n_processes=1, n_blocks=6, warmup_time=0.02)  # doctest: +SKIP
    >>> res.regressed  # doctest: +SKIP
    True
    """
    n_proc = _check_int(n_processes, "n_processes", 1)
    blocks_per = _check_int(n_blocks, "n_blocks", 2)
    lo_calls = _check_int(min_calls, "min_calls", 1)
    hi_calls = _check_int(max_calls, "max_calls", lo_calls)
    half = _check_float(half_time, "half_time", 0.0, example="0.01")
    warm = _check_float(warmup_time, "warmup_time", 0.0, example="0.1")
    tol = _check_float(tolerance, "tolerance", 0.0, example="0.05")
    conf = _check_float(confidence, "confidence", 0.5, 1.0, example="0.95")
    price = None if cpu_hour_price is None else _check_float(cpu_hour_price, "cpu_hour_price", 0.0, example="0.05")
    if n_proc * blocks_per < 3:
        raise DiagnosticInputError(
            f"n_processes * n_blocks must be at least 3 (blocks are the samples), got {n_proc} * {blocks_per}. "
            "Pass e.g. n_processes=4, n_blocks=10."
        )
    specs, sizes = _check_inputs(baseline, candidate, X, method=method, batch_sizes=batch_sizes,
                                 load_kwargs=load_kwargs)
    batches = [(b, _rows(X, b)) for b in sizes]
    rng = random.Random(random_state)
    jobs = [{"models": specs, "method": method, "batches": batches,
             "orders": [_block_order(rng, blocks_per) for _ in sizes], "warmup_time": warm, "half_time": half,
             "min_calls": lo_calls, "max_calls": hi_calls} for _ in range(n_proc)]
    own = pool is None
    outputs = _run_jobs(jobs, WorkerPool(n_proc) if pool is None else pool, close=own, progress=progress)
    return _assemble(outputs, sizes=sizes, tol=tol, conf=conf, price=price,
                     params={"batch_sizes": sizes, "method": method, "n_processes": n_proc, "n_blocks": blocks_per,
                             "half_time": half, "warmup_time": warm, "tolerance": tol, "confidence": conf,
                             "cpu_hour_price": price, "pool_reused": not own, "random_state": random_state})


def _check_inputs(baseline: Any, candidate: Any, X: Any, *, method: str, batch_sizes: Sequence[int],
                  load_kwargs: dict[str, Any] | None) -> tuple[list[tuple[Any, ...]], list[int]]:
    """Check the rows, both models (then the batch sizes); return what the workers load and the sizes."""
    if not hasattr(X, "__len__") or len(X) == 0:
        raise DiagnosticInputError("X must hold at least one row to predict on. Pass the evaluation data.")
    for model, label in ((baseline, "baseline"), (candidate, "candidate")):
        if not isinstance(model, (str, os.PathLike)) and not callable(getattr(model, method, None)):
            raise DiagnosticInputError(
                f"{label} has no callable {method!r} (got {type(model).__name__}). Pass a fitted model or a model file."
            )
    specs = [_spec(baseline, "baseline", load_kwargs), _spec(candidate, "candidate", load_kwargs)]
    sizes = []
    for b in batch_sizes:
        if isinstance(b, bool) or not isinstance(b, (int, np.integer)) or b < 1 or b > len(X):
            raise DiagnosticInputError(
                f"batch_sizes: each must be an integer in [1, len(X)={len(X)}], got {b!r}. Pass e.g. (1, {min(100, len(X))})."
            )
        sizes.append(int(b))
    if not sizes:
        raise DiagnosticInputError("batch_sizes must name at least one batch size. Pass e.g. (1, 100).")
    return specs, sizes


def _block_order(rng: random.Random, n_blocks: int) -> list[tuple[int, int]]:
    """Which model runs first in each block: balanced AB and BA (one at random when odd), shuffled."""
    seq = [(0, 1), (1, 0)] * (n_blocks // 2) + ([rng.choice([(0, 1), (1, 0)])] if n_blocks % 2 else [])
    rng.shuffle(seq)
    return seq


def _run_jobs(jobs: list[dict[str, Any]], workers: WorkerPool, *, close: bool, progress: bool) -> list[dict[str, Any]]:
    """One job per process, measured one after the other (never two at once: they would share a core)."""
    try:
        steps: Any = enumerate(jobs)
        if progress:
            from tqdm.auto import tqdm

            steps = tqdm(steps, total=len(jobs), desc="paired latency", unit="process")
        return [workers.run(i % len(workers), job) for i, job in steps]
    finally:
        if close:
            workers.close()


def _assemble(outputs: list[dict[str, Any]], *, sizes: list[int], tol: float, conf: float, price: float | None,
              params: dict[str, Any]) -> PairedLatency:
    block_rows: list[dict[str, Any]] = []
    cols: dict[str, list[np.ndarray]] = {"model": [], "batch_size": [], "latency_ms": [], "cpu_ms": []}
    totals: dict[tuple[int, int], list[float]] = {}
    for p, out in enumerate(outputs):
        by_block: dict[tuple[int, int], dict[int, dict[str, Any]]] = {}
        for h in out["halves"]:
            by_block.setdefault((h["batch_size"], h["block"]), {})[h["model"]] = h
            key = (h["model"], h["batch_size"])
            acc = totals.setdefault(key, [0.0, 0.0, 0.0, 0.0])  # cpu ns, predictions, joules, energy-known calls
            acc[0] += float(h["cpu_ns"].sum())
            acc[1] += h["calls"] * h["batch_size"]
            if np.isfinite(h["energy_j"]):
                acc[2] += h["energy_j"]
                acc[3] += h["calls"] * h["batch_size"]
            k = len(h["wall_ns"])
            cols["model"].append(np.full(k, h["model"]))
            cols["batch_size"].append(np.full(k, h["batch_size"]))
            cols["latency_ms"].append(h["wall_ns"] / 1e6)
            cols["cpu_ms"].append(h["cpu_ns"] / 1e6)
        for (b, block), pair in sorted(by_block.items()):
            a, c = pair[0], pair[1]
            block_rows.append({
                "process": p, "batch_size": b, "block": block, "order": "AB" if a["position"] == 0 else "BA",
                "calls": a["calls"],
                "wall_a": float(np.median(a["wall_ns"])) / 1e6, "wall_b": float(np.median(c["wall_ns"])) / 1e6,
                "cpu_a": float(np.median(a["cpu_ns"])) / 1e6, "cpu_b": float(np.median(c["cpu_ns"])) / 1e6,
                "busy_a": _busy(a), "busy_b": _busy(c),
            })
    if cols["model"]:
        samples = pd.DataFrame({k: np.concatenate(v) for k, v in cols.items()})
        samples["model"] = np.where(samples["model"] == 0, "baseline", "candidate")
        samples.insert(2, "run", samples.groupby(["model", "batch_size"]).cumcount())
    else:
        samples = pd.DataFrame(columns=["model", "batch_size", "run", "latency_ms", "cpu_ms"])
    blocks = pd.DataFrame(block_rows)
    frame = paired_statistics(blocks, tolerance=tol, confidence=conf)
    cost_rows = []
    for (i, b), (cpu_ns, preds, joules, epreds) in sorted(totals.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        cpu_1k = cpu_ns / 1e9 / preds * 1000 if preds else float("nan")
        peaks = [o["peak_bytes"].get(f"{i}:{b}") for o in outputs]
        peak = max((v for v in peaks if v is not None), default=float("nan"))
        cost_rows.append({
            "model": "baseline" if i == 0 else "candidate", "batch_size": b, "cpu_s_per_1k": cpu_1k,
            "peak_mb": peak / 2**20, "energy_j_per_1k": joules / epreds * 1000 if epreds else float("nan"),
            "cost_per_million": cpu_1k * 1000 / 3600 * price if price is not None else float("nan"),
        })
    notes = {o["energy_note"] for o in outputs if o.get("energy_note")}
    return PairedLatency(
        frame=frame, params=params, n_samples=int(sum(r["calls"] for r in block_rows)), blocks=blocks,
        cost=pd.DataFrame(cost_rows, columns=_COST_COLUMNS), energy_note="; ".join(sorted(notes)),
        samples=samples,
    )


def _busy(half: dict[str, Any]) -> float:
    """Share of a half-block's wall-clock spent waiting for a CPU.

    From the kernel's run-queue delay when Linux exposes it; otherwise wall minus CPU time
    (which is only meaningful for single-threaded calls, so CPU above wall counts as 0).
    """
    wall = float(half["wall_ns"].sum())
    if wall <= 0:
        return 0.0
    if half.get("run_delay_ns") is not None:
        return float(min(max(half["run_delay_ns"] / wall, 0.0), 1.0))
    return float(min(max(1.0 - float(half["cpu_ns"].sum()) / wall, 0.0), 1.0))
