"""The same API under uvloop: `uvloop.run(...)` and the notes' EventLoopPolicy way."""

from __future__ import annotations

import asyncio
import warnings

import ferrocrawl
import pytest
import uvloop


async def exercise(server, expect_uvloop: bool = True) -> dict:
    out = {}
    async with ferrocrawl.ClientSession() as s:
        assert isinstance(asyncio.get_running_loop(), uvloop.Loop) == expect_uvloop
        async with s.get(server.url("/json")) as r:
            out["json"] = (await r.json())["name"]
        async with await s.get(server.url("/charset/gbk-meta")) as r:
            out["gbk"] = "中文" in await r.text()
        r = await s.post(server.url("/echo"), json={"a": 1})
        out["post"] = (await r.json())["json"]
        rs = await s.get_many([server.url(f"/echo?i={i}") for i in range(20)], concurrency=8)
        out["many"] = [r.status for r in rs]
        n = 0
        async for _ in s.iter_many([server.url(f"/echo?i={i}") for i in range(20)]):
            n += 1
        out["iter"] = n
        out["gather"] = [
            r.status for r in await asyncio.gather(*(s.get(server.url("/echo")) for _ in range(50)))
        ]
        key = server.key()
        try:
            await asyncio.wait_for(s.get(server.url(f"/slow?key={key}&delay=20")), 0.3)
        except asyncio.TimeoutError:
            out["timeout"] = True
        out["closed"] = await server.state.wait_closed(key)
    return out


def check(out: dict) -> None:
    assert out == {
        "json": "ferrocrawl",
        "gbk": True,
        "post": {"a": 1},
        "many": [200] * 20,
        "iter": 20,
        "gather": [200] * 50,
        "timeout": True,
        "closed": True,
    }


def test_uvloop_run(server):
    check(uvloop.run(exercise(server)))


def test_uvloop_policy_like_the_notes(server):
    with warnings.catch_warnings():  # set_event_loop_policy is deprecated from Python 3.14
        warnings.simplefilter("ignore", DeprecationWarning)
        old = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        check(asyncio.run(exercise(server)))
    finally:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            asyncio.set_event_loop_policy(old)


def test_alternating_loops(server):
    """One process, loops of both kinds one after another: the runtime serves each."""
    for runner in (uvloop.run, asyncio.run, uvloop.run):
        check(runner(exercise(server, expect_uvloop=runner is uvloop.run)))


@pytest.mark.timeout(60)
def test_uvloop_total_timeout(server):
    async def main():
        key = server.key()
        async with ferrocrawl.ClientSession(timeout=ferrocrawl.ClientTimeout(total=0.3)) as s:
            with pytest.raises(ferrocrawl.RequestTimeout):
                await s.get(server.url(f"/slow?key={key}&delay=20"))
        return await server.state.wait_closed(key)

    assert uvloop.run(main())
