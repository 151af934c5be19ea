"""One crawler per process: `python bench/crawl_peers.py NAME --start URL [--urls-out FILE]`.

    ferrocrawl.crawl   async for page in ferrocrawl.crawl([start], concurrency=C, per_host=C,
                       robots=False): count the pages (no Python per page beyond that)
    aiohttp+lxml       the hand-written asyncio crawler of /work/shared/baseline/crawl_aiohttp.py:
                       one ClientSession (limit=C), C workers on a FIFO queue, lxml
                       fromstring + //a/@href + <title>, urljoin, fragment dropped, same
                       host:port only, dedup on the URL string in a set
    scrapy             CrawlSpider + LinkExtractor (baseline crawl_scrapy.py):
                       CONCURRENT_REQUESTS = CONCURRENT_REQUESTS_PER_DOMAIN = C, BFS order,
                       robots off; its clock is Scrapy's elapsed_time_seconds
    get_many           ferrocrawl ClientSession.get_many of a URL list (--urls: what the
                       aiohttp crawler found), every body read: the ceiling, fetching only

One worker of a crawl shared through Redis (bench/crawl.py --frontier redis runs N of them):
    ferrocrawl.crawl --frontier redis://... --name NAME [--per-host N]
                       the same loop with frontier=, name= (per_host is crawl-wide there)
    scrapy-redis --frontier redis://... --name NAME
                       RedisSpider (start URL read from the list NAME:start_urls, which the
                       caller fills) with scrapy_redis's Scheduler (FIFO queue) and
                       RFPDupeFilter, following every same-host link with LinkExtractor,
                       SCHEDULER_PERSIST (one worker closing must not drop the shared queue);
                       a worker closes after MAX_IDLE_TIME_BEFORE_CLOSE s without a response
                       (scrapy-redis has no end-of-crawl signal), so its t_end is its last
                       response, not its exit

Prints one JSON line: pages (distinct URLs fetched), responses, ok (status 200), errors,
seconds, pages_per_s (pages / seconds), t_start/t_end (time.time(): the shared-frontier workers
of one run are timed from the first start to the last end), or
{"error": ...} with exit status 2 when the peer cannot run (ferrocrawl.crawl not there yet).
--urls-out writes the URLs the peer fetched, one a line, after the clock stops.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

Result = dict[str, Any]


# ---- ferrocrawl ------------------------------------------------------------------------------


async def ferrocrawl_crawl(
    start: str,
    conc: int,
    frontier: str | None = None,
    name: str | None = None,
    per_host: int | None = None,
) -> tuple[Result, list[str]]:
    import ferrocrawl

    crawl = ferrocrawl.crawl  # AttributeError until the crawler lands: reported as n/a
    options: dict[str, Any] = {"concurrency": conc, "per_host": per_host or conc, "robots": False}
    if frontier:
        options.update(frontier=frontier, name=name)
    pages = ok = errors = 0
    urls: list[str] = []
    t_start = time.time()
    t0 = time.perf_counter()
    crawler = crawl([start], **options)
    async for page in crawler:
        pages += 1
        if page.status == 200:
            ok += 1
        if page.error is not None:
            errors += 1
        urls.append(page.url)
    dt = time.perf_counter() - t0
    res: Result = {"responses": pages, "ok": ok, "errors": errors, "seconds": dt}
    res.update(t_start=t_start, t_end=time.time())
    if frontier:
        res["crawl"] = crawler.stats.get("crawl")
    return res, urls


async def ferrocrawl_get_many(urls: list[str], conc: int) -> tuple[Result, list[str]]:
    import ferrocrawl

    pages = ok = errors = nbytes = 0
    t0 = time.perf_counter()
    async with ferrocrawl.ClientSession(limit=conc) as s:
        for r in await s.get_many(urls, concurrency=conc):
            pages += 1
            if isinstance(r, Exception):
                errors += 1
                continue
            nbytes += len(await r.read())
            if r.status == 200:
                ok += 1
    dt = time.perf_counter() - t0
    res = {"responses": pages, "ok": ok, "errors": errors, "bytes": nbytes, "seconds": dt}
    return res, urls


# ---- aiohttp + lxml (the baseline crawler) ---------------------------------------------------


async def aiohttp_lxml(start: str, conc: int) -> tuple[Result, list[str]]:
    import aiohttp
    import lxml.html

    host = urlsplit(start).netloc
    start = start.split("#", 1)[0]
    seen = {start}
    q: asyncio.Queue[str] = asyncio.Queue()
    q.put_nowait(start)
    st: Counter[str] = Counter()
    status: Counter[int] = Counter()

    def extract(body: bytes, base: str) -> list[str]:
        doc = lxml.html.fromstring(body)
        doc.findtext(".//title")
        out = []
        for h in doc.xpath("//a/@href"):
            u = urljoin(base, h.strip()).split("#", 1)[0]
            p = urlsplit(u)
            if p.netloc == host and p.scheme in ("http", "https"):
                out.append(u)
        return out

    async def worker(session: aiohttp.ClientSession) -> None:
        while True:
            url = await q.get()
            try:
                async with session.get(url) as r:
                    body = await r.read()
                    status[r.status] += 1
                    st["bytes"] += len(body)
                    if r.status == 200 and "html" in r.headers.get("Content-Type", "") and body:
                        for u in extract(body, str(r.url)):
                            if u not in seen:
                                seen.add(u)
                                q.put_nowait(u)
            except Exception:
                st["errors"] += 1
            finally:
                q.task_done()

    t0 = time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as session:
        workers = [asyncio.create_task(worker(session)) for _ in range(conc)]
        await q.join()
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
    dt = time.perf_counter() - t0
    res = {
        "responses": sum(status.values()),
        "ok": status[200],
        "errors": st["errors"],
        "bytes": st["bytes"],
        "seconds": dt,
    }
    return res, sorted(seen)


# ---- Scrapy (the baseline CrawlSpider) -------------------------------------------------------


def scrapy_crawl(start: str, conc: int) -> tuple[Result, list[str]]:
    # the cookies middleware's tldextract must use its bundled list, never the network
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    from scrapy import signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import TextResponse
    from scrapy.linkextractors import LinkExtractor
    from scrapy.spiders import CrawlSpider, Rule

    host = urlsplit(start).hostname  # OffsiteMiddleware matches the hostname
    netloc = urlsplit(start).netloc  # LinkExtractor.allow_domains matches host:port

    class SiteSpider(CrawlSpider):
        name = "site"
        allowed_domains = (host,)
        start_urls = (start,)
        rules = (Rule(LinkExtractor(allow_domains=[netloc]), callback="parse_item", follow=True),)

        def parse_start_url(self, response: Any, **kw: Any) -> list[Any]:
            return self.parse_item(response)

        def parse_item(self, response: Any) -> list[Any]:
            if isinstance(response, TextResponse):
                response.xpath("//title/text()").get()
            return []

    settings = {
        "CONCURRENT_REQUESTS": conc,
        "CONCURRENT_REQUESTS_PER_DOMAIN": conc,
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "DEPTH_PRIORITY": 1,
        "SCHEDULER_DISK_QUEUE": "scrapy.squeues.PickleFifoDiskQueue",
        "SCHEDULER_MEMORY_QUEUE": "scrapy.squeues.FifoMemoryQueue",
        "TELNETCONSOLE_ENABLED": False,
    }
    proc = CrawlerProcess(settings=settings)
    crawler = proc.create_crawler(SiteSpider)
    urls: list[str] = []

    def on_response(response: Any, **kw: Any) -> None:
        urls.append(response.url)

    # Scrapy holds signal receivers weakly: keep this one alive for the whole crawl
    crawler.signals.connect(on_response, signal=signals.response_received)
    t0 = time.perf_counter()
    proc.crawl(crawler)
    proc.start()
    wall = time.perf_counter() - t0
    s = crawler.stats.get_stats()
    statuses = {
        k.rsplit("/", 1)[1]: v
        for k, v in s.items()
        if k.startswith("downloader/response_status_count/")
    }
    res = {
        "responses": s.get("response_received_count", 0),
        "ok": statuses.get("200", 0),
        "errors": s.get("downloader/exception_count", 0),
        "bytes": s.get("downloader/response_bytes", 0),
        "seconds": s.get("elapsed_time_seconds") or wall,
        "wall_s": wall,
    }
    return res, urls


# ---- scrapy-redis (one worker of a crawl shared through Redis) ------------------------------


def scrapy_redis_crawl(
    start: str, conc: int, redis_url: str, name: str
) -> tuple[Result, list[str]]:
    os.environ["TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS"] = ""
    from scrapy import Request, signals
    from scrapy.crawler import CrawlerProcess
    from scrapy.http import TextResponse
    from scrapy.linkextractors import LinkExtractor
    from scrapy_redis.spiders import RedisSpider

    host = urlsplit(start).hostname
    netloc = urlsplit(start).netloc
    links = LinkExtractor(allow_domains=[netloc])

    class SiteSpider(RedisSpider):
        allowed_domains = (host,)
        redis_key = f"{name}:start_urls"

        def __init__(self, *args: Any, **kw: Any) -> None:
            super().__init__(*args, **kw)
            self.spider_idle_start_time = int(time.time())  # idle since start, not import

        def parse(self, response: Any, **kw: Any) -> Any:
            self.spider_idle_start_time = int(time.time())  # idle = no response for a while
            if isinstance(response, TextResponse):
                response.xpath("//title/text()").get()
                for link in links.extract_links(response):
                    yield Request(link.url, callback=self.parse)

    SiteSpider.name = name  # the scheduler's keys: NAME:requests, NAME:dupefilter
    settings = {
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_QUEUE_CLASS": "scrapy_redis.queue.FifoQueue",  # BFS, as the scrapy peer
        "SCHEDULER_PERSIST": True,
        "REDIS_URL": redis_url,
        "MAX_IDLE_TIME_BEFORE_CLOSE": 2,
        "CONCURRENT_REQUESTS": conc,
        "CONCURRENT_REQUESTS_PER_DOMAIN": conc,
        "ROBOTSTXT_OBEY": False,
        "AUTOTHROTTLE_ENABLED": False,
        "LOG_LEVEL": "ERROR",
        "TELNETCONSOLE_ENABLED": False,
    }
    proc = CrawlerProcess(settings=settings)
    crawler = proc.create_crawler(SiteSpider)
    urls: list[str] = []
    last = [0.0]

    def on_response(response: Any, **kw: Any) -> None:
        urls.append(response.url)
        last[0] = time.time()

    crawler.signals.connect(on_response, signal=signals.response_received)
    t_start = time.time()
    proc.crawl(crawler)
    proc.start()
    s = crawler.stats.get_stats()
    t_end = last[0] or t_start
    res = {
        "responses": s.get("response_received_count", 0),
        "ok": s.get("downloader/response_status_count/200", 0),
        "errors": s.get("downloader/exception_count", 0),
        "bytes": s.get("downloader/response_bytes", 0),
        "seconds": t_end - t_start,
        "t_start": t_start,
        "t_end": t_end,
        "exit_s": time.time() - t_start,
    }
    return res, urls


PEERS = ["ferrocrawl.crawl", "aiohttp+lxml", "scrapy", "get_many"]
FRONTIER_PEERS = ["ferrocrawl.crawl", "scrapy-redis"]  # --frontier redis://...


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("peer", choices=[*PEERS, "scrapy-redis"])
    ap.add_argument("--start", required=True)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--urls", help="get_many: the URL list to fetch")
    ap.add_argument("--urls-out", help="write the fetched URLs here")
    ap.add_argument(
        "--frontier", help="a shared crawl's Redis URL (ferrocrawl.crawl, scrapy-redis)"
    )
    ap.add_argument("--name", help="the shared crawl's name (its Redis keys)")
    ap.add_argument("--per-host", type=int, help="ferrocrawl.crawl per_host (default: concurrency)")
    a = ap.parse_args()
    if (a.peer == "scrapy-redis" or a.frontier) and not (a.frontier and a.name):
        ap.error("a shared crawl needs --frontier and --name")
    if a.frontier and a.peer not in FRONTIER_PEERS:
        ap.error(f"--frontier: one of {FRONTIER_PEERS}")
    try:
        if a.peer == "scrapy-redis":
            res, urls = scrapy_redis_crawl(a.start, a.concurrency, a.frontier, a.name)
        elif a.peer == "scrapy":
            res, urls = scrapy_crawl(a.start, a.concurrency)
        elif a.peer == "get_many":
            if not a.urls:
                raise ValueError("get_many needs --urls")
            todo = [x for x in Path(a.urls).read_text().splitlines() if x]
            res, urls = asyncio.run(ferrocrawl_get_many(todo, a.concurrency))
        elif a.peer == "aiohttp+lxml":
            res, urls = asyncio.run(aiohttp_lxml(a.start, a.concurrency))
        else:
            res, urls = asyncio.run(
                ferrocrawl_crawl(a.start, a.concurrency, a.frontier, a.name, a.per_host)
            )
    except (ImportError, AttributeError) as e:
        print(json.dumps({"peer": a.peer, "error": f"{type(e).__name__}: {e}"}))
        return 2
    res["peer"] = a.peer
    # pages = distinct URLs fetched (Scrapy requests its start URL again when a page links it)
    res["pages"] = len({u.split("#", 1)[0] for u in urls})
    res["pages_per_s"] = round(res["pages"] / res["seconds"], 1) if res["seconds"] else 0
    res["seconds"] = round(res["seconds"], 3)
    res["self_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    if a.urls_out:
        Path(a.urls_out).write_text("".join(u + "\n" for u in urls))
    print(json.dumps(res), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
