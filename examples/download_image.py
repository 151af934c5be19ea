"""The notes' download_image (requests in run_in_executor), with a native download instead.
笔记中 download_image 示例：原来用 run_in_executor 把 requests 放进线程池，这里直接原生下载。

    python examples/download_image.py [--base http://127.0.0.1:5000] [--out images]
"""

from __future__ import annotations

import argparse
import asyncio
import os

import demo_site
import ferrocrawl


async def download_image(session: ferrocrawl.ClientSession, url: str, out: str) -> str:
    # network IO: the loop switches to other tasks meanwhile / 网络 IO 时自动切换到其他任务
    print("开始下载：", url)
    file_name = url.rsplit("_")[-1]
    # no thread pool: the body streams to disk in Rust / 无需线程池，Rust 中流式写盘
    path = await session.download(url, os.path.join(out, ferrocrawl.safe_filename(file_name)))
    print("下载完成", os.path.basename(path))
    return path


async def main(base: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    url_list = [
        f"{base}/img/{demo_site.IMAGE}",
        f"{base}/img/logo_0a1b2c3d.gif",
    ]
    async with ferrocrawl.ClientSession() as session:
        tasks = [asyncio.create_task(download_image(session, url, out)) for url in url_list]
        await asyncio.wait(tasks)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", help="a running demo site; default: start one / 默认自动启动")
    ap.add_argument("--out", default="images", help="download folder / 下载目录")
    args = ap.parse_args()
    with demo_site.site(args.base) as base:
        asyncio.run(main(base, args.out))
