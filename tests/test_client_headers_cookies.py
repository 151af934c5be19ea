"""Session and request headers, user agent, cookies and the shared cookie jar."""

from __future__ import annotations

import ferrocrawl


async def echo_headers(session, server, **kw):
    return (await (await session.get(server.url("/echo"), **kw)).json())["headers"]


async def test_session_headers_merge_with_request_headers(server):
    async with ferrocrawl.ClientSession(headers={"X-Session": "s", "X-Both": "session"}) as s:
        h = await echo_headers(s, server, headers={"x-both": "request", "X-Req": "r"})
        assert h["x-session"] == "s" and h["x-req"] == "r"
        assert h["x-both"] == "request"  # the request wins, case-insensitively
        h = await echo_headers(s, server)
        assert h["x-both"] == "session" and "x-req" not in h


async def test_user_agent(server):
    async with ferrocrawl.ClientSession() as s:
        assert (await echo_headers(s, server)).get("user-agent")  # some default is sent
    async with ferrocrawl.ClientSession(user_agent="fc-test/1.0") as s:
        assert (await echo_headers(s, server))["user-agent"] == "fc-test/1.0"
        h = await echo_headers(s, server, headers={"User-Agent": "override/2"})
        assert h["user-agent"] == "override/2"
    ua = "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"
    async with ferrocrawl.ClientSession(headers={"User-Agent": ua}) as s:  # the notes' way
        assert (await echo_headers(s, server))["user-agent"] == ua


async def test_session_and_request_cookies(server):
    async with ferrocrawl.ClientSession(cookies={"sess": "1"}) as s:
        d = await (await s.get(server.url("/cookies"), cookies={"req": "2"})).json()
        assert d["cookies"] == {"sess": "1", "req": "2"}


async def test_jar_keeps_set_cookie_across_requests(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/cookies/set?a=1&b=2"))
        assert len(r.headers.getall("Set-Cookie")) == 2
        d = await (await s.get(server.url("/cookies"))).json()
        assert d["cookies"] == {"a": "1", "b": "2"}
    async with ferrocrawl.ClientSession() as fresh:  # jars are per session
        d = await (await fresh.get(server.url("/cookies"))).json()
        assert d["cookies"] == {}


async def test_cookie_set_on_redirect_is_sent_to_target(server):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url("/cookies/set-redirect?z=9"))
        assert r.status == 200 and len(r.history) == 1
        assert (await r.json())["cookies"] == {"z": "9"}


async def test_basic_and_bearer_auth_headers(server):
    import base64

    basic = "Basic " + base64.b64encode(b"user:pw").decode()
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(server.url("/basic-auth/user/pw"))).status == 401
        r = await s.get(server.url("/basic-auth/user/pw"), headers={"Authorization": basic})
        assert r.status == 200 and (await r.json())["user"] == "user"
        r = await s.get(server.url("/bearer"), headers={"Authorization": "Bearer t0k"})
        assert (await r.json())["token"] == "t0k"


async def test_basic_auth_from_url_userinfo(server):
    url = server.url("/basic-auth/user/pw").replace("http://", "http://user:pw@")
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(url)).status == 200
