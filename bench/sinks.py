#!/usr/bin/env python3
"""Sink benchmark: N items written into each sink by the notes' way, the best Python way and
ferrocrawl.Sink, in one run; then crawls with sink= against the same crawl without.

    python bench/sinks.py [--items 100000] [--rounds 3] [--quick] [--sinks mysql,redis-hash,...]
                          [--only-peers] [--skip-crawl] [--json-out F]

Items: N dicts of 5 fields, `url` and 4 texts of 20-60 characters (some Chinese), the same
every run. Each way writes all of them to an emptied target (table dropped, key deleted, file
removed), then the target is read back: it must hold N rows/entries (and a sampled item must be
there), else the run fails loudly (exit status 1). items/s is N over the wall time of the
writing, connection and table creation included; CPU is this process's user+system time (Rust
threads included) and the server's (mariadbd, redis-server: /proc/PID/stat) per item.

Ways, in the same process:
    notes        the notes' style: aiomysql, one `await cur.execute(INSERT ... ON DUPLICATE KEY
                 UPDATE)` per item, autocommit off, one commit at the end; redis.asyncio, one
                 `await r.hset(key, url, json)` (a list: `await r.rpush(key, json)`) per item
    python ...   the best Python way: aiomysql executemany of 1 000 rows (aiomysql rewrites it
                 into one multi-row INSERT ... ON DUPLICATE KEY UPDATE), a commit per chunk;
                 redis-py pipelines (transaction=False) of 1 000 commands, and one HSET / RPUSH
                 of 1 000 entries; sqlite3 executemany of 1 000 rows a transaction (WAL,
                 synchronous=NORMAL, the sink's settings); json.dumps / csv.writer, 1 000 lines
                 a write (the file ones are synchronous: the fastest there is in Python)
    ferrocrawl   `async with ferrocrawl.Sink(url) as sink: await sink.put_many(chunk)` per
                 1 000 items (closing flushes): mysql, redis hash and list, sqlite, jsonl, csv
"x best Python" is a way's items/s over the fastest `python` way's for that sink.

Servers: a private mariadbd (tests/servers/mariadb.py: data on tmpfs when there is room,
innodb_flush_log_at_trx_commit=2) and redis-server without persistence
(tests/servers/redis.py), both on 127.0.0.1 and started for the run. Files go under
$BENCH_DIR/sinks (default ~/.cache/ferrocrawl-bench/sinks).

Crawls (skipped with --skip-crawl or --only-peers): the synthetic site of bench/crawl.py
(gen_site.ensure_crawl_site, --site-pages, default 20 000) from a private nginx, crawled by
ferrocrawl.crawl(extract=4 fields, concurrency 64, robots off) with sink=None, then sink=
mysql, redis (hash) and jsonl, each in a fresh process (bench/sinks.py --crawl-worker),
interleaved over the rounds. The sink must hold one item per 2xx page. Prints pages/s and the
ratio to the crawl without a sink, with the issue's target (>= 0.8: PASS / FAIL).

A way that cannot run because ferrocrawl is not built (no ferrocrawl.Sink, no crawl) is n/a,
not a failure. Runs itself inside `unshare -n` as bench/crawl.py does (--no-unshare to skip).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import os
import random
import signal
import sqlite3
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

from crawl import NETNS_ENV, reexec_in_netns, run_measured  # noqa: E402
from gen_site import ensure_crawl_site  # noqa: E402
from nginx import Nginx  # noqa: E402

from tests.servers.mariadb import MariaDBServer  # noqa: E402
from tests.servers.redis import RedisServer  # noqa: E402

Item = dict[str, str]
CHUNK = 1000
FIELDS = ["url", "title", "brand", "category", "description"]
SINKS = ["mysql", "redis-hash", "redis-list", "sqlite", "jsonl", "csv"]
NOTES, PYTHON, FERRO = "notes", "python", "ferrocrawl"
# the crawl: 4 fields every page of the synthetic site has
CRAWL_EXTRACT = {
    "title": "title::text",
    "h1": "h1::text",
    "first_link": "ul.related a::attr(href)",
    "intro": "main p::text",
}
CRAWL_SINKS = ["none", "mysql", "redis-hash", "jsonl"]
CRAWL_TARGET = 0.8  # the issue: a crawl with a sink keeps >= 0.8x the pages/s without one
WORDS = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua crawler async rust python tokio socket buffer queue "
    "猫咪 城市 夜景 美食 徒步 记录"
).split()


def bench_root() -> Path:
    d = os.environ.get("BENCH_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ferrocrawl-bench"
    )
    return Path(d)


def make_items(n: int, seed: int = 7) -> list[Item]:
    rng = random.Random(seed)

    def text() -> str:
        want = rng.randint(20, 60)
        out = ""
        while len(out) < want:
            out += rng.choice(WORDS) + " "
        return out[:want].strip() or "x"

    return [
        {"url": f"https://shop.example/item/{i:07d}", **{f: text() for f in FIELDS[1:]}}
        for i in range(n)
    ]


def chunks(items: list[Item], size: int = CHUNK) -> Iterator[list[Item]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def dumps(item: Item) -> str:
    # what the sink writes: compact, non-ASCII as is (serde_json's to_string)
    return json.dumps(item, ensure_ascii=False, separators=(",", ":"))


def proc_cpu(pid: int) -> float:
    """A process's user+system CPU seconds so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# ---- the targets: the servers, the files, and reading them back ------------------------------


class Targets:
    def __init__(self, mysql: MariaDBServer, redis: RedisServer, work: Path) -> None:
        self.mysql, self.redis, self.work = mysql, redis, work

    def url(self, sink: str, name: str = "items") -> str:
        if sink == "mysql":
            return f"{self.mysql.url}?table={name}"
        if sink.startswith("redis-"):
            return f"{self.redis.url}?key={name}&type={sink.removeprefix('redis-')}"
        if sink == "sqlite":
            return f"sqlite:///{self.path(sink, name)}"  # an absolute path: sqlite:////...
        return str(self.path(sink, name))

    def path(self, sink: str, name: str) -> Path:
        return self.work / f"{name}.{'db' if sink == 'sqlite' else sink}"

    def reset(self, sink: str, name: str = "items") -> None:
        if sink == "mysql":
            self.mysql.query(f"DROP TABLE IF EXISTS `{name}`")
        elif sink.startswith("redis-"):
            self.redis.cli("DEL", name)
        else:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{self.path(sink, name)}{suffix}").unlink(missing_ok=True)

    def count(self, sink: str, name: str = "items") -> int:
        """Rows (entries, lines without the CSV header) the target holds; 0 when missing."""
        if sink == "mysql":
            try:
                return int(self.mysql.query(f"SELECT COUNT(*) FROM `{name}`")[0][0])
            except RuntimeError:
                return 0  # no table
        if sink == "redis-hash":
            return int(self.redis.cli("HLEN", name))
        if sink == "redis-list":
            return int(self.redis.cli("LLEN", name))
        path = self.path(sink, name)
        if not path.exists():
            return 0
        if sink == "sqlite":
            con = sqlite3.connect(path)
            try:
                return int(con.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])
            except sqlite3.OperationalError:
                return 0
            finally:
                con.close()
        with path.open(newline="", encoding="utf-8") as f:
            if sink == "csv":
                return max(0, sum(1 for _ in csv.reader(f)) - 1)
            return sum(1 for line in f if line.strip())

    def sample(self, sink: str, items: list[Item], name: str = "items") -> str | None:
        """None if a sampled item reads back as written, else what is wrong."""
        if sink in ("mysql", "redis-hash", "sqlite"):  # keyed by url: the middle item
            item = items[len(items) // 2]
            url = item["url"]
            if sink == "mysql":
                rows = self.mysql.query(f"SELECT title FROM `{name}` WHERE url = '{url}'")
                got = rows[0][0] if rows else None
            elif sink == "redis-hash":
                raw = self.redis.cli("HGET", name, url)
                got = json.loads(raw).get("title") if raw else None
            else:
                con = sqlite3.connect(self.path(sink, name))
                try:
                    row = con.execute(
                        f'SELECT title FROM "{name}" WHERE url = ?', (url,)
                    ).fetchone()
                finally:
                    con.close()
                got = row[0] if row else None
            return None if got == item["title"] else f"{url}: title {got!r} != {item['title']!r}"
        # in order: the first entry is the first item
        if sink == "redis-list":
            first = json.loads(self.redis.cli("LINDEX", name, "0"))
        else:
            with self.path(sink, name).open(newline="", encoding="utf-8") as f:
                first = next(csv.DictReader(f)) if sink == "csv" else json.loads(f.readline())
        want = items[0]
        return None if first == want else f"first entry {first!r} != {want!r}"


# ---- the ways ---------------------------------------------------------------------------------

COLS = ", ".join(f"`{f}`" for f in FIELDS)
MYSQL_CREATE = (
    "CREATE TABLE IF NOT EXISTS items (`url` VARCHAR(3072) CHARACTER SET ascii COLLATE ascii_bin "
    "NOT NULL PRIMARY KEY, "
    + ", ".join(f"`{f}` LONGTEXT" for f in FIELDS[1:])
    + ") DEFAULT CHARSET = utf8mb4"  # the sink's own table (crates/.../sink/mysql.rs)
)
MYSQL_UPSERT = (
    f"INSERT INTO items ({COLS}) VALUES ({', '.join(['%s'] * len(FIELDS))}) "
    "ON DUPLICATE KEY UPDATE " + ", ".join(f"`{f}` = VALUES(`{f}`)" for f in FIELDS[1:])
)
SQLITE_CREATE = (
    "CREATE TABLE IF NOT EXISTS items (url TEXT PRIMARY KEY, "
    + ", ".join(f"{f} TEXT" for f in FIELDS[1:])
    + ")"
)
SQLITE_UPSERT = (
    f"INSERT INTO items ({', '.join(FIELDS)}) VALUES ({', '.join('?' * len(FIELDS))}) "
    "ON CONFLICT(url) DO UPDATE SET " + ", ".join(f"{f} = excluded.{f}" for f in FIELDS[1:])
)


async def mysql_connect(t: Targets) -> Any:
    import aiomysql

    return await aiomysql.connect(**t.mysql.params, charset="utf8mb4", autocommit=False)


async def mysql_notes(t: Targets, items: list[Item]) -> None:
    conn = await mysql_connect(t)
    try:
        cur = await conn.cursor()
        await cur.execute(MYSQL_CREATE)
        for item in items:
            await cur.execute(MYSQL_UPSERT, tuple(item.values()))
        await conn.commit()
        await cur.close()
    finally:
        conn.close()


async def mysql_executemany(t: Targets, items: list[Item]) -> None:
    conn = await mysql_connect(t)
    try:
        async with conn.cursor() as cur:
            await cur.execute(MYSQL_CREATE)
            for chunk in chunks(items):
                await cur.executemany(MYSQL_UPSERT, [tuple(i.values()) for i in chunk])
                await conn.commit()
    finally:
        conn.close()


def redis_client(t: Targets) -> Any:
    import redis.asyncio as aioredis

    return aioredis.from_url(t.redis.url)


async def redis_hash_notes(t: Targets, items: list[Item]) -> None:
    r = redis_client(t)
    try:
        for item in items:
            await r.hset("items", item["url"], dumps(item))
    finally:
        await r.aclose()


async def redis_hash_pipeline(t: Targets, items: list[Item]) -> None:
    r = redis_client(t)
    try:
        async with r.pipeline(transaction=False) as p:
            for chunk in chunks(items):
                for item in chunk:
                    p.hset("items", item["url"], dumps(item))
                await p.execute()
    finally:
        await r.aclose()


async def redis_hash_mapping(t: Targets, items: list[Item]) -> None:
    r = redis_client(t)
    try:
        for chunk in chunks(items):
            await r.hset("items", mapping={i["url"]: dumps(i) for i in chunk})
    finally:
        await r.aclose()


async def redis_list_notes(t: Targets, items: list[Item]) -> None:
    r = redis_client(t)
    try:
        for item in items:
            await r.rpush("items", dumps(item))
    finally:
        await r.aclose()


async def redis_list_pipeline(t: Targets, items: list[Item]) -> None:
    r = redis_client(t)
    try:
        async with r.pipeline(transaction=False) as p:
            for chunk in chunks(items):
                for item in chunk:
                    p.rpush("items", dumps(item))
                await p.execute()
    finally:
        await r.aclose()


async def redis_list_multi(t: Targets, items: list[Item]) -> None:
    r = redis_client(t)
    try:
        for chunk in chunks(items):
            await r.rpush("items", *[dumps(i) for i in chunk])
    finally:
        await r.aclose()


async def sqlite_executemany(t: Targets, items: list[Item]) -> None:
    con = sqlite3.connect(t.path("sqlite", "items"))
    try:
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(SQLITE_CREATE)
        for chunk in chunks(items):
            with con:  # one transaction a chunk
                con.executemany(SQLITE_UPSERT, [tuple(i.values()) for i in chunk])
    finally:
        con.close()


async def jsonl_write(t: Targets, items: list[Item]) -> None:
    with t.path("jsonl", "items").open("a", encoding="utf-8") as f:
        for chunk in chunks(items):
            f.write("".join(dumps(i) + "\n" for i in chunk))


async def csv_write(t: Targets, items: list[Item]) -> None:
    with t.path("csv", "items").open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        for chunk in chunks(items):
            w.writerows(chunk)


def ferrocrawl_sink(sink: str) -> Callable[[Targets, list[Item]], Awaitable[None]]:
    async def run(t: Targets, items: list[Item]) -> None:
        import ferrocrawl

        async with ferrocrawl.Sink(t.url(sink)) as s:
            for chunk in chunks(items):
                await s.put_many(chunk)

    return run


@dataclass(frozen=True)
class Way:
    sink: str
    kind: str  # NOTES, PYTHON or FERRO
    name: str
    run: Callable[[Targets, list[Item]], Awaitable[None]]


WAYS = [
    Way("mysql", NOTES, "notes: execute per item", mysql_notes),
    Way("mysql", PYTHON, "python: executemany x1000", mysql_executemany),
    Way("mysql", FERRO, "ferrocrawl.Sink", ferrocrawl_sink("mysql")),
    Way("redis-hash", NOTES, "notes: hset per item", redis_hash_notes),
    Way("redis-hash", PYTHON, "python: pipeline x1000", redis_hash_pipeline),
    Way("redis-hash", PYTHON, "python: hset mapping x1000", redis_hash_mapping),
    Way("redis-hash", FERRO, "ferrocrawl.Sink", ferrocrawl_sink("redis-hash")),
    Way("redis-list", NOTES, "notes: rpush per item", redis_list_notes),
    Way("redis-list", PYTHON, "python: pipeline x1000", redis_list_pipeline),
    Way("redis-list", PYTHON, "python: rpush x1000", redis_list_multi),
    Way("redis-list", FERRO, "ferrocrawl.Sink", ferrocrawl_sink("redis-list")),
    Way("sqlite", PYTHON, "python: sqlite3 executemany x1000", sqlite_executemany),
    Way("sqlite", FERRO, "ferrocrawl.Sink", ferrocrawl_sink("sqlite")),
    Way("jsonl", PYTHON, "python: json.dumps, write x1000", jsonl_write),
    Way("jsonl", FERRO, "ferrocrawl.Sink", ferrocrawl_sink("jsonl")),
    Way("csv", PYTHON, "python: csv.DictWriter x1000", csv_write),
    Way("csv", FERRO, "ferrocrawl.Sink", ferrocrawl_sink("csv")),
]


def server_pid(t: Targets, sink: str) -> int | None:
    proc = t.mysql.proc if sink == "mysql" else t.redis.proc if sink.startswith("redis") else None
    return proc.pid if proc is not None else None


async def measure(way: Way, t: Targets, items: list[Item], na: str | None) -> dict[str, Any]:
    res: dict[str, Any] = {"sink": way.sink, "way": way.name, "kind": way.kind}
    if na is not None:
        return {**res, "error": na, "na": True}
    t.reset(way.sink)
    gc.collect()
    pid = server_pid(t, way.sink)
    s0 = proc_cpu(pid) if pid else 0.0
    c0, t0 = time.process_time(), time.perf_counter()
    try:
        await way.run(t, items)
    except Exception as e:  # a failure of a way that can run is the benchmark's failure
        return {**res, "error": f"{type(e).__name__}: {e}"[:300]}
    dt, cpu = time.perf_counter() - t0, time.process_time() - c0
    server = proc_cpu(pid) - s0 if pid else 0.0
    got = t.count(way.sink)
    if got != len(items):
        return {**res, "error": f"wrote {got} of {len(items)} items"}
    if wrong := t.sample(way.sink, items):
        return {**res, "error": f"read back wrong: {wrong}"[:300]}
    n = len(items)
    return {
        **res,
        "items": n,
        "seconds": round(dt, 3),
        "items_per_s": round(n / dt, 1),
        "cpu_us_per_item": round(cpu / n * 1e6, 2),
        "server_cpu_us_per_item": round(server / n * 1e6, 2) if pid else None,
    }


def fmt(x: float | None, nd: int = 0) -> str:
    return "–" if x is None else f"{x:,.{nd}f}"


def median(rs: list[dict], key: str) -> float | None:
    xs = [r[key] for r in rs if r.get(key) is not None and "error" not in r]
    return statistics.median(xs) if xs else None


def log(a: argparse.Namespace, r: dict, line: str) -> None:
    print(line, flush=True)
    if a.json_out:
        with open(a.json_out, "a") as f:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def ferrocrawl_missing() -> str | None:
    try:
        import ferrocrawl
    except ImportError as e:
        return f"ferrocrawl not built ({e})"
    if not hasattr(ferrocrawl, "Sink"):
        return "ferrocrawl.Sink not built yet"
    return None


async def warm_up(t: Targets) -> None:
    """Starts ferrocrawl's runtime and touches its allocator before anything is timed: the
    first ferrocrawl way measured must not pay for what the others get for free."""
    import ferrocrawl

    path = t.path("jsonl", "warm_up")
    async with ferrocrawl.Sink(str(path)) as sink:
        await sink.put_many(make_items(5000))
    path.unlink()


async def bench_items(
    t: Targets, ways: list[Way], a: argparse.Namespace
) -> dict[Way, list[dict[str, Any]]]:
    items = make_items(a.items)
    na = ferrocrawl_missing()
    results: dict[Way, list[dict[str, Any]]] = {w: [] for w in ways}
    print(f"\n== {a.items:,} items of {len(FIELDS)} fields into each sink", flush=True)
    if na is None:
        await warm_up(t)
    for rnd in range(1, a.rounds + 1):
        for way in ways:
            r = await measure(way, t, items, na if way.kind == FERRO else None)
            r["round"] = rnd
            results[way].append(r)
            shown = (
                f"{fmt(r['items_per_s'])} items/s ({r['seconds']:.2f} s)"
                if "error" not in r
                else f"{'n/a' if r.get('na') else 'FAILED'} ({r['error']})"
            )
            log(a, r, f"  round {rnd} {way.sink:<10} {way.name:<34} {shown}")
    for sink in {w.sink for w in ways}:
        t.reset(sink)
    return results


def report_items(results: dict[Way, list[dict[str, Any]]], a: argparse.Namespace) -> None:
    print(f"\n### sinks: {a.items:,} items, median of {a.rounds} round(s)\n")
    print("| sink | way | items/s | x best Python | CPU us/item | server CPU us/item |")
    print("|---|---|---:|---:|---:|---:|")
    for sink in SINKS:
        ways = [w for w in results if w.sink == sink]
        if not ways:
            continue
        best = max(
            (median(results[w], "items_per_s") or 0 for w in ways if w.kind == PYTHON),
            default=0,
        )
        for w in ways:
            rs = results[w]
            ips = median(rs, "items_per_s")
            if ips is None:
                bad = next((r for r in rs if "error" in r), {"error": "?", "na": True})
                cell = "n/a" if bad.get("na") else "FAILED"
                print(f"| {sink} | {w.name} | {cell} | {cell} | {cell} | {bad['error']} |")
                continue
            ratio = fmt(ips / best, 2) if best else "–"
            print(
                f"| {sink} | {w.name} | {fmt(ips)} | {ratio} | "
                f"{fmt(median(rs, 'cpu_us_per_item'), 1)} | "
                f"{fmt(median(rs, 'server_cpu_us_per_item'), 1)} |"
            )
    print()


# ---- crawls with and without a sink ----------------------------------------------------------


async def crawl_worker(start: str, sink: str, concurrency: int) -> dict[str, Any]:
    try:
        import ferrocrawl

        crawl = ferrocrawl.crawl
    except (ImportError, AttributeError) as e:
        return {"error": f"ferrocrawl.crawl not built ({e})", "na": True}
    options: dict[str, Any] = {
        "extract": CRAWL_EXTRACT,
        "concurrency": concurrency,
        "per_host": concurrency,
        "robots": False,
    }
    if sink:
        options["sink"] = sink
    pages = ok = 0
    t0 = time.perf_counter()
    async for page in crawl([start], **options):
        pages += 1
        if page.error is None and page.status is not None and 200 <= page.status < 300:
            ok += 1
    dt = time.perf_counter() - t0
    return {"pages": pages, "ok": ok, "seconds": round(dt, 3), "pages_per_s": round(pages / dt, 1)}


def run_worker(start: str, sink_url: str, a: argparse.Namespace) -> dict[str, Any]:
    """One crawl in a fresh interpreter; its CPU from os.wait4."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--crawl-worker", start]
    cmd += ["--sink", sink_url, "--concurrency", str(a.concurrency)]
    res, ru = run_measured(cmd, a.peer_timeout)
    if "error" not in res:
        res["cpu_s"] = round(ru.ru_utime + ru.ru_stime, 2)
    return res


def bench_crawl(t: Targets, a: argparse.Namespace) -> dict[str, list[dict[str, Any]]]:
    root = bench_root() / "crawl" / f"site-{a.site_pages}"  # bench/crawl.py's site, shared
    t0 = time.monotonic()
    ensure_crawl_site(root, a.site_pages)
    print(f"\nsynthetic site: {a.site_pages} pages ({time.monotonic() - t0:.1f}s)")
    results: dict[str, list[dict[str, Any]]] = {s: [] for s in CRAWL_SINKS}
    with Nginx(root, bench_root() / "sinks" / "nginx", workers=a.nginx_workers) as ngx:
        start = ngx.base + "/index.html"
        print(f"== crawl of {start}, extract {list(CRAWL_EXTRACT)}", flush=True)
        for rnd in range(1, a.rounds + 1):
            for sink in CRAWL_SINKS:
                url = ""
                if sink != "none":
                    t.reset(sink, "pages")
                    url = t.url(sink, "pages")
                r = run_worker(start, url, a)
                r.update(sink=sink, round=rnd)
                if "error" not in r and sink != "none":
                    got = t.count(sink, "pages")
                    if got != r["ok"]:
                        r["error"] = f"the sink holds {got} items for {r['ok']} 2xx pages"
                results[sink].append(r)
                shown = (
                    f"{fmt(r['pages'])} pages, {fmt(r['pages_per_s'])} pages/s"
                    if "error" not in r
                    else f"{'n/a' if r.get('na') else 'FAILED'} ({r['error']})"
                )
                log(a, r, f"  round {rnd} crawl sink={sink:<10} {shown}")
    for sink in CRAWL_SINKS[1:]:
        t.reset(sink, "pages")
    return results


def report_crawl(results: dict[str, list[dict[str, Any]]], a: argparse.Namespace) -> None:
    base = median(results["none"], "pages_per_s")
    print(f"\n### crawl with a sink: {a.site_pages:,}-page site, median of {a.rounds} round(s)\n")
    print("| sink | pages | pages/s | x no sink | CPU s | CPU us/page |")
    print("|---|---:|---:|---:|---:|---:|")
    for sink, rs in results.items():
        pps = median(rs, "pages_per_s")
        if pps is None:
            bad = next((r for r in rs if "error" in r), {"error": "?", "na": True})
            cell = "n/a" if bad.get("na") else "FAILED"
            print(f"| {sink} | {cell} | {cell} | {cell} | {cell} | {bad['error']} |")
            continue
        pages, cpu = median(rs, "pages"), median(rs, "cpu_s")
        print(
            f"| {sink} | {fmt(pages)} | {fmt(pps)} | {fmt(pps / base, 2) if base else '–'} | "
            f"{fmt(cpu, 1)} | {fmt(cpu / pages * 1e6 if cpu and pages else None)} |"
        )
    print()
    for sink in CRAWL_SINKS[1:]:
        pps = median(results[sink], "pages_per_s")
        got = (
            "n/a"
            if not (pps and base)
            else f"{pps / base:.2f}x {'PASS' if pps / base >= CRAWL_TARGET else 'FAIL'}"
        )
        print(f"target crawl with sink={sink} >= {CRAWL_TARGET}x without: {got}")


def failures(*groups: dict[Any, list[dict[str, Any]]]) -> list[str]:
    return [
        f"{r.get('sink')} {r.get('way', 'crawl')}: {r['error']}"
        for g in groups
        for rs in g.values()
        for r in rs
        if "error" in r and not r.get("na")
    ]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--items", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3, help="median of this many (default 3)")
    ap.add_argument("--quick", action="store_true", help="1 round, 5 000 items, 5 000 pages")
    ap.add_argument("--sinks", default=",".join(SINKS), help=f"comma list of: {', '.join(SINKS)}")
    ap.add_argument("--only-peers", action="store_true", help="notes and python ways only")
    ap.add_argument("--skip-crawl", action="store_true", help="items only, no crawls")
    ap.add_argument("--site-pages", type=int, default=20000, help="the crawl's synthetic site")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--nginx-workers", type=int, default=1)
    ap.add_argument("--peer-timeout", type=int, default=600)
    ap.add_argument("--no-unshare", action="store_true")
    ap.add_argument("--json-out", help="also append every measurement here (JSON lines)")
    ap.add_argument("--crawl-worker", metavar="START", help=argparse.SUPPRESS)
    ap.add_argument("--sink", default="", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.crawl_worker:
        res = asyncio.run(crawl_worker(a.crawl_worker, a.sink, a.concurrency))
        print(json.dumps(res), flush=True)
        return 2 if "error" in res else 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if a.quick:
        a.rounds, a.items, a.site_pages = 1, min(a.items, 5000), min(a.site_pages, 5000)
    sinks = [s.strip() for s in a.sinks.split(",") if s.strip()]
    if unknown := [s for s in sinks if s not in SINKS]:
        ap.error(f"unknown sinks {unknown}; choose from {SINKS}")
    ways = [w for w in WAYS if w.sink in sinks and not (a.only_peers and w.kind == FERRO)]
    crawl = not (a.skip_crawl or a.only_peers)
    if not a.no_unshare:
        reexec_in_netns()
    netns = "private network namespace" if os.environ.get(NETNS_ENV) else "host network"
    print(f"{os.cpu_count()} CPUs, {netns}, sinks {', '.join(sinks)}", flush=True)
    work = bench_root() / "sinks" / "work"
    work.mkdir(parents=True, exist_ok=True)
    t0 = time.monotonic()
    with MariaDBServer() as mysql, RedisServer(appendonly=False) as redis:
        print(
            f"servers: mariadbd {mysql.addr}, redis-server {redis.addr} (started in "
            f"{time.monotonic() - t0:.2f}s)",
            flush=True,
        )
        t = Targets(mysql, redis, work)
        item_results = asyncio.run(bench_items(t, ways, a))
        report_items(item_results, a)
        crawl_results: dict[str, list[dict[str, Any]]] = {}
        if crawl:
            crawl_results = bench_crawl(t, a)
            report_crawl(crawl_results, a)
    if bad := failures(item_results, crawl_results):
        print("\nFAILED:")
        for line in bad:
            print("  " + line)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
