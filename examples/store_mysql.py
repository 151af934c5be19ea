"""The notes' "异步MySQL" with aiomysql, then a crawl whose items go to MySQL from Rust.
笔记中的「异步MySQL」（aiomysql），然后一次爬取，结果由 Rust 直接写进 MySQL。

aiomysql's calls are the notes' (`await cur.close()` is a coroutine; `conn.close()` is not);
only asyncio.wait() now takes tasks, not coroutines (Python 3.11).
aiomysql 的用法与笔记相同；只是 asyncio.wait() 只接受 task（Python 3.11 起）。

With ferrocrawl the crawl writes each page's item {"url": ..., **extract} itself (`sink=`):
the table is created when missing (`url` the primary key, a LONGTEXT column per field) and each
batch is one INSERT ... ON DUPLICATE KEY UPDATE, so a page is one row however often it is
crawled. Works with MySQL and MariaDB.
ferrocrawl 的 crawl 自己写入每页的结果（sink=）：表不存在时自动创建（url 为主键，每个字段一列
LONGTEXT），每批一条 INSERT ... ON DUPLICATE KEY UPDATE，同一页面只有一行。

    python examples/store_mysql.py mysql://user:password@127.0.0.1:3306/db [--base URL]
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any
from urllib.parse import unquote, urlsplit

import aiomysql
import demo_site
import ferrocrawl


def connect_args(url: str) -> dict[str, Any]:
    """mysql://user:password@host:port/db as aiomysql.connect()'s keywords / 解析连接参数."""
    u = urlsplit(url)
    return {
        "host": u.hostname or "127.0.0.1",
        "port": u.port or 3306,
        "user": unquote(u.username or "root"),
        "password": unquote(u.password or ""),
        "db": u.path.lstrip("/") or None,
    }


# ---- the notes, example 1 and 2 / 笔记示例 1、2 -------------------------------------------------


async def execute(host: str, port: int, user: str, password: str) -> None:
    print("开始", host)
    # 网络IO操作：连接MySQL
    conn = await aiomysql.connect(host=host, port=port, user=user, password=password, db="mysql")
    # 网络IO操作：创建CURSOR
    cur = await conn.cursor()
    # 网络IO操作：执行SQL
    await cur.execute("SELECT Host,User From user")
    # 网络IO操作：获取SQL结果
    result = await cur.fetchall()
    print(result)
    # 网络IO操作：关闭链接
    await cur.close()
    conn.close()
    print("结束", host)


async def notes(url: str) -> None:
    a = connect_args(url)
    # example 2: two servers in the notes, connected at once; the same server twice here
    # 示例 2：笔记中同时连接两台服务器，这里连接同一台两次
    task_list = [
        asyncio.create_task(execute(a["host"], a["port"], a["user"], a["password"]))
        for _ in range(2)
    ]
    await asyncio.wait(task_list)


# ---- the same with ferrocrawl / 用 ferrocrawl -------------------------------------------------


async def with_ferrocrawl(url: str, base: str) -> None:
    # a crawl of the pearvideo-like demo: list page -> detail pages, each page's item a row
    # 爬取演示站点：列表页 -> 详情页，每页的结果一行
    crawler = ferrocrawl.crawl(
        f"{base}/category_5",
        follow='xpath://*[@id="listvideoListUl"]/li/div/a/@href',
        max_depth=1,
        extract={
            "title": "xpath://h1/text()",
            "video": 'xpath://*[@id="JprismPlayer"]/video/@src',
        },
        sink=f"{url}?table=videos",
    )
    async for page in crawler:  # Python still sees each page; the row is already on its way
        print("crawled", page.status, page.url)
    stats = crawler.stats
    print(f"pages: {stats['pages']}, status: {stats['status']}, errors: {stats['errors']}")

    # read back: run it twice, still one row a page / 读回：运行两次，每页仍只有一行
    conn = await aiomysql.connect(**connect_args(url), charset="utf8mb4")
    cur = await conn.cursor()
    await cur.execute(
        "SELECT COLUMN_NAME FROM information_schema.COLUMNS"
        " WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'videos' ORDER BY ORDINAL_POSITION"
    )
    print("columns:", ", ".join(name for (name,) in await cur.fetchall()))
    await cur.execute("SELECT url, title, video FROM videos ORDER BY url")
    rows = await cur.fetchall()
    print(f"mysql table videos: {len(rows)} rows")
    for row in rows:
        print(" ", *row)
    await cur.close()
    conn.close()


async def main(url: str, base: str) -> None:
    await notes(url)
    await with_ferrocrawl(url, base)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("mysql", help="the server's URL, e.g. mysql://user:pw@127.0.0.1:3306/db")
    ap.add_argument("--base", help="a running demo site; default: start one / 默认自动启动")
    args = ap.parse_args()
    with demo_site.site(args.base) as base:
        asyncio.run(main(args.mysql, base))
