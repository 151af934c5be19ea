"""Item sinks (sink=, ferrocrawl.Sink) against real files, SQLite, redis-server and mariadbd.

Every crawl test compares what the sink holds with the pages the crawl delivered: one row per
2xx page, with the page's values, none missing and none twice.
"""

from __future__ import annotations

import asyncio
import csv
import json
import signal
import sqlite3
import sys
from pathlib import Path
from typing import Any

import ferrocrawl
import pytest
import redis

from tests.procs import run_script

EXTRACT = {"title": "title::text", "price": "span.price::text", "tags": ["span.tag::text"]}
FIELDS = ("title", "price", "tags")
# the /p/ pages only: every one is a 200 HTML page with the three fields
ALLOW = r"/p/\d+$"
KINDS = ["jsonl", "csv", "sqlite", "redis-hash", "redis-list", "redis-stream", "mysql"]
KEYED = ["jsonl", "csv", "sqlite", "redis-hash", "mysql"]  # a page once after kill -9 + resume


@pytest.fixture
def target(request, tmp_path):
    """(kind) -> the sink URL for that kind; servers started only for the kinds that need them."""

    def make(kind: str, table: str = "items") -> str:
        if kind == "jsonl":
            return str(tmp_path / "out" / f"{table}.jsonl")
        if kind == "csv":
            return str(tmp_path / f"{table}.csv")
        if kind == "sqlite":
            return f"sqlite:///{tmp_path / 'items.db'}?table={table}"
        if kind.startswith("redis-"):
            server = request.getfixturevalue("redis_server")
            return f"{server.url}?key={table}&type={kind[6:]}"
        if kind == "mysql":
            db = request.getfixturevalue("mariadb")
            return f"{db.url}?table={table}"
        raise AssertionError(kind)

    return make


def rows(kind: str, url: str, request: pytest.FixtureRequest, table: str = "items") -> list[dict]:
    """What the sink holds, one dict per row or entry, lists decoded."""
    if kind == "jsonl":
        return [json.loads(line) for line in Path(url).read_text().splitlines()]
    if kind == "csv":
        with open(url, newline="") as f:
            return [decode(r) for r in csv.DictReader(f)]
    if kind == "sqlite":
        path = url.removeprefix("sqlite:///").split("?")[0]
        con = sqlite3.connect(path)
        con.row_factory = sqlite3.Row
        out = [decode(dict(r)) for r in con.execute(f"SELECT * FROM {table}")]
        con.close()
        return out
    if kind.startswith("redis-"):
        r = redis.Redis.from_url(url.split("?")[0], decode_responses=True)
        kind = kind[6:]
        if kind == "hash":
            out = [json.loads(v) for v in r.hgetall(table).values()]
        elif kind == "list":
            out = [json.loads(v) for v in r.lrange(table, 0, -1)]
        else:
            out = [decode(fields) for _, fields in r.xrange(table)]
        r.close()
        return out
    if kind == "mysql":
        db = request.getfixturevalue("mariadb_server")
        names = [r[0] for r in db.query(f"SHOW COLUMNS FROM {table}")]
        found = db.query(f"SELECT * FROM {table}")
        return [decode(dict(zip(names, r, strict=True))) for r in found]
    raise AssertionError(kind)


def decode(row: dict) -> dict:
    """Table and CSV cells hold lists as JSON text."""
    out = {}
    for k, v in row.items():
        if isinstance(v, str) and v.startswith("["):
            v = json.loads(v)
        out[k] = v
    return out


def expected_rows(pages: list[ferrocrawl.Page]) -> dict[str, dict]:
    return {
        p.url: {"url": p.url, **p.data}
        for p in pages
        if p.error is None and p.status is not None and 200 <= p.status < 300
    }


def by_url(found: list[dict]) -> dict[str, dict]:
    urls = [r["url"] for r in found]
    doubled = {u for u in urls if urls.count(u) > 1}
    assert not doubled, f"{len(doubled)} pages written twice, e.g. {sorted(doubled)[:3]}"
    return {r["url"]: {k: r[k] for k in ("url", *FIELDS)} for r in found}


async def crawl_pages(start: str, **options: Any) -> list[ferrocrawl.Page]:
    return [
        p
        async for p in ferrocrawl.crawl(
            start, allow=ALLOW, extract=EXTRACT, robots=False, **options
        )
    ]


@pytest.mark.parametrize("kind", KINDS)
async def test_crawl_writes_one_row_per_page(kind, site, target, request):
    url = target(kind)
    pages = await crawl_pages(site.url("/p/0"), max_pages=400, sink=url)
    want = expected_rows(pages)
    assert len(want) >= 300
    assert by_url(rows(kind, url, request)) == want


async def test_sink_fields_and_several_sinks(site, target, request):
    urls = [target("jsonl"), target("sqlite")]
    pages = await crawl_pages(
        site.url("/p/0"), max_pages=50, sink=urls, sink_fields=["status", "depth", "fetched_at"]
    )
    want = {p.url: p for p in pages}
    for kind, url in zip(["jsonl", "sqlite"], urls, strict=True):
        found = rows(kind, url, request)
        assert len(found) == len(want) == 50
        for r in found:
            page = want[r["url"]]
            assert (r["status"], r["depth"]) == (page.status, page.depth)
            assert r["fetched_at"].endswith("Z") and r["fetched_at"][:4] >= "2026"


CRAWL = """
import asyncio, sys, ferrocrawl
async def main():
    start, state, sink = sys.argv[1:4]
    async for page in ferrocrawl.crawl(start, state=state, sink=sink, concurrency=8,
                                       allow=sys.argv[4], robots=False,
                                       extract={"title": "title::text", "price": "span.price::text",
                                                "tags": ["span.tag::text"]}):
        print(page.url, flush=True)
asyncio.run(main())
"""


def run_crawl(start: str, state: Path, sink: str, kill_after: int | None = None) -> list[str]:
    return run_script(CRAWL, [start, str(state), sink, ALLOW], kill_after)


@pytest.mark.parametrize("kind", KEYED)
async def test_kill_9_then_resume_each_page_once(kind, site, target, request, tmp_path):
    reference = expected_rows(await crawl_pages(site.url("/p/0")))
    url = target(kind)
    state = tmp_path / "crawl.db"
    first = run_crawl(site.url("/p/0"), state, url, kill_after=500)
    assert len(first) < len(reference), "killed mid-crawl"
    run_crawl(site.url("/p/0"), state, url)
    assert by_url(rows(kind, url, request)) == reference


@pytest.mark.parametrize("kind", ["redis-hash", "redis-list", "mysql"])
async def test_server_restarted_mid_crawl_loses_nothing(kind, site, target, request):
    url = target(kind)
    server = request.getfixturevalue("redis_server" if kind.startswith("redis") else "mariadb")
    pages: list[ferrocrawl.Page] = []
    restart = None
    crawler = ferrocrawl.crawl(
        site.url("/p/0"), allow=ALLOW, extract=EXTRACT, robots=False, rate=600, sink=url
    )
    async for page in crawler:
        pages.append(page)
        if len(pages) == 100:  # the crawl goes on while the server is down for a second
            restart = asyncio.create_task(asyncio.to_thread(server.restart, 1.0))
    assert restart is not None
    await restart
    want = expected_rows(pages)
    assert len(want) > 1000
    found = rows(kind, url, request)
    if kind == "redis-list":  # at-least-once: a batch whose reply was lost may be there twice
        found = list({r["url"]: r for r in found}.values())
    assert by_url(found) == want


@pytest.mark.parametrize(
    ("kind", "fix"),
    [
        ("mysql", lambda u: u.replace("ferro-pw", "wrong-pw")),
        ("mysql", lambda u: u.replace("/test?", "/no_such_db?")),
        ("redis-hash", lambda u: u.replace("redis://", "redis://:wrong-pw@")),
        ("sqlite", lambda u: u.replace("sqlite:///", "sqlite:////no/such/dir/")),
    ],
)
async def test_unusable_sink_raises_before_the_first_fetch(kind, fix, site, target):
    url = fix(target(kind))
    crawler = ferrocrawl.crawl(site.url("/p/0"), sink=url, extract=EXTRACT, robots=False)
    with pytest.raises(ferrocrawl.SinkError) as e:
        async for _ in crawler:
            pass
    assert "wrong-pw" not in str(e.value)
    assert sum(site.fetched().values()) == 0


@pytest.mark.parametrize("kind", ["sqlite", "mysql", "csv"])
async def test_field_missing_from_existing_table_raises(kind, site, target, request):
    url = target(kind, table="shop")
    async with ferrocrawl.Sink(url, fields=["title"]) as sink:  # creates url, title
        await sink.put({"url": "http://x/1", "title": "one"})
    crawler = ferrocrawl.crawl(site.url("/p/0"), sink=url, extract=EXTRACT, robots=False)
    with pytest.raises(ferrocrawl.SinkError, match="price"):
        async for _ in crawler:
            pass
    assert sum(site.fetched().values()) == 0
    assert len(rows(kind, url, request, table="shop")) == 1


@pytest.mark.parametrize("kind", KINDS)
async def test_standalone_sink_round_trip(kind, target, request):
    url = target(kind, table="cars")
    items = [
        {"url": f"http://car/{i}", "name": f"car {i}", "tags": ["a", str(i)]} for i in range(1200)
    ]
    async with ferrocrawl.Sink(url, batch_size=100) as sink:
        await sink.put(items[0])
        await sink.put_many(items[1:])
        await sink.put(items[5])  # keyed sinks upsert; the others append
        await sink.flush()
        found = rows(kind, url, request, table="cars")
        if kind in ("jsonl", "csv", "redis-list", "redis-stream"):
            assert len(found) == len(items) + 1
            found = found[:-1]
        assert sorted(found, key=lambda r: int(r["url"].rsplit("/", 1)[1])) == items


async def test_standalone_sink_checks_items(target):
    url = target("sqlite", table="cars")
    async with ferrocrawl.Sink(url, fields=["name"]) as sink:
        with pytest.raises(ferrocrawl.SinkError, match="colour"):
            await sink.put({"url": "u", "name": "x", "colour": "red"})
        with pytest.raises(ferrocrawl.SinkError, match="url"):
            await sink.put({"name": "no key"})
        with pytest.raises(ferrocrawl.SinkError, match="colour"):  # nothing queued
            await sink.put_many([{"url": "a", "name": "ok"}, {"url": "b", "colour": "red"}])
        with pytest.raises(TypeError):
            await sink.put(["not", "a", "mapping"])  # type: ignore[arg-type]
    path = url.removeprefix("sqlite:///").split("?")[0]
    assert sqlite3.connect(path).execute("SELECT count(*) FROM cars").fetchone() == (0,)
    with pytest.raises(ferrocrawl.SinkError, match="closed"):
        await sink.put({"url": "late", "name": "x"})


@pytest.mark.parametrize(
    "url", ["items.txt", "ftp://h/x", "sqlite://", "redis://127.0.0.1:1/0?type=set"]
)
def test_bad_sink_urls(url):
    with pytest.raises(ferrocrawl.InvalidURL):
        ferrocrawl.Sink(url)
    with pytest.raises(ferrocrawl.InvalidURL):
        ferrocrawl.crawl("http://127.0.0.1:1/", sink=url)


def test_sink_fields_are_checked():
    with pytest.raises(ferrocrawl.InvalidArgument, match="colour"):
        ferrocrawl.crawl("http://127.0.0.1:1/", sink="x.jsonl", sink_fields=["colour"])
    with pytest.raises(ferrocrawl.InvalidArgument, match="sink="):
        ferrocrawl.crawl("http://127.0.0.1:1/", sink_fields=["status"])


async def test_csv_keeps_an_existing_header(site, tmp_path):
    path = tmp_path / "items.csv"
    path.write_text("price,url,title,tags,note\n")
    await crawl_pages(site.url("/p/0"), max_pages=5, sink=str(path))
    found = list(csv.DictReader(path.read_text().splitlines()))
    assert len(found) == 5 and all(r["note"] == "" and r["price"] for r in found)


async def test_a_stalled_server_holds_put_back_then_everything_lands(redis_server):
    url = f"{redis_server.url}?key=cars&type=hash"
    items = [{"url": f"http://car/{i}", "n": i} for i in range(2000)]
    assert redis_server.proc is not None
    async with ferrocrawl.Sink(url, batch_size=10) as sink:
        await sink.put(items[0])
        await sink.flush()
        redis_server.proc.send_signal(signal.SIGSTOP)  # a server that stops answering
        pending = asyncio.ensure_future(sink.put_many(items))
        try:
            # 40 items fit the queue and 10 the batch on the wire: put_many must wait
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(asyncio.shield(pending), 1.0)
        finally:
            redis_server.proc.send_signal(signal.SIGCONT)
        await pending
    assert len(rows("redis-hash", url, None, table="cars")) == 2000  # type: ignore[arg-type]


async def rename_table(db: Path, old: str, new: str) -> None:
    script = (
        f"import sqlite3; c = sqlite3.connect({str(db)!r}); "
        f"c.execute('ALTER TABLE {old} RENAME TO {new}'); c.commit()"
    )
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", script)
    assert await asyncio.wait_for(proc.wait(), 30) == 0


async def test_a_sink_failing_mid_crawl_stops_it_and_nothing_acked_is_lost(site, tmp_path):
    db = tmp_path / "items.db"
    url, state = f"sqlite:///{db}?table=items", tmp_path / "crawl.db"
    reference = expected_rows(await crawl_pages(site.url("/p/0")))
    crawler = ferrocrawl.crawl(
        site.url("/p/0"), allow=ALLOW, extract=EXTRACT, robots=False, state=state, sink=url
    )
    seen = 0
    with pytest.raises(ferrocrawl.SinkError, match="no such table"):
        async for _ in crawler:
            seen += 1
            if seen == 300:  # the table goes away: every later write fails for good
                # from another process: two SQLite libraries in one process (Python's and
                # the one ferrocrawl bundles) break each other's POSIX locks
                await rename_table(db, "items", "items_before")
    assert seen < len(reference)
    # run again: the table is made anew; what was acknowledged is in the old one
    await crawl_pages(site.url("/p/0"), state=state, sink=url)
    con = sqlite3.connect(db)
    before = {u for (u,) in con.execute("SELECT url FROM items_before")}
    after = [u for (u,) in con.execute("SELECT url FROM items")]
    con.close()
    assert len(after) == len(set(after))
    assert before | set(after) == set(reference)
