"""The fixtures themselves, checked with aiohttp (and plain sockets) as the client.

Cheap, and independent of ferrocrawl: if one of these fails, the ferrocrawl tests built on that
fixture say nothing.
"""

from __future__ import annotations

import asyncio
import base64
import socket
import ssl
import struct
import subprocess
import time
import zlib

import aiohttp
import pytest
import pytest_asyncio

from tests.servers import closed_port
from tests.servers.codecs_available import ENCODERS
from tests.servers.mariadb import MariaDBServer
from tests.servers.notebook import run_notebook
from tests.servers.redis import RedisServer
from tests.servers.routes_content import (
    BOMB_SIZE,
    CHARSET_PAGES,
    CP1252_TEXT,
    ENCODED_TEXT,
    GBK_TEXT,
)
from tests.servers.routes_files import DATA


@pytest_asyncio.fixture(loop_scope="function")
async def client():
    # unsafe=True: aiohttp's jar otherwise ignores cookies from IP-address hosts
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as s:
        yield s


async def test_echo_reflects_request(server, client):
    async with client.post(
        server.url("/echo/x?a=1&a=2&b=3"),
        json={"k": "值"},
        headers={"X-Test": "yes"},
        cookies={"c": "1"},
    ) as r:
        d = await r.json()
    assert d["method"] == "POST" and d["path"] == "/echo/x"
    assert d["args"] == {"a": ["1", "2"], "b": ["3"]}
    assert d["headers"]["x-test"] == "yes" and d["cookies"] == {"c": "1"}
    assert d["json"] == {"k": "值"} and d["content_type"] == "application/json"
    async with client.put(server.url("/echo"), data={"f": "v"}) as r:
        d = await r.json()
    assert d["method"] == "PUT" and d["form"] == {"f": "v"}


async def test_json_and_multi_headers(server, client):
    async with client.get(server.url("/json")) as r:
        assert (await r.json())["年份"] == 2026
    async with client.get(server.url("/headers/multi")) as r:
        assert r.headers.getall("X-Multi") == ["one", "two"]
    async with client.get(server.url("/html5k")) as r:
        assert 4900 <= len(await r.read()) <= 5300


async def test_redirects(server, server2, client):
    async with client.get(server.url("/redirect/3")) as r:
        assert len(r.history) == 3 and (await r.json())["path"] == "/redirect/0"
    async with client.get(server.url("/abs-redirect/2")) as r:
        assert len(r.history) == 2 and r.status == 200
    async with client.get(server.url("/dir/sub/rel")) as r:
        d = await r.json()
        assert d["path"] == "/echo" and d["args"] == {"via": ["rel"]}
    async with client.post(server.url("/redirect/1?status=307"), data=b"body") as r:
        d = await r.json()
        assert d["method"] == "POST" and d["body"] == "body"
    async with client.post(server.url("/redirect/1?status=303"), data=b"body") as r:
        assert (await r.json())["method"] == "GET"
    with pytest.raises(aiohttp.TooManyRedirects):
        await client.get(server.url("/redirect-loop"), max_redirects=5)
    target = server2.url("/echo")
    async with client.get(
        server.url(f"/redirect-to?url={target}&status=301"), allow_redirects=False
    ) as r:
        assert r.status == 301 and r.headers["Location"] == target
    async with client.get(
        server.url("/redirect-to?url=ftp://127.0.0.1/x"), allow_redirects=False
    ) as r:
        assert r.headers["Location"] == "ftp://127.0.0.1/x"


async def test_status_and_retry_after(server, client, key):
    async with client.get(server.url("/status/418?reason=Teapot")) as r:
        assert r.status == 418 and r.reason == "Teapot"
    url = server.url(f"/retry-after?key={key}&fail=2&status=429&after=1")
    for expect in (429, 429, 200):
        async with client.get(url) as r:
            assert r.status == expect
            if expect == 429:
                assert r.headers["Retry-After"] == "1"
    assert server.state.hits[key] == 3
    k2 = server.key()
    async with client.get(server.url(f"/retry-after?key={k2}&date=1&after=2")) as r:
        assert r.status == 503 and r.headers["Retry-After"].endswith("GMT")


async def test_slow_endpoint_sees_client_close(server, client, key):
    with pytest.raises(asyncio.TimeoutError):
        await client.get(
            server.url(f"/slow?key={key}&delay=10"), timeout=aiohttp.ClientTimeout(total=0.3)
        )
    assert await server.state.wait_closed(key, 5)
    async with client.get(server.url(f"/_closed/{key}")) as r:
        assert await r.json() == {"started": True, "closed": True, "finished": False}
    k2 = server.key()
    async with client.get(server.url(f"/slow?key={k2}&delay=0.1")) as r:
        assert await r.text() == "slow done"
    assert server.state.slow[k2].finished and not server.state.closed(k2)


async def test_slow_body_sends_headers_first(server, client, key):
    async with client.get(server.url(f"/slow-body?key={key}&delay=0.3")) as r:
        assert r.status == 200
        t0 = time.monotonic()
        assert await r.read() == b"slow body"
        assert time.monotonic() - t0 >= 0.2


async def test_track_counts_concurrency(server, client, key):
    async def one(i):
        async with client.get(server.url(f"/track?key={key}&delay=0.3&i={i}")) as r:
            return await r.json()

    out = await asyncio.gather(*(one(i) for i in range(5)))
    assert sorted(o["i"] for o in out) == ["0", "1", "2", "3", "4"]
    assert server.state.hits[key] == 5 and server.state.max_inflight[key] == 5


@pytest.mark.parametrize("codec", sorted(ENCODERS))
async def test_encoded_bodies(server, client, codec):
    async with client.get(server.url(f"/encoded/{codec}")) as r:
        assert r.headers.get("Content-Encoding", "identity") == codec
        assert await r.read() == ENCODED_TEXT


def test_brotli_and_zstd_encoders_present():
    assert {"gzip", "deflate", "br", "zstd"} <= set(ENCODERS)


async def test_gzip_bomb(server, client):
    async with client.get(server.url("/bomb"), auto_decompress=False) as r:
        raw = await r.read()
    assert r.headers["Content-Encoding"] == "gzip" and len(raw) < 1024 * 1024
    d = zlib.decompressobj(31)
    total, chunk = 0, raw
    while chunk:
        total += len(d.decompress(chunk, 8 * 1024 * 1024))
        chunk = d.unconsumed_tail
    total += len(d.flush())
    assert total == BOMB_SIZE


async def test_big_body(server, client):
    for q in ("size=300000", "size=300000&chunked=1"):
        async with client.get(server.url(f"/big?{q}")) as r:
            body = await r.read()
            assert len(body) == 300000 and body[:10] == b"0123456789"
            assert ("chunked" in q) == (r.content_length is None)


async def test_charset_pages(server, client):
    async with client.get(server.url("/charset/gbk-header")) as r:
        assert r.charset == "gbk" and GBK_TEXT in await r.text()
    async with client.get(server.url("/charset/cp1252")) as r:
        assert CP1252_TEXT in await r.text()
    for case in ("gbk-meta", "gb2312-http-equiv", "gbk-sniff"):
        async with client.get(server.url(f"/charset/{case}")) as r:
            body = await r.read()
            assert r.charset is None and GBK_TEXT in body.decode("gbk")
            with pytest.raises(UnicodeDecodeError):
                body.decode("utf-8")
    async with client.get(server.url("/charset/bad-utf8")) as r:
        assert "\ufffd" in (await r.read()).decode("utf-8", "replace")
    assert CHARSET_PAGES["utf8-bom"][1].startswith(b"\xef\xbb\xbf")


async def test_files_range_and_disposition(server, client, key):
    async with client.get(
        server.url(f"/files/data.bin?key={key}"), headers={"Range": "bytes=1000-1999"}
    ) as r:
        assert r.status == 206 and await r.read() == DATA[1000:2000]
    assert server.state.ranges[key] == ["bytes=1000-1999"]
    async with client.get(server.url("/dl/evil")) as r:
        assert "../../evil.bin" in r.headers["Content-Disposition"]
        assert await r.read() == DATA
    async with client.get(server.url("/dl/chinese")) as r:
        assert r.content_disposition.filename == "视频标题.mp4"
    async with client.get(server.url("/named/%E8%A7%86%E9%A2%91.mp4")) as r:
        assert r.status == 200


async def test_flaky_download_then_resume(server, client, key):
    with pytest.raises(aiohttp.ClientPayloadError):
        async with client.get(server.url(f"/flaky/{key}?cut=4096")) as r:
            await r.read()
    async with client.get(server.url(f"/flaky/{key}"), headers={"Range": "bytes=4096-"}) as r:
        assert r.status == 206 and await r.read() == DATA[4096:]
    assert server.state.ranges[key] == [None, "bytes=4096-"]


async def test_auth_and_cookies(server, client):
    async with client.get(server.url("/basic-auth/u/p")) as r:
        assert r.status == 401
    auth = {"Authorization": "Basic " + base64.b64encode(b"u:p").decode()}
    async with client.get(server.url("/basic-auth/u/p"), headers=auth) as r:
        assert r.status == 200
    async with client.get(server.url("/bearer"), headers={"Authorization": "Bearer tok"}) as r:
        assert (await r.json())["token"] == "tok"
    async with client.get(server.url("/cookies/set?a=1&b=2")) as r:
        assert len(r.headers.getall("Set-Cookie")) == 2
    async with client.get(server.url("/cookies")) as r:
        assert (await r.json())["cookies"] == {"a": "1", "b": "2"}
    async with (
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as fresh,
        fresh.get(server.url("/cookies/set-redirect?z=9")) as r,
    ):
        assert (await r.json())["cookies"] == {"z": "9"}


async def test_raw_server_scenarios(raw_server, client):
    rs = raw_server
    async with client.get(rs.url("/ok")) as r:
        assert await r.text() == "ok"
    exact = b"HTTP/1.1 203 Exact\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc"
    url = rs.register("exact", exact)
    async with client.get(url) as r:
        assert r.status == 203 and await r.read() == b"abc"
    t0 = time.monotonic()
    async with client.get(rs.url("/drip?n=5&interval=0.05")) as r:
        assert await r.read() == b"xxxxx"
    assert time.monotonic() - t0 >= 0.2
    with pytest.raises(aiohttp.ClientPayloadError):
        async with client.get(rs.url("/reset?sent=100&length=1000")) as r:
            await r.read()
    with pytest.raises(aiohttp.ClientResponseError):
        await client.get(rs.url("/malformed"))
    with pytest.raises(aiohttp.ClientError):
        await client.get(rs.url("/garbage"))
    with pytest.raises(aiohttp.ClientPayloadError):
        async with client.get(rs.url("/headers-then-close")) as r:
            await r.read()
    k = rs.hits and "silent-" + str(time.monotonic())
    with pytest.raises(asyncio.TimeoutError):
        await client.get(rs.url(f"/silent?key={k}"), timeout=aiohttp.ClientTimeout(total=0.3))
    assert await rs.wait_closed(k)
    k = "hang-" + str(time.monotonic())
    with pytest.raises(asyncio.TimeoutError):
        async with client.get(
            rs.url(f"/headers-then-hang?key={k}"), timeout=aiohttp.ClientTimeout(sock_read=0.3)
        ) as r:
            assert r.status == 200
            await r.read()
    assert await rs.wait_closed(k)
    k = "rf-" + str(time.monotonic())
    replies = []
    for _ in range(3):  # plain sockets: aiohttp itself retries a reset once
        reader, writer = await asyncio.open_connection("127.0.0.1", rs.port)
        writer.write(f"GET /reset-first?key={k}&n=2 HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        try:
            replies.append(await asyncio.wait_for(reader.read(-1), 5))
        except ConnectionResetError:
            replies.append(b"RST")
        writer.close()
    assert replies[0] in (b"", b"RST") and replies[1] in (b"", b"RST")
    assert replies[2].startswith(b"HTTP/1.1 200") and replies[2].endswith(b"ok")
    assert rs.hits[k] == 3


async def test_closed_port_refuses(client):
    with pytest.raises(aiohttp.ClientConnectorError):
        await client.get(f"http://127.0.0.1:{closed_port()}/")


async def test_tls_server(tls_server, client):
    async with client.get(tls_server.url("/echo"), ssl=False) as r:
        assert r.status == 200
    async with client.get(tls_server.url("/echo"), ssl=tls_server.client_context()) as r:
        assert (await r.json())["url"].startswith("https://127.0.0.1:")
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await client.get(tls_server.url("/echo"))
    other = ssl.create_default_context(cafile=str(tls_server.other_ca_file))
    with pytest.raises(aiohttp.ClientConnectorCertificateError):
        await client.get(tls_server.url("/echo"), ssl=other)


async def test_httpbin(httpbin, client):
    async with client.get(httpbin.url("/get?x=1")) as r:
        assert (await r.json())["args"] == {"x": "1"}
    for path in ("/gzip", "/deflate", "/brotli"):
        async with client.get(httpbin.url(path)) as r:
            assert r.status == 200 and (await r.json())
    async with client.get(httpbin.url("/status/418")) as r:
        assert r.status == 418
    async with client.get(httpbin.url("/redirect/3")) as r:
        assert len(r.history) == 3


async def test_http_proxy_forward_and_connect(http_proxy, server, tls_server, client):
    n = len(http_proxy.requests)
    async with client.get(server.url("/echo?via=proxy"), proxy=http_proxy.url) as r:
        d = await r.json()
    assert d["args"] == {"via": ["proxy"]}
    assert http_proxy.requests[n]["method"] == "GET"
    assert http_proxy.requests[n]["target"] == server.url("/echo?via=proxy")
    async with client.get(tls_server.url("/echo"), proxy=http_proxy.url, ssl=False) as r:
        assert r.status == 200
    assert http_proxy.requests[n + 1]["method"] == "CONNECT"
    assert http_proxy.requests[n + 1]["target"] == f"127.0.0.1:{tls_server.port}"


async def test_http_proxy_refuses_non_loopback(http_proxy, client):
    async with client.get("http://192.0.2.1/", proxy=http_proxy.url) as r:
        assert r.status == 403


async def test_http_proxy_auth(http_proxy_auth, server, client):
    p = http_proxy_auth
    async with client.get(server.url("/echo"), proxy=p.url) as r:
        assert r.status == 407
    async with client.get(server.url("/echo"), proxy=p.url_with_auth()) as r:
        assert r.status == 200
    want = "Basic " + base64.b64encode(b"puser:ppass").decode()
    assert p.requests[-1]["proxy_authorization"] == want


async def test_socks5_proxy(socks_proxy, server):
    reader, writer = await asyncio.open_connection("127.0.0.1", socks_proxy.port)
    writer.write(b"\x05\x01\x00")
    assert await reader.readexactly(2) == b"\x05\x00"
    writer.write(b"\x05\x01\x00\x01" + bytes([127, 0, 0, 1]) + struct.pack("!H", server.port))
    reply = await reader.readexactly(10)
    assert reply[1] == 0
    writer.write(b"GET /echo?via=socks HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = await asyncio.wait_for(reader.read(-1), 5)
    writer.close()
    assert data.startswith(b"HTTP/1.1 200") and b"socks" in data
    assert socks_proxy.connections[-1] == {"host": "127.0.0.1", "port": server.port, "user": None}
    # non-loopback targets are refused
    reader, writer = await asyncio.open_connection("127.0.0.1", socks_proxy.port)
    writer.write(b"\x05\x01\x00")
    await reader.readexactly(2)
    writer.write(b"\x05\x01\x00\x01" + bytes([192, 0, 2, 1]) + struct.pack("!H", 80))
    assert (await reader.readexactly(10))[1] == 2
    writer.close()


def test_notebook_top_level_await(server):
    cells = [
        "import aiohttp",
        "async with aiohttp.ClientSession() as s:\n"
        f"    async with s.get({server.url('/json')!r}) as r:\n"
        "        print('status', r.status, (await r.json())['name'])",
    ]
    out = run_notebook(cells)
    assert out[1].strip() == "status 200 ferrocrawl", out


# ---- redis-server (the shared crawl frontier's store) -----------------------------------------


def test_redis_server_set_get_and_restart_keeps_the_aof(redis_server):
    assert redis_server.url == f"redis://127.0.0.1:{redis_server.port}/0"
    assert redis_server.cli("DBSIZE") == "0"  # the fixture empties it for each test
    assert redis_server.cli("SET", "k", "v 1") == "OK"
    assert redis_server.cli("RPUSH", "q", "a", "b") == "2"
    port = redis_server.port
    redis_server.restart(down=0.2)
    assert redis_server.port == port
    assert redis_server.cli("GET", "k") == "v 1"
    assert redis_server.cli("LRANGE", "q", "0", "-1") == "a\nb"
    assert redis_server.info("persistence")["aof_enabled"] == "1"


def test_redis_server_kill_refuses_connections_then_start(redis_server):
    redis_server.cli("SET", "k", "v")
    time.sleep(1.2)  # appendfsync everysec: on disk within a second
    redis_server.kill()
    assert not redis_server.running
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", redis_server.port), timeout=1).close()
    redis_server.start()  # the fixture would do it for the next test too
    assert redis_server.cli("GET", "k") == "v"


def test_redis_server_without_aof_restart_saves_rdb():
    with RedisServer(appendonly=False) as r:
        r.cli("SET", "k", "v")
        r.restart()
        assert r.cli("GET", "k") == "v"
        assert r.info("persistence")["aof_enabled"] == "0"
    assert not r.dir.exists()  # close() removes the data directory


def test_redis_cluster_ok_and_keys_spread_over_masters(redis_cluster):
    addrs = redis_cluster.url.removeprefix("redis+cluster://").split(",")
    assert addrs == [f"127.0.0.1:{p}" for p in redis_cluster.ports] and len(addrs) == 3
    for node in redis_cluster.nodes:
        info = node.cli("CLUSTER", "INFO")
        assert "cluster_state:ok" in info and "cluster_known_nodes:3" in info
        assert node.cli("DBSIZE") == "0"
    for i in range(30):
        assert redis_cluster.cli("SET", f"key{i}", i) == "OK"
    assert [redis_cluster.cli("GET", f"key{i}") for i in range(30)] == [str(i) for i in range(30)]
    per_node = [int(n.cli("DBSIZE")) for n in redis_cluster.nodes]
    assert sum(per_node) == 30 and all(n > 0 for n in per_node), per_node
    # a hash tag keeps keys on one slot, as the frontier's fc:{name} keys are
    slots = {redis_cluster.cli("CLUSTER", "KEYSLOT", f"fc:{{docs}}:{k}") for k in "abc"}
    assert len(slots) == 1


# ---- mariadbd (the MySQL sink's server) -------------------------------------------------------


def _login(m: MariaDBServer, password: str) -> subprocess.CompletedProcess[str]:
    """The mariadb client as `ferro` over TCP (not the socket query() uses)."""
    cmd = [m.client_bin, "--no-defaults", f"--host={m.addr.split(':')[0]}", f"--port={m.port}"]
    cmd += ["--user=ferro", f"--password={password}", "--batch", "--skip-column-names"]
    cmd += ["--database=test", "--execute", "SELECT CURRENT_USER(), @@character_set_server"]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30, check=False)


def test_mariadb_server_rows_survive_restart_and_kill_and_passwords_are_checked():
    with MariaDBServer() as m:
        assert m.url == f"mysql://ferro:ferro-pw@127.0.0.1:{m.port}/test"
        assert m.params == {
            "host": "127.0.0.1",
            "port": m.port,
            "user": "ferro",
            "password": "ferro-pw",
            "db": "test",
        }
        m.query("CREATE TABLE items (url VARCHAR(255) PRIMARY KEY, title LONGTEXT)")
        m.query("INSERT INTO items VALUES ('http://a/1', '猫咪\\t的一天'), ('http://a/2', NULL)")
        rows = [("http://a/1", "猫咪\t的一天"), ("http://a/2", "NULL")]
        assert m.query("SELECT url, title FROM items ORDER BY url") == rows
        port = m.port
        m.restart(down=0.2)
        assert m.port == port and m.running
        assert m.query("SELECT url, title FROM items ORDER BY url") == rows
        m.query("INSERT INTO items VALUES ('http://a/3', 'x')")  # committed: autocommit
        m.kill()
        assert not m.running
        with pytest.raises(OSError):
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        m.start()  # crash recovery; flush_log_at_trx_commit=2 wrote the commit to the OS
        assert m.query("SELECT COUNT(*) FROM items") == [("3",)]
        ok = _login(m, "ferro-pw")
        assert ok.returncode == 0 and ok.stdout.split() == ["ferro@127.0.0.1", "utf8mb4"]
        bad = _login(m, "wrong")
        assert bad.returncode != 0 and "Access denied for user 'ferro'" in bad.stderr
        m.reset()
        assert m.query("SHOW TABLES") == []
        with pytest.raises(RuntimeError, match="doesn't exist"):
            m.query("SELECT * FROM items")
    assert not m.dir.exists() and not m.running  # close() stops it and removes its directory
