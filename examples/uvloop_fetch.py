"""The notes' uvloop section: same asyncio code, uvloop's event loop underneath.
笔记中的 uvloop：代码不变，事件循环换成 uvloop。

    python examples/uvloop_fetch.py [--base http://127.0.0.1:5000] [--n 200]
"""

from __future__ import annotations

import argparse
import asyncio
import time

import demo_site
import ferrocrawl
import uvloop


async def main(base: str, n: int) -> None:
    print("loop:", type(asyncio.get_running_loop()).__module__)
    urls = [f"{base}/python"] * n
    async with ferrocrawl.ClientSession() as session:
        start = time.time()
        # the notes' pattern: one task per URL under a semaphore / 笔记写法：每个 URL 一个任务
        sem = asyncio.Semaphore(64)

        async def one(url: str) -> int:
            async with sem, session.get(url) as resp:
                return len(await resp.read())

        sizes = await asyncio.gather(*(one(u) for u in urls))
        print("gather:", len(sizes), "pages", sum(sizes), "bytes", round(time.time() - start, 3))

        start = time.time()
        resps = await session.get_many(urls, concurrency=64)
        ok = sum(1 for r in resps if not isinstance(r, Exception) and r.status == 200)
        print("get_many:", ok, "pages", round(time.time() - start, 3))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", help="a running demo site; default: start one / 默认自动启动")
    ap.add_argument("--n", type=int, default=200)
    args = ap.parse_args()
    with demo_site.site(args.base) as base:
        # the notes: asyncio.set_event_loop_policy(uvloop.EventLoopPolicy()); asyncio.run(...)
        # uvloop.run does the same without the policy API (deprecated from Python 3.14)
        # 笔记写法是设置事件循环策略；uvloop.run 效果相同
        uvloop.run(main(base, args.n))
