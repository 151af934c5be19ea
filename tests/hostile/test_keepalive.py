"""Kept-alive connections the server drops: closed while idle (the next request opens a new
one), or closed as a request arrives on it (a GET is sent once more on a new connection, a
POST is never sent a second time)."""

from __future__ import annotations

import asyncio

import ferrocrawl
import pytest

from .scripted import Conn, response


def request_lines(srv) -> list[tuple[int, bytes]]:
    return [(index, head.split(b"\r\n", 1)[0]) for index, head in srv.requests]


async def test_a_connection_closed_while_idle_is_not_used_again(scripted):
    async def script(conn: Conn) -> None:
        head = await conn.read_head()
        if head is None:
            return
        conn.write(response(body=b"ok%d" % conn.index))  # keep-alive: HTTP/1.1's default
        await conn.drain()
        await asyncio.sleep(0.1)  # then an idle timeout, as nginx's keepalive_timeout

    srv = scripted(script)
    async with ferrocrawl.ClientSession() as s:
        assert await (await s.get(srv.url("/a"))).read() == b"ok1"
        assert await srv.wait(lambda: 1 in srv.ended)
        await asyncio.sleep(0.3)  # the FIN has long reached the client's pool
        assert await (await s.get(srv.url("/b"))).read() == b"ok2"
    assert request_lines(srv) == [(1, b"GET /a HTTP/1.1"), (2, b"GET /b HTTP/1.1")]


def closes_on_the_second_request(conn_body: bytes = b"ok"):
    """Answers the first request on a connection and keeps it open; a second request on the
    same connection is read, then the connection is closed without an answer (the server's
    idle timeout firing as the request arrived)."""

    async def script(conn: Conn) -> None:
        served = 0
        while (head := await conn.read_head()) is not None:
            await conn.read_body(head)
            if served == 1:
                return
            conn.write(response(body=conn_body))
            await conn.drain()
            served += 1

    return script


@pytest.mark.parametrize("retries", [0, 2])
async def test_a_post_on_a_stale_connection_is_not_sent_again(scripted, retries):
    srv = scripted(closes_on_the_second_request())
    async with ferrocrawl.ClientSession(retries=retries, retry_backoff=0.01) as s:
        assert (await s.get(srv.url("/first"))).status == 200
        await asyncio.sleep(0.2)  # the connection is back in the pool: the POST reuses it
        with pytest.raises(ferrocrawl.ClientConnectionError):
            await s.post(srv.url("/order"), data=b"qty=1")
        await asyncio.sleep(0.3)  # room for a (wrong) second attempt to arrive
    posts = [line for _, line in request_lines(srv) if line.startswith(b"POST")]
    assert posts == [b"POST /order HTTP/1.1"], request_lines(srv)
    assert request_lines(srv)[:2] == [(1, b"GET /first HTTP/1.1"), (1, b"POST /order HTTP/1.1")]


async def test_a_get_on_a_stale_connection_is_retried_once(scripted):
    """The stale keep-alive race made deterministic: with retries=0 (the default) the GET is
    sent once more on a new connection, as aiohttp and urllib3 do, and only once."""
    srv = scripted(closes_on_the_second_request())
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(srv.url("/first"))).status == 200
        await asyncio.sleep(0.2)  # the connection is back in the pool: the next GET reuses it
        assert (await s.get(srv.url("/again"))).status == 200
    assert request_lines(srv) == [
        (1, b"GET /first HTTP/1.1"),
        (1, b"GET /again HTTP/1.1"),
        (2, b"GET /again HTTP/1.1"),
    ]
