"""The notes' pearvideo job: list page -> detail pages -> video files.
笔记中的梨视频爬取：列表页 -> 详情页 -> 下载视频。

The notes fetched each detail page one by one with requests and downloaded with a process
pool (Pool(2)). Here the detail pages come in one `get_many` batch and the videos are written
by `session.download` (streamed to disk in Rust, `.part` file + atomic rename): no pool, no
run_in_executor. The notes' XPath expressions run unchanged on `resp.selector()`, parsed in
Rust (parsel's API: `.get()` / `.getall()` instead of lxml's lists).
笔记用 requests 逐个请求详情页、用进程池下载；这里详情页用 get_many 一次批量获取，
视频用 session.download 在 Rust 中流式写盘（.part 临时文件 + 原子重命名），无需线程池/进程池。
笔记中的 XPath 表达式原样用于 resp.selector()（在 Rust 中解析）。

    python examples/pearvideo.py [--base http://127.0.0.1:5000] [--out videos]
"""

from __future__ import annotations

import argparse
import asyncio
import os

import demo_site
import ferrocrawl

HEADERS = {
    "User-Agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/88.0.4324.146 Safari/537.36"
}


async def main(base: str, out: str) -> None:
    os.makedirs(out, exist_ok=True)
    async with ferrocrawl.ClientSession(headers=HEADERS) as session:
        url = f"{base}/category_5"
        tree = (await session.get(url)).selector()  # base URL = the page / 以页面为基准 URL
        li_list = tree.xpath('//*[@id="listvideoListUl"]/li')
        details = []  # (detail_url, name)
        for li in li_list:
            detail_url = tree.urljoin(li.xpath("./div/a/@href").get())
            name = li.xpath("./div/a/div[2]/text()").get() + ".mp4"
            print(detail_url, name)
            details.append((detail_url, name))

        # all detail pages in one batch / 一次批量请求所有详情页
        pages = await session.get_many([d for d, _ in details], concurrency=16)
        videos = []  # 存储所有视频的链接 / every video's URL
        for (_detail_url, name), resp in zip(details, pages, strict=True):
            # a failed URL holds its exception / 失败的位置是异常对象
            if isinstance(resp, Exception):
                print(name, "详情页失败", resp)
                continue
            detail = resp.selector()
            video_url = detail.urljoin(detail.xpath('//*[@id="JprismPlayer"]/video/@src').get())
            print(video_url, "视频地址")
            videos.append({"name": name, "url": video_url})

        async def get_video_data(dic: dict) -> str:
            print(dic["name"], "正在下载......")
            # the name comes from the page: keep it inside `out` / 名字来自网页，需清洗
            # (filename= refuses names that would leave `out`; safe_filename cleans them)
            name = ferrocrawl.safe_filename(dic["name"])
            saved = await session.download(dic["url"], out, filename=name)
            print(dic["name"], "下载成功", os.path.basename(saved))
            return saved

        # replaces Pool(2).map(get_video_data, urls) / 取代进程池
        await asyncio.gather(*(get_video_data(v) for v in videos))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", help="a running demo site; default: start one / 默认自动启动")
    ap.add_argument("--out", default="videos", help="download folder / 下载目录")
    args = ap.parse_args()
    with demo_site.site(args.base) as base:
        asyncio.run(main(base, args.out))
