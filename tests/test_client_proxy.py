"""proxy= (session and per request): HTTP forwarding, CONNECT for https, auth, SOCKS5."""

from __future__ import annotations

import ferrocrawl
import pytest

from tests.servers import closed_port


async def test_session_http_proxy(server, http_proxy):
    url = server.url("/echo?via=proxy")
    n = len(http_proxy.requests)
    async with ferrocrawl.ClientSession(proxy=http_proxy.url) as s:
        r = await s.get(url)
        assert (await r.json())["args"] == {"via": ["proxy"]}
    seen = http_proxy.requests[n:]
    assert [(x["method"], x["target"]) for x in seen] == [("GET", url)]


async def test_request_proxy(server, http_proxy):
    n = len(http_proxy.requests)
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(server.url("/echo"))).status == 200
        assert len(http_proxy.requests) == n  # no proxy unless asked
        r = await s.post(server.url("/echo"), json={"a": 1}, proxy=http_proxy.url)
        assert (await r.json())["json"] == {"a": 1}
    assert http_proxy.requests[n]["method"] == "POST"


async def test_https_through_connect(tls_server, http_proxy):
    n = len(http_proxy.requests)
    async with ferrocrawl.ClientSession(proxy=http_proxy.url, ssl=False) as s:
        r = await s.get(tls_server.url("/echo"))
        assert r.status == 200 and r.url.startswith("https://")
    assert http_proxy.requests[n]["method"] == "CONNECT"
    assert http_proxy.requests[n]["target"] == f"127.0.0.1:{tls_server.port}"


async def test_proxy_credentials_from_url(server, http_proxy_auth):
    p = http_proxy_auth
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(server.url("/echo"), proxy=p.url)).status == 407
        r = await s.get(server.url("/echo"), proxy=p.url_with_auth())
        assert r.status == 200
        # the proxy's credentials go to the proxy only
        assert "proxy-authorization" not in (await r.json())["headers"]
    assert p.requests[-1]["proxy_authorization"].startswith("Basic ")


async def test_socks5_proxy(server, socks_proxy):
    n = len(socks_proxy.connections)
    async with ferrocrawl.ClientSession(proxy=socks_proxy.url) as s:
        r = await s.get(server.url("/echo?via=socks"))
        assert (await r.json())["args"] == {"via": ["socks"]}
    assert socks_proxy.connections[n]["port"] == server.port


async def test_socks5h_proxy(server, socks_proxy):
    n = len(socks_proxy.connections)
    url = socks_proxy.url.replace("socks5://", "socks5h://")
    async with ferrocrawl.ClientSession() as s:
        assert (await s.get(server.url("/echo"), proxy=url)).status == 200
    assert socks_proxy.connections[n]["port"] == server.port


async def test_unreachable_proxy_is_connection_error(server):
    async with ferrocrawl.ClientSession(proxy=f"http://127.0.0.1:{closed_port()}") as s:
        with pytest.raises(ferrocrawl.ClientConnectionError):
            await s.get(server.url("/echo"))
