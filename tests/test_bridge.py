"""The bridge itself: panics, coroutine protocol, laziness, many loops."""

from __future__ import annotations

import asyncio
import gc

import ferrocrawl
import pytest
from ferrocrawl import _ferrocrawl


async def test_panic_becomes_internal_error_and_runtime_survives(server):
    with pytest.raises(ferrocrawl.InternalError, match="boom in rust"):
        await _ferrocrawl._panic_in_task("boom in rust")
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/echo"))
        assert r.status == 200


async def test_nothing_starts_before_await(server, key):
    async with ferrocrawl.ClientSession() as s:
        pending = s.get(server.url(f"/retry-after?key={key}&fail=0"))
        await asyncio.sleep(0.2)
        r = await s.get(server.url(f"/hits/{key}"))
        assert (await r.json())["hits"] == 0, "the request ran before it was awaited"
        await pending
        r = await s.get(server.url(f"/hits/{key}"))
        assert (await r.json())["hits"] == 1


async def test_awaiting_twice_is_an_error(server):
    async with ferrocrawl.ClientSession() as s:
        p = s.get(server.url("/echo"))
        await p
        with pytest.raises(RuntimeError, match="already awaited"):
            await p


async def test_create_task_gather_and_wait(server):
    async with ferrocrawl.ClientSession() as s:
        t = asyncio.create_task(s.get(server.url("/echo")))
        rs = await asyncio.gather(s.get(server.url("/echo")), s.get(server.url("/echo")))
        done, pending = await asyncio.wait([t, asyncio.ensure_future(s.get(server.url("/echo")))])
        assert not pending
        assert [r.status for r in rs] == [200, 200]
        assert all(d.result().status == 200 for d in done)


def test_many_event_loops_in_sequence(server):
    async def one():
        async with ferrocrawl.ClientSession() as s:
            return (await s.get(server.url("/echo"))).status

    statuses = [asyncio.run(one()) for _ in range(30)]
    gc.collect()
    assert statuses == [200] * 30


def test_await_outside_a_loop_is_a_clear_error():
    s = ferrocrawl.ClientSession()
    coro = s.get("http://127.0.0.1:9/")
    with pytest.raises(RuntimeError, match="running event loop"):
        coro.send(None)
