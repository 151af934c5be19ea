"""The notes' pearvideo job as one crawl: list page -> detail pages -> video files.
笔记中的梨视频爬取，写成一次 crawl：列表页 -> 详情页 -> 下载视频。

`ferrocrawl.crawl` does what the notes wrote by hand: it follows only the detail links of
the list (`follow=`), fetches each page once, politely (`per_host`, robots.txt), and runs
the notes' XPath on every page in Rust (`extract=`), so Python only sees the results.
With `state=` a crawl killed half-way continues where it stopped.
`ferrocrawl.crawl` 替代手写的列表/详情逻辑：只跟随列表中的详情链接（follow=），每页只抓一次，
遵守 per_host 与 robots.txt；笔记中的 XPath 在 Rust 中对每页执行（extract=）。
加上 state= 后，中途被杀死的爬取可从断点继续。

    python examples/crawl_pearvideo.py [--base URL] [--out videos] [--state crawl.db]
"""

from __future__ import annotations

import argparse
import asyncio
import os

import demo_site
import ferrocrawl


async def main(base: str, out: str, state: str | None) -> None:
    os.makedirs(out, exist_ok=True)
    crawler = ferrocrawl.crawl(
        f"{base}/category_5",
        follow='xpath://*[@id="listvideoListUl"]/li/div/a/@href',  # list -> detail only
        max_depth=1,
        extract={
            "title": "xpath://h1/text()",
            "video": 'xpath://*[@id="JprismPlayer"]/video/@src',
        },
        state=state,
    )
    videos = []
    async with ferrocrawl.ClientSession() as session:
        async for page in crawler:
            if page.error:
                print(page.url, "失败 / failed:", page.error)
                continue
            if page.depth == 0:
                print("列表页 / list:", page.url, len(page.links), "links")
                continue
            title, src = page.data["title"], page.data["video"]
            print(page.url, title, src)
            videos.append((title, page.selector().urljoin(src)))

        async def download(title: str, url: str) -> None:
            saved = await session.download(
                url, out, filename=ferrocrawl.safe_filename(title) + ".mp4"
            )
            print(title, "下载成功", os.path.basename(saved))

        await asyncio.gather(*(download(t, u) for t, u in videos))
    stats = crawler.stats
    print(f"pages: {stats['pages']}, status: {stats['status']}, errors: {stats['errors']}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", help="a running demo site; default: start one / 默认自动启动")
    ap.add_argument("--out", default="videos", help="download folder / 下载目录")
    ap.add_argument("--state", help="resumable crawl state file / 断点续爬状态文件")
    args = ap.parse_args()
    with demo_site.site(args.base) as base:
        asyncio.run(main(base, args.out, args.state))
