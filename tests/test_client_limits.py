"""limit / limit_per_host / get_many concurrency, as the server counts requests in flight.

Each test asserts the invariant (never above the limit, and more than one at once under
load), not that the limit was reached at some instant: CI is a loaded 2-core box."""

from __future__ import annotations

import asyncio

import ferrocrawl


async def fire(session, srv, key, n, delay=0.3, host=None):
    base = srv.base if host is None else srv.base.replace("127.0.0.1", host)
    rs = await asyncio.gather(
        *(session.get(f"{base}/track?key={key}&delay={delay}&i={i}") for i in range(n))
    )
    assert [r.status for r in rs] == [200] * n


async def test_limit_caps_concurrency(server, key):
    async with ferrocrawl.ClientSession(limit=3) as s:
        await fire(s, server, key, 12)
    assert server.state.hits[key] == 12
    assert 1 < server.state.max_inflight[key] <= 3


async def test_default_limit_is_100(server, key):
    async with ferrocrawl.ClientSession() as s:
        await fire(s, server, key, 130, delay=0.5)
    assert 1 < server.state.max_inflight[key] <= 100


async def test_limit_per_host(server, server2):
    k1, k2 = server.key(), server2.key()
    async with ferrocrawl.ClientSession(limit=100, limit_per_host=2) as s:
        await asyncio.gather(fire(s, server, k1, 8), fire(s, server2, k2, 8))
    assert 1 < server.state.max_inflight[k1] <= 2
    assert 1 < server2.state.max_inflight[k2] <= 2


async def test_limit_per_host_counts_hosts_separately(server, key):
    """One server under two host names (127.0.0.1, localhost): 2 each, 4 in all."""
    async with ferrocrawl.ClientSession(limit=100, limit_per_host=2) as s:
        await asyncio.gather(fire(s, server, key, 8), fire(s, server, key, 8, host="localhost"))
    assert 2 < server.state.max_inflight[key] <= 4  # more than one host's share


async def test_limit_applies_across_hosts(server, key):
    async with ferrocrawl.ClientSession(limit=2) as s:
        await asyncio.gather(fire(s, server, key, 6), fire(s, server, key, 6, host="localhost"))
    assert server.state.hits[key] == 12
    assert 1 < server.state.max_inflight[key] <= 2


async def test_get_many_concurrency(server, key):
    urls = [server.url(f"/track?key={key}&delay=0.2&i={i}") for i in range(20)]
    async with ferrocrawl.ClientSession() as s:
        rs = await s.get_many(urls, concurrency=5)
    assert len(rs) == 20 and server.state.hits[key] == 20
    assert 1 < server.state.max_inflight[key] <= 5


async def test_get_many_respects_session_limit(server, key):
    urls = [server.url(f"/track?key={key}&delay=0.2&i={i}") for i in range(12)]
    async with ferrocrawl.ClientSession(limit=3) as s:
        await s.get_many(urls, concurrency=64)
    assert 1 < server.state.max_inflight[key] <= 3
