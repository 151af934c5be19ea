"""One fetcher per peer; run one per process: `python bench/peers.py NAME --base URL --urls FILE`.

Every peer fetches the same N URLs at the same concurrency, reads every body, and counts
status-200 pages and bytes. The clock runs from session creation to the last body read;
a short warm-up (not timed) opens the connections first. Prints one JSON line, or
{"error": ...} with exit status 2 if the peer cannot run (e.g. ferrocrawl not built yet).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import Callable, Coroutine
from typing import Any

Result = tuple[int, int, int, float]  # ok, errors, bytes, seconds


# ---- ferrocrawl ------------------------------------------------------------------------------


async def ferrocrawl_get_many(urls: list[str], conc: int, warm: list[str]) -> Result:
    import ferrocrawl

    async with ferrocrawl.ClientSession(limit=conc) as s:
        await s.get_many(warm, concurrency=conc)
    t0 = time.perf_counter()
    ok = err = nb = 0
    async with ferrocrawl.ClientSession(limit=conc) as s:
        for r in await s.get_many(urls, concurrency=conc):
            if isinstance(r, Exception) or r.status != 200:
                err += 1
            else:
                ok += 1
                nb += len(await r.read())
    return ok, err, nb, time.perf_counter() - t0


async def ferrocrawl_tasks(urls: list[str], conc: int, warm: list[str]) -> Result:
    """The notes' pattern: asyncio.gather of one task per URL under a semaphore."""
    import ferrocrawl

    async def run(batch: list[str]) -> tuple[int, int, int]:
        sem = asyncio.Semaphore(conc)
        ok = err = nb = 0
        async with ferrocrawl.ClientSession(limit=conc) as s:

            async def one(u: str) -> None:
                nonlocal ok, err, nb
                async with sem:
                    try:
                        async with s.get(u) as r:
                            body = await r.read()
                            if r.status == 200:
                                ok += 1
                                nb += len(body)
                            else:
                                err += 1
                    except Exception:
                        err += 1

            await asyncio.gather(*(one(u) for u in batch))
        return ok, err, nb

    await run(warm)
    t0 = time.perf_counter()
    ok, err, nb = await run(urls)
    return ok, err, nb, time.perf_counter() - t0


# ---- aiohttp ---------------------------------------------------------------------------------


async def aiohttp_tasks(urls: list[str], conc: int, warm: list[str]) -> Result:
    import aiohttp

    async def run(batch: list[str]) -> tuple[int, int, int]:
        sem = asyncio.Semaphore(conc)
        ok = err = nb = 0
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=conc)) as s:

            async def one(u: str) -> None:
                nonlocal ok, err, nb
                async with sem:
                    try:
                        async with s.get(u) as r:
                            body = await r.read()
                            if r.status == 200:
                                ok += 1
                                nb += len(body)
                            else:
                                err += 1
                    except Exception:
                        err += 1

            await asyncio.gather(*(one(u) for u in batch))
        return ok, err, nb

    await run(warm)
    t0 = time.perf_counter()
    ok, err, nb = await run(urls)
    return ok, err, nb, time.perf_counter() - t0


# ---- httpx -----------------------------------------------------------------------------------


async def httpx_tasks(urls: list[str], conc: int, warm: list[str]) -> Result:
    import httpx

    # the pool keeps `conc` connections (its default of 20 keep-alive would churn)
    limits = httpx.Limits(max_connections=conc, max_keepalive_connections=conc)

    async def run(batch: list[str]) -> tuple[int, int, int]:
        sem = asyncio.Semaphore(conc)
        ok = err = nb = 0
        async with httpx.AsyncClient(limits=limits, trust_env=False, timeout=30) as c:

            async def one(u: str) -> None:
                nonlocal ok, err, nb
                async with sem:
                    try:
                        r = await c.get(u)
                        if r.status_code == 200:
                            ok += 1
                            nb += len(r.content)
                        else:
                            err += 1
                    except Exception:
                        err += 1

            await asyncio.gather(*(one(u) for u in batch))
        return ok, err, nb

    await run(warm)
    t0 = time.perf_counter()
    ok, err, nb = await run(urls)
    return ok, err, nb, time.perf_counter() - t0


# ---- requests + threads ----------------------------------------------------------------------


def requests_threads(urls: list[str], threads: int, warm: list[str]) -> Result:
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import requests

    local = threading.local()

    def one(u: str) -> tuple[bool, int]:
        s = getattr(local, "s", None)
        if s is None:
            s = local.s = requests.Session()
            s.trust_env = False
        try:
            r = s.get(u, timeout=30)
            return r.status_code == 200, len(r.content)
        except Exception:
            return False, 0

    with ThreadPoolExecutor(threads) as ex:
        list(ex.map(one, warm))
        t0 = time.perf_counter()
        ok = err = nb = 0
        for good, n in ex.map(one, urls):
            if good:
                ok += 1
                nb += n
            else:
                err += 1
        return ok, err, nb, time.perf_counter() - t0


AsyncPeer = Callable[[list[str], int, list[str]], Coroutine[Any, Any, Result]]
ASYNC_PEERS: dict[str, tuple[AsyncPeer, bool]] = {  # name -> (fetcher, uvloop?)
    "ferrocrawl-get_many": (ferrocrawl_get_many, False),
    "ferrocrawl-tasks": (ferrocrawl_tasks, False),
    "ferrocrawl-tasks+uvloop": (ferrocrawl_tasks, True),
    "aiohttp": (aiohttp_tasks, False),
    "aiohttp+uvloop": (aiohttp_tasks, True),
    "httpx": (httpx_tasks, False),
}
PEERS = [*ASYNC_PEERS, "requests+threads"]


def load_urls(base: str, path: str, n: int) -> list[str]:
    with open(path) as f:
        lines = [line.strip() for line in f if line.strip()]
    urls = [line if "://" in line else base.rstrip("/") + line for line in lines]
    return [urls[i % len(urls)] for i in range(n)]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("peer", choices=PEERS)
    ap.add_argument("--base", required=True)
    ap.add_argument("--urls", required=True)
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--threads", type=int, default=32)
    ap.add_argument("--warmup", type=int, default=500)
    a = ap.parse_args()
    urls = load_urls(a.base, a.urls, a.n)
    warm = urls[-a.warmup :] if a.warmup else []
    try:
        if a.peer == "requests+threads":
            ok, err, nb, dt = requests_threads(urls, a.threads, warm)
        else:
            fn, use_uvloop = ASYNC_PEERS[a.peer]
            coro = fn(urls, a.concurrency, warm)
            if use_uvloop:
                import uvloop

                ok, err, nb, dt = uvloop.run(coro)
            else:
                ok, err, nb, dt = asyncio.run(coro)
    except Exception as e:
        print(json.dumps({"peer": a.peer, "error": f"{type(e).__name__}: {e}"}))
        return 2
    print(
        json.dumps(
            {
                "peer": a.peer,
                "n": a.n,
                "ok": ok,
                "errors": err,
                "bytes": nb,
                "seconds": round(dt, 4),
                "pages_per_s": round(ok / dt, 1) if dt else 0,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
