#!/usr/bin/env python3
"""Fetch benchmark: N small pages from a local nginx, every client in one run.

    python bench/fetch.py [--pages 20000] [--concurrency 64] [--repeat 3] [--only aiohttp,wrk]

Starts nginx on 127.0.0.1 (a private prefix under $BENCH_DIR, default
~/.cache/ferrocrawl-bench/fetch) serving a generated site of ~5 KB pages, then runs, in rounds,
each peer in its own process: ferrocrawl get_many, ferrocrawl one task per URL (the notes'
asyncio.gather under a semaphore; asyncio and uvloop), aiohttp, aiohttp+uvloop, httpx,
requests+ThreadPoolExecutor, and wrk (one page, and the same URL list rotated) as the ceiling.
Prints pages/s (best and median of the rounds), the ratio of the medians to wrk and to aiohttp,
CPU seconds and peak RSS per process. A peer that cannot run (ferrocrawl not built yet) shows
n/a with the reason. Installs nothing: nginx (Debian nginx-light) and wrk must be present.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from gen_site import ensure_site  # noqa: E402
from nginx import Nginx  # noqa: E402
from peers import PEERS  # noqa: E402

WRK = ["wrk (one page)", "wrk (rotated)"]
ALL = [*WRK, *PEERS]
TARGETS = [  # (peer, reference, minimum ratio) from the issue
    ("ferrocrawl-get_many", "aiohttp", 3.0),
    ("ferrocrawl-get_many", "wrk (one page)", 0.5),
    ("ferrocrawl-tasks", "aiohttp", 2.0),
]


def bench_dir() -> Path:
    d = os.environ.get("BENCH_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "ferrocrawl-bench"
    )
    return Path(d) / "fetch"


def run_wrk(name: str, base: str, urls_file: Path, conc: int, seconds: int) -> dict:
    if shutil.which("wrk") is None:
        return {"peer": name, "error": "wrk not found (apt-get install -y wrk)"}
    threads = min(2, conc)
    cmd = ["wrk", f"-t{threads}", f"-c{conc}", f"-d{seconds}s"]
    env = dict(os.environ)
    if name == "wrk (rotated)":
        cmd += ["-s", str(HERE / "wrk_rotate.lua"), base]
        env["URLS_FILE"] = str(urls_file)
    else:
        cmd.append(base + urls_file.read_text().split("\n", 1)[0])
    p = subprocess.run(
        cmd, capture_output=True, text=True, env=env, timeout=seconds + 60, stdin=subprocess.DEVNULL
    )
    m = re.search(r"Requests/sec:\s+([\d.]+)", p.stdout)
    if p.returncode != 0 or not m:
        return {"peer": name, "error": (p.stderr or p.stdout).strip()[-300:]}
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", p.stdout)
    return {
        "peer": name,
        "pages_per_s": float(m.group(1)),
        "errors": int(bad.group(1)) if bad else 0,
    }


def run_peer(name: str, base: str, urls_file: Path, a: argparse.Namespace) -> dict:
    cmd = [
        sys.executable,
        str(HERE / "peers.py"),
        name,
        "--base",
        base,
        "--urls",
        str(urls_file),
        "--n",
        str(a.pages),
        "--concurrency",
        str(a.concurrency),
        "--threads",
        str(a.threads),
        "--warmup",
        str(a.warmup),
    ]
    # time -v style numbers without /usr/bin/time: the child reports them itself
    code = (
        "import resource, runpy, sys, json, atexit\n"
        "def _r():\n"
        "    u = resource.getrusage(resource.RUSAGE_SELF)\n"
        "    sys.stderr.write('RUSAGE ' + json.dumps({'cpu_s': u.ru_utime + u.ru_stime,"
        " 'rss_mb': u.ru_maxrss / 1024}) + '\\n')\n"
        "atexit.register(_r)\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n"
    )
    try:
        p = subprocess.run(
            [sys.executable, "-c", code, *cmd[1:]],
            capture_output=True,
            text=True,
            timeout=a.peer_timeout,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return {"peer": name, "error": f"timed out after {a.peer_timeout}s"}
    line = next((x for x in reversed(p.stdout.splitlines()) if x.startswith("{")), None)
    if line is None:
        tail = p.stderr.strip().splitlines()
        return {"peer": name, "error": tail[-1] if tail else f"exit {p.returncode}"}
    out = json.loads(line)
    m = re.search(r"^RUSAGE (.*)$", p.stderr, re.M)
    if m:
        out.update(json.loads(m.group(1)))
    return out


def fmt(x: float | None, nd: int = 0) -> str:
    return "–" if x is None else f"{x:,.{nd}f}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--pages", type=int, default=20000, help="pages per client run (default 20000)")
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--threads", type=int, default=32, help="requests+threads pool size")
    ap.add_argument("--repeat", type=int, default=3, help="rounds; best and median are shown")
    ap.add_argument("--only", default="", help=f"comma list of: {', '.join(ALL)}")
    ap.add_argument("--site-pages", type=int, default=20000, help="distinct pages on the site")
    ap.add_argument("--wrk-seconds", type=int, default=5)
    ap.add_argument("--warmup", type=int, default=500, help="untimed requests per client run")
    ap.add_argument("--nginx-workers", type=int, default=1)
    ap.add_argument("--peer-timeout", type=int, default=600)
    ap.add_argument("--json-out", help="also write every measurement here (JSON lines)")
    a = ap.parse_args()

    selected = [x.strip() for x in a.only.split(",") if x.strip()] or ALL
    unknown = [x for x in selected if x not in ALL]
    if unknown:
        ap.error(f"unknown peers {unknown}; choose from {ALL}")

    root = bench_dir()
    site = root / f"site-{a.site_pages}"
    t0 = time.monotonic()
    urls_file = ensure_site(site, a.site_pages)
    print(f"site: {a.site_pages} pages in {site} ({time.monotonic() - t0:.1f}s)", flush=True)

    results: dict[str, list[dict]] = {name: [] for name in selected}
    with Nginx(site, root / "nginx", workers=a.nginx_workers) as ngx:
        print(
            f"nginx: {ngx.base} ({a.nginx_workers} worker), {os.cpu_count()} CPUs; "
            f"{a.pages} pages/run, concurrency {a.concurrency}, {a.repeat} round(s)",
            flush=True,
        )
        for rnd in range(1, a.repeat + 1):
            for name in selected:
                if name in WRK:
                    r = run_wrk(name, ngx.base, urls_file, a.concurrency, a.wrk_seconds)
                else:
                    r = run_peer(name, ngx.base, urls_file, a)
                r["round"] = rnd
                results[name].append(r)
                shown = fmt(r.get("pages_per_s")) + " pages/s" if "error" not in r else "n/a"
                print(
                    f"  round {rnd} {name:<24} {shown}"
                    + (f"  ({r['error']})" if "error" in r else ""),
                    flush=True,
                )
                if a.json_out:
                    with open(a.json_out, "a") as f:
                        f.write(json.dumps(r) + "\n")

    def median(name: str) -> float | None:
        xs = [r["pages_per_s"] for r in results.get(name, []) if "pages_per_s" in r]
        return statistics.median(xs) if xs else None

    wrk_ref, aio_ref = median("wrk (one page)"), median("aiohttp")
    print()
    print(
        f"{a.pages} pages of ~5 KB per run, concurrency {a.concurrency} (requests+threads: "
        f"{a.threads} threads), {a.repeat} round(s); ratios use medians\n"
    )
    print(
        "| client | pages/s best | pages/s median | x wrk (one page) | x aiohttp | "
        "CPU s | peak RSS MB | errors |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for name in selected:
        rs = results[name]
        good = [r for r in rs if "pages_per_s" in r]
        if not good:
            reason = next((r["error"] for r in rs if "error" in r), "?")
            print(f"| {name} | n/a | n/a | n/a | n/a | – | – | {reason} |")
            continue
        med = median(name)
        best = max(r["pages_per_s"] for r in good)
        cpu = statistics.median(r["cpu_s"] for r in good) if "cpu_s" in good[0] else None
        rss = max(r["rss_mb"] for r in good) if "rss_mb" in good[0] else None
        errs = sum(r.get("errors", 0) for r in good)
        print(
            f"| {name} | {fmt(best)} | {fmt(med)} | "
            f"{fmt(med / wrk_ref, 2) if wrk_ref and med else '–'} | "
            f"{fmt(med / aio_ref, 2) if aio_ref and med else '–'} | "
            f"{fmt(cpu, 1)} | {fmt(rss)} | {errs} |"
        )
    print()
    for peer, ref, want in TARGETS:
        if peer in results and ref in results:
            p, r = median(peer), median(ref)
            if p and r:
                verdict = "ok" if p / r >= want else "BELOW"
                print(f"target {peer} >= {want}x {ref}: {p / r:.2f}x {verdict}")
            else:
                print(f"target {peer} >= {want}x {ref}: n/a")
    return 0


if __name__ == "__main__":
    sys.exit(main())
