"""ferrocrawl.crawl() against the generated site (tests/servers/site.py): what is fetched is
read from the server's own log, and compared with sitegen's expected set."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter

import ferrocrawl

from tests.servers.sitegen import canonical_target, canonical_url, page_data


async def crawl_all(*args, **kwargs) -> list[ferrocrawl.Page]:
    return [page async for page in ferrocrawl.crawl(*args, **kwargs)]


def targets(pages) -> Counter[str]:
    return Counter(canonical_target(canonical_url(p.url)) for p in pages)


async def test_whole_site_each_reachable_page_fetched_once(site, offsite):
    pages = await crawl_all(site.url("/"), concurrency=32, per_host=8)
    fetched = site.fetched()
    assert set(fetched) == site.expected("/")
    assert max(fetched.values()) == 1, [t for t, n in fetched.items() if n > 1]
    assert offsite.requests() == []
    # one page per fetch that is not a followed redirect hop, each delivered once
    assert max(Counter(p.request_url for p in pages).values()) == 1
    delivered = targets(pages)
    assert max(delivered.values()) == 1
    assert set(delivered) <= set(fetched)
    assert 1 <= site.max_in_flight() <= 8
    robots = [r for r in site.requests() if r["target"] == "/robots.txt"]
    assert len(robots) == 1


async def test_robots_disallowed_paths_are_never_requested(site):
    await crawl_all(site.url("/"))
    fetched = set(site.fetched())
    assert not [
        t for t in fetched if t.startswith("/private/") and not t.startswith("/private/open")
    ]
    assert "/private/open" in fetched
    assert not [t for t in fetched if t.endswith(".pdf")]


async def test_robots_false_fetches_disallowed_paths(site):
    pages = await crawl_all(site.url("/"), robots=False)
    assert set(site.fetched()) == site.expected("/", robots=False)
    assert any("/private/secret" in p.url for p in pages)
    assert not [r for r in site.requests() if r["target"] == "/robots.txt"]


async def test_robots_404_allows_everything(site):
    site.configure(robots_status=404)
    await crawl_all(site.url("/"))
    assert set(site.fetched()) == site.expected("/", robots=False)


async def test_robots_5xx_means_wait_then_report(site):
    site.configure(robots_status=503)
    pages = await crawl_all(site.url("/"))
    # nothing but robots.txt was requested; the start page comes out as an error
    assert set(site.fetched()) == set()
    assert len(pages) == 1 and pages[0].error is not None and pages[0].status is None
    assert len([r for r in site.requests() if r["target"] == "/robots.txt"]) >= 2


async def test_per_host_is_never_exceeded(site):
    site.configure(slow_delay=0.1)
    start = [site.url(f"/slow/{i}") for i in range(16)]
    pages = await crawl_all(start, per_host=3, concurrency=16, robots=False, follow=False)
    assert len(pages) == 16 and all(p.status == 200 for p in pages)
    assert 1 <= site.max_in_flight() <= 3


async def test_delay_between_request_starts(site):
    start = [site.url(f"/missing/{i}") for i in range(5)]
    await crawl_all(start, delay=0.3, robots=False, follow=False)
    starts = sorted(r["start"] for r in site.requests())
    assert len(starts) == 5
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.27, gaps


async def test_robots_crawl_delay_is_honoured(delay_site):
    await crawl_all(delay_site.url("/"), per_host=4)
    starts = sorted(r["start"] for r in delay_site.requests() if r["target"] != "/robots.txt")
    assert len(starts) >= 3
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.95, gaps


async def test_max_depth(site):
    pages = await crawl_all(site.url("/tree/"), max_depth=2)
    assert set(site.fetched()) == site.expected("/tree/", max_depth=2)
    assert {p.depth for p in pages} == {0, 1, 2}


async def test_allow_and_deny(site):
    await crawl_all(site.url("/"), allow=[r"/p/\d*[02468]$", r"/$"], deny=[r"/p/\d*0$"])
    expected = site.expected("/", allow=[r"/p/\d*[02468]$", r"/$"], deny=[r"/p/\d*0$"])
    assert set(site.fetched()) == expected
    assert "/p/2" in expected and "/p/10" not in expected


async def test_max_pages(site):
    pages = await crawl_all(site.url("/"), max_pages=40, concurrency=8)
    assert len(pages) == 40
    assert sum(site.fetched().values()) <= 40 + 8  # redirect hops are not pages


async def test_extract_rules_run_in_rust(site):
    extract = {
        "title": "title::text",
        "h1": "xpath://h1/text()",
        "price": r"re:(\d+\.\d\d)",
        # Python's re syntax, as parsel users write it: look-behind runs in Rust too
        "cents": r're:(?<=class="price">)\d+\.(\d\d)',
        "tags": ["span.tag::text"],
        "none": "div.absent::text",
    }
    start = [site.url(f"/p/{i}") for i in (3, 41, 77)]
    pages = await crawl_all(start, extract=extract, follow=False, robots=False)
    assert len(pages) == 3
    for page in pages:
        i = int(page.url.rsplit("/", 1)[1])
        want = page_data(i)
        assert page.data == {
            "title": want["title"],
            "h1": want["h1"],
            "price": want["price"],
            "cents": str(want["price"]).split(".")[1],
            "tags": want["tags"],
            "none": None,
        }


async def test_follow_selector_and_links(site):
    pages = await crawl_all(site.url("/p/10"), follow="xpath:(//a/@href)[1]", max_depth=3)
    # only the first link of each page is followed: a chain of at most 4 pages
    assert 1 <= len(pages) <= 4
    first = pages[0]
    assert first.depth == 0 and len(first.links) >= 5
    assert all(link.startswith("http") and "#" not in link for link in first.links)


async def test_follow_false_and_add_from_python(site):
    crawler = ferrocrawl.crawl(site.url("/p/0"), follow=False, robots=False)
    seen = []
    async for page in crawler:
        seen.append(page.url)
        if page.depth == 0:
            detail = [u for u in page.links if "/p/" in u][:3]
            crawler.add(detail, depth=1)
    assert len(seen) == 1 + len({canonical_url(u) for u in detail})
    assert set(site.fetched()) == {canonical_target(canonical_url(u)) for u in seen}


async def test_redirects_are_hops_checked_and_deduplicated(site, offsite):
    start = [site.url(t) for t in ("/r/301", "/p/5", "/r/chain", "/r/off", "/r/priv", "/r/self")]
    pages = await crawl_all(start, follow=False)
    by_request = {canonical_target(canonical_url(p.request_url)): p for p in pages}
    chain = by_request["/r/chain"]
    assert chain.url.endswith("/redirected/final") and chain.status == 200
    off = by_request["/r/off"]
    assert isinstance(off.error, ferrocrawl.RedirectError) and off.status == 302
    assert offsite.requests() == []
    assert "/private/secret" not in site.fetched()  # robots apply to the hop
    fetched = site.fetched()
    assert fetched["/p/5"] == 1  # the 301 target was queued directly too: fetched once
    assert max(fetched.values()) == 1


async def test_gbk_page_links_use_the_page_encoding(site):
    pages = await crawl_all(site.url("/gbk"), max_depth=1)
    statuses = {canonical_target(canonical_url(p.url)): p.status for p in pages}
    assert statuses["/s?q=%D6%D0%CE%C4"] == 200
    assert statuses["/zh/%E4%B8%AD%E6%96%87"] == 200
    gbk = next(p for p in pages if p.depth == 0)
    assert gbk.text().count("中文") >= 1


async def test_sitemaps(site):
    await crawl_all(site.url("/"), sitemaps=True)
    assert set(site.fetched()) == site.expected("/", sitemaps=True)


async def test_errors_are_pages_not_exceptions(site):
    pages = await crawl_all(site.url("/missing/x"), robots=False)
    assert len(pages) == 1
    assert pages[0].status == 404 and pages[0].error is None and not pages[0].ok


async def test_retries_then_the_error_is_delivered(server, key):
    url = server.url(f"/status/503?key={key}")
    pages = await crawl_all(url, retries=1, robots=False)
    assert len(pages) == 1
    page = pages[0]
    assert page.status == 503
    assert isinstance(page.error, ferrocrawl.HTTPStatusError)


async def test_stats(site):
    crawler = ferrocrawl.crawl(site.url("/"), max_pages=30)
    stats = await crawler.run()
    assert stats["pages"] == 30
    assert sum(stats["status"].values()) == 30
    assert stats["requests"] >= 30
    assert stats["pages_per_second"] > 0
    assert set(stats) >= {"bytes", "errors", "queued", "in_flight", "hosts", "retries"}


async def test_stop_finishes_in_flight_pages(site):
    crawler = ferrocrawl.crawl(site.url("/"), concurrency=4)
    got = 0
    async for _ in crawler:
        got += 1
        if got == 10:
            crawler.stop()
    assert 10 <= got <= 10 + 4 + 256
    assert got < len(site.expected("/"))


async def test_async_with_leaves_early(site):
    async with ferrocrawl.crawl(site.url("/")) as crawler:
        async for _ in crawler:
            break
    await asyncio.sleep(0.2)
    n = sum(site.fetched().values())
    await asyncio.sleep(0.3)
    assert sum(site.fetched().values()) == n  # nothing fetched after the crawl closed


async def test_rate_spaces_request_starts_over_all_hosts(site):
    start = [site.url(f"/missing/r{i}") for i in range(6)]
    await crawl_all(start, rate=5, robots=False, follow=False, per_host=6)
    starts = sorted(r["start"] for r in site.requests())
    assert len(starts) == 6
    assert min(b - a for a, b in itertools.pairwise(starts)) >= 0.18


async def test_urls_added_before_iterating_are_crawled(site):
    crawler = ferrocrawl.crawl([], robots=False, follow=False)
    crawler.add([site.url("/p/1"), site.url("/p/2"), site.url("/p/1#again")])
    pages = [p async for p in crawler]
    assert sorted(targets(pages)) == ["/p/1", "/p/2"]


async def test_abandoning_stop_keeps_counters_sane(site):
    async with ferrocrawl.crawl(site.url("/"), concurrency=8) as crawler:
        async for _ in crawler:
            crawler.stop(abandon=True)
    stats = crawler.stats
    assert 0 <= stats["in_flight"] <= 8
    assert stats["pages"] >= 1
