"""get_many (input order, exceptions in their slot); iter_many (completion order, backpressure)."""

from __future__ import annotations

import asyncio

import ferrocrawl

from tests.servers import closed_port


async def test_get_many_keeps_input_order(server, key):
    # earlier URLs are slower, so completion order is the reverse of input order
    urls = [server.url(f"/track?key={key}&i={i}&delay={0.05 * (8 - i)}") for i in range(8)]
    async with ferrocrawl.ClientSession() as s:
        rs = await s.get_many(urls, concurrency=8)
    assert [r.url for r in rs] == urls
    assert [(await r.json())["i"] for r in rs] == [str(i) for i in range(8)]


async def test_get_many_failure_in_its_slot(server):
    bad_port = f"http://127.0.0.1:{closed_port()}/x"
    urls = [server.url("/echo?i=0"), bad_port, "not a url", server.url("/status/500")]
    async with ferrocrawl.ClientSession() as s:
        rs = await s.get_many(urls)
    assert len(rs) == 4
    assert rs[0].status == 200
    assert isinstance(rs[1], ferrocrawl.ConnectError) and rs[1].url == bad_port
    assert isinstance(rs[2], ferrocrawl.InvalidURL)
    assert rs[3].status == 500  # HTTP errors are responses unless raise_for_status


async def test_get_many_raise_for_status_puts_error_in_slot(server):
    urls = [server.url("/status/404"), server.url("/echo")]
    async with ferrocrawl.ClientSession(raise_for_status=True) as s:
        rs = await s.get_many(urls)
    assert isinstance(rs[0], ferrocrawl.HTTPStatusError) and rs[0].status == 404
    assert rs[1].status == 200


async def test_get_many_empty_and_large(server):
    async with ferrocrawl.ClientSession() as s:
        assert await s.get_many([]) == []
        urls = [server.url(f"/echo?i={i}") for i in range(500)]
        rs = await s.get_many(urls, concurrency=64)
    assert all(r.status == 200 for r in rs)
    assert (await rs[499].json())["args"] == {"i": ["499"]}


async def test_get_many_accepts_any_iterable(server):
    async with ferrocrawl.ClientSession() as s:
        rs = await s.get_many(server.url(f"/echo?i={i}") for i in range(3))
    assert [r.status for r in rs] == [200, 200, 200]


async def test_iter_many_yields_everything_in_completion_order(server, key):
    slow = server.url(f"/track?key={key}&i=slow&delay=0.8")
    fast = [server.url(f"/track?key={key}&i={i}&delay=0") for i in range(10)]
    seen = []
    async with ferrocrawl.ClientSession() as s:
        async for resp in s.iter_many([slow, *fast], concurrency=4):
            seen.append(resp.url)
    assert sorted(seen) == sorted([slow, *fast])
    assert seen[-1] == slow


async def test_iter_many_backpressure(server, key):
    total, conc = 200, 4
    urls = [server.url(f"/track?key={key}&i={i}&delay=0") for i in range(total)]
    got = 0
    async with ferrocrawl.ClientSession() as s:
        async for resp in s.iter_many(urls, concurrency=conc):
            assert resp.status == 200
            got += 1
            if got == 1:
                await asyncio.sleep(1.0)  # a slow consumer
                ahead = server.state.hits[key]
                assert ahead <= 3 * conc + 2, f"fetched {ahead} while the consumer slept"
    assert got == total and server.state.hits[key] == total


async def test_iter_many_break_stops_fetching(server, key):
    urls = [server.url(f"/track?key={key}&i={i}&delay=0.05") for i in range(300)]
    async with ferrocrawl.ClientSession() as s:
        agen = s.iter_many(urls, concurrency=4)
        n = 0
        async for _ in agen:
            n += 1
            if n == 3:
                break
        if hasattr(agen, "aclose"):
            await agen.aclose()
        await asyncio.sleep(0.3)
        after_break = server.state.hits[key]
        await asyncio.sleep(0.5)
        assert server.state.hits[key] == after_break < 50
        assert (await s.get(server.url("/echo"))).status == 200


async def test_iter_many_under_wait_for(server):
    keys = [server.key() for _ in range(3)]
    urls = [server.url(f"/slow?key={k}&delay=20") for k in keys]

    async def consume():
        async with ferrocrawl.ClientSession() as s:
            async for _ in s.iter_many(urls, concurrency=3):
                pass

    try:
        await asyncio.wait_for(consume(), 0.7)
    except asyncio.TimeoutError:
        pass
    else:
        raise AssertionError("expected a timeout")
    for k in keys:
        assert await server.state.wait_closed(k)


async def test_iter_many_aclose_stops_the_producer_and_closes_connections(server):
    keys = [server.key() for _ in range(20)]
    urls = [server.url("/echo"), *(server.url(f"/slow?key={k}&delay=20") for k in keys)]
    async with ferrocrawl.ClientSession() as s:
        it = s.iter_many(urls, concurrency=4)
        async for _ in it:
            break
        await it.aclose()
        started = [k for k in keys if server.state.slow[k].started]
        for k in started:
            assert await server.state.wait_closed(k), f"{k} left open after aclose()"
        await asyncio.sleep(0.3)
        assert sum(server.state.hits[k] for k in keys) < len(keys)
        async for _ in it:
            raise AssertionError("a closed iterator yields nothing")
        assert (await s.get(server.url("/echo"))).status == 200


async def test_iter_many_collected_closes_connections(server):
    import gc

    keys = [server.key() for _ in range(6)]
    urls = [server.url("/echo"), *(server.url(f"/slow?key={k}&delay=20") for k in keys)]
    async with ferrocrawl.ClientSession() as s:
        it = s.iter_many(urls, concurrency=3)
        async for _ in it:
            break
        for _ in range(100):
            if any(server.state.slow[k].started for k in keys):
                break
            await asyncio.sleep(0.02)
        started = [k for k in keys if server.state.slow[k].started]
        assert started
        del it
        gc.collect()
        for k in started:
            assert await server.state.wait_closed(k), f"{k} left open after the iterator died"
