"""Timeouts (total, sock_read, per request) and cancellation: the server sees the close."""

from __future__ import annotations

import asyncio
import time

import ferrocrawl
import pytest
from ferrocrawl import ClientTimeout


def assert_timeout(exc: BaseException, url: str) -> None:
    assert isinstance(exc, ferrocrawl.RequestTimeout)
    assert isinstance(exc, TimeoutError) and isinstance(exc, asyncio.TimeoutError)
    assert isinstance(exc, ferrocrawl.FerrocrawlError)
    assert exc.url == url
    assert url in str(exc)


async def test_total_timeout(server, key):
    url = server.url(f"/slow?key={key}&delay=10")
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=0.5)) as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.RequestTimeout) as ei:
            await s.get(url)
        assert 0.4 <= time.monotonic() - t0 < 3
    assert_timeout(ei.value, url)
    assert await server.state.wait_closed(key), "server never saw the connection close"


async def test_request_timeout_overrides_session(server, key):
    url = server.url(f"/slow?key={key}&delay=10")
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=30)) as s:
        t0 = time.monotonic()
        with pytest.raises(TimeoutError):
            await s.get(url, timeout=ClientTimeout(total=0.3))
        assert time.monotonic() - t0 < 3
        # and a longer per-request timeout lets a slow answer through
        k2 = server.key()
        r = await s.get(server.url(f"/slow?key={k2}&delay=0.5"), timeout=ClientTimeout(total=5))
        assert await r.text() == "slow done"


async def test_sock_read_allows_slow_but_steady_body(raw_server):
    url = raw_server.url("/drip?n=10&interval=0.1")  # ~1 s in all, a byte every 0.1 s
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=10, sock_read=0.5)) as s:
        assert await (await s.get(url)).read() == b"x" * 10


async def test_total_timeout_cuts_a_steady_drip(raw_server):
    url = raw_server.url("/drip?n=50&interval=0.1")  # 5 s
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=0.8, sock_read=0.5)) as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.RequestTimeout):
            await s.get(url)
        assert time.monotonic() - t0 < 3


async def test_sock_read_timeout_on_stalled_body(raw_server, key):
    url = raw_server.url(f"/headers-then-hang?key={key}")
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=20, sock_read=0.3)) as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.RequestTimeout) as ei:
            await s.get(url)
        assert time.monotonic() - t0 < 5
    assert_timeout(ei.value, url)
    assert await raw_server.wait_closed(key)


async def test_server_that_never_answers(raw_server, key):
    url = raw_server.url(f"/silent?key={key}")
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=0.5)) as s:
        with pytest.raises(ferrocrawl.RequestTimeout):
            await s.get(url)
    assert await raw_server.wait_closed(key)


async def test_cancel_task_closes_connection(server, key):
    url = server.url(f"/slow?key={key}&delay=20")
    async with ferrocrawl.ClientSession() as s:
        task = asyncio.create_task(s.get(url))
        for _ in range(250):  # wait (bounded) until the server is inside the handler
            if server.state.slow[key].started:
                break
            await asyncio.sleep(0.02)
        assert server.state.slow[key].started
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert await server.state.wait_closed(key), "cancelled request kept its connection"
        # the session is still usable
        assert (await s.get(server.url("/echo"))).status == 200


async def test_wait_for_timeout_closes_connection(server, key):
    url = server.url(f"/slow?key={key}&delay=20")
    async with ferrocrawl.ClientSession() as s:
        t0 = time.monotonic()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(s.get(url), 0.5)
        assert time.monotonic() - t0 < 3
        assert await server.state.wait_closed(key)
        assert not server.state.slow[key].finished


async def test_cancel_while_body_is_pending(server, key):
    """Headers arrived, body has not: cancelling must still drop the connection."""
    url = server.url(f"/slow-body?key={key}&delay=20")
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(s.get(url), 0.5)
        assert await server.state.wait_closed(key)


async def test_cancel_get_many_closes_every_connection(server):
    keys = [server.key() for _ in range(4)]
    urls = [server.url(f"/slow?key={k}&delay=20") for k in keys]
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(s.get_many(urls, concurrency=4), 0.7)
        for k in keys:
            assert await server.state.wait_closed(k), f"connection for {k} left open"


async def test_many_cancellations_leave_session_healthy(server):
    async with ferrocrawl.ClientSession(limit=4) as s:
        for _ in range(20):
            k = server.key()
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(s.get(server.url(f"/slow?key={k}&delay=10")), 0.05)
        rs = await asyncio.wait_for(
            asyncio.gather(*(s.get(server.url("/echo")) for _ in range(8))), 10
        )
        assert [r.status for r in rs] == [200] * 8


async def test_timeout_none_on_a_request_means_no_deadline(server, key):
    """As in aiohttp: an explicit None disables the deadline; omitted uses the session's."""
    url = server.url(f"/slow?key={key}&delay=0.8")
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=0.3)) as s:
        assert await (await s.get(url, timeout=None)).text() == "slow done"
        with pytest.raises(ferrocrawl.RequestTimeout):
            await s.get(server.url(f"/slow?key={server.key()}&delay=0.8"))


async def test_waiting_for_a_slot_counts_against_total(server, key):
    """The deadline covers the wait for a connection slot, as aiohttp's `total` does."""
    async with ferrocrawl.ClientSession(limit=1, timeout=ClientTimeout(total=5)) as s:
        busy = asyncio.ensure_future(s.get(server.url(f"/slow?key={key}&delay=1.5")))
        for _ in range(250):
            if server.state.slow[key].started:
                break
            await asyncio.sleep(0.02)
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.RequestTimeout):
            await s.get(server.url("/echo"), timeout=ClientTimeout(total=0.3))
        assert time.monotonic() - t0 < 1.2
        [r] = await s.get_many([server.url("/echo")], timeout=ClientTimeout(total=0.3))
        assert isinstance(r, ferrocrawl.RequestTimeout)
        assert (await busy).status == 200
