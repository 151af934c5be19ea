#!/usr/bin/env python3
"""Load: 10 000 hosts crawled with per_host=2; no host may ever see more than 2 requests in
flight, and the per-host bookkeeping must stay bounded.

    python bench/load_hosts.py [--hosts 10000] [--compare 1000] [--chains 100]
                               [--concurrency 256]

The per-host key is `host:port` (crates/ferrocrawl-core/src/crawl/canon.rs, host_key), so each
origin here is its own loopback address, 127.0.0.2 and up, all on one port: one asyncio server
of this script's own (--serve, a separate process, so the crawler's RSS is its own) serves all
of them. In a private network namespace (`unshare -n`, as bench/crawl.py) it listens on
0.0.0.0, which there is loopback only; without one it binds each address by itself. Each
origin has 4 pages: / links to /a /b /c, each answered after 20-50 ms; /robots.txt is a (slow)
404. The server counts, per origin, the requests in flight and keeps the largest count it ever
saw, and drops a connection idle for 2 s (as a server would).

Two shapes, each with --compare hosts then --hosts hosts, the crawler in a fresh interpreter
(--child) with per_host=2, --concurrency in all, robots on:
    wide    every origin a start URL: the frontier round-robins over thousands of ready hosts,
            so a host rarely gets its second slot (the limit is checked, hardly pressed)
    chains  --chains start URLs; each origin's / also links to the origin --chains further on
            (allowed_domains: every origin), so ~--chains hosts are active at once, each with
            more work than 2 slots: the limit is pressed on every host
The crawler samples its RSS, threads and open descriptors every 0.1 s, then, 11 s after the
crawl (tokio's idle blocking threads are gone by then), the RSS it settles at with the
crawler alive: what it keeps per host. Prints pages, wall time, the largest in-flight count of
any host (<= 2: PASS / FAIL), duplicate requests, RSS before / end / peak / settled, and the
cost of one more host (the difference between the two sizes).
"""

from __future__ import annotations

import argparse
import asyncio
import ipaddress
import json
import os
import random
import resource
import signal
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from crawl import NETNS_ENV, close_within, consume_within, reexec_in_netns, run_measured  # noqa: E402
from crawl_memory import rss_mb  # noqa: E402

PER_HOST = 2
FIRST = int(ipaddress.IPv4Address("127.0.0.2"))  # 127.0.0.1 is the server's control address
LINKS = {
    "/": ["/a", "/b", "/c"],
    "/a": ["/"],
    "/b": ["/"],
    "/c": ["/"],
}
IDLE = 2.0  # seconds a keep-alive connection may idle on the server


def host(i: int) -> str:
    return str(ipaddress.IPv4Address(FIRST + i))


# ---- the server ---------------------------------------------------------------------------------


class Origins:
    """Requests in flight per origin (the address the client connected to), and the most ever."""

    def __init__(self, hosts: int, chains: int) -> None:
        self.hosts, self.chains = hosts, chains
        self.in_flight: Counter[str] = Counter()
        self.most: dict[str, int] = {}
        self.fetched: Counter[tuple[str, str]] = Counter()
        self.open = self.most_open = self.connections = 0

    def stats(self) -> dict[str, Any]:
        hist = Counter(self.most.values())
        worst = sorted(self.most.items(), key=lambda kv: -kv[1])[:5]
        return {
            "requests": sum(self.fetched.values()),
            "distinct": len(self.fetched),
            "doubled": [f"{o}{p}" for (o, p), c in self.fetched.items() if c > 1][:10],
            "hosts": len(self.most),
            "max_in_flight": max(self.most.values(), default=0),
            "hist": {str(k): v for k, v in sorted(hist.items())},
            "worst": worst,
            "connections": self.connections,
            "most_open": self.most_open,
        }

    def next_origin(self, origin: str, path: str, writer: asyncio.StreamWriter) -> list[str]:
        """chain shape: an origin's / links to the origin `chains` further on."""
        i = int(ipaddress.IPv4Address(origin)) - FIRST + self.chains
        if path != "/" or not self.chains or i >= self.hosts:
            return []
        return [f"http://{host(i)}:{writer.get_extra_info('sockname')[1]}/"]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        origin = writer.get_extra_info("sockname")[0]
        self.connections += 1
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while True:
                try:
                    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), IDLE)
                except (asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError):
                    return
                path = head.split(b" ", 2)[1].decode()
                if path == "/__stats":
                    body, status = json.dumps(self.stats()).encode(), "200 OK"
                else:
                    self.fetched[(origin, path)] += 1
                    self.in_flight[origin] += 1
                    self.most[origin] = max(self.most.get(origin, 0), self.in_flight[origin])
                    try:
                        await asyncio.sleep(random.uniform(0.02, 0.05))
                    finally:
                        self.in_flight[origin] -= 1
                    if path in LINKS:
                        hrefs = LINKS[path] + self.next_origin(origin, path, writer)
                        links = "".join(f'<a href="{h}">{h}</a>\n' for h in hrefs)
                        body = f"<html><title>{origin}{path}</title><body>{links}</body></html>"
                        body, status = body.encode(), "200 OK"
                    else:
                        body, status = b"not found", "404 Not Found"
                writer.write(
                    f"HTTP/1.1 {status}\r\nContent-Type: text/html\r\n"
                    f"Content-Length: {len(body)}\r\n\r\n".encode()
                    + body
                )
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self.open -= 1
            writer.close()


async def serve(hosts: int, chains: int, netns: bool) -> None:
    o = Origins(hosts, chains)
    if netns:  # one socket for every address: in this namespace 0.0.0.0 is loopback only
        servers = [await asyncio.start_server(o.handle, "0.0.0.0", 0, backlog=4096)]
        port = servers[0].sockets[0].getsockname()[1]
    else:  # one socket per address, all on the port the first one got
        first = await asyncio.start_server(o.handle, "127.0.0.1", 0, backlog=4096)
        port = first.sockets[0].getsockname()[1]
        servers = [first] + [
            await asyncio.start_server(o.handle, host(i), port, backlog=64) for i in range(hosts)
        ]
    print(f"ready {port}", flush=True)
    await asyncio.Event().wait()  # until the parent terminates us


# ---- the crawler --------------------------------------------------------------------------------


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def threads() -> int:
    # tokio's blocking pool (each page is analysed in spawn_blocking) grows with concurrency,
    # and every thread costs RSS: shown so it is not mistaken for per-host state
    with open("/proc/self/status") as f:
        return next(int(x.split()[1]) for x in f if x.startswith("Threads:"))


async def crawl_child(a: argparse.Namespace) -> dict[str, Any]:
    import ferrocrawl

    origins = [f"http://{host(i)}:{a.port}/" for i in range(a.hosts)]
    options: dict[str, Any] = {"per_host": PER_HOST, "concurrency": a.concurrency}
    if a.chains:  # the first origin of each chain; the others are found through links
        seeds, options["allowed_domains"] = origins[: a.chains], origins
    else:
        seeds = origins
    before = rss_mb()
    samples = [(round(before, 1), open_fds(), threads())]
    errors: Counter[str] = Counter()
    pages, t0 = 0, time.perf_counter()
    crawler = ferrocrawl.Crawler(seeds, **options)

    async def sample() -> None:
        while True:  # every 0.1 s: the thread and connection bursts are short
            samples.append((round(rss_mb(), 1), open_fds(), threads()))
            await asyncio.sleep(0.1)

    async def consume() -> None:
        nonlocal pages
        async for page in crawler:
            pages += 1
            if page.error is not None:
                errors[type(page.error).__name__] += 1

    res: dict[str, Any] = {}
    sampler = asyncio.ensure_future(sample())
    await consume_within(consume, a.timeout, res, lambda: pages)
    dt = time.perf_counter() - t0
    after = rss_mb()
    # tokio's idle blocking threads exit after 10 s: what is left with the crawler still
    # alive is what it keeps (per-host tables, stats, pools), not the burst
    await asyncio.sleep(11)
    settled, settled_threads = rss_mb(), threads()
    sampler.cancel()
    stats = crawler.stats
    await close_within(crawler, res)
    res.update(
        pages=pages,
        seconds=round(dt, 2),
        pages_per_s=round(pages / dt, 1) if dt else 0,
        rss_before_mb=round(before, 1),
        rss_after_mb=round(after, 1),
        rss_settled_mb=round(settled, 1),
        threads_settled=settled_threads,
        rss_closed_mb=round(rss_mb(), 1),
        rss_peak_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        fds_max=max(s[1] for s in samples),
        threads_max=max(s[2] for s in samples),
        page_errors=dict(errors),
        requests=stats.get("requests"),
        retries=stats.get("retries"),
        status=stats.get("status"),
        hosts_in_stats=len(stats.get("hosts") or {}),
    )
    return res


# ---- the parent ---------------------------------------------------------------------------------


def run(hosts: int, chains: int, a: argparse.Namespace, netns: bool) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--serve", "--hosts", str(hosts), "--chains", str(chains)]
    cmd += [] if netns else ["--no-unshare"]
    server = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)
    res: dict[str, Any] = {
        "hosts": hosts,
        "shape": f"chains of {hosts // chains}" if chains else "wide",
    }
    try:
        assert server.stdout is not None
        line = server.stdout.readline()  # "ready PORT", or "" if it died
        if not line.startswith("ready "):
            return {**res, "error": f"server did not start ({server.wait(10)})"}
        port = int(line.split()[1])
        cmd = [sys.executable, __file__, "--child", "--hosts", str(hosts), "--port", str(port)]
        cmd += ["--concurrency", str(a.concurrency), "--timeout", str(a.timeout)]
        cmd += ["--chains", str(chains)]
        child, ru = run_measured(cmd, a.timeout + 120)
        res.update(child, cpu_s=round(ru.ru_utime + ru.ru_stime, 1))
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/__stats", timeout=30) as r:
            res["server"] = json.loads(r.read())
        return res
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--hosts", type=int, default=10_000)
    ap.add_argument("--compare", type=int, default=1000, help="a smaller run first (0: none)")
    ap.add_argument("--concurrency", type=int, default=256)
    ap.add_argument("--chains", type=int, default=100, help="chain shape: chains (0: wide only)")
    ap.add_argument("--timeout", type=int, default=600, help="seconds a crawl may take")
    ap.add_argument("--no-unshare", action="store_true")
    ap.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--port", type=int, help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.serve:
        netns = not a.no_unshare and bool(os.environ.get(NETNS_ENV))
        asyncio.run(serve(a.hosts, a.chains, netns))
        return 0
    if a.child:
        print(json.dumps(asyncio.run(crawl_child(a))), flush=True)
        return 0
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not a.no_unshare:
        reexec_in_netns()
    netns = bool(os.environ.get(NETNS_ENV))
    print(f"{os.cpu_count()} CPUs, {'private network namespace' if netns else 'host network'}")
    sizes = [a.compare, a.hosts] if 0 < a.compare < a.hosts else [a.hosts]
    results = []
    for chains in [0, a.chains] if a.chains else [0]:
        for n in sizes:
            r = run(n, min(chains, n), a, netns)
            print(f"== {n:,} hosts, {r['shape']}: {r.get('error') or 'done'}", flush=True)
            results.append(r)
    return report(results, a)


def report(results: list[dict[str, Any]], a: argparse.Namespace) -> int:
    print(
        f"\n### per_host={PER_HOST}, concurrency {a.concurrency}, 4 pages a host (20-50 ms each)\n"
    )
    print(
        "| shape | hosts | pages | requests | s | pages/s | max in flight/host | RSS before MB | "
        "RSS end MB | RSS peak MB | threads max | open fds max | RSS settled MB | "
        "KB/host settled | CPU s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    failed = False
    for r in results:
        if "pages" not in r:
            print(f"| {r['shape']} | {r['hosts']:,} | FAILED: {r.get('error')} |" + " |" * 12)
            failed = True
            continue
        sv = r["server"]
        per_host = (r["rss_settled_mb"] - r["rss_before_mb"]) * 1024 / r["hosts"]
        print(
            f"| {r['shape']} | {r['hosts']:,} | {r['pages']:,} | {sv['requests']:,} | "
            f"{r['seconds']} | {r['pages_per_s']:,.0f} | {sv['max_in_flight']} | "
            f"{r['rss_before_mb']} | {r['rss_after_mb']} | {r['rss_peak_mb']} | "
            f"{r['threads_max']} | {r['fds_max']} | {r['rss_settled_mb']} | {per_host:.1f} | "
            f"{r['cpu_s']} |"
        )
    print()
    for r in results:
        if "pages" not in r:
            continue
        sv, n = r["server"], r["hosts"]
        print(
            f"{n:,} hosts, {r['shape']}: server saw {sv['hosts']:,} origins, "
            f"{sv['connections']:,} connections ({sv['most_open']:,} open at most), hosts by "
            f"most in flight {sv['hist']}; crawler status {r['status']}, page errors "
            f"{r['page_errors']}, retries {r['retries']}, RSS after aclose {r['rss_closed_mb']} MB,"
            f" stats['hosts'] entries {r['hosts_in_stats']:,}"
        )
        checks = [
            (
                f"no host above {PER_HOST} in flight",
                sv["max_in_flight"] <= PER_HOST,
                sv["worst"][:3],
            ),
            (
                "every page once",
                r["pages"] == 4 * n and sv["distinct"] == sv["requests"],
                sv["doubled"],
            ),
            ("every origin crawled", sv["hosts"] == n, f"{sv['hosts']:,} of {n:,}"),
            ("no error raised", "error" not in r, r.get("error", "none")),
        ]
        for name, ok, why in checks:
            failed |= not ok
            print(f"  {'PASS' if ok else 'FAIL'} {name}" + ("" if ok else f": {why}"))
    for shape in dict.fromkeys(r["shape"].split(" of ")[0] for r in results):
        pair = [r for r in results if r["shape"].startswith(shape) and "pages" in r]
        if len(pair) == 2:
            small, big = pair
            extra = big["hosts"] - small["hosts"]
            kb = [(big[k] - small[k]) * 1024 / extra for k in ("rss_settled_mb", "rss_peak_mb")]
            print(
                f"{shape}: RSS per extra host ({small['hosts']:,} -> {big['hosts']:,}): "
                f"{kb[0]:.1f} KB settled, {kb[1]:.1f} KB peak"
            )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
