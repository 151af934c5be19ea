"""One worker of a crawl shared through Redis, in its own process (tests/test_crawl_redis.py):

    python -m tests.crawl_worker --frontier redis://127.0.0.1:PORT/0?lease=2 --name NAME \\
        --start URL [--per-host N] [--concurrency N] [--out FILE] [--slow SECONDS] \\
        [--user-agent UA]

Runs ferrocrawl.crawl(start, frontier=..., name=...) and appends one JSON line per page to
--out (stdout without it): {"url", "request_url", "status", "error"}, written and flushed one
page at a time, so a worker killed with SIGKILL leaves only complete lines. At the end one line
{"stats": crawler.stats}, and exit status 0. --slow sleeps that long after each page (a worker
slow enough to be killed mid-crawl); --user-agent tells the workers apart in the site's log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any, TextIO

import ferrocrawl


def _line(out: TextIO, obj: dict[str, Any]) -> None:
    out.write(json.dumps(obj, default=str) + "\n")  # one write() of a whole line
    out.flush()


async def run(a: argparse.Namespace, out: TextIO) -> None:
    options: dict[str, Any] = {"frontier": a.frontier, "name": a.name}
    if a.per_host is not None:
        options["per_host"] = a.per_host
    if a.concurrency is not None:
        options["concurrency"] = a.concurrency
    if a.user_agent:
        options["user_agent"] = a.user_agent
    async with ferrocrawl.crawl(a.start, **options) as crawler:
        async for page in crawler:
            _line(
                out,
                {
                    "url": page.url,
                    "request_url": page.request_url,
                    "status": page.status,
                    "error": None if page.error is None else repr(page.error),
                },
            )
            if a.slow:
                await asyncio.sleep(a.slow)
    _line(out, {"stats": crawler.stats})


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--frontier", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--start", required=True, action="append", help="repeat for more")
    ap.add_argument("--per-host", type=int)
    ap.add_argument("--concurrency", type=int)
    ap.add_argument("--out", help="append the JSON lines here (default: stdout)")
    ap.add_argument("--slow", type=float, default=0.0, help="seconds to sleep after each page")
    ap.add_argument("--user-agent")
    a = ap.parse_args()
    if a.out:
        with open(a.out, "a", encoding="utf-8") as out:
            asyncio.run(run(a, out))
    else:
        asyncio.run(run(a, sys.stdout))
    return 0


if __name__ == "__main__":
    sys.exit(main())
