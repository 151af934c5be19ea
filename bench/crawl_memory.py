#!/usr/bin/env python3
"""RSS of a ferrocrawl crawl with 1 000 000 URLs queued, in memory and with state=.

    python bench/crawl_memory.py [--urls 1000000] [--batch 10000] [--modes memory,state]

Each mode runs in a fresh interpreter: a ferrocrawl.Crawler on a local origin whose listening
socket never accepts (so the few requests sent hang and the frontier stays full), no consumer
(nothing iterates the crawler), and `crawler.add()` of N unique same-origin URLs in batches of
--batch (Python never holds more than one batch). Prints RSS before and after, the growth per
queued URL, the crawler's own `queued` count and, with state=, the store's size on disk.
The issue's target: well under 1 GiB for 1 000 000 URLs, in both modes.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TARGET_MB = 1024


def rss_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def stat(stats: Any, name: str) -> Any:
    if isinstance(stats, dict):
        return stats.get(name)
    return getattr(stats, name, None)


async def fill(n: int, batch: int, state: str | None) -> dict[str, Any]:
    import ferrocrawl

    Crawler = ferrocrawl.Crawler  # AttributeError until the crawler lands: n/a
    # a backlog-only listener: connections complete in the kernel, requests never answered
    sink = socket.socket()
    sink.bind(("127.0.0.1", 0))
    sink.listen(1024)
    base = f"http://127.0.0.1:{sink.getsockname()[1]}"
    before = rss_mb()
    t0 = time.perf_counter()
    crawler = Crawler([base + "/"], concurrency=4, per_host=4, robots=False, state=state)
    async with crawler:
        # the first __anext__ starts the engine (it then waits on the silent start URL), so
        # the URLs below go to the frontier itself
        first = asyncio.ensure_future(crawler.__anext__())
        await asyncio.sleep(0.1)
        for k in range(0, n, batch):
            r = crawler.add([f"{base}/item/{i}?ref=bench" for i in range(k, min(n, k + batch))])
            if inspect.isawaitable(r):
                await r
        added = time.perf_counter() - t0
        queued = None
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # add() may hand URLs over asynchronously
            queued = stat(crawler.stats, "queued")
            if queued is None or queued >= n - 64:
                break
            await asyncio.sleep(0.2)
        after = rss_mb()
        try:
            crawler.stop(abandon=True)  # the hung requests need not finish
        except TypeError:
            crawler.stop()
        first.cancel()
    sink.close()
    out: dict[str, Any] = {
        "urls": n,
        "queued": queued,
        "rss_before_mb": round(before, 1),
        "rss_after_mb": round(after, 1),
        "growth_mb": round(after - before, 1),
        "bytes_per_url": round((after - before) * 1024 * 1024 / n),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "add_seconds": round(added, 2),
    }
    if state:
        files = Path(state).parent.glob(Path(state).name + "*")  # the db and its -wal, -shm
        out["state_mb"] = round(sum(f.stat().st_size for f in files) / 1e6, 1)
    return out


def child(mode: str, n: int, batch: int) -> int:
    try:
        with tempfile.TemporaryDirectory(prefix="fc-mem-") as d:
            state = os.path.join(d, "crawl.db") if mode == "state" else None
            res = asyncio.run(fill(n, batch, state))
    except (ImportError, AttributeError) as e:
        print(json.dumps({"error": f"{type(e).__name__}: {e}"}))
        return 2
    res["mode"] = mode
    print(json.dumps(res))
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--urls", type=int, default=1_000_000)
    ap.add_argument("--batch", type=int, default=10_000)
    ap.add_argument("--modes", default="memory,state")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.child:
        return child(a.child, a.urls, a.batch)
    print(
        f"| mode | URLs queued | RSS before MB | RSS after MB | growth MB | B/URL | "
        f"peak MB | on disk MB | < {TARGET_MB} MB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for mode in [m.strip() for m in a.modes.split(",") if m.strip()]:
        cmd = [sys.executable, __file__, "--child", mode, "--urls", str(a.urls)]
        cmd += ["--batch", str(a.batch)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
        line = next((x for x in reversed(p.stdout.splitlines()) if x.startswith("{")), None)
        r = json.loads(line) if line else {"error": (p.stderr.strip().splitlines() or ["?"])[-1]}
        if "error" in r:
            print(f"| {mode} | n/a | | | | | | | n/a ({r['error']}) |")
            continue
        ok = "PASS" if r["peak_rss_mb"] < TARGET_MB else "FAIL"
        print(
            f"| {mode} | {r['queued'] if r['queued'] is not None else '?'} / {r['urls']:,} | "
            f"{r['rss_before_mb']} | {r['rss_after_mb']} | {r['growth_mb']} | "
            f"{r['bytes_per_url']} | {r['peak_rss_mb']} | {r.get('state_mb', '–')} | {ok} |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
