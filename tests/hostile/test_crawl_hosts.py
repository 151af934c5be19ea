"""A crawl over several hosts with per_host=2: each server counts the requests it has in flight
and none ever sees more than 2, while the crawl as a whole runs them side by side.
(One host: tests/test_crawl.py::test_per_host_is_never_exceeded.)"""

from __future__ import annotations

import asyncio

import ferrocrawl

from .scripted import Conn, response

PAGES_PER_HOST = 8


class InFlight:
    """A server script that answers every request on a connection after 0.1 s, counting the
    requests it holds at once (all connections together)."""

    def __init__(self) -> None:
        self.now = 0
        self.max = 0
        self.served = 0

    async def __call__(self, conn: Conn) -> None:
        while (head := await conn.read_head()) is not None:
            self.now += 1
            self.max = max(self.max, self.now)
            try:
                await asyncio.sleep(0.1)
                path = head.split(b" ")[1]
                conn.write(response(headers=[("Content-Type", "text/html")], body=b"<p>" + path))
                await conn.drain()
                self.served += 1
            finally:
                self.now -= 1


async def test_per_host_holds_on_every_host_of_a_crawl(scripted):
    counters = [InFlight() for _ in range(3)]
    # two ports on 127.0.0.1 (per_host counts host:port) and another address
    servers = [
        scripted(counters[0]),
        scripted(counters[1]),
        scripted(counters[2], host="127.0.0.2"),
    ]
    start = [srv.url(f"/page/{i}") for srv in servers for i in range(PAGES_PER_HOST)]
    pages = [
        page
        async for page in ferrocrawl.crawl(
            start, per_host=2, concurrency=16, robots=False, follow=False, retries=0
        )
    ]
    assert sorted(p.url for p in pages) == sorted(start)
    assert all(p.status == 200 and p.error is None for p in pages)
    assert [c.served for c in counters] == [PAGES_PER_HOST] * 3
    assert all(1 <= c.max <= 2 for c in counters), [c.max for c in counters]
