"""The notes' final "异步爬虫实例" (create_task + asyncio.wait), ported to ferrocrawl.
笔记最后的「异步爬虫实例」：create_task + asyncio.wait，换成 ferrocrawl。

The /baidu page is GBK with the charset only in <meta>: text() still decodes it right.
/baidu 页面是 GBK 编码，只在 <meta> 声明字符集：text() 依然能正确解码。

    python examples/async_crawler.py [--base http://127.0.0.1:5000]
"""

from __future__ import annotations

import argparse
import asyncio
import re

import demo_site
import ferrocrawl


async def fetch(session: ferrocrawl.ClientSession, url: str) -> str:
    print("发送请求:", url)
    # verify_ssl=False as in the notes (ssl=False is the same) / 与笔记一致
    async with session.get(url, verify_ssl=False) as response:
        text = await response.text()
        print("得到结果：", url, len(text), response.charset)
        return text


async def main(base: str) -> None:
    async with ferrocrawl.ClientSession() as session:
        url_list = [f"{base}/python", f"{base}/baidu", f"{base}/pythonav"]
        tasks = [asyncio.create_task(fetch(session, url)) for url in url_list]
        await asyncio.wait(tasks)  # done, pending = ... in the notes / 笔记中返回 done, pending
        for task in tasks:  # input order / 按输入顺序
            m = re.search(r"<title>(.*?)</title>", task.result())
            print("标题：", m.group(1) if m else None)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--base", help="a running demo site; default: start one / 默认自动启动")
    args = ap.parse_args()
    with demo_site.site(args.base) as base:
        asyncio.run(main(base))
