"""URL and header edge cases: an IDNA host goes out as punycode; CR/LF (or NUL) in a header
name, a header value or a cookie is refused before anything is sent; CR/LF in query
parameters is percent-encoded. (CR/LF inside the URL itself: pending_cases.py.)"""

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
