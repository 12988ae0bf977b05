"""The engine a report runs on: pandas in memory, the chunked file reader, or a Dask cluster.

``diagtools report --engine dask`` either connects to a running scheduler (``--scheduler``) or
starts a ``LocalCluster`` sized to the machine for the length of the command. The report's
kernel is another process: it reaches the cluster by the scheduler's address, handed over as a
papermill parameter, and :func:`connect` makes it the kernel's default client.

Nothing here imports dask at module level: ``import diagtools`` stays light.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from typing import Any

from diagtools.errors import DiagnosticInputError

#: The engines a report can run on.
ENGINES = ("pandas", "chunked", "dask")
#: Seconds to wait for a scheduler to answer before calling its address bad.
CONNECT_SECONDS = 10
#: ``tcp://host:port`` (the protocol is optional; also tls://, ws://, wss://).
_ADDRESS = re.compile(r"^(?:(?:tcp|tls|ws|wss)://)?[A-Za-z0-9_.\-\[\]:]+:\d{1,5}$")


def check_engine(engine: Any, scheduler: Any, name: str = "engine") -> None:
    """The engine is known, and a scheduler address is given only for (and well-formed with) dask."""
    if engine not in ENGINES:
        raise DiagnosticInputError(f"--{name} ({name}) must be one of {', '.join(ENGINES)}, got {engine!r}. "
                                   "Pass e.g. --engine dask.")
    if scheduler is None:
        return
    if engine != "dask":
        raise DiagnosticInputError(
            f"--scheduler (scheduler) needs --engine dask (got --engine {engine}). Add --engine dask, or drop --scheduler."
        )
    if not isinstance(scheduler, str) or not _ADDRESS.match(scheduler):
        raise DiagnosticInputError(
            f"--scheduler (scheduler) must be a Dask scheduler address such as tcp://10.0.0.5:8786, got {scheduler!r}."
        )


def _distributed() -> Any:
    try:
        import distributed
    except ImportError as exc:  # an optional dependency: say how to get it
        raise DiagnosticInputError(
            "--engine dask needs dask.distributed. Install it: pip install 'diagtools[dask]'."
        ) from exc
    return distributed


def connect(address: str, *, timeout: float | None = None) -> Any:
    """A ``dask.distributed`` client of the scheduler at ``address`` (the default client from now on).

    Raises
    ------
    DiagnosticInputError
        When nothing answers at ``address`` within ``timeout`` seconds (default
        :data:`CONNECT_SECONDS`).
    """
    distributed = _distributed()
    timeout = CONNECT_SECONDS if timeout is None else timeout
    try:
        return distributed.Client(address, timeout=f"{timeout}s", set_as_default=True)
    except (OSError, TimeoutError, ValueError) as exc:
        raise DiagnosticInputError(
            f"--scheduler (scheduler): cannot connect to a Dask scheduler at {address} within {timeout:g} s "
            f"({type(exc).__name__}). Check the address and that the scheduler is running, or drop --scheduler "
            "to start a local cluster."
        ) from None


@contextlib.contextmanager
def cluster(scheduler: str | None) -> Iterator[str]:
    """The address of a Dask scheduler for the length of the block.

    With ``scheduler``: checks that it answers, and yields it (the cluster is someone else's).
    Without: starts a ``LocalCluster`` with one single-threaded worker process per core and
    shuts it down when the block ends.
    """
    if scheduler is not None:
        connect(scheduler).close()
        yield scheduler
        return
    distributed = _distributed()
    workers = max(1, os.cpu_count() or 1)
    # one thread per worker: models and numpy already use the cores, threads would fight the GIL
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1, dashboard_address=None,
                                  silence_logs=50) as local:
        yield str(local.scheduler_address)
