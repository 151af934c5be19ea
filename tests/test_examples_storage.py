"""examples/store_redis.py and examples/store_mysql.py against private servers on 127.0.0.1:
the notes' direct calls (redis.asyncio, aiomysql), then a crawl of the demo site through sink=.
"""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers.mariadb import MariaDBServer
from tests.servers.redis import RedisServer

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
_spec = importlib.util.spec_from_file_location("demo_site", EXAMPLES / "demo_site.py")
assert _spec and _spec.loader
demo_site = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(demo_site)
VIDEOS = {  # demo_site.VIDEOS, and the list page's own item
    "category_5": ("生活", None),
    "video_1": ("猫咪的一天", "/media/video_1.mp4"),
    "video_2": ("城市夜景延时摄影", "/media/video_2.mp4"),
    "video_3": ("街头美食探店", "/media/video_3.mp4"),
    "video_4": ("山间徒步记录", "/media/video_4.mp4"),
}


def run(name: str, *args: str) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args],
        capture_output=True,
        text=True,
        timeout=50,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout


@pytest.fixture(scope="module")
def mysql() -> Iterator[MariaDBServer]:
    with MariaDBServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def demo() -> Iterator[str]:
    """One demo site for both runs of an example: the same page URLs, so the same keys."""
    with demo_site.running() as base:
        yield base


def test_store_redis(redis_server: RedisServer, demo: str):
    out = run("store_redis.py", redis_server.url, "--base", demo)
    # the notes: one server, then two at once (databases 0 and 1 here)
    assert out.count("开始执行") == 3 and out.count("结果 redis://") == 3
    assert out.count("{'key1': '1', 'key2': '2', 'key3': '3'}") == 3
    for db in ("0", "1"):
        assert redis_server.cli("-n", db, "HGETALL", "car") == "key1\n1\nkey2\n2\nkey3\n3"
    # ferrocrawl.Sink: the notes' car as an item of the hash `cars`
    car = json.loads(redis_server.cli("HGET", "cars", "car"))
    assert car == {"url": "car", "key1": 1, "key2": 2, "key3": 3}
    # the crawl: five pages, five items in the hash `videos`, printed back
    assert re.search(r"^pages: 5, status: \{200: 5\}, errors: \{\}$", out, re.M)
    assert re.search(r"^redis hash videos: 5 items$", out, re.M)
    assert redis_server.cli("HLEN", "videos") == "5"
    for path, (title, video) in VIDEOS.items():
        url = next(u for u in redis_server.cli("HKEYS", "videos").split("\n") if u.endswith(path))
        item = json.loads(redis_server.cli("HGET", "videos", url))
        assert item == {"url": url, "title": title, "video": video}
        assert re.search(rf"^  {re.escape(url)} {title} {video}$", out, re.M)
    # run again: still five (a hash field per url)
    out = run("store_redis.py", redis_server.url, "--base", demo)
    assert re.search(r"^redis hash videos: 5 items$", out, re.M)


def test_store_mysql(mysql: MariaDBServer, demo: str):
    out = run("store_mysql.py", mysql.url, "--base", demo)
    # the notes: SELECT Host,User From user, twice at once
    assert out.count("开始 127.0.0.1") == 2 and out.count("结束 127.0.0.1") == 2
    assert out.count("('127.0.0.1', 'ferro')") == 2
    # the crawl: a table created with a column per extract field, a row per page
    assert re.search(r"^pages: 5, status: \{200: 5\}, errors: \{\}$", out, re.M)
    assert re.search(r"^columns: url, title, video$", out, re.M)
    assert re.search(r"^mysql table videos: 5 rows$", out, re.M)
    rows = mysql.query("SELECT url, title, video FROM videos ORDER BY url")
    assert len(rows) == 5
    for url, title, video in rows:
        want = VIDEOS[url.rsplit("/", 1)[1]]
        assert (title, video) == (want[0], want[1] or "NULL")
    keys = mysql.query("SHOW KEYS FROM videos WHERE Key_name = 'PRIMARY'")
    assert [k[4] for k in keys] == ["url"]  # Column_name: upserts by url
    # run again: the same five rows (an upsert by url into the table that exists)
    out = run("store_mysql.py", mysql.url, "--base", demo)
    assert re.search(r"^mysql table videos: 5 rows$", out, re.M)
