"""`ferrocrawl crawl URL...`: a crawl from the command line, its records to a file.

Records are what the sinks write: `{"url": ..., **extract fields}`, one per page fetched
without error, as JSON lines (`.jsonl`, or `-` for stdout) or CSV (`.csv`). Progress on
stderr when it is a terminal, a summary at the end. Ctrl-C stops gracefully (the pages in
flight are delivered, `--state` keeps the rest for the next run); a second Ctrl-C aborts.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import csv
import json
import signal
import sys
from collections.abc import Iterator
from typing import IO, Any

from .._crawl import crawl
from .usage import UsageError

SINK_SCHEMES = ("sqlite:", "redis:", "mysql:")


def add_parser(commands: Any) -> None:
    p = commands.add_parser("crawl", help="crawl from start URLs", description=__doc__)
    p.add_argument("urls", nargs="+", metavar="URL", help="start URLs")
    p.add_argument("-o", "--output", help="records to FILE.jsonl, FILE.csv or - (stdout)")
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


class Records:
    """Writes records to JSON lines or CSV, one line per page, flushed as it goes."""

    def __init__(self, path: str | None, fields: list[str]) -> None:
        self.fields = ["url", *fields]
        self.count = 0
        self._file: IO[str] | None = None
        self._csv: Any = None
        if path is None:
            return
        if path.startswith(SINK_SCHEMES):
            raise UsageError(
                f"-o {path.split(':')[0]}:...: database sinks are not built "
                "yet; write .jsonl or .csv"
            )
        if path == "-":
            self._file = sys.stdout
        elif path.endswith((".jsonl", ".csv")):
            self._file = open(path, "w", encoding="utf-8", newline="")
        else:
            raise UsageError(f"-o {path}: expected a .jsonl or .csv file, or -")
        if path.endswith(".csv"):
            self._csv = csv.DictWriter(self._file, self.fields, extrasaction="ignore")
            self._csv.writeheader()

    def write(self, record: dict[str, Any]) -> None:
        if self._file is None:
            return
        if self._csv is not None:
            row = {k: json.dumps(v) if isinstance(v, list) else v for k, v in record.items()}
            self._csv.writerow(row)
        else:
            self._file.write(json.dumps(record, ensure_ascii=False) + "\n")
        self._file.flush()
        self.count += 1

    def close(self) -> None:
        if self._file is not None and self._file is not sys.stdout:
            self._file.close()


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


def summary(stats: dict[str, Any], written: int) -> str:
    lines = [
        f"{stats.get('pages', 0):,} pages in {stats.get('elapsed', 0):.1f} s "
        f"({stats.get('pages_per_second', 0):,.0f} pages/s), {written:,} records written",
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
    records = Records(args.output, list(rules))
    failed = 0
    try:
        crawler = crawl(args.urls, **options)
        with interrupts(crawler) as count:
            async for page in crawler:
                if page.error is not None:
                    failed += 1
                    continue
                records.write({"url": str(page.url), **page.data})
        stats = crawler.stats
    finally:
        records.close()
    print(summary(stats, records.count), file=sys.stderr)
    if count[0] > 1:
        return 130
    return 1 if failed else 0


def run(args: argparse.Namespace) -> int:
    return asyncio.run(crawl_to(args))
