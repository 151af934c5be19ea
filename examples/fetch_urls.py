"""The notes' "Aiohttp实现多任务异步协程", ported to ferrocrawl (only the import changed),
then the same three pages with one batch call.
笔记中「Aiohttp 实现多任务异步协程」的 ferrocrawl 版：只改了 import；最后用批量接口再取一次。

    python examples/fetch_urls.py               # starts the demo site itself / 自动启动演示站点
    python examples/fetch_urls.py --base http://127.0.0.1:5000
"""

from __future__ import annotations

import argparse
import asyncio
import time

import demo_site
import ferrocrawl


async def get_page(url: str) -> None:
    # as in the notes: one session per task (a shared session would reuse connections)
    # 与笔记相同：每个任务一个会话（共享一个会话可复用连接，更快）
    async with ferrocrawl.ClientSession() as session:
        # headers, params/data, proxy='http://ip:port' work as in aiohttp / 参数与 aiohttp 相同
        async with await session.get(url) as response:
            # text() str, read() bytes, json() object: all need await / 都要 await
            page_text = await response.text()
            print("下载完毕：", url, page_text)


async def main(base: str) -> None:
    urls = [f"{base}/bobo", f"{base}/jay", f"{base}/rwl"]

    start = time.time()
    tasks = [asyncio.ensure_future(get_page(url)) for url in urls]
    await asyncio.wait(tasks)
    print("总耗时", round(time.time() - start, 2))

    # ferrocrawl: one call, no task per URL, results in input order
    # ferrocrawl 批量接口：无需每个 URL 一个任务，结果按输入顺序返回
    start = time.time()
    async with ferrocrawl.ClientSession() as session:
        for resp in await session.get_many(urls, concurrency=64):
            print("get_many：", resp.url, resp.status, await resp.text())
    print("get_many 总耗时", round(time.time() - start, 2))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", help="a running demo site; default: start one / 默认自动启动")
    args = ap.parse_args()
    with demo_site.site(args.base) as base:
        asyncio.run(main(base))
