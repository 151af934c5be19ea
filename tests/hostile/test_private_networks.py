"""`block_private_networks=True`: a URL, a redirect or a DNS answer that leads to a non-public
address is refused before a byte is sent (SSRF). Every server here is loopback, which the
guard refuses; `allowed_networks` lets one address in so that a redirect hop can be tested.
The address table itself is unit-tested in crates/ferrocrawl-core/src/netguard.rs."""

from __future__ import annotations

import ferrocrawl
import pytest

from .scripted import answer, response


def hello(conn):
    return answer(conn, response(body=b"hello"))


async def test_a_loopback_address_and_a_name_resolving_to_it_are_refused(scripted):
    srv = scripted(hello)
    async with ferrocrawl.ClientSession(block_private_networks=True) as s:
        for url in [srv.url("/"), srv.url("/").replace("127.0.0.1", "localhost")]:
            with pytest.raises(ferrocrawl.BlockedAddressError) as ei:
                await s.get(url)
            assert "not a public address" in str(ei.value)
            assert isinstance(ei.value, ferrocrawl.ConnectError)
        with pytest.raises(ferrocrawl.BlockedAddressError):
            await s.download(srv.url("/file"), "/tmp/ferrocrawl-never-written")
    assert srv.connections == 0


async def test_a_redirect_out_of_the_allowed_networks_is_refused(scripted):
    inside = scripted(hello, host="127.0.0.2")
    moved = response("302 Found", [("Location", inside.url("/"))])
    gate = scripted(lambda conn: answer(conn, moved))
    async with ferrocrawl.ClientSession(
        block_private_networks=True, allowed_networks=["127.0.0.1/32"]
    ) as s:
        with pytest.raises(ferrocrawl.BlockedAddressError) as ei:
            await s.get(gate.url("/"))
        assert "127.0.0.2" in str(ei.value)
    assert (gate.connections, inside.connections) == (1, 0)
    # the same redirect is followed without the guard
    async with ferrocrawl.ClientSession() as s:
        assert await (await s.get(gate.url("/"))).read() == b"hello"


async def test_a_guarded_crawl_records_the_refusal_and_fetches_nothing(scripted):
    srv = scripted(hello)
    crawler = ferrocrawl.crawl(srv.url("/"), block_private_networks=True, progress=False)
    pages = [page async for page in crawler]
    assert srv.connections == 0  # not even robots.txt
    assert [p.status for p in pages if p.status] == []
    assert crawler.stats["errors"] == {"blocked": 1}


async def test_bad_guard_options_are_refused():
    with pytest.raises(ValueError, match="goes with block_private_networks"):
        ferrocrawl.ClientSession(allowed_networks=["10.0.0.0/8"])
    with pytest.raises(ValueError, match="not an IP network"):
        ferrocrawl.ClientSession(block_private_networks=True, allowed_networks=["10.0.0.0/33"])
    # a proxy resolves names itself, so the guard could not see the addresses
    with pytest.raises(ferrocrawl.InvalidArgument, match="proxy"):
        ferrocrawl.ClientSession(block_private_networks=True, proxy="http://127.0.0.1:3128")
