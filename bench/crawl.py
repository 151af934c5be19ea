#!/usr/bin/env python3
"""Crawl benchmark: full crawls of two sites from a local nginx, every peer in one run.

    python bench/crawl.py [--rounds 3] [--quick] [--sites synthetic,docs] [--only PEERS]

Sites, each served by its own nginx on 127.0.0.1 (private prefix under $BENCH_DIR, default
~/.cache/ferrocrawl-bench/crawl): `synthetic`, a generated N-page site (default 20 000 pages of
~5 KB, ~10 links each: gen_site.ensure_crawl_site, the baseline generator's shape), and `docs`,
the PostgreSQL HTML docs (/usr/share/doc/postgresql-doc-15/html; `make system-deps`).
Peers (bench/crawl_peers.py, one process each, K rounds, medians): ferrocrawl.crawl, the
hand-written aiohttp + lxml crawler, Scrapy, and ferrocrawl get_many of the URL list the
aiohttp crawler found (the ceiling: fetching without crawling). All at the same concurrency,
robots off. Scrapy runs in --scrapy-rounds rounds only (default 1): it is the slowest by far
and no target refers to it. Peak RSS is the child's ru_maxrss, CPU its user+system time
(os.wait4; CPU per page is the number that survives a busy machine). Prints a table per site
with the issue's targets, PASS / FAIL / n/a; a peer that cannot run (ferrocrawl.crawl not
built yet) is n/a.

Runs itself inside `unshare -n` (a private network namespace with only loopback, so nothing
can leave the machine) when that works; --no-unshare to skip.

    python bench/crawl.py --frontier redis [--workers 1,2,3] [--quick] [--only PEERS]

One crawl shared by N worker processes through a private redis-server (tests/servers/redis.py,
no AOF, FLUSHALL and CONFIG RESETSTAT before each run): the synthetic site (--sites to change)
crawled by ferrocrawl.crawl(frontier="redis://...", name=<fresh>) with N = 1, 2, 3 workers, by
scrapy-redis (bench/crawl_peers.py: RedisSpider, its Scheduler and RFPDupeFilter) with the same
N, and by the in-memory ferrocrawl.crawl in 1 process. Each worker has --concurrency requests
in flight; ferrocrawl's per_host is crawl-wide, so it is N x concurrency (Scrapy's per-domain
limit is per process). pages/s = distinct pages / wall time from the first worker's start to
the last one's end (scrapy-redis: its last response, as it only stops after an idle timeout);
Redis requests/page = what the clients sent (ferrocrawl: script calls) / pages, and
commands/page = the INFO commandstats calls of the run (commands run by scripts included, INFO
and CONFIG left out) / pages; CPU = all the workers' user+system time (Redis CPU:
redis-server's own, from INFO cpu).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from crawl_peers import PEERS  # noqa: E402
from gen_site import ensure_crawl_site  # noqa: E402
from nginx import Nginx  # noqa: E402

DOCS = Path("/usr/share/doc/postgresql-doc-15/html")
CRAWL, AIO, SCRAPY, CEIL = "ferrocrawl.crawl", "aiohttp+lxml", "scrapy", "get_many"
ORDER = [AIO, SCRAPY, CRAWL, CEIL]  # get_many needs the aiohttp crawler's URL list
# the targets: (site, peer, reference, minimum ratio of pages/s)
SPEED_TARGETS = [
    ("synthetic", CRAWL, AIO, 3.0),
    ("synthetic", CRAWL, CEIL, 0.8),
    ("docs", CRAWL, AIO, 2.0),
]
NETNS_ENV = "FERROCRAWL_BENCH_NETNS"
# --frontier redis: the rows (the in-memory crawl in one process, then N workers sharing Redis)
MEM, FC_REDIS, SC_REDIS = "ferrocrawl.crawl", "ferrocrawl.crawl+redis", "scrapy-redis"
FRONTIER_ROWS = [MEM, FC_REDIS, SC_REDIS]


def bench_dir() -> Path:
    d = os.environ.get("BENCH_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ferrocrawl-bench"
    )
    return Path(d) / "crawl"


def reexec_in_netns() -> None:
    """Run this script again in a new network namespace with lo up, if the machine allows."""
    if os.environ.get(NETNS_ENV) or not shutil.which("unshare") or not shutil.which("ip"):
        return
    probe = subprocess.run(
        ["unshare", "-n", "ip", "link", "set", "lo", "up"], capture_output=True, check=False
    )
    if probe.returncode != 0:
        print("unshare -n not permitted here: running in the host network namespace")
        return
    env = dict(os.environ, **{NETNS_ENV: "1"})
    cmd = ["unshare", "-n", "sh", "-c", 'ip link set lo up && exec "$@"', "sh"]
    os.execvpe("unshare", [*cmd, sys.executable, *sys.argv], env)


async def consume_within(
    consume: Callable[[], Awaitable[None]], timeout: float, res: dict, delivered: Callable[[], int]
) -> None:
    """Runs a crawl's consumer for at most `timeout` s. A hang, or an error raised out of the
    crawl, is a finding: it goes into `res["error"]` as it is."""
    try:
        await asyncio.wait_for(consume(), timeout)
    except asyncio.TimeoutError:
        res["error"] = f"hang: no end after {timeout}s, {delivered()} pages delivered"
    except Exception as e:
        res["error"] = f"{type(e).__name__}: {e}"[:500]


async def close_within(crawler: Any, res: dict) -> None:
    """`crawler.aclose()` within 60 s; a failure is recorded unless an error already was."""
    try:
        await asyncio.wait_for(crawler.aclose(), 60)
    except Exception as e:
        res.setdefault("error", f"aclose: {type(e).__name__}: {e}"[:500])


def run_measured(cmd: list[str], timeout: float) -> tuple[dict[str, Any], Any]:
    """Runs `cmd` in a fresh process: its last JSON line (or {"error": ...} if it timed out or
    printed none), and its resource usage from os.wait4 (peak RSS, CPU)."""
    timed_out = threading.Event()
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL)

        def kill() -> None:
            timed_out.set()
            proc.kill()

        timer = threading.Timer(timeout, kill)
        timer.start()
        try:
            _, status, ru = os.wait4(proc.pid, 0)
        except BaseException:  # interrupted (SIGTERM, ^C): take the process down with us
            proc.kill()
            os.waitpid(proc.pid, 0)
            raise
        finally:
            timer.cancel()
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read(), err.read()
    if timed_out.is_set():
        return {"error": f"timed out after {timeout}s"}, ru
    line = next((x for x in reversed(stdout.splitlines()) if x.startswith("{")), None)
    if line is None:
        tail = stderr.strip().splitlines()
        return {"error": tail[-1] if tail else f"exit {os.waitstatus_to_exitcode(status)}"}, ru
    return json.loads(line), ru


def run_peer(name: str, start: str, a: argparse.Namespace, work: Path, rnd: int) -> dict:
    """One peer in a fresh interpreter; its own peak RSS and CPU come from os.wait4."""
    cmd = [sys.executable, str(HERE / "crawl_peers.py"), name, "--start", start]
    cmd += ["--concurrency", str(a.concurrency)]
    urls_out = work / f"urls-{name.replace('+', '_').replace('.', '_')}-{rnd}.txt"
    urls_out.unlink(missing_ok=True)
    cmd += ["--urls-out", str(urls_out)]
    if name == CEIL:
        cmd += ["--urls", str(work / "urls-found.txt")]
    res, ru = run_measured(cmd, a.peer_timeout)
    if "error" in res:
        return {"peer": name, **res}
    res["rss_mb"] = round(ru.ru_maxrss / 1024, 1)
    res["cpu_s"] = round(ru.ru_utime + ru.ru_stime, 2)
    if urls_out.exists():
        res["urls_file"] = str(urls_out)
    return res


def fmt(x: float | None, nd: int = 0) -> str:
    return "–" if x is None else f"{x:,.{nd}f}"


def median(rs: list[dict], key: str) -> float | None:
    xs = [r[key] for r in rs if key in r and "error" not in r]
    return statistics.median(xs) if xs else None


def log_round(label: str, r: dict, shown: str, rnd: int, a: argparse.Namespace) -> None:
    """One measurement: a line on stdout, and a JSON line in --json-out if given."""
    print(f"  round {rnd} {label} {shown}", flush=True)
    if a.json_out:
        with open(a.json_out, "a") as f:
            f.write(json.dumps(r) + "\n")


def bench_site(site: str, root: Path, start_path: str, a: argparse.Namespace) -> dict:
    work = bench_dir() / f"work-{site}"
    work.mkdir(parents=True, exist_ok=True)
    peers = [p for p in ORDER if p in a.peers]
    results: dict[str, list[dict]] = {p: [] for p in peers}
    with Nginx(root, bench_dir() / f"nginx-{site}", workers=a.nginx_workers) as ngx:
        start = ngx.base + start_path
        print(f"\n== {site}: {root} via {ngx.base}, start {start}", flush=True)
        for rnd in range(1, a.rounds + 1):
            for name in peers:
                if name == SCRAPY and rnd > a.scrapy_rounds:
                    continue
                if name == CEIL and not (work / "urls-found.txt").exists():
                    r = {"peer": name, "error": "no URL list (run aiohttp+lxml first)"}
                else:
                    r = run_peer(name, start, a, work, rnd)
                if name == AIO and "urls_file" in r and rnd == 1:
                    shutil.copy(r["urls_file"], work / "urls-found.txt")
                r["round"], r["site"] = rnd, site
                results[name].append(r)
                shown = (
                    f"{fmt(r['pages'])} pages, {fmt(r['pages_per_s'])} pages/s, "
                    f"{fmt(r.get('rss_mb'))} MB"
                    if "error" not in r
                    else f"n/a ({r['error']})"
                )
                log_round(f"{name:<18}", r, shown, rnd, a)
    (work / "urls-found.txt").unlink(missing_ok=True)  # a later run must not reuse a stale list
    return results


def report(site: str, results: dict[str, list[dict]], a: argparse.Namespace) -> list[str]:
    aio, ceil = (
        median(results.get(AIO, []), "pages_per_s"),
        median(results.get(CEIL, []), "pages_per_s"),
    )
    print(
        f"\n### {site}: median of {a.rounds} round(s) (Scrapy: {min(a.rounds, a.scrapy_rounds)}),"
        f" concurrency {a.concurrency}\n"
    )
    print(
        "| peer | pages | pages/s | x aiohttp+lxml | x get_many | peak RSS MB | CPU s | "
        "CPU us/page |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    found: dict[str, set[int]] = {}
    for name, rs in results.items():
        good = [r for r in rs if "error" not in r]
        if not good:
            reason = next((r["error"] for r in rs if "error" in r), "?")
            print(f"| {name} | n/a | n/a | n/a | n/a | n/a | n/a | {reason} |")
            continue
        pps = median(good, "pages_per_s")
        found[name] = {r["pages"] for r in good}
        rss = max(r["rss_mb"] for r in good)
        cpu = median(good, "cpu_s")
        pages = median(good, "pages")
        print(
            f"| {name} | {'/'.join(fmt(x) for x in sorted(found[name]))} | {fmt(pps)} | "
            f"{fmt(pps / aio, 2) if aio and pps else '–'} | "
            f"{fmt(pps / ceil, 2) if ceil and pps else '–'} | {fmt(rss)} | "
            f"{fmt(cpu, 1)} | {fmt(cpu / pages * 1e6 if cpu and pages else None)} |"
        )
    print()
    counts = {n for s in found.values() for n in s}
    if len(counts) > 1:
        print(f"WARNING: pages found differ between peers/rounds: {found}")
        diff_urls(results)
    verdicts = []
    for s, peer, ref, want in SPEED_TARGETS:
        if s != site:
            continue
        p, r = (
            median(results.get(peer, []), "pages_per_s"),
            median(results.get(ref, []), "pages_per_s"),
        )
        got = "n/a" if not (p and r) else f"{p / r:.2f}x {'PASS' if p / r >= want else 'FAIL'}"
        verdicts.append(f"{site}: {peer} >= {want}x {ref}: {got}")
    p_rss = max((r["rss_mb"] for r in results.get(CRAWL, []) if "error" not in r), default=None)
    a_rss = max((r["rss_mb"] for r in results.get(AIO, []) if "error" not in r), default=None)
    if p_rss is None or a_rss is None:
        got = "n/a"
    else:
        got = f"{fmt(p_rss)} MB vs {fmt(a_rss)} MB {'PASS' if p_rss <= a_rss else 'FAIL'}"
    verdicts.append(f"{site}: {CRAWL} peak RSS <= {AIO}'s: {got}")

    for line in verdicts:
        print("target " + line)
    return verdicts


def diff_urls(results: dict[str, list[dict]]) -> None:
    """Show a few URLs one peer fetched and another did not (first round of each)."""
    sets: dict[str, set[str]] = {}
    for name, rs in results.items():
        f = next((r.get("urls_file") for r in rs if r.get("urls_file")), None)
        if f and Path(f).exists():
            sets[name] = {u.split("#", 1)[0] for u in Path(f).read_text().splitlines() if u}
    names = list(sets)
    for i, x in enumerate(names):
        for y in names[i + 1 :]:
            only_x, only_y = sorted(sets[x] - sets[y]), sorted(sets[y] - sets[x])
            if only_x or only_y:
                print(f"  only {x} ({len(only_x)}): {only_x[:3]}")
                print(f"  only {y} ({len(only_y)}): {only_y[:3]}")


# ---- --frontier redis: one crawl shared by N processes ----------------------------------------


def run_workers(
    peer: str, n: int, start: str, a: argparse.Namespace, work: Path, extra: list[str]
) -> dict:
    """N workers of one crawl (crawl_peers.py), started together; distinct pages over all of
    them / (last end - first start), their CPU summed, the largest peak RSS."""
    procs: list[tuple[subprocess.Popen[str], Path, Any, Any]] = []
    timed_out = threading.Event()

    def kill_all() -> None:
        timed_out.set()
        for p, *_ in procs:
            if p.poll() is None:
                p.kill()

    timer = threading.Timer(a.peer_timeout, kill_all)
    rows: list[dict[str, Any]] = []
    cpu = rss = 0.0
    try:
        for i in range(n):
            urls_out = work / f"urls-frontier-{i}.txt"
            urls_out.unlink(missing_ok=True)
            cmd = [sys.executable, str(HERE / "crawl_peers.py"), peer, "--start", start]
            cmd += ["--concurrency", str(a.concurrency), "--urls-out", str(urls_out), *extra]
            out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
            proc = subprocess.Popen(
                cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL, text=True
            )
            procs.append((proc, urls_out, out, err))
        timer.start()
        for proc, _, out, err in procs:
            _, status, ru = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            cpu += ru.ru_utime + ru.ru_stime
            rss = max(rss, ru.ru_maxrss / 1024)
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read(), err.read()
            line = next((x for x in reversed(stdout.splitlines()) if x.startswith("{")), None)
            if line is None:
                tail = stderr.strip().splitlines()
                rows.append({"error": tail[-1] if tail else f"exit {proc.returncode}"})
            else:
                rows.append(json.loads(line))
    except BaseException:
        kill_all()
        for p, *_ in procs:
            p.wait()
        raise
    finally:
        timer.cancel()
        for _, _, out, err in procs:
            out.close()
            err.close()
    res: dict[str, Any] = {"peer": peer, "workers": n}
    if timed_out.is_set():
        return {**res, "error": f"timed out after {a.peer_timeout}s"}
    if bad := [r for r in rows if "error" in r]:
        return {**res, "error": bad[0]["error"]}
    urls: set[str] = set()
    for _, urls_out, *_ in procs:
        if urls_out.exists():
            urls |= {u.split("#", 1)[0] for u in urls_out.read_text().splitlines() if u}
    wall = max(r["t_end"] for r in rows) - min(r["t_start"] for r in rows)
    res.update(
        pages=len(urls),
        responses=sum(r["responses"] for r in rows),
        per_worker=[r["pages"] for r in rows],
        seconds=round(wall, 3),
        pages_per_s=round(len(urls) / wall, 1) if wall > 0 else 0,
        cpu_s=round(cpu, 2),
        rss_mb=round(rss, 1),
    )
    crawl = [r["crawl"] for r in rows if r.get("crawl")]
    if crawl:
        res["crawl"] = max(crawl, key=lambda c: c.get("pages", 0))
    return res


def redis_calls(redis: Any) -> tuple[int, int]:
    """(commands, requests) Redis ran since CONFIG RESETSTAT (INFO commandstats), the bench's
    own left out. Commands include those run inside scripts; requests are what clients sent:
    for a run with scripts (ferrocrawl), the script calls and connection setup; without
    (scrapy-redis), every command (pipelined ones share a round trip, so this is an upper
    bound of its round trips)."""
    calls: dict[str, int] = {}
    for line in redis.cli("INFO", "commandstats").splitlines():
        if not line.startswith("cmdstat_"):
            continue
        cmd, _, fields = line[len("cmdstat_") :].partition(":")
        if cmd.split("|")[0] in ("info", "config"):
            continue
        stats = dict(f.split("=", 1) for f in fields.split(","))
        calls[cmd] = int(stats["calls"])
    total = sum(calls.values())
    sent = ("evalsha", "eval", "script|load", "ping", "hello", "client|setinfo", "select")
    scripted = calls.get("evalsha", 0) + calls.get("eval", 0)
    return total, sum(calls.get(c, 0) for c in sent) if scripted else total


def redis_cpu(redis: Any) -> float:
    info = redis.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


def bench_frontier(site: str, root: Path, start_path: str, a: argparse.Namespace) -> dict:
    from tests.servers.redis import RedisServer

    work = bench_dir() / f"work-frontier-{site}"
    work.mkdir(parents=True, exist_ok=True)
    rows = [r for r in FRONTIER_ROWS if r in a.peers]
    results: dict[tuple[str, int], list[dict]] = {}
    with (
        RedisServer(appendonly=False) as redis,
        Nginx(root, bench_dir() / f"nginx-{site}", workers=a.nginx_workers) as ngx,
    ):
        start = ngx.base + start_path
        print(f"\n== {site}: {root} via {ngx.base}, start {start}, Redis {redis.url}", flush=True)
        for rnd in range(1, a.rounds + 1):
            for row in rows:
                if row == SC_REDIS and rnd > a.scrapy_rounds:
                    continue
                for n in [1] if row == MEM else a.workers:
                    redis.cli("FLUSHALL")
                    redis.cli("CONFIG", "RESETSTAT")
                    name = f"bench-{uuid.uuid4().hex[:8]}"
                    cpu0 = redis_cpu(redis)
                    if row == MEM:
                        r = run_workers(CRAWL, 1, start, a, work, [])
                    elif row == FC_REDIS:
                        extra = ["--frontier", redis.url, "--name", name]
                        extra += ["--per-host", str(a.concurrency * n)]
                        r = run_workers(CRAWL, n, start, a, work, extra)
                    else:
                        redis.cli("LPUSH", f"{name}:start_urls", json.dumps({"url": start}))
                        r = run_workers(
                            SC_REDIS, n, start, a, work, ["--frontier", redis.url, "--name", name]
                        )
                    if row != MEM and "error" not in r:
                        r["redis_calls"], r["redis_requests"] = redis_calls(redis)
                        r["redis_cpu_s"] = round(redis_cpu(redis) - cpu0, 2)
                    r.update(peer=row, round=rnd, site=site)
                    results.setdefault((row, n), []).append(r)
                    shown = (
                        f"{fmt(r['pages'])} pages, {fmt(r['pages_per_s'])} pages/s"
                        + (
                            f", {r['redis_requests'] / r['pages']:.2f} Redis requests/page"
                            f" ({r['redis_calls'] / r['pages']:.1f} commands)"
                            if r.get("redis_calls") and r["pages"]
                            else ""
                        )
                        if "error" not in r
                        else f"n/a ({r['error']})"
                    )
                    log_round(f"{row:<24} x{n}", r, shown, rnd, a)
    return results


def report_frontier(
    site: str, results: dict[tuple[str, int], list[dict]], a: argparse.Namespace
) -> None:
    mem = median(results.get((MEM, 1), []), "pages_per_s")
    print(
        f"\n### {site}, one crawl shared through Redis: median of {a.rounds} round(s) "
        f"(scrapy-redis: {min(a.rounds, a.scrapy_rounds)}), concurrency {a.concurrency} a worker\n"
    )
    print(
        "| crawler | workers | pages | doubles | pages/s | x 1 worker | x in-memory | "
        "x scrapy-redis | Redis requests/page | commands/page | CPU s | CPU us/page | "
        "Redis CPU s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    found: set[float] = set()
    for (row, n), rs in results.items():
        good = [r for r in rs if "error" not in r]
        if not good:
            reason = next((r["error"] for r in rs if "error" in r), "?")
            print(
                f"| {row} | {n} | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | n/a | "
                f"{reason} |"
            )
            continue
        pps = median(good, "pages_per_s")
        pages = median(good, "pages")
        found |= {r["pages"] for r in good}
        doubles = median([{"d": r["responses"] - r["pages"]} for r in good], "d")
        one = median(results.get((row, 1), []), "pages_per_s")
        sr = median(results.get((SC_REDIS, n), []), "pages_per_s")
        calls = median(
            [
                {"c": r["redis_calls"] / r["pages"]}
                for r in good
                if r.get("redis_calls") and r["pages"]
            ],
            "c",
        )
        requests = median(
            [
                {"c": r["redis_requests"] / r["pages"]}
                for r in good
                if r.get("redis_requests") and r["pages"]
            ],
            "c",
        )
        cpu = median(good, "cpu_s")
        rcpu = median(good, "redis_cpu_s")
        print(
            f"| {row} | {n} | {fmt(pages)} | {fmt(doubles)} | {fmt(pps)} | "
            f"{fmt(pps / one, 2) if one and pps and row != MEM else '–'} | "
            f"{fmt(pps / mem, 2) if mem and pps else '–'} | "
            f"{fmt(pps / sr, 2) if sr and pps else '–'} | {fmt(requests, 2)} | {fmt(calls, 1)} | "
            f"{fmt(cpu, 1)} | {fmt(cpu / pages * 1e6 if cpu and pages else None)} | "
            f"{fmt(rcpu, 1)} |"
        )
    print()
    if len(found) > 1:
        print(f"WARNING: pages found differ between crawlers/rounds: {sorted(found)}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3, help="rounds per site (median; default 3)")
    ap.add_argument("--quick", action="store_true", help="1 round, a 5 000-page synthetic site")
    ap.add_argument("--site-pages", type=int, default=20000, help="synthetic site size")
    ap.add_argument("--sites", help="default: synthetic,docs (--frontier redis: synthetic)")
    ap.add_argument(
        "--only",
        default="",
        help=f"comma list of: {', '.join(PEERS)} (--frontier redis: {', '.join(FRONTIER_ROWS)})",
    )
    ap.add_argument(
        "--frontier",
        choices=["memory", "redis"],
        default="memory",
        help="redis: one crawl shared by --workers processes through Redis, vs scrapy-redis",
    )
    ap.add_argument("--workers", default="1,2,3", help="--frontier redis: worker counts")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument(
        "--scrapy-rounds",
        type=int,
        default=1,
        help="Scrapy is slow and no target refers to it: run it in this many rounds (default 1)",
    )
    ap.add_argument("--docs-dir", type=Path, default=DOCS)
    ap.add_argument("--nginx-workers", type=int, default=1)
    ap.add_argument("--peer-timeout", type=int, default=600)
    ap.add_argument("--no-unshare", action="store_true")
    ap.add_argument("--json-out", help="also append every measurement here (JSON lines)")
    a = ap.parse_args()
    # SIGTERM unwinds like ^C, so the running peer is killed and nginx stopped
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if a.quick:
        a.rounds, a.site_pages = 1, min(a.site_pages, 5000)
    redis_mode = a.frontier == "redis"
    choices = FRONTIER_ROWS if redis_mode else PEERS
    a.sites = a.sites or ("synthetic" if redis_mode else "synthetic,docs")
    a.workers = [int(x) for x in a.workers.split(",") if x.strip()]
    a.peers = [x.strip() for x in a.only.split(",") if x.strip()] or choices
    if unknown := [x for x in a.peers if x not in choices]:
        ap.error(f"unknown peers {unknown}; choose from {choices}")
    if redis_mode:
        sys.path.insert(0, str(ROOT))  # tests/servers/redis.py starts the redis-server
    if CEIL in a.peers and AIO not in a.peers and not redis_mode:
        a.peers.append(AIO)  # get_many fetches what the aiohttp crawler found
    if not a.no_unshare:
        reexec_in_netns()
    netns = "private network namespace" if os.environ.get(NETNS_ENV) else "host network"
    print(f"{os.cpu_count()} CPUs, {netns}, peers {', '.join(a.peers)}", flush=True)

    sites = [s.strip() for s in a.sites.split(",") if s.strip()]
    verdicts: list[str] = []
    for site in sites:
        if site == "synthetic":
            root = bench_dir() / f"site-{a.site_pages}"
            t0 = time.monotonic()
            ensure_crawl_site(root, a.site_pages)
            print(f"synthetic site: {a.site_pages} pages ({time.monotonic() - t0:.1f}s)")
        elif site == "docs":
            root = a.docs_dir
            if not (root / "index.html").exists():
                print(f"docs: {root} missing (make system-deps installs postgresql-doc-15)")
                verdicts.append("docs: n/a (no docs)")
                continue
        else:
            ap.error(f"unknown site {site}")
        if redis_mode:
            report_frontier(site, bench_frontier(site, root, "/index.html", a), a)
            continue
        results = bench_site(site, root, "/index.html", a)
        verdicts += report(site, results, a)
    if redis_mode:
        return 0
    print("\n## targets")
    for line in verdicts:
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
