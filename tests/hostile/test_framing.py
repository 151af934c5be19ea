"""Response heads and framing no honest server sends: header floods, a bad chunk size,
conflicting lengths, NUL in a header name. Each is a ProtocolError (a ConnectionError) at
once, and the connection is not used again."""

from __future__ import annotations

import gzip
import time

import ferrocrawl
import pytest

from .scripted import Conn, answer, response

HEADER_FLOODS = {
    "10000-headers": response(headers=[(f"X-H{i}", "v") for i in range(10_000)], body=b"ok"),
    "2MiB-header": response(headers=[("X-Big", "a" * (2 * 1024 * 1024))], body=b"ok"),
}
BAD_FRAMING = {
    "bad-chunk-size": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n"
    ),
    "chunk-size-overflow": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"fffffffffffffffffffff\r\nabc\r\n0\r\n\r\n"
    ),
    "conflicting-content-length": (
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokabc"
    ),
    "content-length-list": b"HTTP/1.1 200 OK\r\nContent-Length: 2, 5\r\n\r\nokabc",
    "nul-in-header-name": b"HTTP/1.1 200 OK\r\nX-A\x00b: 1\r\nContent-Length: 2\r\n\r\nok",
}

_GZIPPED = gzip.compress(b"hello world " * 1000)
TRUNCATED = {  # each followed by the server closing the connection
    "chunked-cut-mid-chunk": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n5\r\nwor"
    ),
    "chunked-without-last-chunk": (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
    ),
    # the framing is complete, the gzip stream inside it is not
    "gzip-stream-cut": response(
        headers=[("Content-Encoding", "gzip")], body=_GZIPPED[: len(_GZIPPED) // 2]
    ),
    "gzip-without-trailer": response(headers=[("Content-Encoding", "gzip")], body=_GZIPPED[:-8]),
}


def keep_open(first: bytes):
    """Answers the first request with `first`, then (on any connection) "good", keeping each
    connection open for more requests: only the client decides whether to reuse one."""

    async def script(conn: Conn) -> None:
        while (head := await conn.read_head()) is not None:
            bad = head.startswith(b"GET /bad ")
            conn.write(first if bad else response(body=b"good"))
            await conn.drain()

    return script


async def assert_protocol_error(url: str) -> ferrocrawl.ProtocolError:
    async with ferrocrawl.ClientSession() as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.ProtocolError) as ei:
            await s.get(url)
        assert time.monotonic() - t0 < 2
    assert isinstance(ei.value, ConnectionError) and ei.value.url == url
    return ei.value


@pytest.mark.parametrize("case", sorted(HEADER_FLOODS))
async def test_header_flood_is_refused_fast(scripted, case):
    srv = scripted(lambda conn: answer(conn, HEADER_FLOODS[case]))
    e = await assert_protocol_error(srv.url("/"))
    assert "too large" in str(e) and "max_headers=" in str(e)  # names the limits


async def test_max_headers_sets_the_header_line_limit(scripted):
    head = response(headers=[(f"X-H{i}", "v") for i in range(150)], body=b"ok")
    srv = scripted(lambda conn: answer(conn, head))
    e = await assert_protocol_error(srv.url("/"))
    assert "max_headers=" in str(e)
    async with ferrocrawl.ClientSession(max_headers=200) as s:
        assert await (await s.get(srv.url("/"))).read() == b"ok"
    with pytest.raises(ValueError, match="max_headers"):
        ferrocrawl.ClientSession(max_headers=0)


async def test_endless_header_lines_are_refused_fast(scripted):
    cap = 1_000_000  # 37 MB of header lines if the client never stopped reading
    sent_lines: list[int] = []

    async def script(conn: Conn) -> None:
        if await conn.read_head() is None:
            return
        conn.write(b"HTTP/1.1 200 OK\r\n")
        n = 0
        try:
            while n < cap:
                conn.write(b"X-Endless: vvvvvvvvvvvvvvvvvvvvvvvv\r\n")
                n += 1
                if n % 256 == 0:
                    await conn.drain()
        finally:
            sent_lines.append(n)

    srv = scripted(script)
    e = await assert_protocol_error(srv.url("/"))
    assert "too large" in str(e)
    assert await srv.wait(lambda: bool(sent_lines)), "the flooding connection stayed open"
    assert sent_lines[0] < cap


@pytest.mark.parametrize("case", sorted(BAD_FRAMING))
async def test_bad_framing_is_an_error_and_the_connection_is_not_reused(scripted, case):
    srv = scripted(keep_open(BAD_FRAMING[case]))
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ProtocolError) as ei:
            await s.get(srv.url("/bad"))
        assert isinstance(ei.value, ConnectionError)
        r = await s.get(srv.url("/good"))
        assert await r.read() == b"good"
    # the next request went out on a new connection, and the bad one was closed
    assert [(index, head.split(b" ")[1]) for index, head in srv.requests] == [
        (1, b"/bad"),
        (2, b"/good"),
    ]
    assert await srv.wait(lambda: 1 in srv.ended), "the broken connection stayed open"


@pytest.mark.parametrize("case", sorted(TRUNCATED))
async def test_a_truncated_body_raises_instead_of_returning_short_data(scripted, case):
    """Beyond tests/test_client_errors.py (Content-Length cut short, reset mid-body)."""
    srv = scripted(lambda conn: answer(conn, TRUNCATED[case]))
    url = srv.url("/")
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ClientConnectionError) as ei:
            await s.get(url)
    assert ei.value.url == url
