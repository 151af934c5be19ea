#!/usr/bin/env python3
"""Soak: a 100 000-page crawl, in memory and then through Redis into MariaDB with both servers
restarted mid-crawl; memory must stay flat and every page must come out exactly once.

    python bench/soak.py [--pages 100000] [--modes memory,redis] [--concurrency 64]

The site is bench/crawl.py's synthetic one (gen_site.ensure_crawl_site, N pages of ~5 KB plus
index.html, ~10 links a page) from a private nginx on 127.0.0.1. Each mode crawls all of it in
a fresh interpreter (--child), robots off, one `extract` field, and samples its own RSS every
1 000 pages:

    memory   ferrocrawl.crawl() with the in-memory frontier
    redis    frontier="redis://..." (a private redis-server, appendonly yes + appendfsync
             always) and sink="mysql://...?table=pages" (a private mariadbd), where this
             script restarts redis-server at 1/3 of the pages and mariadbd at 2/3: SIGTERM,
             wait for the exit, --down seconds down, start again on the same port and data dir

Invariants (PASS / FAIL): RSS at the end < RSS at the start + 300 MB; the second half flat
(RSS at the end < RSS at half-way + 20 MB: by then every URL is in the seen-set, so anything
more is a leak); every site page delivered to Python exactly once and nothing else delivered;
redis mode: the table holds exactly one row per page URL (COUNT(*) = COUNT(DISTINCT url) =
pages, and no page URL missing), no error raised out of the crawl. A wait is bounded
(--timeout) so a hang is reported, not waited for. Runs itself inside `unshare -n` as
bench/crawl.py does (--no-unshare to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from crawl import NETNS_ENV, bench_dir, close_within, consume_within, reexec_in_netns, run_measured  # noqa: E402
from crawl_memory import rss_mb  # noqa: E402
from gen_site import ensure_crawl_site  # noqa: E402
from nginx import Nginx  # noqa: E402

from tests.servers.mariadb import MariaDBServer  # noqa: E402
from tests.servers.redis import RedisServer  # noqa: E402

GROWTH_MB = 300  # the issue: RSS after the crawl within 300 MB of the start
FLAT_MB = 20  # our line for "flat": the second half may grow this much (allocator noise)
SAMPLE_EVERY = 1000
PAGE_RE = re.compile(r"/p/\d\d/(\d{5})\.html$")


class DurableRedis(RedisServer):
    """appendfsync always: Redis answers a write only once it is in the AOF, so a restart
    brings back everything a worker was told (everysec could lose the last second)."""

    def _config(self) -> str:
        return super()._config().replace("appendfsync everysec", "appendfsync always")


# ---- the child: one crawl, measured from inside ------------------------------------------------


async def crawl_child(a: argparse.Namespace) -> dict[str, Any]:
    import ferrocrawl

    options: dict[str, Any] = {
        "concurrency": a.concurrency,
        "per_host": a.concurrency,  # one host: the global limit is the one that matters
        "robots": False,
        "extract": {"title": "title::text"},
    }
    if a.frontier:
        options.update(frontier=a.frontier, name="soak")
    if a.sink:
        options["sink"] = a.sink
    # a count per page id rather than a set of URLs: Python's own memory stays out of the RSS
    # we are judging the engine by
    seen = bytearray(a.pages)
    other: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    progress = Path(a.progress)
    samples = [(0, round(rss_mb(), 1), 0.0)]
    res: dict[str, Any] = {"rss_start_mb": samples[0][1]}
    crawler = ferrocrawl.Crawler(a.start, **options)
    pages, t0 = 0, time.perf_counter()

    async def consume() -> None:
        nonlocal pages
        async for page in crawler:
            pages += 1
            m = PAGE_RE.search(page.url)
            if m:
                i = int(m.group(1))
                seen[i] = min(255, seen[i] + 1)
            else:
                other[page.url] += 1
            if page.error is not None:
                errors[type(page.error).__name__] += 1
            if pages % SAMPLE_EVERY == 0:
                samples.append((pages, round(rss_mb(), 1), round(time.perf_counter() - t0, 2)))
                progress.write_text(str(pages))  # noqa: ASYNC240 (a few bytes, 100 times)

    await consume_within(consume, a.timeout, res, lambda: pages)
    dt = time.perf_counter() - t0
    samples.append((pages, round(rss_mb(), 1), round(dt, 2)))
    stats = crawler.stats
    await close_within(crawler, res)
    res.update(
        pages=pages,
        seconds=round(dt, 1),
        pages_per_s=round(pages / dt, 1) if dt else 0,
        samples=samples,
        doubled=[i for i, c in enumerate(seen) if c > 1][:20],
        n_doubled=sum(1 for c in seen if c > 1),
        n_missing=sum(1 for c in seen if c == 0),
        missing=[i for i, c in enumerate(seen) if c == 0][:20],
        other=dict(other.most_common(20)),
        page_errors=dict(errors),
        stats={k: stats.get(k) for k in ("pages", "requests", "retries", "errors", "status")},
        crawl_stats=stats.get("crawl"),
    )
    return res


# ---- the parent: servers, restarts, verdicts ----------------------------------------------------


def restart(server: Any, down: float) -> float:
    """SIGTERM, wait for the exit, `down` seconds, start on the same port and directory; the
    seconds it took."""
    t0 = time.monotonic()
    server.proc.terminate()
    server.proc.wait(60)
    time.sleep(down)
    server.start()  # bounded: the server classes wait at most their timeout
    return time.monotonic() - t0


class Restarter(threading.Thread):
    """Watches the child's progress file and restarts each server once its page count is
    reached: (name, server, at_pages)."""

    def __init__(self, progress: Path, plan: list[tuple[str, Any, int]], down: float) -> None:
        super().__init__(daemon=True)
        self.progress, self.plan, self.down = progress, plan, down
        self.done = threading.Event()
        self.log: list[dict[str, Any]] = []

    def pages(self) -> int:
        try:
            return int(self.progress.read_text() or 0)
        except (OSError, ValueError):
            return 0

    def run(self) -> None:
        for name, server, at in self.plan:
            while self.pages() < at:
                if self.done.wait(0.05):
                    return
            row: dict[str, Any] = {"server": name, "at_pages": self.pages()}
            try:
                row["restart_s"] = round(restart(server, self.down), 2)
            except Exception as e:
                row["error"] = f"{type(e).__name__}: {e}"[:300]
            # how long the crawl stalled: until the next progress sample after the restart
            back, t0 = self.pages(), time.monotonic()
            while self.pages() == back and not self.done.wait(0.05):
                pass
            row["next_sample_after_s"] = round(time.monotonic() - t0, 2)
            self.log.append(row)


def run_child(mode: str, start: str, a: argparse.Namespace, extra: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--child", "--start", start, "--pages", str(a.pages)]
    cmd += ["--concurrency", str(a.concurrency), "--timeout", str(a.timeout)]
    cmd += ["--progress", str(progress_file(mode)), *extra]
    res, ru = run_measured(cmd, a.timeout + 120)  # the child's own timeout fires first
    res["rss_peak_mb"] = round(ru.ru_maxrss / 1024, 1)
    res["cpu_s"] = round(ru.ru_utime + ru.ru_stime, 1)
    return res


def progress_file(mode: str) -> Path:
    p = bench_dir() / f"soak-progress-{mode}"
    p.write_text("0")
    return p


def check_table(mysql: MariaDBServer, base: str, n: int) -> dict[str, Any]:
    rows, distinct = map(int, mysql.query("SELECT COUNT(*), COUNT(DISTINCT url) FROM pages")[0])
    urls = {r[0] for r in mysql.query("SELECT url FROM pages")}
    want = {f"{base}/p/{i // 1000:02d}/{i:05d}.html" for i in range(n)} | {f"{base}/index.html"}
    return {
        "rows": rows,
        "distinct": distinct,
        "missing": sorted(want - urls)[:10],
        "n_missing": len(want - urls),
        "extra": sorted(urls - want)[:10],
    }


def verdicts(mode: str, r: dict[str, Any], n: int) -> list[tuple[str, bool, str]]:
    s = r["samples"]
    start, end = s[0][1], s[-1][1]
    mid = min(s, key=lambda x: abs(x[0] - n / 2))[1]
    out = [
        (f"RSS end - start < {GROWTH_MB} MB", end - start < GROWTH_MB, f"{end - start:+.1f} MB"),
        (f"second half flat (< {FLAT_MB} MB)", end - mid < FLAT_MB, f"{end - mid:+.1f} MB"),
        (
            "every page exactly once",
            r["n_missing"] == 0
            and r["n_doubled"] == 0
            and r["other"] == {f"{r['base']}/index.html": 1},
            f"{r['pages']:,} delivered for {n + 1:,}: {r['n_missing']} missing, "
            f"{r['n_doubled']} twice, others {r['other']}",
        ),
        ("no error raised", "error" not in r, r.get("error", "none")),
    ]
    if mode == "redis":
        t = r["table"]
        ok = t["rows"] == t["distinct"] == n + 1 and not t["n_missing"] and not t["extra"]
        shown = f"{t['rows']:,} rows, {t['distinct']:,} distinct, {t['n_missing']} missing"
        out.append(
            ("table: one row per page", ok, shown + (f" {t['missing']}" if t["missing"] else ""))
        )
    return out


def slope(samples: list[list[float]], n: int) -> float:
    """MB per 10 000 pages over the second half (least squares)."""
    pts = [(p, m) for p, m, _ in samples if p >= n / 2]
    if len(pts) < 2:
        return float("nan")
    mx, my = sum(p for p, _ in pts) / len(pts), sum(m for _, m in pts) / len(pts)
    var = sum((p - mx) ** 2 for p, _ in pts)
    return sum((p - mx) * (m - my) for p, m in pts) / var * 10_000 if var else 0.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=100_000, help="site size (default 100 000)")
    ap.add_argument("--modes", default="memory,redis")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--down", type=float, default=2.0, help="seconds a restarted server is down")
    ap.add_argument("--timeout", type=int, default=1200, help="seconds a crawl may take")
    ap.add_argument("--no-unshare", action="store_true")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    for hidden in ("--start", "--progress", "--frontier", "--sink"):
        ap.add_argument(hidden, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        print(json.dumps(asyncio.run(crawl_child(a))), flush=True)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not a.no_unshare:
        reexec_in_netns()
    netns = "private network namespace" if os.environ.get(NETNS_ENV) else "host network"
    print(f"{os.cpu_count()} CPUs, {netns}", flush=True)
    root = bench_dir() / f"site-{a.pages}"
    t0 = time.monotonic()
    ensure_crawl_site(root, a.pages)
    print(f"synthetic site: {a.pages:,} pages + index.html ({time.monotonic() - t0:.1f}s)")
    results: dict[str, dict[str, Any]] = {}
    with Nginx(root, bench_dir() / "nginx-soak") as ngx:
        start = ngx.base + "/index.html"
        for mode in [m.strip() for m in a.modes.split(",") if m.strip()]:
            print(f"\n== {mode}: crawl of {start}", flush=True)
            if mode == "memory":
                r = run_child(mode, start, a, [])
            elif mode == "redis":
                with DurableRedis(appendonly=True) as redis, MariaDBServer() as mysql:
                    sink = f"{mysql.url}?table=pages"
                    print(
                        f"   redis-server {redis.addr} (AOF, fsync always), mariadbd {mysql.addr}"
                    )
                    plan = [
                        ("redis-server", redis, a.pages // 3),
                        ("mariadbd", mysql, 2 * a.pages // 3),
                    ]
                    watcher = Restarter(progress_file(mode), plan, a.down)
                    watcher.start()
                    try:
                        r = run_child(mode, start, a, ["--frontier", redis.url, "--sink", sink])
                    finally:
                        watcher.done.set()
                        watcher.join(120)
                    r["restarts"] = watcher.log
                    if not mysql.running:
                        mysql.start()  # a restart that failed half-way: read what is there
                    r["table"] = check_table(mysql, ngx.base, a.pages)
            else:
                ap.error(f"unknown mode {mode}")
            r["base"] = ngx.base
            results[mode] = r
            if "samples" not in r:
                print(f"   FAILED: {r.get('error')}")
                continue
            print(f"   {r['pages']:,} pages in {r['seconds']} s ({r['pages_per_s']:,} pages/s)")
    return report(results, a)


def report(results: dict[str, dict[str, Any]], a: argparse.Namespace) -> int:
    n, failed = a.pages, False
    print(f"\n### soak: {n:,}-page site + index.html, concurrency {a.concurrency}\n")
    print(
        "| mode | pages | pages/s | RSS start MB | RSS half MB | RSS end MB | RSS max MB | "
        "2nd half MB/10k pages | CPU s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for mode, r in results.items():
        if "samples" not in r:
            print(f"| {mode} | FAILED: {r.get('error')} | | | | | | | |")
            failed = True
            continue
        s = r["samples"]
        mid = min(s, key=lambda x: abs(x[0] - n / 2))[1]
        print(
            f"| {mode} | {r['pages']:,} | {r['pages_per_s']:,.0f} | {s[0][1]} | {mid} | "
            f"{s[-1][1]} | {max(x[1] for x in s)} (ru_maxrss {r['rss_peak_mb']}) | "
            f"{slope(s, n):+.2f} | {r['cpu_s']} |"
        )
    for mode, r in results.items():
        if "samples" not in r:
            continue
        if r.get("restarts"):
            print(f"\n{mode}: restarts (SIGTERM, exit, {a.down} s down, start)\n")
            print("| server | at page | restart took s | next 1 000 pages after s | error |")
            print("|---|---:|---:|---:|---|")
            for x in r["restarts"]:
                print(
                    f"| {x['server']} | {x['at_pages']:,} | {x.get('restart_s', '–')} | "
                    f"{x['next_sample_after_s']} | {x.get('error', '')} |"
                )
        st = r["stats"]
        print(
            f"\n{mode}: stats: {st['pages']:,} pages, {st['requests']:,} requests, "
            f"{st['retries']} retries, errors {st['errors']}, status {st['status']}; "
            f"page errors seen by Python {r['page_errors']}"
        )
        if r.get("crawl_stats"):
            c = r["crawl_stats"]
            keep = ("pages", "queued", "leased", "seen", "done", "errors", "workers")
            print(f"{mode}: whole-crawl stats (Redis): { ({k: c.get(k) for k in keep if k in c}) }")
        print()
        for name, ok, shown in verdicts(mode, r, n):
            failed |= not ok
            print(f"{mode}: {'PASS' if ok else 'FAIL'} {name}: {shown}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
