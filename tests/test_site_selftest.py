"""The generated crawl site (tests/servers/site.py) checked with aiohttp, lxml, w3lib and
protego as the client, independent of ferrocrawl.

The reference is `RefCrawler`: a level-by-level breadth-first crawl over real HTTP that
resolves links with lxml + w3lib (safe_url_string with the page's encoding, canonicalize_url)
and obeys robots.txt through protego. sitegen.expected_pages must agree with it exactly, and
the server's log must show each of its requests once.
"""

from __future__ import annotations

import asyncio
import functools
import gzip
import re
from collections import Counter
from urllib.parse import urljoin, urlsplit

import aiohttp
import lxml.etree
import lxml.html
import pytest
import pytest_asyncio
import yarl
from protego import Protego
from w3lib.encoding import html_to_unicode
from w3lib.url import canonicalize_url, safe_url_string

from tests.servers.site import SiteServer
from tests.servers.sitegen import (
    GBK_WORDS,
    META_PATHS,
    SITEMAP_GZ_PAGES,
    TREE_BRANCH,
    canonical_target,
    canonical_url,
    expected_pages,
    robots_allowed,
)

UA = "ferrocrawl-selftest"
SM_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"


@pytest_asyncio.fixture(loop_scope="function")
async def client():
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=32)) as s:
        yield s


def target_of(url: str) -> str:
    p = urlsplit(url)
    return p.path + ("?" + p.query if p.query else "")


class RefCrawler:
    """Breadth-first, one depth level at a time (so depths are shortest-path), every hop
    checked: same origin, allow/deny, robots. Responses are cached by canonical URL, so
    several policies can be evaluated while each page is fetched once."""

    def __init__(self, client: aiohttp.ClientSession, base: str) -> None:
        self.client = client
        self.base = base
        self.origin = base.rstrip("/")
        self.cache: dict[str, tuple[bool, list[str]]] = {}
        self.sem = asyncio.Semaphore(32)
        self.robots: Protego | None = None
        self.requests = 0

    async def _get(self, url: str) -> tuple[int, dict[str, str], bytes]:
        async with self.sem, self.client.get(url, allow_redirects=False) as r:
            self.requests += 1
            return r.status, dict(r.headers), await r.read()

    async def edges(self, url: str) -> tuple[bool, list[str]]:
        if url in self.cache:
            return self.cache[url]
        status, headers, body = await self._get(url)
        if status in (301, 302, 303, 307, 308):
            out = (True, [urljoin(url, headers["Location"])])
        elif status == 200 and headers.get("Content-Type", "").startswith("text/html"):
            enc, text = html_to_unicode(headers.get("Content-Type"), body)
            doc = lxml.html.fromstring(text)
            base = url
            for b in doc.xpath("//base/@href")[:1]:
                base = urljoin(url, b.strip())
            hrefs = doc.xpath("//a/@href | //area/@href")
            out = (False, [safe_url_string(urljoin(base, h.strip()), encoding=enc) for h in hrefs])
        else:
            out = (False, [])
        out = (out[0], [canonicalize_url(u) for u in out[1]])
        self.cache[url] = out
        return out

    async def sitemap_urls(self) -> list[str]:
        assert self.robots is not None
        files = [*self.robots.sitemaps, self.origin + "/sitemap.xml"]
        urls: list[str] = []
        while files:
            _, _, body = await self._get(files.pop(0))
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            root = lxml.etree.fromstring(body)
            locs = [x.strip() for x in root.itertext(SM_NS + "loc")]
            (files if root.tag == SM_NS + "sitemapindex" else urls).extend(locs)
        return urls

    async def crawl(
        self,
        start: str = "/",
        *,
        allow: tuple[str, ...] = (),
        deny: tuple[str, ...] = (),
        robots: bool = True,
        max_depth: int | None = None,
        sitemaps: bool = False,
    ) -> set[str]:
        if self.robots is None:
            _, _, body = await self._get(self.origin + "/robots.txt")
            self.robots = Protego.parse(body.decode())

        @functools.cache
        def ok(url: str) -> bool:
            p = urlsplit(url)
            if p.scheme not in ("http", "https") or f"{p.scheme}://{p.netloc}" != self.origin:
                return False
            if allow and not any(re.search(a, url) for a in allow):
                return False
            if any(re.search(d, url) for d in deny):
                return False
            return not robots or self.robots.can_fetch(url, UA)

        seen: set[str] = set()

        def admit(urls: list[str]) -> list[str]:
            out = []
            for c in urls:  # canonical already
                if c not in seen and ok(c):
                    seen.add(c)
                    out.append(c)
            return out

        level = [canonicalize_url(self.origin + start)]
        seen.update(level)
        if sitemaps:
            level += admit([canonicalize_url(u) for u in await self.sitemap_urls()])
        depth = 0
        while level:
            nxt: list[str] = []
            while level:  # redirects stay on this level
                results = await asyncio.gather(*(self.edges(u) for u in level))
                level = []
                for is_redirect, out in results:
                    if is_redirect:
                        level += admit(out)
                    elif max_depth is None or depth < max_depth:
                        nxt += admit(out)
            level, depth = nxt, depth + 1
        return {target_of(u) for u in seen}


# ---- the pages -------------------------------------------------------------------------------


async def test_pages_exist_and_broken_links_404(site: SiteServer, client) -> None:
    n = site.site.n
    for path, status in [("/", 200), ("/p/0", 200), (f"/p/{n - 1}", 200), (f"/p/{n}", 404)]:
        async with client.get(site.url(path)) as r:
            assert r.status == status, path
    async with client.get(site.url("/p/12")) as r:
        doc = lxml.html.fromstring(await r.read())
    assert doc.findtext(".//title") == "Page 12"
    assert doc.xpath("//span[@class='price']/text()") == ["12.12"]
    assert 10 <= len(doc.xpath("//a/@href")) <= 13
    async with client.get(site.url("/missing/home")) as r:
        assert r.status == 404 and r.content_type == "text/plain"


async def test_url_variants_serve_one_page(site: SiteServer, client) -> None:
    bodies = []
    for path in ["/t/~home", "/t/%7ehome", "/t/%7Ehome"]:
        async with client.get(site.url(path)) as r:
            assert r.status == 200
            bodies.append(await r.read())
    assert bodies[0] == bodies[1] == bodies[2]
    assert {canonical_target(t) for t in ["/t/~home", "/t/%7ehome", "/t/%7Ehome#x"]} == {"/t/~home"}
    assert canonical_target("/p/4?b=2&a=1") == canonical_target("/p/4?a=1&b=2#f")
    assert canonical_url(f"HTTP://127.0.0.1:{site.port}/p/1#f") == site.url("/p/1")
    # case is never folded: two pages
    async with client.get(site.url("/Case/Page")) as a, client.get(site.url("/case/page")) as b:
        assert a.status == b.status == 200 and await a.read() != await b.read()


async def test_redirects(site: SiteServer, client) -> None:
    want = {
        "/r/301": (301, "/p/5"),
        "/r/chain": (302, "/r/chain2"),
        "/r/chain2": (301, "/redirected/final"),
        "/r/off": (302, site.offsite.url("/landing")),
        "/r/priv": (302, "/private/secret"),
        "/r/self": (302, "/r/self"),
        "/r/p/21": (301, "/p/147"),
    }
    for path, (status, loc) in want.items():
        async with client.get(site.url(path), allow_redirects=False) as r:
            assert (r.status, r.headers["Location"]) == (status, loc), path
    assert site.offsite.requests() == []


async def test_gbk_pages_and_query_encoding(site: SiteServer, client) -> None:
    async with client.get(site.url("/gbk")) as r:
        assert r.headers["Content-Type"] == "text/html; charset=gbk"
        text = (await r.read()).decode("gbk")
    assert 'href="/s?q=中文"' in text and 'href="/zh/中文"' in text
    async with client.get(site.url("/gbk-meta")) as r:
        assert r.headers["Content-Type"] == "text/html"
        assert b'<meta charset="gbk">' in await r.read()
    site.reset()
    gbk = "".join(f"%{b:02x}" for b in GBK_WORDS[0].encode("gbk"))  # lower-case hex is fine
    utf8 = "".join(f"%{b:02X}" for b in GBK_WORDS[0].encode("utf-8"))
    for query, status in [(gbk, 200), (utf8, 404)]:
        url = yarl.URL(site.url(f"/s?q={query}"), encoded=True)  # sent exactly as written
        async with client.get(url, allow_redirects=False) as r:
            assert r.status == status
    async with client.get(site.url(f"/zh/{utf8}")) as r:
        assert r.status == 200
    targets = [x["target"] for x in site.requests()]
    assert targets == [f"/s?q={gbk}", f"/s?q={utf8}", f"/zh/{utf8}"]  # raw, as sent


async def test_robots_txt(site: SiteServer, client) -> None:
    async with client.get(site.url("/robots.txt")) as r:
        text = await r.text()
    assert "Crawl-delay" not in text
    rp = Protego.parse(text)
    assert rp.sitemaps and next(iter(rp.sitemaps)) == site.url("/sitemap_index.xml")
    cases = {
        "/private/secret": False,
        "/private/": False,
        "/private": True,
        "/private/open": True,
        "/private/open/deeper": True,
        "/files/report.pdf": False,
        "/files/report.pdf?download=1": True,
        "/p/1": True,
    }
    for path, allowed in cases.items():
        assert rp.can_fetch(site.url(path), UA) is allowed, path
        assert robots_allowed(path) is allowed, path
    assert not rp.can_fetch(site.url("/p/1"), "badbot")

    site.configure(crawl_delay=1, robots_status=None)
    async with client.get(site.url("/robots.txt")) as r:
        assert Protego.parse(await r.text()).crawl_delay(UA) == 1
    site.configure(robots_status=503)
    async with client.get(site.url("/robots.txt")) as r:
        assert r.status == 503
    site.reset()
    async with client.get(site.url("/robots.txt")) as r:
        assert r.status == 200 and "Crawl-delay" not in await r.text()


async def test_delay_site_robots(delay_site: SiteServer, client) -> None:
    async with client.get(delay_site.url("/robots.txt")) as r:
        assert Protego.parse(await r.text()).crawl_delay(UA) == 1
    assert delay_site.expected() == {"/", *(f"/p/{i}" for i in range(6))}


async def test_sitemaps(site: SiteServer, client) -> None:
    async with client.get(site.url("/sitemap_index.xml")) as r:
        index = lxml.etree.fromstring(await r.read())
    files = [x.strip() for x in index.itertext(SM_NS + "loc")]
    assert site.url("/sitemaps/pages.xml.gz") in files
    async with client.get(site.url("/sitemaps/pages.xml.gz")) as r:
        assert r.headers.get("Content-Encoding") is None  # a .gz file, not a transfer coding
        urlset = lxml.etree.fromstring(gzip.decompress(await r.read()))
    locs = [x.strip() for x in urlset.itertext(SM_NS + "loc")]
    assert site.url("/sm/0") in locs and len(locs) == SITEMAP_GZ_PAGES + 3
    assert locs == site.site.sitemap_urls()["/sitemaps/pages.xml.gz"]
    # the sitemap-only pages are reachable only through the sitemaps
    plain, with_sm = site.expected(), site.expected(sitemaps=True)
    assert not any(t.startswith(("/sm/", "/smc/")) for t in plain)
    assert {"/sm/0", "/smc/0", "/sm/x0", "/sm/more-1"} <= with_sm
    assert "/private/from-sitemap" not in with_sm


async def test_log_records_requests_and_concurrency(site: SiteServer, client) -> None:
    site.configure(slow_delay=1.0)

    async def one(k: int) -> int:
        async with client.get(site.url(f"/slow/{k}")) as r:
            await r.read()
            return r.status

    assert await asyncio.gather(*(one(k) for k in range(4))) == [200] * 4
    async with client.get(site.offsite.url("/x?y=1")) as r:
        assert r.status == 200
    reqs = site.requests()
    assert sorted(x["target"] for x in reqs) == [f"/slow/{k}" for k in range(4)]
    for x in reqs:
        assert x["method"] == "GET" and x["host"] == f"127.0.0.1:{site.port}"
        assert x["status"] == 200 and x["end"] - x["start"] >= 0.9
    assert 2 <= site.max_in_flight() <= 4  # four requests held for 1 s each
    off = site.offsite.requests()
    assert [(x["target"], x["host"]) for x in off] == [("/x?y=1", f"127.0.0.2:{site.offsite.port}")]
    assert site.offsite.max_in_flight() == 1
    site.reset()
    assert site.requests() == [] and site.max_in_flight() == 0
    site.configure(page_delay=0.5)
    async with client.get(site.url("/p/1")) as r:
        assert r.status == 200
    assert site.requests()[0]["end"] - site.requests()[0]["start"] >= 0.45
    site.reset()


def test_expected_pages_shape() -> None:
    e = expected_pages(300)
    assert "/" in e and "/p/299" in e and "/p/4?a=1&b=2" in e and "/p/4?b=2&a=1" not in e
    assert {"/t/~home", "/r/301", "/p/5", "/r/chain2", "/redirected/final", "/r/self"} <= e
    assert {"/s?q=%D6%D0%CE%C4", "/zh/%E4%B8%AD%E6%96%87", "/area/target", "/based/child"} <= e
    assert not {"/private/secret", "/files/report.pdf", "/style.css", "/img/logo.png"} & e
    assert not META_PATHS & e and not any(t.startswith("/__") for t in e)
    assert "/private/secret" in expected_pages(300, robots=False)
    tree = expected_pages(300, "/tree/", max_depth=2)
    assert len(tree) == 1 + TREE_BRANCH + TREE_BRANCH**2
    assert expected_pages(300, deny=[r"/p/\d*5$"]) & {"/p/5", "/p/15"} == set()


@pytest.fixture(scope="module")
def small_site():
    # the generator does not change with n (every special case occurs below 600 pages); a
    # smaller site keeps the reference crawls, seven policies over real HTTP, quick
    with SiteServer(600) as srv:
        yield srv


async def test_expected_pages_match_a_real_crawl(small_site: SiteServer, client) -> None:
    """The reference crawl over HTTP agrees with expected_pages for several policies, and the
    server's log shows the reference's requests, each once."""
    site = small_site
    ref = RefCrawler(client, site.base)
    got = await ref.crawl("/")
    assert got == site.expected()
    logged = site.fetched()
    assert logged == Counter(got)  # each page once, nothing else (robots.txt is META)
    assert site.fetched(meta=True)["/robots.txt"] == 1
    assert site.offsite.requests() == []
    assert len(got) > site.site.n

    for t in ["/", "/gbk", "/gbk-meta", "/base-test", "/p/42", "/p/13", "/r/x/rel"]:
        http = {u for u in ref.cache[site.url(t)][1] if u.startswith("http")}
        assert http == set(site.site.links_of(t)), t

    assert await ref.crawl("/", robots=False) == site.expected(robots=False)
    assert await ref.crawl("/", sitemaps=True) == site.expected(sitemaps=True)
    deny = (r"/p/\d*3$", r"/gbk")
    assert await ref.crawl("/", deny=deny) == site.expected(deny=deny)
    allow = (r"/p/1\d*$", r"/r/")
    assert await ref.crawl("/", allow=allow) == site.expected(allow=allow)
    for d in (0, 1, 3):
        assert await ref.crawl("/tree/", max_depth=d) == site.expected("/tree/", max_depth=d)
    assert await ref.crawl("/slow/") == site.expected("/slow/")
