"""Redirects: chains, codes and methods, limits and loops, schemes, cross-origin credentials."""

from __future__ import annotations

import time

import ferrocrawl
import pytest


async def test_relative_chain_history(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/redirect/3"))
        assert r.status == 200 and r.url == server.url("/redirect/0")
        assert isinstance(r.history, tuple) and len(r.history) == 3
        assert [h.status for h in r.history] == [302, 302, 302]
        assert [h.url for h in r.history] == [server.url(f"/redirect/{n}") for n in (3, 2, 1)]


async def test_absolute_chain_and_dotdot(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/abs-redirect/2"))
        assert r.url == server.url("/abs-redirect/0") and len(r.history) == 2
        r = await s.get(server.url("/dir/sub/rel"))
        assert r.url == server.url("/echo?via=rel")


@pytest.mark.parametrize("code", [301, 302, 303])
async def test_post_becomes_get(server, code):
    async with ferrocrawl.ClientSession() as s:
        r = await s.post(server.url(f"/redirect/1?status={code}"), data=b"payload")
        d = await r.json()
        assert r.history[0].status == code
        assert d["method"] == "GET" and d["body"] == ""


@pytest.mark.parametrize("code", [307, 308])
async def test_post_is_kept(server, code):
    async with ferrocrawl.ClientSession() as s:
        r = await s.post(server.url(f"/redirect/1?status={code}"), data=b"payload")
        d = await r.json()
        assert r.history[0].status == code
        assert d["method"] == "POST" and d["body"] == "payload"


async def test_allow_redirects_false(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/redirect/2"), allow_redirects=False)
        assert r.status == 302 and r.headers["Location"] == "/redirect/1"
        assert r.history == () and r.url == server.url("/redirect/2")


async def test_max_redirects_per_request_and_session(server):
    url = server.url("/redirect/3")
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.TooManyRedirects) as ei:
            await s.get(url, max_redirects=2)
        assert ei.value.url == url or url in str(ei.value)
        assert (await s.get(url, max_redirects=3)).status == 200
    async with ferrocrawl.ClientSession(max_redirects=2) as s:
        with pytest.raises(ferrocrawl.TooManyRedirects):
            await s.get(url)


async def test_redirect_loop_stops_fast(server):
    async with ferrocrawl.ClientSession() as s:
        for path in ("/redirect-loop", "/redirect-loop-a"):
            t0 = time.monotonic()
            with pytest.raises(ferrocrawl.TooManyRedirects) as ei:
                await s.get(server.url(path))
            assert time.monotonic() - t0 < 5
            assert isinstance(ei.value, ferrocrawl.RedirectError)
            assert isinstance(ei.value, ferrocrawl.FerrocrawlError)
            assert server.url(path) in str(ei.value)


async def test_default_limit_is_ten(server):
    async with ferrocrawl.ClientSession() as s:
        assert len((await s.get(server.url("/redirect/10"))).history) == 10
        with pytest.raises(ferrocrawl.TooManyRedirects):
            await s.get(server.url("/redirect/11"))


@pytest.mark.parametrize("target", ["ftp://127.0.0.1/file.txt", "file:///etc/passwd"])
async def test_redirect_never_leaves_http(server, target):
    url = server.url(f"/redirect-to?url={target}")
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.RedirectError) as ei:
            await s.get(url)
        assert not isinstance(ei.value, ferrocrawl.TooManyRedirects)
        assert url in str(ei.value) or ei.value.url == url


async def test_cross_origin_redirect_drops_credentials(server, server2):
    target = server2.url("/echo")
    url = server.url(f"/redirect-to?url={target}")
    secrets = {"Authorization": "Bearer secret-token", "Cookie": "session=secret", "X-Keep": "1"}
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(url, headers=secrets)
        h = (await r.json())["headers"]
        assert r.url == target
        assert "authorization" not in h
        assert "secret" not in h.get("cookie", "")
        assert h["x-keep"] == "1"


async def test_same_origin_redirect_keeps_authorization(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/redirect/1"), headers={"Authorization": "Bearer t"})
        assert (await r.json())["headers"]["authorization"] == "Bearer t"


async def test_session_headers_authorization_dropped_cross_origin(server, server2):
    url = server.url(f"/redirect-to?url={server2.url('/echo')}")
    async with ferrocrawl.ClientSession(headers={"Authorization": "Bearer s"}) as s:
        h = (await (await s.get(url)).json())["headers"]
        assert "authorization" not in h
