"""URL and header edge cases: an IDNA host goes out as punycode; CR/LF (or NUL) in a header
name, a header value or a cookie is refused before anything is sent; CR/LF in query
parameters is percent-encoded; a control character anywhere in the URL, or a host DNS could not
carry (a label over 63 octets, a name over 253), is InvalidURL before any traffic."""

from __future__ import annotations

import ferrocrawl
import pytest

from .scripted import answer, response


async def test_idna_host_goes_out_as_punycode(http_proxy):
    """Through the test proxy, which records the request line and refuses (403) any host but
    loopback: no DNS lookup, nothing leaves the machine."""
    n = len(http_proxy.requests)
    async with ferrocrawl.ClientSession(proxy=http_proxy.url) as s:
        r = await s.get("http://bücher.example/straße?q=ü")
    assert r.status == 403  # the proxy's refusal: the request reached it and went no further
    assert r.url == "http://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"
    [seen] = http_proxy.requests[n:]
    assert seen["target"] == "http://xn--bcher-kva.example/stra%C3%9Fe?q=%C3%BC"


INJECTIONS = [
    {"headers": {"X-A": "a\r\nX-Injected: 1"}},
    {"headers": {"X-A": "a\nX-Injected: 1"}},
    {"headers": {"X-A": "a\x00b"}},
    {"headers": {"X-A\r\nX-Injected": "1"}},
    {"cookies": {"a": "b\r\nX-Injected: 1"}},
    {"cookies": {"a\r\nX-Injected": "1"}},
]


@pytest.mark.parametrize("opts", INJECTIONS, ids=lambda o: repr(o)[:40])
async def test_crlf_in_request_headers_is_refused_before_sending(scripted, opts):
    srv = scripted(lambda conn: answer(conn, response(body=b"ok")))
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.InvalidArgument) as ei:
            await s.get(srv.url("/"), **opts)
    assert isinstance(ei.value, ValueError)
    with pytest.raises(ferrocrawl.InvalidArgument):  # session-wide: headers are refused
        async with ferrocrawl.ClientSession(**opts) as s:  # at once, cookies at the request
            await s.get(srv.url("/"))
    with pytest.raises(ferrocrawl.InvalidArgument):
        ferrocrawl.ClientSession(user_agent="ua\r\nX-Injected: 1")
    assert srv.connections == 0


async def test_crlf_in_params_is_percent_encoded(scripted):
    srv = scripted(lambda conn: answer(conn, response(body=b"ok")))
    async with ferrocrawl.ClientSession() as s:
        await s.get(srv.url("/p"), params={"q": "a\r\nX-Injected: 1"})
    [(_, head)] = srv.requests
    assert head.startswith(b"GET /p?q=a%0D%0AX-Injected%3A+1 HTTP/1.1\r\n")
    assert b"\r\nX-Injected" not in head


@pytest.mark.parametrize(
    "path",
    ["/a\r\nX-Injected: 1", "/a\nb", "/a\tb", "/?q=a\r\nX-Injected: 1"],
    ids=["crlf-header", "lf", "tab", "crlf-in-query"],
)
async def test_control_characters_in_a_url_are_refused(scripted, path):
    """CR, LF or TAB inside the URL string: the WHATWG parser would drop them silently and fetch
    another URL (`/a\r\nX-Injected: 1` as `/aX-Injected:%201`); refused as Python's
    http.client does ("URL can't contain control characters")."""
    srv = scripted(lambda conn: answer(conn, response(body=b"ok")))
    async with ferrocrawl.ClientSession() as s:
        with pytest.raises(ferrocrawl.InvalidURL):
            await s.get(srv.url(path))
    assert srv.connections == 0


async def test_control_characters_in_a_host_are_refused(http_proxy):
    """`http://ex\r\nample.com/` would be fetched as http://example.com/: refused before any
    traffic (the test proxy, which refuses non-loopback hosts, sees nothing)."""
    n = len(http_proxy.requests)
    async with ferrocrawl.ClientSession(proxy=http_proxy.url) as s:
        with pytest.raises(ferrocrawl.InvalidURL):
            await s.get("http://ex\r\nample.com/")
    assert http_proxy.requests[n:] == []


@pytest.mark.parametrize(
    "host",
    ["a" * 300 + ".example", ("a" * 60 + ".") * 5 + "example"],
    ids=["300-char-label", "300-char-name"],
)
async def test_an_overlong_host_is_refused(http_proxy, host):
    """A 300-character label (DNS allows 63) or a 300-character name (DNS allows 253):
    InvalidURL before any traffic, as Python's idna codec ("label too long")."""
    n = len(http_proxy.requests)
    async with ferrocrawl.ClientSession(proxy=http_proxy.url) as s:
        with pytest.raises(ferrocrawl.InvalidURL):
            await s.get(f"http://{host}/")
    assert http_proxy.requests[n:] == []
