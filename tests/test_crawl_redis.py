"""One crawl shared by many processes through Redis (frontier="redis://...", name=...).

Every worker is a real process (tests/crawl_worker.py) writing one JSON line per page; what was
fetched is read from the site server's own log, where each worker's User-Agent tells it apart.
The invariants: together the workers fetch every reachable page exactly once (twice only for
what a SIGKILLed worker held), on one host never more than per_host at a time crawl-wide, and
each worker ends only when nothing is queued or leased anywhere.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import ferrocrawl
import pytest

from tests.servers import closed_port
from tests.servers.site import SiteServer
from tests.servers.sitegen import META_PATHS, canonical_target, canonical_url

ROOT = Path(__file__).resolve().parents[1]
SMALL_PAGES = 400  # ~440 reachable URLs with the home page's specials: a crawl of seconds
PER_HOST = 4
CONCURRENCY = 8
WORKER_TIMEOUT = 120.0  # a whole crawl on a loaded 2-core machine, well above what it takes
LEASE = 2  # seconds: a killed worker's leases come back quickly
# what a killed worker can hold leased: its fetches in flight, the pages waiting for its
# consumer (the crawl's page buffer) and a batch being read (as in test_crawl_resume)
PAGE_BUFFER, BATCH = 256, 128
KILLED_HOLDS = CONCURRENCY + PAGE_BUFFER + BATCH


# ---- workers -----------------------------------------------------------------------------------


class Worker:
    """`python -m tests.crawl_worker` in a subprocess, its pages in tmp_path/worker-I.jsonl."""

    def __init__(
        self,
        tmp_path: Path,
        index: int,
        frontier: str,
        name: str,
        start: str,
        *,
        per_host: int = PER_HOST,
        concurrency: int = CONCURRENCY,
        slow: float = 0.0,
    ) -> None:
        self.agent = f"ferrocrawl-test-worker-{index}"
        self.out = tmp_path / f"worker-{index}.jsonl"
        self.err_path = tmp_path / f"worker-{index}.err"
        cmd = [sys.executable, "-m", "tests.crawl_worker", "--frontier", frontier]
        cmd += ["--name", name, "--start", start, "--out", str(self.out)]
        cmd += ["--per-host", str(per_host), "--concurrency", str(concurrency)]
        cmd += ["--user-agent", self.agent]
        if slow:
            cmd += ["--slow", str(slow)]
        with open(self.err_path, "wb") as err:
            self.proc = subprocess.Popen(
                cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
            )

    def lines(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        # every line is complete, even after a SIGKILL: the worker writes a line at a time
        return [json.loads(line) for line in self.out.read_text().splitlines()]

    def pages(self) -> list[dict[str, Any]]:
        return [x for x in self.lines() if "url" in x]

    def stats(self) -> dict[str, Any] | None:
        return next((x["stats"] for x in self.lines() if "stats" in x), None)

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")[-3000:]

    def finish(self, timeout: float = WORKER_TIMEOUT) -> None:
        """Wait for a clean exit: status 0 and the final stats line."""
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            pytest.fail(f"{self.agent} still running after {timeout}s:\n{self.stderr()}")
        assert rc == 0, f"{self.agent} exited with {rc}:\n{self.stderr()}"
        assert self.stats() is not None, f"{self.agent} wrote no stats line"

    def kill(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@pytest.fixture
def spawn(tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """spawn(frontier, name, start, **options) -> Worker; every worker is gone after the test."""
    workers: list[Worker] = []

    def start(frontier: str, name: str, start_url: str, **kw: Any) -> Worker:
        w = Worker(tmp_path, len(workers), frontier, name, start_url, **kw)
        workers.append(w)
        return w

    yield start
    for w in workers:
        w.kill()


def crawl_name() -> str:
    return f"t{uuid.uuid4().hex[:10]}"


def wait_for(
    pred: Callable[[], bool],
    what: str,
    running: list[Worker],
    timeout: float = 60.0,
    detail: Callable[[], str] = str,
) -> None:
    """Poll pred(); fail if one of `running` exits first or after `timeout` seconds (with
    detail() in the message)."""
    deadline = time.monotonic() + timeout
    while not pred():
        for w in running:
            if w.proc.poll() is not None:
                pytest.fail(f"{w.agent} exited ({w.proc.returncode}) before {what}:\n{w.stderr()}")
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout}s waiting for {what} {detail()}")
        time.sleep(0.02)


def delivered(workers: list[Worker]) -> Counter[str]:
    """Canonical targets of the pages the workers delivered (page.url), with counts."""
    return Counter(canonical_target(canonical_url(p["url"])) for w in workers for p in w.pages())


def total_pages(workers: list[Worker]) -> int:
    return sum(len(w.pages()) for w in workers)


# ---- what the site saw -------------------------------------------------------------------------


def page_requests(site: SiteServer) -> list[dict[str, Any]]:
    """The site origin's requests, robots.txt and sitemap files left out."""
    return [
        r
        for r in site.requests()
        if canonical_target(r["target"]).partition("?")[0] not in META_PATHS
    ]


def redirect_sources(site: SiteServer) -> set[str]:
    """Targets answered with a redirect: their page is the hop's end, delivered under its URL."""
    return {
        canonical_target(r["target"])
        for r in page_requests(site)
        if r["status"] is not None and 300 <= r["status"] < 400
    }


def page_max_in_flight(site: SiteServer) -> int:
    """Most page requests in flight at once on the site, from the log's start/end times (an end
    sorts before a start at the same instant)."""
    events = []
    for r in page_requests(site):
        events += [(r["start"], 1), (r["end"], -1)]
    now = most = 0
    for _, step in sorted(events):
        now += step
        most = max(most, now)
    return most


def assert_whole_site_once(site: SiteServer, workers: list[Worker]) -> None:
    """Every reachable page fetched exactly once by the server's log, delivered exactly once
    by one of the workers, nothing offsite."""
    expected = site.expected("/")
    fetched = site.fetched()
    assert set(fetched) == expected, (sorted(expected - set(fetched))[:10], len(fetched))
    assert max(fetched.values()) == 1, sorted(t for t, n in fetched.items() if n > 1)[:20]
    pages = delivered(workers)
    assert max(pages.values()) == 1, sorted(t for t, n in pages.items() if n > 1)[:20]
    requested = Counter(p["request_url"] for w in workers for p in w.pages())
    assert max(requested.values()) == 1
    assert set(pages) <= expected
    missing = expected - set(pages) - redirect_sources(site)
    assert not missing, sorted(missing)[:20]
    assert site.offsite.requests() == []
    robots = [r for r in site.requests() if r["target"] == "/robots.txt"]
    assert len(robots) <= len(workers)  # each worker reads robots.txt itself, once


# ---- sites -------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small_site_server() -> Iterator[SiteServer]:
    with SiteServer(SMALL_PAGES) as srv:
        yield srv


@pytest.fixture
def small(small_site_server: SiteServer) -> SiteServer:
    small_site_server.reset()
    return small_site_server


# ---- the tests ---------------------------------------------------------------------------------


def three_workers_fetch_each_page_once(site: SiteServer, frontier: str, spawn: Any) -> None:
    site.configure(page_delay=0.01)  # answers overlap: the crawl-wide per_host shows
    name = crawl_name()
    workers = [spawn(frontier, name, site.url("/")) for _ in range(3)]
    for w in workers:
        w.finish()
    assert_whole_site_once(site, workers)
    assert 1 <= page_max_in_flight(site) <= PER_HOST


@pytest.mark.timeout(180)
def test_three_workers_fetch_each_page_once(small, redis_server, spawn):
    three_workers_fetch_each_page_once(small, redis_server.url, spawn)


@pytest.mark.timeout(180)
def test_three_workers_on_a_redis_cluster(small, redis_cluster, spawn):
    three_workers_fetch_each_page_once(small, redis_cluster.url, spawn)
    assert sum(int(n.cli("DBSIZE")) for n in redis_cluster.nodes) > 0  # the crawl's state


@pytest.mark.timeout(180)
def test_killed_worker_loses_nothing_and_only_its_leases_come_twice(site, redis_server, spawn):
    frontier = f"{redis_server.url}?lease={LEASE}"
    name = crawl_name()
    # the victim reads its pages slowly: it holds leases (fetches, its page buffer) when killed.
    # It starts alone, so it surely has work.
    victim = spawn(frontier, name, site.url("/"), slow=0.02)
    wait_for(lambda: len(victim.pages()) >= 5, "the victim's first pages", [victim])
    others = [spawn(frontier, name, site.url("/")) for _ in range(2)]
    wait_for(lambda: len(victim.pages()) >= 20, "20 pages from the victim", [victim])
    killed_at = time.monotonic()  # the site's log uses the same system-wide clock
    victim.kill()
    dead_at = time.monotonic()  # it may start a request in between, not after
    assert victim.proc.returncode == -signal.SIGKILL
    for w in others:
        w.finish()

    expected = site.expected("/")
    victim_pages = delivered([victim])
    assert len(victim_pages) >= 20
    pages = delivered([victim, *others])
    # no page missing: what the victim held came back to the others when its leases expired
    missing = expected - set(pages) - redirect_sources(site)
    assert not missing, sorted(missing)[:20]
    assert set(pages) <= expected
    # a page delivered twice is one the victim delivered (its acknowledgement died with it)
    doubles = {t: n for t, n in pages.items() if n > 1}
    assert all(n == 2 and victim_pages[t] == 1 for t, n in doubles.items()), doubles

    fetched = site.fetched()
    assert set(fetched) == expected
    assert max(fetched.values()) <= 2
    twice = {t for t, n in fetched.items() if n == 2}
    assert len(twice) <= KILLED_HOLDS, len(twice)
    # fetched twice: first by the victim before it died, then by a survivor once the lease
    # expired; nothing a live worker held was fetched again
    by_target: defaultdict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in page_requests(site):
        by_target[canonical_target(r["target"])].append(r)
    for t in twice:
        first, second = sorted(by_target[t], key=lambda r: r["start"])
        assert first["agent"] == victim.agent and first["start"] < dead_at, (t, first)
        assert second["agent"] != victim.agent and second["start"] > killed_at, (t, second)


@pytest.mark.timeout(180)
def test_a_slow_worker_does_not_stall_the_others(site, redis_server, spawn):
    """A worker whose reader is slow stops fetching (backpressure); the host's per_host slots
    and the queue stay open to the others meanwhile."""
    frontier = f"{redis_server.url}?lease={LEASE}"
    name = crawl_name()
    slow = spawn(frontier, name, site.url("/"), slow=0.05)
    wait_for(lambda: len(slow.pages()) >= 5, "the slow worker's first pages", [slow])
    others = [spawn(frontier, name, site.url("/")) for _ in range(2)]
    # the slow worker reads 20 pages a second; the others crawl the rest of the site meanwhile
    wait_for(
        lambda: total_pages(others) >= 500,
        "500 pages from two fast workers while a slow one reads",
        [slow],
        timeout=30,
        detail=lambda: (
            f"(pages: slow {len(slow.pages())}, others {[len(w.pages()) for w in others]}; "
            f"requests in flight on the site now: {site.log()['in_flight'].get('site', 0)})"
        ),
    )
    slow.kill()
    for w in others:
        w.finish()
    missing = site.expected("/") - set(delivered([slow, *others])) - redirect_sources(site)
    assert not missing, sorted(missing)[:20]


@pytest.mark.timeout(180)
def test_a_worker_started_late_joins_the_crawl(site, redis_server, spawn):
    name = crawl_name()
    # three slow readers: the crawl lasts seconds and its queue fills up while their buffers
    # are full, so the late worker finds work
    first = [spawn(redis_server.url, name, site.url("/"), slow=0.005) for _ in range(3)]
    wait_for(lambda: total_pages(first) >= 50, "50 pages from the first three workers", first)
    late = spawn(redis_server.url, name, site.url("/"))
    workers = [*first, late]
    for w in workers:
        w.finish()
    assert len(late.pages()) >= 1
    assert_whole_site_once(site, workers)


@pytest.mark.timeout(180)
def test_redis_restarted_mid_crawl_loses_nothing(small, redis_server, spawn):
    small.configure(page_delay=0.02)  # ~440 pages, 4 at a time: a few seconds
    name = crawl_name()
    workers = [spawn(redis_server.url, name, small.url("/")) for _ in range(3)]
    wait_for(lambda: total_pages(workers) >= 40, "40 pages before the restart", workers)
    before = total_pages(workers)
    redis_server.restart(down=1.0)  # SHUTDOWN flushes the AOF; the workers wait and reconnect
    for w in workers:
        w.finish()
    assert total_pages(workers) > before  # the restart was mid-crawl
    expected = small.expected("/")
    pages = delivered(workers)
    missing = expected - set(pages) - redirect_sources(small)
    assert not missing, sorted(missing)[:20]
    assert set(pages) <= expected
    fetched = small.fetched()
    assert set(fetched) == expected
    assert max(fetched.values()) <= 2 and max(pages.values()) <= 2


@pytest.mark.timeout(120)
def test_crawl_stats_count_every_workers_pages(small, redis_server, spawn):
    name = crawl_name()
    workers = [spawn(redis_server.url, name, small.url("/")) for _ in range(2)]
    for w in workers:
        w.finish()
    total = total_pages(workers)
    assert total == len(delivered(workers))
    stats = [w.stats() for w in workers]
    assert sum(s["pages"] for s in stats) == total  # each worker's own pages
    crawls = [s["crawl"] for s in stats]
    for c in crawls:
        assert set(c) >= {"pages", "queued", "leased", "seen", "done"}, c
        assert c["pages"] <= total
    # every worker ends once nothing is queued or leased: by then all pages are counted
    last = max(crawls, key=lambda c: c["pages"])
    assert last["pages"] == total
    assert last["queued"] == 0 and last["leased"] == 0
    assert last["seen"] >= total


@pytest.mark.timeout(60)
async def test_unreachable_redis_at_start_raises_connection_error(site):
    port = closed_port()
    for frontier in (
        f"redis://127.0.0.1:{port}/0",
        f"redis+cluster://127.0.0.1:{port},127.0.0.1:{closed_port()}",
    ):
        for make in (ferrocrawl.crawl, ferrocrawl.Crawler):
            t0 = time.monotonic()
            with pytest.raises(ConnectionError) as err:
                make(site.url("/"), frontier=frontier, name="unreachable")
            assert time.monotonic() - t0 < 5
            assert isinstance(err.value, ferrocrawl.ClientConnectionError)
            assert f"127.0.0.1:{port}" in str(err.value)
    assert site.requests() == []


async def test_frontier_needs_a_name_and_excludes_state(site, redis_server, tmp_path):
    with pytest.raises(ValueError, match="name"):
        ferrocrawl.crawl(site.url("/"), frontier=redis_server.url)
    with pytest.raises(ValueError, match="state"):
        ferrocrawl.crawl(
            site.url("/"), frontier=redis_server.url, name="both", state=tmp_path / "crawl.db"
        )
    assert redis_server.cli("DBSIZE") == "0"  # refused before touching Redis
    assert site.requests() == []


async def _crawl_urls(*args: Any, **kw: Any) -> list[str]:
    return [str(page.url) async for page in ferrocrawl.crawl(*args, **kw)]


async def test_delay_holds_across_workers(site, redis_server):
    # two workers, one host: their request starts together are still `delay` apart
    start = [site.url(f"/missing/{i}") for i in range(6)]
    name = crawl_name()
    kw = dict(frontier=redis_server.url, name=name, delay=0.3, robots=False, follow=False)
    a, b = await asyncio.gather(_crawl_urls(start, **kw), _crawl_urls(start, **kw))
    assert sorted(a + b) == sorted(start)
    starts = sorted(r["start"] for r in site.requests())
    assert len(starts) == 6
    gaps = [y - x for x, y in itertools.pairwise(starts)]
    assert min(gaps) >= 0.27, gaps


async def test_robots_crawl_delay_holds_across_workers(delay_site, redis_server):
    kw = dict(frontier=redis_server.url, name=crawl_name(), per_host=4)
    a, b = await asyncio.gather(
        _crawl_urls(delay_site.url("/"), **kw), _crawl_urls(delay_site.url("/"), **kw)
    )
    assert not set(a) & set(b)
    starts = sorted(r["start"] for r in delay_site.requests() if r["target"] != "/robots.txt")
    assert len(starts) >= 3
    gaps = [y - x for x, y in itertools.pairwise(starts)]
    assert min(gaps) >= 0.95, gaps


@pytest.mark.timeout(180)
def test_two_workers_with_a_bloom_seen_set(small, redis_server, spawn):
    # a false-positive rate of 1e-9 over a few hundred URLs: no page may be lost to it
    frontier = f"{redis_server.url}?seen=bloom&expected=10000&fp_rate=0.000000001"
    name = crawl_name()
    workers = [spawn(frontier, name, small.url("/")) for _ in range(2)]
    for w in workers:
        w.finish()
    assert_whole_site_once(small, workers)
    layout = redis_server.cli("HGET", f"fc:{{{name}}}:meta", "seen")
    assert layout.startswith("bloom:"), layout
