"""Module-level helpers on a shared default session: `await ferrocrawl.get(url)` etc."""

from __future__ import annotations

import asyncio

import ferrocrawl


async def test_module_get_and_post(server):
    r = await ferrocrawl.get(server.url("/json"))
    assert r.status == 200 and (await r.json())["name"] == "ferrocrawl"
    r = await ferrocrawl.post(server.url("/echo"), json={"x": 1})
    d = await r.json()
    assert d["method"] == "POST" and d["json"] == {"x": 1}


async def test_module_get_params_headers(server):
    r = await ferrocrawl.get(server.url("/echo"), params={"a": "1"}, headers={"X-T": "t"})
    d = await r.json()
    assert d["args"] == {"a": ["1"]} and d["headers"]["x-t"] == "t"


async def test_module_level_concurrent(server):
    rs = await asyncio.gather(*(ferrocrawl.get(server.url(f"/echo?i={i}")) for i in range(30)))
    assert [r.status for r in rs] == [200] * 30


def test_shared_session_across_event_loops(server):
    """The default session outlives one asyncio.run: the next loop can use it too."""

    async def one():
        return (await ferrocrawl.get(server.url("/echo"))).status

    assert [asyncio.run(one()) for _ in range(3)] == [200, 200, 200]


async def test_module_level_errors(server):
    import pytest

    from tests.servers import closed_port

    with pytest.raises(ferrocrawl.ConnectError):
        await ferrocrawl.get(f"http://127.0.0.1:{closed_port()}/")
