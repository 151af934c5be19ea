"""Bodies meant to exhaust memory: a declared Content-Length over the limit, an endless chunked
body, and brotli / zstd / deflate / gzip bombs, with the resident set measured around them."""

from __future__ import annotations

import functools
import gzip
import time
import zlib

import ferrocrawl
import pytest
from ferrocrawl import ClientTimeout

from tests.servers.codecs_available import ENCODERS

from .memory import PeakRss
from .scripted import Conn, answer, response

MiB = 1024 * 1024
BOMB_DECODED = 64 * MiB  # 32 times the limit used below
LIMIT = 2 * MiB


async def test_declared_content_length_over_the_limit_is_refused_before_reading(scripted):
    """The server sends only the head (10 GB announced) and waits: a client that tried to read
    the body would sit until its deadline; it must refuse at once and hang up."""
    seen: dict[str, object] = {}

    async def script(conn: Conn) -> None:
        if await conn.read_head() is None:
            return
        conn.write(b"HTTP/1.1 200 OK\r\nContent-Length: 10000000000\r\n\r\n")
        await conn.drain()
        seen["sent"] = conn.sent
        seen["hung_up"] = await conn.wait_eof(10)

    srv = scripted(script)
    url = srv.url("/big")
    async with ferrocrawl.ClientSession(timeout=ClientTimeout(total=10)) as s:  # default limit
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.BodyTooLarge) as ei:
            await s.get(url)
        assert time.monotonic() - t0 < 2
    assert ei.value.url == url and "max_body_size" in str(ei.value)
    assert await srv.wait(lambda: "hung_up" in seen)
    assert seen["hung_up"] is True, "the client kept the connection after refusing the body"


async def test_an_endless_chunked_body_stops_at_max_body_size(scripted):
    cap = 4096  # 64 KiB chunks: 256 MiB if the client never stopped
    sent_chunks: list[int] = []

    async def script(conn: Conn) -> None:
        if await conn.read_head() is None:
            return
        conn.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n" % 65536 + b"z" * 65536 + b"\r\n"
        n = 0
        try:
            while n < cap:
                conn.write(chunk)
                await conn.drain()
                n += 1
        finally:
            sent_chunks.append(n)

    srv = scripted(script)
    async with ferrocrawl.ClientSession(
        timeout=ClientTimeout(total=20), max_body_size=1 * MiB
    ) as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.BodyTooLarge):
            await s.get(srv.url("/endless"))
        assert time.monotonic() - t0 < 5
    assert await srv.wait(lambda: bool(sent_chunks)), "the endless connection stayed open"
    assert sent_chunks[0] < cap


@functools.cache
def bomb(codec: str) -> bytes:
    """BOMB_DECODED zero bytes compressed with `codec` (made once per session)."""
    zeros = bytes(BOMB_DECODED)
    if codec == "gzip":
        co = zlib.compressobj(9, zlib.DEFLATED, 31)
        return co.compress(zeros) + co.flush()
    if codec == "deflate":  # HTTP's deflate is the zlib format
        co = zlib.compressobj(9, zlib.DEFLATED, 15)
        return co.compress(zeros) + co.flush()
    if codec == "br":
        import brotli  # type: ignore[import-not-found, unused-ignore]

        return brotli.compress(zeros, quality=5)  # type: ignore[no-any-return, unused-ignore]
    return ENCODERS[codec](zeros)


@pytest.mark.parametrize(
    "codec",
    [
        "gzip",
        "deflate",
        pytest.param("br", marks=pytest.mark.skipif("br" not in ENCODERS, reason="no brotli")),
        pytest.param("zstd", marks=pytest.mark.skipif("zstd" not in ENCODERS, reason="no zstd")),
    ],
)
async def test_compression_bomb_stops_at_max_body_size_with_bounded_memory(scripted, codec):
    data = bomb(codec)
    assert len(data) < BOMB_DECODED // 100  # it is a bomb: over 100:1

    async def script(conn: Conn) -> None:
        await answer(conn, response(headers=[("Content-Encoding", codec)], body=data))

    srv = scripted(script)
    url = srv.url(f"/{codec}")
    async with ferrocrawl.ClientSession(max_body_size=LIMIT) as s:
        with pytest.raises(ferrocrawl.BodyTooLarge):  # warm-up: runtime, pools, decoders
            await s.get(url)
        with PeakRss() as mem:
            t0 = time.monotonic()
            with pytest.raises(ferrocrawl.BodyTooLarge) as ei:
                await s.get(url)
            took = time.monotonic() - t0
    assert ei.value.url == url
    assert took < 5
    grew, kept = (mem.peak - mem.before) / MiB, (mem.after - mem.before) / MiB
    print(f"{codec}: {took:.3f}s, RSS peak +{grew:.1f} MiB, after +{kept:.1f} MiB")
    assert grew < 16, f"RSS grew by {grew:.1f} MiB decoding a {codec} bomb"
    assert kept < 16


def stacked(times: int, data: bytes) -> bytes:
    for _ in range(times):
        data = gzip.compress(data)
    return data


async def test_six_stacked_gzip_codings_are_refused(scripted):
    """`Content-Encoding: gzip, gzip, gzip, gzip, gzip, gzip`: past the cap of 5 stacked
    codings (curl's since CVE-2022-32206), a ProtocolError naming them."""
    body = stacked(6, b"hello")
    coding = ", ".join(["gzip"] * 6)
    srv = scripted(
        lambda conn: answer(conn, response(headers=[("Content-Encoding", coding)], body=body))
    )
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.FerrocrawlError) as ei:
            await s.get(srv.url("/"))
    assert "cod" in str(ei.value).lower()  # names the content codings


async def test_two_stacked_gzip_codings_are_decoded(scripted):
    """`Content-Encoding: gzip, gzip` in one line, and the same as two header lines: both
    decoded to b"hello" (RFC 9110 §8.4: codings listed in the order applied). reqwest's own
    decoder passed the first through undecoded and decoded the second only once."""
    body = stacked(2, b"hello")
    forms = [[("Content-Encoding", "gzip, gzip")], [("Content-Encoding", "gzip")] * 2]
    for headers in forms:
        srv = scripted(lambda conn, h=headers: answer(conn, response(headers=h, body=body)))
        async with ferrocrawl.ClientSession() as s:
            assert await (await s.get(srv.url("/"))).read() == b"hello", headers
