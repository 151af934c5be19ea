"""Deadlines against servers that stall: a TLS server that never answers the handshake, header
lines dripped slower than any per-read deadline notices (slowloris), a refused port."""

from __future__ import annotations

import asyncio
import time

import ferrocrawl
import pytest
from ferrocrawl import ClientTimeout

from tests.servers import closed_port

from .scripted import Conn


async def silent(conn: Conn) -> None:
    """Accepts, reads nothing, says nothing: a TLS client waits for a ServerHello forever."""
    await conn.wait_eof(15)


async def test_connect_timeout_on_a_silent_tls_server(scripted):
    srv = scripted(silent)
    url = srv.url("/").replace("http://", "https://")
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=30, connect=0.5)) as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.RequestTimeout) as ei:
            await s.get(url)
        took = time.monotonic() - t0
    assert 0.4 <= took < 3, took  # the connect deadline, not the 30 s total
    assert isinstance(ei.value, TimeoutError) and ei.value.url == url
    assert "connect" in str(ei.value)
    # the handshake is part of connecting: the client gave up and closed the socket
    assert await srv.wait(lambda: 1 in srv.ended)


async def test_total_deadline_on_a_silent_tls_server_without_connect(scripted):
    srv = scripted(silent)
    url = srv.url("/").replace("http://", "https://")
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=0.7)) as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.RequestTimeout):
            await s.get(url)
        assert time.monotonic() - t0 < 3
    assert await srv.wait(lambda: 1 in srv.ended)


def slowloris(interval: float, lines: int = 400):
    """A status line, then one header line every `interval` seconds: each read gets a byte
    well within any per-read deadline, and the head never ends."""

    async def script(conn: Conn) -> None:
        if await conn.read_head() is None:
            return
        conn.write(b"HTTP/1.1 200 OK\r\n")
        for i in range(lines):
            await conn.drain()
            await asyncio.sleep(interval)
            conn.write(b"X-Drip-%d: v\r\n" % i)

    return script


async def test_slowloris_headers_hit_the_total_deadline(scripted):
    srv = scripted(slowloris(0.05))  # 20 header lines a second, never the blank line
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=1.0)) as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.RequestTimeout) as ei:
            await s.get(srv.url("/"))
        took = time.monotonic() - t0
    assert 0.9 <= took < 4, took
    assert "total" in str(ei.value)
    assert await srv.wait(lambda: 1 in srv.ended), "the dripping connection was kept open"


async def test_slowloris_headers_hit_sock_read(scripted):
    """A line every 50 ms never leaves 0.5 s between two reads, yet sock_read fires: reqwest's
    read timeout bounds the wait for the whole response head (it is reset per chunk only
    for the body), so a dripped head cannot outlive `sock_read`."""
    srv = scripted(slowloris(0.05))
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=20, sock_read=0.5)) as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.RequestTimeout) as ei:
            await s.get(srv.url("/"))
        assert time.monotonic() - t0 < 3
    assert "read" in str(ei.value)
    assert await srv.wait(lambda: 1 in srv.ended)


async def test_refused_port_fails_fast():
    url = f"http://127.0.0.1:{closed_port()}/"
    async with ferrocrawl.ClientSession() as s:  # default deadlines: total=300 s
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.ConnectError):
            await s.get(url)
        assert time.monotonic() - t0 < 2
