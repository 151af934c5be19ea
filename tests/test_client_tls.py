"""TLS: verification on by default, ssl=False / verify_ssl=False, a CA file, clear failures."""

from __future__ import annotations

import ferrocrawl
import pytest


async def test_untrusted_certificate_fails_clearly(tls_server):
    url = tls_server.url("/echo")
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.TLSError) as ei:
            await s.get(url)
    e = ei.value
    assert isinstance(e, ConnectionError) and isinstance(e, ferrocrawl.ClientConnectionError)
    assert e.url == url and url in str(e)
    msg = str(e).lower()
    assert "certificate" in msg or "cert" in msg
    assert "ssl=false" in msg.replace(" ", "").replace("`", "")  # says what to do next
    assert "ca=" not in msg  # names options that exist


@pytest.mark.parametrize("opts", [{"ssl": False}, {"verify_ssl": False}])
async def test_session_disables_verification(tls_server, opts):
    async with ferrocrawl.ClientSession(**opts) as s:
        r = await s.get(tls_server.url("/json"))
        assert r.status == 200 and (await r.json())["name"] == "ferrocrawl"


@pytest.mark.parametrize("opts", [{"ssl": False}, {"verify_ssl": False}])
async def test_request_disables_verification(tls_server, opts):
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(tls_server.url("/echo"), **opts)).status == 200


async def test_ca_file(tls_server):
    async with ferrocrawl.ClientSession(ssl=str(tls_server.ca_file)) as s:
        r = await s.get(tls_server.url("/echo"))
        assert (await r.json())["url"].startswith("https://127.0.0.1:")
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(tls_server.url("/echo"), ssl=str(tls_server.ca_file))).status == 200


async def test_wrong_ca_file_fails(tls_server):
    async with ferrocrawl.ClientSession(ssl=str(tls_server.other_ca_file)) as s:
        with pytest.raises(ferrocrawl.TLSError):
            await s.get(tls_server.url("/echo"))


async def test_missing_ca_file_is_an_error(tls_server, tmp_path):
    missing = str(tmp_path / "nope.pem")
    with pytest.raises((ferrocrawl.FerrocrawlError, OSError)) as ei:
        async with ferrocrawl.ClientSession(ssl=missing) as s:
            await s.get(tls_server.url("/echo"))
    assert "nope.pem" in str(ei.value)


async def test_http2_option_falls_back_to_http1(tls_server):
    async with ferrocrawl.ClientSession(http2=True, ssl=str(tls_server.ca_file)) as s:
        assert (await s.get(tls_server.url("/echo"))).status == 200


async def test_https_redirect_chain(tls_server):
    async with ferrocrawl.ClientSession(ssl=False) as s:
        r = await s.get(tls_server.url("/redirect/2"))
        assert len(r.history) == 2 and r.url == tls_server.url("/redirect/0")
