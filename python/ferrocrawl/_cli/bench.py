"""`ferrocrawl bench`: crawls a generated site that ferrocrawl serves on 127.0.0.1 (in a
process of its own) and prints the pages per second: what this machine does, no network
needed. The benchmarks against other crawlers are in the repository's bench/ folder.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from typing import Any

from .._crawl import crawl
from .usage import UsageError


def add_parser(commands: Any) -> None:
    p = commands.add_parser("bench", help="crawl a generated local site", description=__doc__)
    p.add_argument("--pages", type=int, default=5000, help="site size (default 5000)")
    p.add_argument("--concurrency", type=int, default=64)
    progress = p.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None)
    progress.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(run=run)


async def crawl_site(url: str, args: argparse.Namespace) -> tuple[int, float]:
    started = time.perf_counter()
    pages = 0
    crawler = crawl(
        url,
        concurrency=args.concurrency,
        per_host=args.concurrency,
        max_pages=args.pages,
        progress=args.progress,
    )
    async for page in crawler:
        if page.error is None:
            pages += 1
    return pages, time.perf_counter() - started


def run(args: argparse.Namespace) -> int:
    if args.pages < 1:
        raise UsageError("--pages must be at least 1")
    site = subprocess.Popen(
        [sys.executable, "-m", "ferrocrawl._cli.demo_site", "--pages", str(args.pages)],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert site.stdout is not None
        port = int(site.stdout.readline())
        url = f"http://127.0.0.1:{port}/"
        print(f"crawling {args.pages:,} generated pages from {url}", file=sys.stderr)
        pages, seconds = asyncio.run(crawl_site(url, args))
    finally:
        site.kill()
        site.wait()
    print(f"{pages:,} pages in {seconds:.2f} s: {pages / seconds:,.0f} pages/s")
    return 0 if pages == args.pages else 1
