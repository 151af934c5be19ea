"""Content-Encoding is decoded in Rust; max_body_size counts the decoded body (gzip bomb)."""

from __future__ import annotations

import time

import ferrocrawl
import pytest

from tests.servers.codecs_available import ENCODERS
from tests.servers.routes_content import ENCODED_TEXT

MiB = 1024 * 1024


@pytest.mark.parametrize("codec", sorted(ENCODERS))
async def test_encoded_body_is_decoded(server, codec):
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(server.url(f"/encoded/{codec}"))
        assert await r.read() == ENCODED_TEXT
        assert await r.text() == ENCODED_TEXT.decode()


async def test_accept_encoding_offers_all_codecs(server):
    async with ferrocrawl.ClientSession() as s:
        h = (await (await s.get(server.url("/echo"))).json())["headers"]
        offered = {c.strip().split(";")[0] for c in h["accept-encoding"].split(",")}
        assert {"gzip", "deflate", "br", "zstd"} <= offered


async def test_gzip_bomb_hits_max_body_size(server):
    url = server.url("/bomb")
    async with ferrocrawl.ClientSession(max_body_size=10 * MiB) as s:
        t0 = time.monotonic()
        with pytest.raises(ferrocrawl.BodyTooLarge) as ei:
            await s.get(url)
        assert time.monotonic() - t0 < 10
    assert ei.value.url == url and url in str(ei.value)


async def test_gzip_bomb_hits_default_limit(server):
    """200 MB decoded is over the default 100 MiB, though only ~200 KB came over the wire."""
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.BodyTooLarge):
            await s.get(server.url("/bomb"))


async def test_limit_counts_decoded_bytes(server):
    # ~36 KB decoded from a few hundred bytes of gzip
    async with ferrocrawl.ClientSession(max_body_size=10_000) as s:
        with pytest.raises(ferrocrawl.BodyTooLarge):
            await s.get(server.url("/encoded/gzip"))
    async with ferrocrawl.ClientSession(max_body_size=len(ENCODED_TEXT)) as s:
        assert await (await s.get(server.url("/encoded/gzip"))).read() == ENCODED_TEXT


@pytest.mark.parametrize("chunked", [False, True])
async def test_plain_body_over_limit(server, chunked):
    url = server.url(f"/big?size={2 * MiB}" + ("&chunked=1" if chunked else ""))
    async with ferrocrawl.ClientSession(max_body_size=1 * MiB) as s:
        with pytest.raises(ferrocrawl.BodyTooLarge):
            await s.get(url)
    async with ferrocrawl.ClientSession(max_body_size=3 * MiB) as s:
        assert len(await (await s.get(url)).read()) == 2 * MiB
