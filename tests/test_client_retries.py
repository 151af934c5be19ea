"""retries + retry_backoff: connection errors and 429/503 are retried, Retry-After honoured."""

from __future__ import annotations

import time

import ferrocrawl
import pytest


async def test_no_retry_by_default(server, key):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url(f"/retry-after?key={key}&fail=1&status=503"))
        assert r.status == 503 and r.headers["Retry-After"] == "1"
    assert server.state.hits[key] == 1


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_seconds(server, key, status):
    url = server.url(f"/retry-after?key={key}&fail=2&status={status}&after=1")
    async with ferrocrawl.ClientSession(retries=3, retry_backoff=0.01) as s:
        t0 = time.monotonic()
        r = await s.get(url)
        elapsed = time.monotonic() - t0
    assert r.status == 200 and (await r.json())["hits"] == 3
    assert server.state.hits[key] == 3
    assert 1.8 <= elapsed < 15, elapsed  # two Retry-After: 1 waits
    t = server.state.hit_times[key]
    gaps = [t[i + 1] - t[i] for i in range(len(t) - 1)]
    assert all(g >= 0.9 for g in gaps), gaps


async def test_retry_after_http_date(server, key):
    url = server.url(f"/retry-after?key={key}&fail=1&date=1&after=2")
    async with ferrocrawl.ClientSession(retries=1, retry_backoff=0.01) as s:
        t0 = time.monotonic()
        r = await s.get(url)
        assert r.status == 200
        assert time.monotonic() - t0 >= 0.8  # a date 2 s ahead, at 1 s granularity


async def test_retries_exhausted_returns_last_response(server, key):
    async with ferrocrawl.ClientSession(retries=1, retry_backoff=0.01) as s:
        r = await s.get(server.url(f"/retry-after?key={key}&fail=5&after=0"))
        assert r.status == 503
    assert server.state.hits[key] == 2


async def test_exponential_backoff_without_retry_after(server, key):
    url = server.url(f"/retry-after?key={key}&fail=2&after=none")
    async with ferrocrawl.ClientSession(retries=2, retry_backoff=0.3) as s:
        t0 = time.monotonic()
        r = await s.get(url)
        elapsed = time.monotonic() - t0
    assert r.status == 200 and server.state.hits[key] == 3
    # 0.3 + 0.6 nominally; equal jitter waits between half and all of each step
    assert elapsed >= 0.45, elapsed
    t = server.state.hit_times[key]
    assert t[2] - t[1] >= t[1] - t[0], t  # the wait grows


async def test_other_statuses_not_retried(server, key):
    async with ferrocrawl.ClientSession(retries=3, retry_backoff=0.01) as s:
        r = await s.get(server.url(f"/retry-after?key={key}&fail=1&status=500"))
        assert r.status == 500
    assert server.state.hits[key] == 1


async def test_connection_errors_retried(raw_server, key):
    url = raw_server.url(f"/reset-first?key={key}&n=2")
    async with ferrocrawl.ClientSession(retries=3, retry_backoff=0.01) as s:
        r = await s.get(url)
        assert await r.text() == "ok"
    assert raw_server.hits[key] == 3


async def test_connection_errors_without_retries_raise(raw_server, key):
    url = raw_server.url(f"/reset-first?key={key}&n=1")
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ClientConnectionError):
            await s.get(url)
    assert raw_server.hits[key] == 1


async def test_per_request_retry_in_get_many(server):
    keys = [server.key() for _ in range(3)]
    urls = [server.url(f"/retry-after?key={k}&fail=1&after=0") for k in keys]
    async with ferrocrawl.ClientSession(retries=2, retry_backoff=0.01) as s:
        rs = await s.get_many(urls)
    assert [r.status for r in rs] == [200, 200, 200]
    assert [server.state.hits[k] for k in keys] == [2, 2, 2]


async def test_post_is_not_resent_on_503_by_default(server, key):
    """urllib3's rule: only idempotent methods are retried unless the caller opts in."""
    url = server.url(f"/retry-after?key={key}&fail=5&after=0")
    async with ferrocrawl.ClientSession(retries=2, retry_backoff=0.01) as s:
        r = await s.post(url, data=b"order=1")
        assert r.status == 503
        assert (await s.put(url, data=b"x")).status == 503  # PUT is idempotent: retried
    assert server.state.hits[key] == 1 + 3


async def test_retry_methods_opts_in_post(server, key):
    url = server.url(f"/retry-after?key={key}&fail=1&after=0")
    async with ferrocrawl.ClientSession(
        retries=2, retry_backoff=0.01, retry_methods={"GET", "post"}
    ) as s:
        assert (await s.post(url, data=b"x")).status == 200
        k2 = server.key()
        r = await s.put(server.url(f"/retry-after?key={k2}&fail=1&after=0"))
        assert r.status == 503  # PUT is not in the given set
    assert server.state.hits[key] == 2 and server.state.hits[k2] == 1
    with pytest.raises(ferrocrawl.InvalidArgument):
        ferrocrawl.ClientSession(retry_methods={"NOT A METHOD"})
