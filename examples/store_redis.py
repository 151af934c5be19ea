"""The notes' "异步redis" with today's client, then a crawl whose items go to Redis from Rust.
笔记中的「异步redis」（换成今天的客户端），然后一次爬取，结果由 Rust 直接写进 Redis。

aioredis now lives in redis-py (`import redis.asyncio as aioredis`): `create_redis` became
`from_url`, `hmset_dict` is `hset(mapping=...)`, `close()` + `wait_closed()` is `aclose()`, and
asyncio.wait() takes tasks, not coroutines (Python 3.11).
aioredis 已并入 redis-py：create_redis -> from_url，hmset_dict -> hset(mapping=...)，
close() + wait_closed() -> aclose()；asyncio.wait() 只接受 task（Python 3.11 起）。

With ferrocrawl the crawl writes each page's item {"url": ..., **extract} itself, one HSET per
batch (`sink=`), and `ferrocrawl.Sink` writes items you give it the same way: no client, no
await per item.
ferrocrawl 的 crawl 自己写入每页的结果（sink=，每批一条 HSET）；ferrocrawl.Sink 同样写入你给的数据。

    python examples/store_redis.py redis://127.0.0.1:6379/0 [--base URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from urllib.parse import urlencode, urlsplit, urlunsplit

import demo_site
import ferrocrawl
import redis.asyncio as aioredis


def with_db(address: str, db: int) -> str:
    """The same server, another database number / 同一服务器的另一个库."""
    return urlunsplit(urlsplit(address)._replace(path=f"/{db}"))


def with_query(address: str, **params: str) -> str:
    """A sink URL: the server's URL plus the sink's key= and type= / 加上 sink 的参数."""
    parts = urlsplit(address)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


# ---- the notes, example 1 and 2 / 笔记示例 1、2 -------------------------------------------------


async def execute(address: str) -> None:
    print("开始执行", address)
    # 网络IO操作：创建redis连接 (the password, if any, is in the URL: redis://:pw@host)
    redis = aioredis.from_url(address, decode_responses=True)
    # 网络IO操作：在redis中设置哈希值car，内部再设三个键值对
    await redis.hset("car", mapping={"key1": 1, "key2": 2, "key3": 3})
    # 网络IO操作：去redis中获取值
    result = await redis.hgetall("car")
    print(result)
    # 网络IO操作：关闭redis连接
    await redis.aclose()
    print("结果", address)


async def notes(address: str) -> None:
    await execute(address)
    # example 2: two servers in the notes; two databases of one server here
    # 示例 2：笔记中是两台服务器，这里是同一服务器的两个库
    task_list = [asyncio.create_task(execute(with_db(address, db))) for db in (0, 1)]
    await asyncio.wait(task_list)


# ---- the same with ferrocrawl / 用 ferrocrawl -------------------------------------------------


async def with_ferrocrawl(address: str, base: str) -> None:
    redis = aioredis.from_url(address, decode_responses=True)

    # the notes' car, through a sink: the hash `cars`, a field per item url, the item as JSON
    # 笔记中的 car，经 Sink 写入哈希 cars：每个 url 一个字段，值为 JSON
    async with ferrocrawl.Sink(with_query(address, key="cars", type="hash")) as sink:
        await sink.put({"url": "car", "key1": 1, "key2": 2, "key3": 3})
    print("Sink cars:", await redis.hgetall("cars"))

    # a crawl of the pearvideo-like demo: list page -> detail pages, each page's item to Redis
    # 爬取演示站点：列表页 -> 详情页，每页的结果写进 Redis
    crawler = ferrocrawl.crawl(
        f"{base}/category_5",
        follow='xpath://*[@id="listvideoListUl"]/li/div/a/@href',
        max_depth=1,
        extract={
            "title": "xpath://h1/text()",
            "video": 'xpath://*[@id="JprismPlayer"]/video/@src',
        },
        sink=with_query(address, key="videos", type="hash"),
    )
    async for page in crawler:  # Python still sees each page; the item is already on its way
        print("crawled", page.status, page.url)
    stats = crawler.stats
    print(f"pages: {stats['pages']}, status: {stats['status']}, errors: {stats['errors']}")

    # read back: run it twice, still one field a page / 读回：运行两次，每页仍只有一个字段
    videos = await redis.hgetall("videos")
    print(f"redis hash videos: {len(videos)} items")
    for url in sorted(videos):
        item = json.loads(videos[url])
        print(" ", url, item["title"], item["video"])
    await redis.aclose()


async def main(address: str, base: str) -> None:
    await notes(address)
    await with_ferrocrawl(address, base)


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("redis", help="the Redis server's URL, e.g. redis://127.0.0.1:6379/0")
    ap.add_argument("--base", help="a running demo site; default: start one / 默认自动启动")
    args = ap.parse_args()
    with demo_site.site(args.base) as base:
        asyncio.run(main(args.redis, base))
