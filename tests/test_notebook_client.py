"""The sliced kernel client: a missed wake-up on the shell socket costs a slice, not the cell's timeout."""

from __future__ import annotations

import asyncio
import time
from queue import Empty

import pytest
from jupyter_client.channels import AsyncZMQSocketChannel

from diagtools import _notebook_client as nc


class _Socket:
    """Stands in for the ZeroMQ socket: a message that arrived without waking the poller.

    The first ``missed`` polls sleep their whole timeout although the message is there (the
    edge was used up by a send on the same socket); later polls see it at once.
    """

    def __init__(self, missed: int) -> None:
        self.missed = missed
        self.waits: list[float | None] = []

    async def get_msg(self, timeout=None):
        self.waits.append(timeout)
        if len(self.waits) <= self.missed:
            await asyncio.sleep(timeout if timeout is not None else 3600)
            raise Empty
        return {"msg_type": "execute_reply"}


@pytest.fixture
def socket(monkeypatch):
    def make(missed: int, slice_s: float) -> _Socket:
        fake = _Socket(missed)

        async def get_msg(channel, timeout=None):
            return await fake.get_msg(timeout)

        monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", get_msg)
        monkeypatch.setattr(nc, "SLICE_S", slice_s)
        return fake

    return make


def _get(timeout: float | None) -> dict:
    channel = nc.SlicedChannel.__new__(nc.SlicedChannel)  # no socket needed: the parent's get_msg is the fake
    return asyncio.run(channel.get_msg(timeout=timeout))


def test_a_missed_wakeup_costs_one_slice_not_the_timeout(socket):
    fake = socket(missed=1, slice_s=0.05)
    start = time.monotonic()
    assert _get(timeout=600) == {"msg_type": "execute_reply"}
    assert time.monotonic() - start < 1.0  # the unsliced parent would have slept 600 s
    assert fake.waits[0] == pytest.approx(0.05) and len(fake.waits) == 2


def test_no_timeout_waits_in_slices_until_the_message(socket):
    fake = socket(missed=3, slice_s=0.01)
    assert _get(timeout=None)["msg_type"] == "execute_reply"
    assert fake.waits == pytest.approx([0.01] * 4)


def test_the_timeout_still_holds_when_nothing_arrives(socket):
    fake = socket(missed=10**6, slice_s=0.02)
    start = time.monotonic()
    with pytest.raises(Empty):
        _get(timeout=0.1)
    assert 0.1 <= time.monotonic() - start < 0.5
    assert all(w <= 0.02 + 1e-9 for w in fake.waits) and sum(fake.waits) == pytest.approx(0.1, abs=0.03)


def test_the_manager_hands_out_the_sliced_client():
    km = nc.SlicedKernelManager()
    assert isinstance(km.client(), nc.SlicedKernelClient)
    assert nc.SlicedKernelClient.shell_channel_class.default_value is nc.SlicedChannel
