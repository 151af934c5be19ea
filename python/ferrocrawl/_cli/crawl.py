"""`ferrocrawl crawl URL...`: a crawl from the command line, its records to sinks.

Records are what the sinks write: `{"url": ..., **extract fields}`, one per 2xx page, to
JSON lines (`.jsonl`), CSV (`.csv`), `sqlite:///FILE?table=T`, `redis://HOST:PORT/0?key=K`
or `mysql://USER:PW@HOST/DB?table=T` (written from Rust, in batches; `-o` appends like
Scrapy's, `-O` overwrites a file first), or `-` for JSON lines on stdout. Progress on stderr
when it is a terminal, a summary at the end. Ctrl-C stops gracefully (the pages in flight are
delivered, `--state` keeps the rest for the next run); a second Ctrl-C aborts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
from collections.abc import Iterator
from typing import Any

from .._crawl import crawl
from .usage import UsageError

PAGE_FIELDS = ("status", "depth", "fetched_at")


def add_parser(commands: Any) -> None:
    p = commands.add_parser("crawl", help="crawl from start URLs", description=__doc__)
    p.add_argument("urls", nargs="+", metavar="URL", help="start URLs")
    p.add_argument(
        "-o",
        "--output",
        action="append",
        metavar="SINK",
        help="append records to FILE.jsonl, FILE.csv, a sqlite:/redis:/mysql: URL, or - (stdout)",
    )
    p.add_argument(
        "-O",
        "--overwrite-output",
        action="append",
        metavar="FILE",
        help="like -o, the file emptied first",
    )
    p.add_argument(
        "--sink-fields",
        metavar="F,F",
        help=f"page fields added to each record: {', '.join(PAGE_FIELDS)}",
    )
    p.add_argument("--max-pages", type=int)
    p.add_argument("--depth", type=int, help="max depth (start URLs are 0)")
    p.add_argument("--allow", action="append", metavar="RE", help="follow only links matching")
    p.add_argument("--deny", action="append", metavar="RE", help="never follow links matching")
    p.add_argument(
        "--extract",
        action="append",
        metavar="NAME=SELECTOR",
        help="a field per page: CSS, xpath:..., re:...; NAME[]=... for every match",
    )
    p.add_argument("--concurrency", type=int, default=64)
    p.add_argument("--per-host", type=int, default=8)
    p.add_argument("--delay", type=float, default=0.0, help="seconds between starts on a host")
    p.add_argument("--no-robots", action="store_true", help="ignore robots.txt")
    p.add_argument("--state", help="resumable state file (SQLite): run again to resume")
    p.add_argument("--frontier", help="redis://host:port/0: share the crawl with other workers")
    p.add_argument("--name", help="the crawl's name with --frontier")
    p.add_argument("--user-agent")
    progress = p.add_mutually_exclusive_group()
    progress.add_argument("--progress", dest="progress", action="store_true", default=None)
    progress.add_argument("--no-progress", dest="progress", action="store_false")
    p.set_defaults(run=run)


def extract_rules(specs: list[str] | None) -> dict[str, str | list[str]]:
    rules: dict[str, str | list[str]] = {}
    for spec in specs or []:
        name, sep, selector = spec.partition("=")
        if not sep or not name or not selector:
            raise UsageError(f"--extract {spec!r}: expected NAME=SELECTOR")
        if name.endswith("[]"):
            rules[name[:-2]] = [selector]
        else:
            rules[name] = selector
    return rules


def sinks(args: argparse.Namespace) -> tuple[list[str], bool]:
    """The sink URLs of -o/-O (-O files emptied), and whether `-` asked for stdout."""
    urls = [*(args.output or []), *(args.overwrite_output or [])]
    for path in args.overwrite_output or []:
        if "://" in path or path == "-":
            raise UsageError(f"-O {path}: only a file can be overwritten; use -o")
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
    return [u for u in urls if u != "-"], "-" in urls


@contextlib.contextmanager
def interrupts(crawler: Any) -> Iterator[list[int]]:
    """First Ctrl-C: stop gracefully; second: abort. Yields the count of interrupts."""
    count = [0]
    loop = asyncio.get_running_loop()

    def on_sigint() -> None:
        count[0] += 1
        if count[0] == 1:
            print("\nstopping: pages in flight finish (Ctrl-C again to abort)", file=sys.stderr)
            crawler.stop()
        else:
            crawler.stop(abandon=True)

    try:
        loop.add_signal_handler(signal.SIGINT, on_sigint)
    except (NotImplementedError, RuntimeError):  # not the main thread, or Windows
        yield count
        return
    try:
        yield count
    finally:
        loop.remove_signal_handler(signal.SIGINT)


def summary(stats: dict[str, Any], records: int) -> str:
    lines = [
        f"{stats.get('pages', 0):,} pages in {stats.get('elapsed', 0):.1f} s "
        f"({stats.get('pages_per_second', 0):,.0f} pages/s), {records:,} records",
    ]
    statuses = stats.get("status") or {}
    if statuses:
        lines.append("status: " + ", ".join(f"{k}: {v:,}" for k, v in sorted(statuses.items())))
    errors = stats.get("errors") or {}
    if errors:
        lines.append("errors: " + ", ".join(f"{k}: {v:,}" for k, v in sorted(errors.items())))
    crawl_wide = stats.get("crawl")
    if crawl_wide:
        lines.append(
            f"whole crawl: {crawl_wide.get('pages', 0):,} pages by "
            f"{crawl_wide.get('workers', 1)} workers"
        )
    return "\n".join(lines)


async def crawl_to(args: argparse.Namespace) -> int:
    rules = extract_rules(args.extract)
    options: dict[str, Any] = dict(
        max_pages=args.max_pages,
        max_depth=args.depth,
        allow=args.allow,
        deny=args.deny,
        extract=rules or None,
        concurrency=args.concurrency,
        per_host=args.per_host,
        delay=args.delay,
        robots=not args.no_robots,
        state=args.state,
        frontier=args.frontier,
        name=args.name,
        progress=args.progress,
    )
    if args.user_agent:
        options["user_agent"] = args.user_agent
    urls, stdout = sinks(args)
    if urls:
        options["sink"] = urls
        if args.sink_fields:
            options["sink_fields"] = [f.strip() for f in args.sink_fields.split(",") if f.strip()]
    elif args.sink_fields:
        raise UsageError("--sink-fields goes with -o")
    failed = records = 0
    crawler = crawl(args.urls, **options)
    with interrupts(crawler) as count:
        async for page in crawler:
            if page.error is not None:
                failed += 1
                continue
            if page.status is None or not 200 <= page.status < 300:
                continue
            records += 1
            if stdout:
                record = {"url": str(page.url), **page.data}
                sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
                sys.stdout.flush()
    stats = crawler.stats
    print(summary(stats, records), file=sys.stderr)
    if count[0] > 1:
        return 130
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(crawl_to(args))
