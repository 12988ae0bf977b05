"""The measuring side of the paired latency gate: runs in fresh worker processes.

A worker receives a job (two model specs, the batches, the block schedule), loads both models
itself (from their files, or from pickled bytes), warms them up, and times them in alternating
blocks. It imports only the standard library and numpy at module level, so a process starts
fast; loading the models imports whatever they need.
"""

from __future__ import annotations

import gc
import math
import os
import pickle
import time
import traceback
from typing import Any

import numpy as np

__all__ = ["run_job", "serve"]

_SCHEDSTAT = "/proc/thread-self/schedstat"


def _run_delay_ns() -> int | None:
    """Nanoseconds this thread has spent runnable but waiting for a CPU (Linux schedstat)."""
    try:
        with open(_SCHEDSTAT, "rb") as fh:
            return int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None


def _load(spec: tuple[Any, ...]) -> Any:
    kind = spec[0]
    if kind == "pickle":
        return pickle.loads(spec[1])
    if kind == "file":
        import warnings

        from diagtools.errors import DiagnosticWarning
        from diagtools.io import load_model

        with warnings.catch_warnings():  # the caller loaded the same file and already warned
            warnings.simplefilter("ignore", DiagnosticWarning)
            return load_model(spec[1], **dict(spec[2] or {}))
    raise ValueError(f"unknown model spec {kind!r}")


def _odd(n: int) -> int:
    return n if n % 2 else n + 1


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Load the two models of ``job``, warm them up and time them in alternating blocks.

    Parameters
    ----------
    job : dict
        ``models`` (two specs), ``method``, ``batches`` (list of ``(batch_size, rows)``),
        ``orders`` (per batch size, a list of block orders such as ``(0, 1)`` or ``(1, 0)``),
        ``warmup_time``, ``half_time``, ``min_calls``, ``max_calls``.

    Returns
    -------
    dict
        ``halves``: one dict per timed half-block (batch size, block, position, model, calls,
        per-call wall and CPU ns, run-queue delay ns, package joules); ``peak_bytes``: per
        (model, batch size) the tracemalloc peak of one call; ``energy_note``; ``pid``.
    """
    from diagtools._energy import EnergyMeter

    models = [_load(spec) for spec in job["models"]]
    # Collect once, then freeze what exists: later collections (during timing, or at the
    # start of the next job of a reused worker) only walk new objects and stay short.
    gc.collect()
    gc.freeze()
    fns = [getattr(m, job["method"]) for m in models]
    meter = EnergyMeter()
    pc, pt = time.perf_counter_ns, time.process_time_ns
    halves: list[dict[str, Any]] = []
    peak: dict[str, int] = {}
    for (b, rows), orders in zip(job["batches"], job["orders"], strict=True):
        # warm-up: alternate the two models until both are in steady state (caches, lazy init)
        warm: list[list[int]] = [[], []]
        end = pc() + int(job["warmup_time"] * 1e9)
        while True:
            for i in (0, 1):
                t0 = pc()
                fns[i](rows)
                warm[i].append(pc() - t0)
            if pc() >= end and len(warm[0]) >= 3:
                break
        slowest = max(float(np.median(w[-5:])) for w in warm)
        k = _odd(int(min(max(math.ceil(job["half_time"] * 1e9 / max(slowest, 1.0)), job["min_calls"]),
                         job["max_calls"])))
        gc.collect()
        for block, order in enumerate(orders):
            for position, i in enumerate(order):
                wall = np.empty(k, dtype=np.int64)
                cpu = np.empty(k, dtype=np.int64)
                fn = fns[i]
                rd0, e0 = _run_delay_ns(), meter.read()
                for c in range(k):
                    c0 = pt()
                    t0 = pc()
                    fn(rows)
                    t1 = pc()
                    c1 = pt()
                    wall[c] = t1 - t0
                    cpu[c] = c1 - c0
                rd1, e1 = _run_delay_ns(), meter.read()
                halves.append({
                    "batch_size": int(b), "block": block, "position": position, "model": i, "calls": k,
                    "wall_ns": wall, "cpu_ns": cpu,
                    "run_delay_ns": None if rd0 is None or rd1 is None else rd1 - rd0,
                    "energy_j": meter.joules(e0, e1),
                })
        # peak memory of one call, after the timing (tracemalloc slows calls down)
        import tracemalloc

        for i in (0, 1):
            tracemalloc.start()
            try:
                fns[i](rows)
                peak[f"{i}:{b}"] = int(tracemalloc.get_traced_memory()[1])
            finally:
                tracemalloc.stop()
    return {"halves": halves, "peak_bytes": peak, "energy_note": meter.reason, "pid": os.getpid()}


def serve(recv: Any, send: Any) -> None:
    """Answer jobs arriving on ``recv`` on ``send`` until ``None`` arrives (the worker's main loop)."""
    import sys

    from diagtools.errors import DiagnosticInputError

    while True:
        try:
            job = recv.recv()
        except EOFError:
            return
        if job is None:
            return
        if "sys_path" in job:
            sys.path[:] = [p for p in job["sys_path"] if p not in sys.path] + sys.path
            continue
        try:
            send.send(("ok", run_job(job)))
        except DiagnosticInputError as exc:
            send.send(("input", str(exc)))
        except Exception as exc:  # reported to the parent, which raises it with the worker's traceback
            hint = ""
            if isinstance(exc, (AttributeError, ModuleNotFoundError)) and "__main__" in str(exc):
                hint = (" (the model's class is defined in the calling script; define it in an importable "
                        "module or save the model to a file)")
            send.send(("error", f"{type(exc).__name__}: {exc}{hint}", traceback.format_exc()))


def _main(argv: list[str]) -> None:
    from multiprocessing.connection import Connection

    recv = Connection(int(argv[0]), writable=False)
    send = Connection(int(argv[1]), readable=False)
    try:
        serve(recv, send)
    finally:
        recv.close()
        send.close()


if __name__ == "__main__":
    import sys

    _main(sys.argv[1:])
