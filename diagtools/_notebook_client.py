"""A kernel manager for headless notebook runs that never sleeps through a cell's reply.

nbclient mimics the front end of an ``ipywidgets.Output`` area: each output the kernel sends
into one is answered with a ``comm_msg`` on the shell socket, sent from the task that reads
IOPub while another task is waiting on the same socket for the cell's ``execute_reply``. A
ZeroMQ socket signals readiness on an edge-triggered descriptor, and the send can use up the
edge of a reply that has just arrived: the waiting task then wakes only at its timeout (the
whole per-cell ``execution_timeout``, 600 s in the test suite) and finds the reply that had
been there all along. The cell counts as "completed", with no error; a busy machine makes the
race likely (see jupyter/nbclient#312). Waiting in slices of at most a second re-checks the
socket at each slice, so a missed edge costs at most that second.

Pass the manager to papermill: ``papermill.execute_notebook(..., kernel_manager_class=
"diagtools._notebook_client.SlicedKernelManager")``.
"""

from __future__ import annotations

import time
from queue import Empty
from typing import Any

from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.channels import AsyncZMQSocketChannel
from jupyter_client.manager import AsyncKernelManager
from traitlets import Type

SLICE_S = 1.0  # longest wait before the socket is polled again (the delay a missed edge costs)


class SlicedChannel(AsyncZMQSocketChannel):
    """A channel whose ``get_msg`` polls the socket at least once per :data:`SLICE_S`."""

    async def get_msg(self, timeout: float | None = None) -> dict[str, Any]:
        """Return the next message, waiting at most ``timeout`` seconds (``None``: no limit).

        Raises
        ------
        queue.Empty
            No message arrived within ``timeout``.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = SLICE_S if deadline is None else max(0.0, min(SLICE_S, deadline - time.monotonic()))
            try:
                return await super().get_msg(timeout=remaining)
            except Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise


class SlicedKernelClient(AsyncKernelClient):
    """An async kernel client whose shell channel (the one nbclient both sends and waits on) is sliced."""

    shell_channel_class = Type(SlicedChannel)  # type: ignore[assignment]


class SlicedKernelManager(AsyncKernelManager):
    """The async kernel manager nbclient uses by default, handing out :class:`SlicedKernelClient`."""

    client_factory = Type(SlicedKernelClient, klass=AsyncKernelClient, config=True)  # type: ignore[assignment]
