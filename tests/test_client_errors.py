"""The exception tree, builtin bases, and messages that name the URL."""

from __future__ import annotations

import asyncio

import ferrocrawl
import pytest

from tests.servers import closed_port

F = ferrocrawl

HIERARCHY = [
    ("InvalidURL", ("FerrocrawlError", ValueError)),
    ("RequestTimeout", ("FerrocrawlError", TimeoutError, asyncio.TimeoutError)),
    ("ClientConnectionError", ("FerrocrawlError", ConnectionError)),
    ("ConnectError", ("ClientConnectionError", ConnectionError)),
    ("TLSError", ("ClientConnectionError", ConnectionError)),
    ("ProtocolError", ("ClientConnectionError", ConnectionError)),
    ("RedirectError", ("FerrocrawlError",)),
    ("TooManyRedirects", ("RedirectError",)),
    ("BodyTooLarge", ("FerrocrawlError",)),
    ("HTTPStatusError", ("FerrocrawlError",)),
    ("UnsafePathError", ("FerrocrawlError", ValueError)),
    ("InternalError", ("FerrocrawlError",)),
    ("SelectorError", ("FerrocrawlError", ValueError)),
]


@pytest.mark.parametrize(("name", "bases"), HIERARCHY, ids=[h[0] for h in HIERARCHY])
def test_hierarchy(name, bases):
    cls = getattr(ferrocrawl, name)
    assert issubclass(cls, ferrocrawl.FerrocrawlError)
    for b in bases:
        base = getattr(ferrocrawl, b) if isinstance(b, str) else b
        assert issubclass(cls, base), f"{name} should subclass {base}"


def test_root_and_alias():
    assert ferrocrawl.ClientError is ferrocrawl.FerrocrawlError
    assert issubclass(ferrocrawl.FerrocrawlError, Exception)
    assert not issubclass(ferrocrawl.HTTPStatusError, ConnectionError)
    assert not issubclass(ferrocrawl.RequestTimeout, ConnectionError)


def test_url_attribute_defaults_to_none():
    assert ferrocrawl.FerrocrawlError("boom").url is None


async def test_connection_refused_names_url():
    url = f"http://127.0.0.1:{closed_port()}/x"
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ConnectError) as ei:
            await s.get(url)
    e = ei.value
    assert isinstance(e, ConnectionError) and isinstance(e, ferrocrawl.ClientConnectionError)
    assert e.url == url and url in str(e)


@pytest.mark.parametrize(
    "url", ["not a url", "http://", "http://[::1", "ftp://127.0.0.1/file", "/relative/only"]
)
async def test_invalid_url(url):
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.InvalidURL) as ei:
            await s.get(url)
    assert isinstance(ei.value, ValueError)
    assert url in str(ei.value)


@pytest.mark.parametrize("path", ["/malformed", "/garbage"])
async def test_malformed_response_is_protocol_error(raw_server, path):
    url = raw_server.url(path)
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ProtocolError) as ei:
            await s.get(url)
    assert isinstance(ei.value, ConnectionError) and url in str(ei.value)


@pytest.mark.parametrize("path", ["/reset?sent=100&length=1000", "/headers-then-close"])
async def test_body_cut_short_is_connection_error(raw_server, path):
    url = raw_server.url(path)
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ClientConnectionError) as ei:
            await s.get(url)
    assert ei.value.url == url and url in str(ei.value)


async def test_exact_bytes_response(raw_server):
    url = raw_server.register(
        "teapot", b"HTTP/1.1 418 I'm a teapot\r\nX-A: 1\r\nContent-Length: 4\r\n\r\ntea!"
    )
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(url)
        assert (r.status, r.reason, r.headers["x-a"]) == (418, "I'm a teapot", "1")
        assert await r.read() == b"tea!"


async def test_raise_for_status_method(server):
    url = server.url("/status/503")
    async with ferrocrawl.ClientSession() as s:
        r = await s.get(url)
        assert r.status == 503  # no raise by default
        with pytest.raises(ferrocrawl.HTTPStatusError) as ei:
            r.raise_for_status()
        assert ei.value.status == 503 and ei.value.url == url
        assert "503" in str(ei.value) and url in str(ei.value)
        ok = await s.get(server.url("/status/204"))
        assert ok.raise_for_status() is None


async def test_raise_for_status_option(server):
    url = server.url("/status/404")
    async with ferrocrawl.ClientSession(raise_for_status=True) as s:
        with pytest.raises(ferrocrawl.HTTPStatusError) as ei:
            await s.get(url)
        assert ei.value.status == 404
        assert (await s.get(url, raise_for_status=False)).status == 404
        assert (await s.get(server.url("/status/200"))).status == 200
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.HTTPStatusError):
            await s.get(url, raise_for_status=True)


async def test_error_inside_async_with(server):
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ConnectError):
            async with s.get(f"http://127.0.0.1:{closed_port()}/"):
                pytest.fail("body of async with must not run")
        async with s.get(server.url("/echo")) as r:
            assert r.status == 200


async def test_credentials_never_appear_in_errors():
    url = f"http://user:secret@127.0.0.1:{closed_port()}/x"
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ConnectError) as ei:
            await s.get(url)
    e = ei.value
    assert "secret" not in str(e) and "secret" not in e.url, (str(e), e.url)
    assert e.url == url.replace("user:secret@", "")
    with pytest.raises(ferrocrawl.FerrocrawlError) as ei:
        ferrocrawl.ClientSession(proxy="http://puser:psecret@[::1")
    assert "psecret" not in str(ei.value)


async def test_refused_connection_is_not_a_tls_error():
    """The URL's text (here /tls/handshake) must not decide the class: the error's type does."""
    url = f"http://127.0.0.1:{closed_port()}/tls/handshake/certificate"
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.ConnectError) as ei:
            await s.get(url)
    assert not isinstance(ei.value, ferrocrawl.TLSError)
