"""The session's cookie jar: public-suffix and foreign-domain cookies refused, Secure cookies
never sent over http, and aiohttp's `session.cookie_jar` surface (iterate, len, clear,
filter_cookies). Named hosts (shop.example.com, ...) reach the loopback app through a proxy
that sends every request there."""

from __future__ import annotations

from collections.abc import Iterator
from http.cookies import Morsel, SimpleCookie
from urllib.parse import quote

import ferrocrawl
import pytest

from tests.servers import HttpProxy


@pytest.fixture(scope="module")
def named(server) -> Iterator[HttpProxy]:
    proxy = HttpProxy(upstream=("127.0.0.1", server.port))
    yield proxy
    proxy.close()


def set_raw(*cookies: str) -> str:
    return "/cookies/set-raw?" + "&".join("c=" + quote(c) for c in cookies)


async def sent(session, url: str) -> dict[str, str]:
    return (await (await session.get(url)).json())["cookies"]


async def test_public_suffix_cookies_are_refused(named):
    async with ferrocrawl.ClientSession(proxy=named.url) as s:
        await s.get("http://shop.example.com" + set_raw("tld=1; Domain=com", "dot=1; Domain=.com"))
        await s.get("http://shop.example.co.uk" + set_raw("cc=1; Domain=co.uk"))
        await s.get("http://evil.github.io" + set_raw("gh=1; Domain=github.io"))
        await s.get("http://shop.example.com" + set_raw("site=1; Domain=example.com", "host=1"))
        assert await sent(s, "http://other.com/cookies") == {}
        assert await sent(s, "http://other.co.uk/cookies") == {}
        assert await sent(s, "http://victim.github.io/cookies") == {}
        # Cookies for the site itself work as before.
        assert await sent(s, "http://www.example.com/cookies") == {"site": "1"}
        assert await sent(s, "http://shop.example.com/cookies") == {"site": "1", "host": "1"}
        assert len(s.cookie_jar) == 2


async def test_foreign_domain_cookies_are_refused(named):
    async with ferrocrawl.ClientSession(proxy=named.url) as s:
        await s.get(
            "http://a.example.com"
            + set_raw("x=1; Domain=example.org", "y=1; Domain=b.example.com", "z=1; Domain=com.")
        )
        assert len(s.cookie_jar) == 0
        assert await sent(s, "http://example.org/cookies") == {}
        assert await sent(s, "http://b.example.com/cookies") == {}


async def test_secure_cookies_never_go_over_http(server, tls_server):
    async with ferrocrawl.ClientSession(ssl=str(tls_server.ca_file)) as s:
        await s.get(tls_server.url(set_raw("s=1; Secure", "p=1; Path=/")))
        await s.get(server.url(set_raw("s2=1; Secure")))
        assert await sent(s, tls_server.url("/cookies")) == {"s": "1", "p": "1", "s2": "1"}
        # Same host, plain http: cookies are not per port, but Secure ones stay on https.
        assert await sent(s, server.url("/cookies")) == {"p": "1"}
        assert dict(s.cookies_for(server.url("/"))) == {"p": "1"}


async def test_cookie_jar_is_aiohttp_shaped(server, named):
    async with ferrocrawl.ClientSession(proxy=named.url) as s:
        await s.get(
            "http://www.example.com"
            + set_raw(
                "a=1; Domain=example.com; Path=/; Secure; HttpOnly; Max-Age=3600",
                "b=2; Path=/",
                "c=3; Path=/deep",
            )
        )
        await s.get("http://other.test" + set_raw("d=4"))
        jar = s.cookie_jar
        assert len(jar) == 4
        morsels = {m.key: m for m in jar}
        assert all(isinstance(m, Morsel) for m in morsels.values())
        a = morsels["a"]
        assert (a.value, a["domain"], a["path"], a["secure"], a["httponly"]) == (
            "1",
            "example.com",
            "/",
            True,
            True,
        )
        assert a["expires"].endswith("GMT")
        assert morsels["b"]["domain"] == "www.example.com"  # host-only: the host that set it
        assert morsels["c"]["path"] == "/deep"

        filtered = jar.filter_cookies("http://www.example.com/")
        assert isinstance(filtered, SimpleCookie)
        assert {k: m.value for k, m in filtered.items()} == {"b": "2"}  # a is Secure
        filtered = jar.filter_cookies("https://www.example.com/deep/x")
        assert sorted(filtered) == ["a", "b", "c"]

        jar.clear_domain("example.com")
        assert [m.key for m in jar] == ["d"]
        jar.clear(lambda m: m.key == "nothing")
        assert len(jar) == 1
        jar.clear()
        assert len(jar) == 0 and list(jar) == []
        assert await sent(s, "http://other.test/cookies") == {}


async def test_jar_size_is_bounded(server):
    async with ferrocrawl.ClientSession() as s:
        # One site (127.0.0.1) setting many cookies keeps only the newest 50.
        for batch in range(4):
            await s.get(server.url(set_raw(*(f"k{batch}_{i}=v" for i in range(20)))))
        assert len(s.cookie_jar) == 50
        names = {m.key for m in s.cookie_jar}
        assert {f"k3_{i}" for i in range(20)} <= names
        assert not any(n.startswith("k0_") for n in names)
