"""Resumable crawls (state=): kill -9 half-way, run again, nothing lost; and backpressure."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import ferrocrawl

from tests.procs import run_script

CRAWL = """
import asyncio, sys, ferrocrawl
async def main():
    async for page in ferrocrawl.crawl(sys.argv[1], state=sys.argv[2], concurrency=8):
        print(page.request_url, flush=True)
asyncio.run(main())
"""
# Delivered twice at most: the batch Python was reading plus the one whose acknowledgement had
# not reached the disk (crawl batches are 128 pages), and the fetches in flight.
MAX_REDELIVERED = 2 * 128 + 8


def run_crawl(url: str, state: Path, kill_after: int | None = None) -> list[str]:
    return run_script(CRAWL, [url, str(state)], kill_after)


def test_kill_9_then_resume_loses_nothing(site, tmp_path):
    state = tmp_path / "crawl.db"
    first = run_crawl(site.url("/"), state, kill_after=400)
    assert 400 <= len(first) < len(site.expected("/"))
    second = run_crawl(site.url("/"), state)
    fetched = site.fetched()  # both runs: the log was not reset in between
    assert set(fetched) == site.expected("/")
    twice = set(first) & set(second)
    assert len(twice) <= MAX_REDELIVERED
    assert sum(n - 1 for n in fetched.values()) <= MAX_REDELIVERED + 128
    # a finished crawl run again with its state delivers nothing and ends at once
    site.reset()
    assert run_crawl(site.url("/"), state) == []
    assert sum(site.fetched().values()) == 0


async def test_finished_memory_crawl_state_file_is_reusable_in_process(site, tmp_path):
    state = tmp_path / "crawl.db"
    pages = [p async for p in ferrocrawl.crawl(site.url("/tree/"), state=state, robots=False)]
    assert len(pages) == len(site.expected("/tree/", robots=False))
    assert [p async for p in ferrocrawl.crawl(site.url("/tree/"), state=state)] == []


def rss_mb() -> float:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


async def test_slow_consumer_pauses_fetching(site):
    consumed = 0
    async with ferrocrawl.crawl(site.url("/"), concurrency=16) as crawler:
        async for _ in crawler:
            consumed += 1
            await asyncio.sleep(0.005)
            if consumed == 100:
                rss_at_100 = rss_mb()
            if consumed == 600:
                break
        fetched = sum(site.fetched().values())
    # fetching ran ahead of the consumer by at most the page buffer, a batch and the fetches
    # in flight, not by the whole site
    assert fetched <= consumed + 256 + 128 + 16 + 16
    assert rss_mb() - rss_at_100 < 64
