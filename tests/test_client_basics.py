"""ClientSession basics: the three await forms, methods, params, bodies, response fields."""

from __future__ import annotations

import asyncio

import ferrocrawl
import pytest


async def test_get_fields(server):
    async with ferrocrawl.ClientSession() as session:
        async with session.get(server.url("/json")) as resp:
            assert resp.status == 200
            assert resp.reason == "OK"
            assert isinstance(resp.url, str) and resp.url == server.url("/json")
            assert resp.content_type == "application/json"
            assert resp.history == ()
            assert (await resp.json())["年份"] == 2026
            assert "年份" in await resp.text()
            assert b'"ok": true' in await resp.read()


async def test_three_await_forms(server):
    """`async with session.get()`, `async with await session.get()`, `await session.get()`."""
    url = server.url("/echo")
    async with ferrocrawl.ClientSession() as session:
        async with session.get(url) as r1:
            assert r1.status == 200
        async with await session.get(url) as r2:
            assert r2.status == 200
        r3 = await session.get(url)
        assert r3.status == 200 and (await r3.json())["method"] == "GET"


async def test_create_task_accepts_request(server):
    async with ferrocrawl.ClientSession() as session:
        tasks = [asyncio.create_task(session.get(server.url(f"/echo?i={i}"))) for i in range(5)]
        done = await asyncio.gather(*tasks)
        assert [(await r.json())["args"]["i"] for r in done] == [["0"], ["1"], ["2"], ["3"], ["4"]]


async def test_nothing_is_sent_until_awaited(server, key):
    async with ferrocrawl.ClientSession() as session:
        pending = session.get(server.url(f"/track?key={key}&delay=0"))
        await asyncio.sleep(0.3)
        assert server.state.hits[key] == 0
        resp = await pending
        assert resp.status == 200 and server.state.hits[key] == 1


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
async def test_methods(server, method):
    async with ferrocrawl.ClientSession() as session:
        resp = await getattr(session, method)(server.url("/echo"))
        assert (await resp.json())["method"] == method.upper()


async def test_head_has_no_body(server):
    async with ferrocrawl.ClientSession() as session:
        resp = await session.head(server.url("/html5k"))
        assert resp.status == 200
        assert int(resp.headers["Content-Length"]) > 4000
        assert await resp.read() == b""


async def test_request_with_method_name(server):
    async with ferrocrawl.ClientSession() as session:
        resp = await session.request("PATCH", server.url("/echo"), data=b"x")
        d = await resp.json()
        assert d["method"] == "PATCH" and d["body"] == "x"


async def test_params_dict_list_and_existing_query(server):
    async with ferrocrawl.ClientSession() as session:
        d = await (await session.get(server.url("/echo"), params={"a": "1", "q": "中文 &="})).json()
        assert d["args"] == {"a": ["1"], "q": ["中文 &="]}
        d = await (
            await session.get(server.url("/echo?x=0"), params=[("a", "1"), ("a", "2")])
        ).json()
        assert d["args"] == {"x": ["0"], "a": ["1", "2"]}


async def test_post_bytes_str_form_json(server):
    url = server.url("/echo")
    async with ferrocrawl.ClientSession() as session:
        d = await (await session.post(url, data=b"\x00\x01raw")).json()
        assert d["body_b64"] == "AAFyYXc=" and d["body_len"] == 5
        d = await (await session.post(url, data="文字")).json()
        assert d["body"] == "文字"
        d = await (await session.post(url, data={"name": "值", "n": "1"})).json()
        assert d["content_type"] == "application/x-www-form-urlencoded"
        assert d["form"] == {"name": "值", "n": "1"}
        d = await (await session.post(url, json={"k": [1, "二"]})).json()
        assert d["content_type"] == "application/json" and d["json"] == {"k": [1, "二"]}


async def test_response_headers_case_insensitive_multi(server):
    async with ferrocrawl.ClientSession() as session:
        resp = await session.get(server.url("/headers/multi"))
        assert resp.headers["x-single"] == resp.headers["X-SINGLE"] == "single"
        assert resp.headers.get("missing") is None
        assert resp.headers.get("missing", "d") == "d"
        assert resp.headers.getall("x-multi") == ["one", "two"]
        items = [(k.lower(), v) for k, v in resp.headers.items()]
        assert ("x-multi", "one") in items and ("x-multi", "two") in items


async def test_large_response_body(server):
    async with ferrocrawl.ClientSession() as session:
        body = await (await session.get(server.url("/big?size=3000000&chunked=1"))).read()
        assert len(body) == 3_000_000 and body[-10:] == b"0123456789"


async def test_many_sequential_requests_reuse_session(server):
    async with ferrocrawl.ClientSession() as session:
        for i in range(50):
            resp = await session.get(server.url(f"/echo?i={i}"))
            assert (await resp.json())["args"] == {"i": [str(i)]}


async def test_client_timeout_fields():
    t = ferrocrawl.ClientTimeout(total=5, connect=1, sock_read=2)
    assert (t.total, t.connect, t.sock_read) == (5, 1, 2)
